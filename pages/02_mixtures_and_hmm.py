"""Placeholder for the mixtures_and_hmm page until its issue lands: it says so, honestly."""

from ui.shell import planned_page, setup

setup("mixtures_and_hmm")
planned_page("mixtures_and_hmm")
