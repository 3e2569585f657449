"""Placeholder for the evaluation page until its issue lands: it says so, honestly."""

from ui.shell import planned_page, setup

setup("evaluation")
planned_page("evaluation")
