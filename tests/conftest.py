import os

import pytest
import streamlit as st

# No background warm-up (ui/prewarm.py) in tests, nor in the servers and scripts they start: it would import torch
# behind a test's back (the home page must render without it) and make timings nondeterministic.
os.environ["GP_PREWARM"] = "0"


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Each test starts with empty Streamlit caches, as a fresh server would."""
    st.cache_data.clear()
    st.cache_resource.clear()
    from ui import server_load, training_slots

    training_slots._INSTANCE = None  # and no live-training slot held by an earlier test
    server_load._INSTANCE = None  # nor a page run an earlier test began and never ended
    yield


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per browser-test module (skipped without it, except under REQUIRE_BROWSER=1)."""
    from tests.browser_utils import launch, require_browser

    with require_browser().sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


def pytest_collection_modifyitems(config, items):
    """With several workers (pytest-xdist, ``--dist loadgroup``) the browser tests share one worker and
    run one after another: each drives its own server and Chromium, and two at once on a 2-core machine
    would slow each other past their waits. Engine and AppTest tests fill the other workers."""
    for item in items:
        if item.get_closest_marker("browser") or "benchmarks" in item.nodeid:
            item.add_marker(pytest.mark.xdist_group("browser"))
