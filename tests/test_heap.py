"""ui.heap: a slow full collection freezes the long-lived heap at the end of the run, once, and only then."""

import gc

from ui import heap


def test_a_slow_full_collection_freezes_the_heap_at_the_end_of_the_run(monkeypatch):
    monkeypatch.setattr(heap, "ENABLED", True)
    monkeypatch.setattr(heap, "SLOW_S", 0.0)  # every full collection counts as slow
    monkeypatch.setitem(heap._state, "due", False)
    heap.install()
    try:
        before = gc.get_freeze_count()
        assert not heap.after_run()  # nothing was slow yet: no freeze
        kept = [[i] for i in range(10_000)]  # long-lived objects the collector tracks
        gc.collect(2)
        assert heap._state["due"]
        n = heap.freezes()
        assert heap.after_run() and heap.freezes() == n + 1
        assert gc.get_freeze_count() >= before + len(kept)
        assert not heap.after_run()  # once per slow collection
    finally:
        gc.unfreeze()  # the test process keeps its usual collector
        monkeypatch.setitem(heap._state, "due", False)


def test_it_can_be_turned_off(monkeypatch):
    monkeypatch.setattr(heap, "ENABLED", False)
    monkeypatch.setitem(heap._state, "due", True)
    assert not heap.after_run()
    monkeypatch.setitem(heap._state, "due", False)
