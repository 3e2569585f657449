"""Placeholder for the energy_based page until its issue lands: it says so, honestly."""

from ui.shell import planned_page, setup

setup("energy_based")
planned_page("energy_based")
