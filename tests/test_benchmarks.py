"""The benchmarks' pure parts: percentiles, the protocol messages the class-load client sends, the judges of
the browser benchmark, and the interaction table against the pages and catalogues. Nothing here is timed."""

import math

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ButtonGroup_pb2 import ButtonGroup
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.NumberInput_pb2 import NumberInput
from streamlit.proto.Selectbox_pb2 import Selectbox
from streamlit.proto.Slider_pb2 import Slider

from benchmarks import browser, interactions
from benchmarks import st_protocol as sp
from benchmarks.timing import percentile, summary


def test_percentile_interpolates_between_ranks_like_numpy():
    assert percentile([4, 1, 3, 2], 50) == 2.5
    assert percentile(range(1, 101), 95) == pytest.approx(95.05)
    assert percentile([7], 95) == 7
    assert math.isnan(percentile([], 50))
    assert summary([1, 2, 3])["p50"] == 2 and summary([])["n"] == 0


def test_rerun_message_is_what_the_browser_sends():
    state = sp.widget_state("$$ID-ab12-w:gan.lr_d", "string_array_value", ["0.003"])
    msg = sp.rerun_message("lang=pt", [state], page_script_hash="h", fragment_id="f", is_auto_rerun=True,
                           cached_hashes={"b": 0, "a": 0}, url="http://127.0.0.1:1/gan", lang="pt")
    back = BackMsg()
    back.ParseFromString(msg.SerializeToString())
    cs = back.rerun_script
    assert (cs.query_string, cs.page_script_hash, cs.fragment_id, cs.is_auto_rerun) == ("lang=pt", "h", "f", True)
    assert list(cs.cached_message_hashes) == ["a", "b"] and cs.context_info.locale == "pt-BR"
    assert list(cs.widget_states.widgets[0].string_array_value.data) == ["0.003"]
    assert sp.user_key("$$ID-ab12-w:gan.lr_d") == "w:gan.lr_d" and sp.user_key("$$ID-ab12-None") is None


def test_a_slider_steps_and_turns_round_at_its_end():
    el = Slider(id="s", min=0, max=1, step=0.5, data_type=Slider.FLOAT, type=Slider.SLIDER)
    el.default.append(0.5)
    state = sp.shown_state("slider", el, None)
    assert sp.state_value(state) == ("double_array_value", [0.5])
    state, d = sp.moved_state("slider", el, state, 1)
    assert sp.state_value(state)[1] == [1.0] and d == 1
    state, d = sp.moved_state("slider", el, state, d)
    assert sp.state_value(state)[1] == [0.5] and d == -1


def test_select_widgets_travel_as_the_shown_option_text():
    sel = Selectbox(id="x", options=["Alice", "Dom Casmurro"], default=0)
    state, _ = sp.moved_state("selectbox", sel, None, 1)
    assert sp.state_value(state) == ("string_value", "Dom Casmurro")
    slider = Slider(id="y", type=Slider.SELECT_SLIDER, options=["0.001", "0.003", "0.01"], min=0, max=2, step=1)
    slider.default.append(1)
    assert sp.state_value(sp.shown_state("slider", slider, None)) == ("string_array_value", ["0.003"])
    assert sp.state_value(sp.moved_state("slider", slider, None, 1, option="0.01")[0])[1] == ["0.01"]
    pills = ButtonGroup(id="z", click_mode=ButtonGroup.MULTI_SELECT)
    for text in ("Real", "Fake", "Grid"):
        pills.options.add(content=text)
    pills.default.extend([0, 1])
    toggled, _ = sp.moved_state("button_group", pills, None, option="Grid")
    assert sp.state_value(toggled)[1] == ["Real", "Fake", "Grid"]
    assert sp.state_value(sp.moved_state("button_group", pills, toggled, option="Real")[0])[1] == ["Fake", "Grid"]
    with pytest.raises(ValueError):
        sp.moved_state("selectbox", sel, None, option="Emma")


def test_numbers_buttons_and_disabled_widgets():
    num = NumberInput(id="n", data_type=NumberInput.INT, default=0, step=1, min=0, max=500, has_min=True, has_max=True)
    state, d = sp.moved_state("number_input", num, None, 1)
    assert sp.state_value(state) == ("int_value", 1)
    assert sp.state_value(sp.moved_state("number_input", num, None, -1)[0]) == ("int_value", 1)  # turns round at 0
    assert sp.moved_state("button", Selectbox(id="b"), None)[0].trigger_value is True
    with pytest.raises(ValueError):
        sp.moved_state("selectbox", Selectbox(id="d", options=["a", "b"], default=0, disabled=True), None)


def test_errors_in_deltas_are_tracebacks_and_error_boxes():
    msg = ForwardMsg()
    msg.delta.new_element.exception.type = "ValueError"
    assert sp.errors_in(msg) == ["exception: ValueError: "]
    alert = ForwardMsg()
    alert.delta.new_element.alert.body = "Bad file"
    alert.delta.new_element.alert.format = 1  # ERROR
    assert sp.errors_in(alert) == ["error box: Bad file"]
    alert.delta.new_element.alert.format = 3  # INFO
    assert sp.errors_in(alert) == []


def test_decoded_frames_count_bytes_cache_references_and_partial_reruns():
    big = ForwardMsg(hash="h1")
    big.metadata.cacheable = True
    big.delta.new_element.plotly_chart.id = "$$ID-1-gan_plane"
    ref = ForwardMsg(ref_hash="h1")
    rerun = sp.rerun_message("lang=en", [], fragment_id="frag")
    frames = [("R", big.SerializeToString()), ("R", ref.SerializeToString()), ("S", rerun.SerializeToString())]
    out = browser.decode_frames(frames, {})
    assert out["messages"] == 2 and out["ref_hits"] == 1 and out["ref_bytes_saved"] == len(frames[0][1])
    assert (out["reruns_sent"], out["fragment_reruns"]) == (1, 1)
    assert out["largest"][0]["element"] == "plotly_chart:gan_plane"


def _status(now, state="notRunning", plots_last=None, t_input=100.0, states=((90.0, "notRunning"),)):
    hit = {"appeared": None, "muts": 3, "mutsFirst": 150.0, "mutsLast": 160.0, "plots": int(plots_last is not None),
           "plotsFirst": plots_last, "plotsLast": plots_last, "anims": 0, "animsFirst": None, "animsLast": None,
           "found": True, "plotly": True}
    return {"now": now, "tInput": t_input, "state": state, "states": [list(s) for s in states], "hits": {".st-key-x": hit}}


def test_a_sample_ends_at_the_last_redraw_once_the_app_is_quiet():
    states = ((90.0, "notRunning"), (120.0, "running"), (400.0, "notRunning"))
    assert browser._judge(_status(500.0, plots_last=None, states=states))[0] is False  # no redraw yet
    assert browser._judge(_status(600.0, plots_last=450.0, states=states))[0] is False  # not quiet for 300 ms
    done, latency, script, unchanged = browser._judge(_status(800.0, plots_last=450.0, states=states))
    assert done and latency == pytest.approx(0.35) and script == pytest.approx(0.3) and not unchanged
    assert browser._judge(_status(800.0, state="running", plots_last=450.0, states=states))[0] is False


def test_an_identical_figure_ends_the_sample_at_the_script_time():
    states = ((90.0, "notRunning"), (120.0, "running"), (400.0, "notRunning"))
    assert browser._judge(_status(1000.0, states=states))[0] is False  # maybe the figure is still coming
    done, latency, _, unchanged = browser._judge(_status(2000.0, states=states))
    assert done and unchanged and latency == pytest.approx(0.3)


def test_pause_counts_the_steps_after_the_click():
    r = {"t": 1000.0, "now": 5000.0, "state": "notRunning",
         "c": {"values": [[900.0, 100], [1200.0, 120], [1500.0, 140]], "paused": [[900.0, False], [1600.0, True]]}}
    out = browser._judge_pause(r)
    assert out["done"] and out["steps_after_click"] == 40 and out["latency"] == pytest.approx(0.6)
    r["now"] = 2000.0  # the counter moved 0.5 s ago: not stopped yet
    assert not browser._judge_pause(r)["done"]


def test_css_key_is_the_class_streamlit_gives_a_keyed_element():
    assert browser.css_key("w:gan.epoch") == ".st-key-w-gan-epoch"


def test_the_table_covers_every_page_and_names_real_catalogue_entries():
    from ui import text
    from ui.registry import PAGES

    assert {p.key for p in PAGES} | {"home"} == set(interactions.BY_KEY)
    names: set[str] = set()

    def collect(action) -> None:
        if isinstance(action, interactions.Widget) and action.to:
            names.add(action.to)
        if isinstance(action, (interactions.Tab, interactions.Expand)):
            names.add(action.label)

    for page in interactions.PAGES:
        for inter in page.interactions:
            assert inter.kind in (interactions.VIEW, interactions.REFIT, interactions.STEP, interactions.SCRUB)
            assert inter.charts, inter.name
            for action in (inter.act, *inter.setup):
                collect(action)
        if page.live is not None:
            for action in page.live.setup:
                collect(action)
            names |= {n for n in (page.live.counter.metric, page.live.paused.label) if n}
    for lang in text.LANGS:
        missing = [n for n in names if n not in text.catalogue(lang)]
        assert not missing, (lang, missing)
    mix = interactions.class_mix()
    assert set(mix.training) == {"vae", "gan", "diffusion", "token_sampling"}
    assert all(i.kind != interactions.STEP for rows in mix.light.values() for i in rows)
