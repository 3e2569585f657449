"""Placeholder for the gan page until its issue lands: it says so, honestly."""

from ui.shell import planned_page, setup

setup("gan")
planned_page("gan")
