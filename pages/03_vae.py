"""Placeholder for the vae page until its issue lands: it says so, honestly."""

from ui.shell import planned_page, setup

setup("vae")
planned_page("vae")
