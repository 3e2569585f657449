"""Placeholder for the token_sampling page until its issue lands: it says so, honestly."""

from ui.shell import planned_page, setup

setup("token_sampling")
planned_page("token_sampling")
