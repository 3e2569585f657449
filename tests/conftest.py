import pytest
import streamlit as st


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Each test starts with empty Streamlit caches, as a fresh server would."""
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
