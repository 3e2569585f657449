"""Placeholder for the diffusion page until its issue lands: it says so, honestly."""

from ui.shell import planned_page, setup

setup("diffusion")
planned_page("diffusion")
