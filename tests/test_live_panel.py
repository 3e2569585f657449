"""The shared live-training panel (ui/live_panel.py) on a toy trainer: play, pause, step, stop,
reset, a rebuild when the data changes, and a diverged run's message."""

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from ui import live_panel, text

SCRIPT = "apps/live_panel_app.py"  # relative to this file


def run(**state) -> AppTest:
    at = AppTest.from_file(SCRIPT, default_timeout=60)
    for k, v in state.items():
        at.session_state[k] = v
    return at.run()


def trainer(at: AppTest):
    return at.session_state["toy.live"].trainer


def test_play_pause_step_stop_and_reset():
    at = run()
    assert not at.exception and trainer(at) is None and [i.value for i in at.info] == ["no trainer yet"]  # lazy
    at.button(key="toy_play").click().run()  # one tick per run under AppTest: 5 steps
    tr = trainer(at)
    assert tr.step_ == 5 and at.session_state["toy.live"].playing
    at.button(key="toy_pause").click().run()
    held = tr.step_
    at.run()
    at.run()
    assert tr.step_ == held and not at.session_state["toy.live"].playing  # paused: no tick steps it
    assert at.button(key="toy_play").label == text.lookup("en", "live.resume")
    at.button(key="toy_step").click().run()
    assert tr.step_ == held + 1
    assert at.metric[0].value == str(float(held + 1))  # the view is drawn from the snapshot of this very step
    assert f"Step {held + 1} of 30" in at.get("progress")[0].proto.text
    at.button(key="toy_stop").click().run()
    assert at.button(key="toy_play").disabled and at.button(key="toy_step").disabled  # over at this step
    at.run()
    assert tr.step_ == held + 1
    at.button(key="toy_reset").click().run()
    assert trainer(at) is None and not at.button(key="toy_play").disabled
    at.button(key="toy_play").click().run()
    assert trainer(at) is not tr and trainer(at).step_ == 5


def test_play_runs_to_the_end_and_stops_ticking():
    at = run()
    at.button(key="toy_play").click().run()
    for _ in range(10):
        at.run()
    tr = trainer(at)
    assert tr.step_ == 30 and tr.done and not at.session_state["toy.live"].playing
    assert "left" in at.get("progress")[0].proto.text or "measuring" in at.get("progress")[0].proto.text


def test_a_slow_view_is_redrawn_every_fourth_tick_while_playing_and_at_once_on_a_pause_or_a_new_setting(monkeypatch):
    from ui import live

    monkeypatch.setattr(live, "in_fragment_run", lambda: True)  # AppTest runs whole pages: here each run is a tick
    at = run()
    at.button(key="toy_play").click().run()
    seen = []  # (tick, step, the step the curve was built at)
    for _ in range(4):
        at.run()
        rec = at.session_state["toy.live"]
        seen.append((rec.ticks, trainer(at).step_, int(at.caption[0].value.rsplit(" ", 1)[1])))
    assert live_panel.SLOW_EVERY == 4
    assert all(built == step for tick, step, built in seen if tick % 4 == 0) and any(tick % 4 == 0 for tick, _, _ in seen)
    assert any(built < step for tick, step, built in seen if tick % 4)  # in between: the last one, training moved on
    at.session_state["shows"] = "b"
    at.run()  # another setting: drawn at once, whatever the tick
    assert at.caption[0].value == f"curve b at step {trainer(at).step_}"


def test_a_paused_run_draws_the_slow_view_where_training_stopped(monkeypatch):
    from ui import live

    monkeypatch.setattr(live, "in_fragment_run", lambda: True)
    at = run()
    at.button(key="toy_play").click().run()
    at.run()  # tick 2: the curve still where tick 1 built it
    at.button(key="toy_pause").click().run()
    assert trainer(at).step_ >= 10 and at.caption[0].value == f"curve a at step {trainer(at).step_}"


def test_a_pause_during_a_tick_draws_the_views_once_in_the_full_run_that_stops_the_timer(monkeypatch):
    from ui import live

    monkeypatch.setattr(live, "in_fragment_run", lambda: True)
    at = run()
    at.button(key="toy_play").click().run()
    at.run()
    tr, drawn = trainer(at), at.session_state["draws"]
    at.session_state["tick_every"] = 0.25  # the click reruns the ticking fragment, with the timer's arguments
    at.button(key="toy_pause").click().run()
    assert not at.exception and not at.session_state["toy.live"].playing
    assert at.session_state["draws"] == drawn + 1  # not once in the fragment's run and again in the full one
    assert at.button(key="toy_play").label == text.lookup("en", "live.resume")
    assert at.metric[0].value == str(float(tr.step_)) and at.caption[0].value == f"curve a at step {tr.step_}"


def test_a_click_waiting_for_the_tick_stops_its_training_before_the_next_step(monkeypatch):
    from ui import live

    waiting = [False]
    monkeypatch.setattr(live, "click_waiting", lambda: waiting[0])
    at = run()
    at.button(key="toy_play").click().run()
    assert trainer(at).step_ == 5  # nothing waits: the tick's five steps
    waiting[0] = True
    at.run()
    assert trainer(at).step_ == 5 and at.session_state["toy.live"].playing  # a press waits: the tick draws at once
    waiting[0] = False
    at.run()
    assert trainer(at).step_ == 10


def test_new_data_rebuilds_the_trainer():
    at = run()
    at.button(key="toy_play").click().run()
    old = trainer(at)
    at.run()
    assert trainer(at) is old  # same data, same settings: the same trainer goes on
    at.session_state["X"] = np.arange(6.0)[::-1].copy()  # the same points in another order: same sum, other bytes
    at.run()
    assert trainer(at) is None and not at.session_state["toy.live"].playing  # dropped; lazy: rebuilt on Play
    at.button(key="toy_play").click().run()
    assert trainer(at) is not old and np.array_equal(trainer(at).X, np.arange(6.0)[::-1])


def test_a_diverged_run_says_so_and_keeps_the_last_good_weights():
    at = run(diverge_at=8)
    at.button(key="toy_play").click().run()
    at.run()
    tr = trainer(at)
    assert tr.diverged_ and tr.step_ == 7 and tr.weight == 7.0
    assert not at.exception
    assert [e.value for e in at.error] == [text.lookup("en", "live.diverged", step=7)]
    assert at.button(key="toy_play").disabled and not at.session_state["toy.live"].playing


@pytest.mark.parametrize("a, b, same", [
    (np.arange(4.0), np.arange(4.0), True),
    (np.arange(4.0), np.arange(4.0)[::-1], False),  # same sum: a sum is not a fingerprint
    (np.arange(4.0), np.arange(4, dtype=np.float32), False),
    (np.arange(4.0), np.arange(4.0).reshape(2, 2), False),
])
def test_fingerprint_tells_data_apart(a, b, same):
    assert (live_panel.fingerprint(a, "cfg") == live_panel.fingerprint(b, "cfg")) is same
    assert live_panel.fingerprint(a, "cfg") != live_panel.fingerprint(a, "other cfg")


# --- the server's training slots -------------------------------------------------------------------------

def test_slots_hold_a_first_come_queue_and_free_a_closed_tab_after_its_lease():
    from ui.training_slots import TrainingSlots, configured_slots

    now = [0.0]
    slots = TrainingSlots(2, lease=5.0, clock=lambda: now[0])
    assert [slots.request(w).position for w in "abcd"] == [0, 0, 1, 2]
    assert slots.request("d").position == 2 and slots.request("c").position == 1  # asking again keeps the place
    slots.release("a")  # a paused
    assert slots.request("c").granted and slots.request("d").position == 1
    now[0] = 4.0
    slots.request("c"), slots.request("d")
    now[0] = 6.0  # b's tab closed at t = 0: no renewal for 6 s > the 5 s lease
    assert slots.request("d").granted and slots.place("b") is None
    assert slots.request("e").position == 1 and slots.request("e").running == 2
    assert [configured_slots(e) for e in ({}, {"GP_TRAINING_SLOTS": "5"}, {"GP_TRAINING_SLOTS": "0"},
                                          {"GP_TRAINING_SLOTS": "many"})] == [2, 5, 1, 2]


def test_a_student_beyond_the_slots_waits_in_the_queue_sees_the_place_and_starts_when_one_frees(monkeypatch):
    from ui import training_slots

    server = training_slots.TrainingSlots(1)
    monkeypatch.setattr(training_slots, "_INSTANCE", server)
    server.request("another student")  # the one slot is taken
    at = run()
    at.button(key="toy_play").click().run()
    at.run()
    assert trainer(at).step_ == 0 and at.session_state["toy.live"].playing  # waiting, not lost
    shown = " ".join(w.value for w in at.warning)
    assert text.lookup("en", "live.queued", position=1, running=1, slots=1) in shown
    server.release("another student")
    at.run()
    assert trainer(at).step_ == 5 and not at.warning
    at.button(key="toy_pause").click().run()
    assert server.request("a third student").granted  # Pause gave the slot back


def test_past_the_queue_limit_play_says_the_server_is_full_and_nothing_waits(monkeypatch):
    from ui import training_slots

    server = training_slots.TrainingSlots(1, queue=1)
    monkeypatch.setattr(training_slots, "_INSTANCE", server)
    server.request("training")
    server.request("waiting")  # one slot held, the one place in the queue taken
    at = run()
    at.button(key="toy_play").click().run()
    at.run()
    assert not at.session_state["toy.live"].playing and trainer(at).step_ == 0
    assert text.lookup("en", "live.server_full") in " ".join(w.value for w in at.warning)
    assert server.place("waiting").position == 1  # the queue did not grow


# --- training that gives way to the other students' runs (ui/server_load.py) -------------------------------

def test_the_tick_budget_is_whole_when_alone_and_a_share_while_other_sessions_run():
    from ui.server_load import ServerLoad, configured_share

    now = [0.0]
    load = ServerLoad(share=0.3, recent=0.5, stale=10.0, clock=lambda: now[0])
    assert load.budget(0.15, 0.25, 2, "me") == 0.15  # nobody else: the panel's whole budget
    load.begin("me")  # my own page run (a full run trains inline) does not make me give way
    assert load.quiet("me") and load.budget(0.15, 0.25, 2, "me") == 0.15
    load.begin("a slider")
    assert load.others("me") == 1 and load.budget(0.15, 0.25, 2, "me") == pytest.approx(0.3 * 0.25 / 2)
    assert load.budget(0.15, 0.25, 1, "me") == pytest.approx(0.075) and load.budget(0.05, 0.25, 1, "me") == 0.05
    load.begin("a slider")  # the same session again (its last run was cut by a rerun): still one run
    now[0] = 1.0
    load.end("a slider")
    assert load.others("me") == 0 and not load.quiet("me")  # it just ended: students act in bursts
    now[0] = 1.6
    assert load.quiet("me")
    load.begin("a closed tab")  # never ends: forgotten after STALE seconds
    now[0] = 11.0
    assert not load.quiet("me")
    now[0] = 11.7
    assert load.quiet("me")
    with load.running("a section"):
        assert load.others() == 1
    with load.running("a tick", counted=False):
        assert load.others() == 0
    assert [configured_share(e) for e in ({}, {"GP_TRAINING_SHARE": "0.5"}, {"GP_TRAINING_SHARE": "0"},
                                          {"GP_TRAINING_SHARE": "lots"}, {"GP_TRAINING_SHARE": "nan"})] == [0.3, 0.5, 0.05, 0.3, 0.3]


def test_the_redraw_slows_down_while_other_runs_keep_the_server_busy_and_speeds_up_when_calm():
    from ui.server_load import BUSY_TICK_SECONDS, ServerLoad

    now = [100.0]
    load = ServerLoad(clock=lambda: now[0])
    assert load.busy("me") == 0.0 and load.tick_every(None, 0.25, "me") == 0.25  # alone: 4 redraws a second
    load.begin("me")
    now[0] += 3.0
    assert load.busy("me") == 0.0  # my own runs never slow me down
    load.begin("a")
    now[0] += 1.0
    load.begin("b")  # two runs at once cover the same second once
    now[0] += 1.0
    assert load.busy("me") == pytest.approx(2 / 3) and load.tick_every(0.25, 0.25, "me") == BUSY_TICK_SECONDS
    load.end("a"), load.end("b")
    now[0] += 1.0  # busy 2 s of the last 3: still slow; 1 s of 3 is between calm and busy: the rate stays
    assert load.tick_every(BUSY_TICK_SECONDS, 0.25, "me") == BUSY_TICK_SECONDS
    now[0] += 1.0
    assert load.busy("me") == pytest.approx(1 / 3)
    assert load.tick_every(BUSY_TICK_SECONDS, 0.25, "me") == BUSY_TICK_SECONDS and load.tick_every(0.25, 0.25, "me") == 0.25
    now[0] += 1.0
    assert load.busy("me") == 0.0 and load.tick_every(BUSY_TICK_SECONDS, 0.25, "me") == 0.25  # calm again
    assert load.tick_every(None, 2.0, "me") == 2.0  # never faster than the panel's own rate


def test_a_tick_trains_one_step_while_another_student_waits_and_its_whole_budget_alone(monkeypatch):
    from ui import server_load

    load = server_load.ServerLoad(share=0.05, recent=0.0)  # under load: 0.05 × 0.25 s = 12.5 ms, less than a step
    monkeypatch.setattr(server_load, "_INSTANCE", load)
    load.begin("another student's slider")
    at = run(step_seconds=0.015)
    at.button(key="toy_play").click().run()
    at.run()
    tr = trainer(at)
    assert tr.step_ == 2 and at.session_state["toy.live"].playing  # one step per tick: the slider goes first
    load.end("another student's slider")
    at.run()
    assert tr.step_ == 7  # alone again: the tick's 5 steps (75 ms) fit in its whole budget
    at.button(key="toy_pause").click().run()
    at.run()
    assert tr.step_ == 7 and at.metric[0].value == "7.0"  # Pause stops it where the counter says


def test_a_queued_session_ticks_slowly_and_at_the_panel_rate_once_it_holds_a_slot(monkeypatch):
    from ui import training_slots

    server = training_slots.TrainingSlots(1)
    monkeypatch.setattr(training_slots, "_INSTANCE", server)
    seen = []
    fragment = st.fragment

    def recording(func=None, *, run_every=None):
        seen.append(run_every)
        return fragment(func, run_every=run_every)

    monkeypatch.setattr(st, "fragment", recording)
    server.request("another student")
    at = run()
    at.button(key="toy_play").click().run()
    assert seen[-1] == live_panel.QUEUED_TICK_SECONDS and trainer(at).step_ == 0  # waiting: a slow, cheap tick
    server.release("another student")
    at.run()
    assert seen[-1] == live_panel.TICK_SECONDS and trainer(at).step_ == 5
