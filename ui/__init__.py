"""Streamlit-side helpers shared by every page: the shell, text, charts and data input.

``ui.registry`` and ``ui.text`` do not import streamlit, so tests can read them directly.
"""
