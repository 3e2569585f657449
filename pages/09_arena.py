"""Page 9: the arena. Every 2D family on the same points with the same budget, judged with the same rulers."""

import streamlit as st

from engine.core.training import Budget
from engine.data import points
from engine.evaluation import plane
from engine.races import lessons
from engine.races import race as R
from ui import charts
from ui import lessons as guided
from ui import live_panel
from ui import plots_arena as P
from ui.data_input import dataset_picker
from ui.shell import PageContext, guard, presenting, section, setup, t

ctx = setup("arena")
MODES = ("lessons", "custom")
NEEDS = points.DataNeeds(min_points=plane.MIN_POINTS)  # a training and a held-out half that fit k = 5
BUDGET_KINDS = ("seconds", "steps")
BUDGETS = {"seconds": (1, 2, 3, 5, 10, 20), "steps": (25, 50, 100, 200, 300, 500, 1000, 2000)}
DEFAULT_BUDGET = {"seconds": 2, "steps": 200}  # 2 s each: every family on the default data within about 15 s
PREVIEW = 150  # samples per panel while the race runs
TICK, TICK_BUDGET = 1.0, 0.8  # a redraw a second, after up to 0.8 s of training: drawing 14 figures is not free
PREVIEW_AGE = 2.0  # a panel's samples are redrawn at most every 2 s (diffusion's sampling takes a while)
KNOB_COLUMNS = 3


def frozen(figs: dict, lang: str) -> dict:
    """A finished race's figures, serialised once (``charts.freeze``): drawn as they are on every rerun after."""
    return {k: charts.freeze(f, lang) for k, f in figs.items()}


@st.cache_resource(max_entries=16, ttl=3600, show_spinner=False)  # shared, read-only: per lesson, language and presenter
def lesson_view(key: str, lang: str, presented: bool) -> dict | None:
    """A shipped lesson's rows, data, panels, figures and CSVs, built once (None: its file is missing)."""
    doc = lessons.shipped(key)
    if doc is None:
        return None
    X = lessons.dataset_for(lessons.lesson(key), doc["seed"]).X
    c = PageContext(ctx.page, lang, 0)
    cells, box = P.cells_from_rows(c, doc["rows"]), points.bounds(X)
    return {"doc": doc, "X": X, "box": box, "cells": cells, "figs": frozen(P.figures(c, cells, box, X, presented), lang),
            "csvs": (P.table_csv(doc["rows"]), P.samples_csv(doc["rows"]))}


def finished_view(rows: list[dict], real, box) -> dict:
    """A finished live race's panels, figures and CSVs, built once per result, language and presenter mode."""
    key, token = ctx.state_key("finished"), (ctx.lang, presenting())
    held = st.session_state.get(key)
    if held is None or held["rows"] is not rows or held["token"] != token:
        cells = P.cells_from_rows(ctx, rows)
        held = {"rows": rows, "token": token, "cells": cells, "figs": frozen(P.figures(ctx, cells, box, real, token[1]), ctx.lang),
                "csvs": (P.table_csv(rows), P.samples_csv(rows))}
        st.session_state[key] = held
    return held


def metric_picker(default: str, key: str) -> str:
    return st.selectbox(ctx.t("rank_by"), R.METRICS, index=R.METRICS.index(default), format_func=ctx.labeler("arena.metric"),
                        key=ctx.key(f"metric_{key}"), help=ctx.t("rank_by_help"))


def verdict(rows: list[dict], default: str, key: str, where: str, csvs) -> None:
    st.subheader(ctx.t("verdict_title"))
    P.verdict(ctx, rows, metric_picker(default, key), key=where, csvs=csvs)


@section
def lesson_verdict(rows: list[dict], default: str, key: str, csvs) -> None:
    """The shipped lesson's table: a new ranking metric reruns this alone (and the link follows)."""
    verdict(rows, default, key, "lesson", csvs)


# ---------------------------------------------------------------- the live race (one panel: every contestant in turn)

def snapshot(race: R.Race, done: bool):
    """Under the race's lock: the verdict once it is over, else each contestant's progress and a few samples."""
    if done:
        return "rows", race.result()
    cells = []
    for e in race.entries:
        status = "failed" if e.model is None else "diverged" if e.diverged_ else "ok"
        note = P.error_text(ctx, {"error": e.failed}) if e.failed else None
        cells.append(P.Cell(e.name, race.preview(e, PREVIEW, PREVIEW_AGE) if status == "ok" else None, list(e.curve_steps), list(e.curve),
                            e.curve_key, race.fraction(e), status, e.step_, e.elapsed_, note, knob=e.knob))
    return "cells", cells


def draw(snap: live_panel.Snapshot, real, box, metric: tuple[str, str]) -> None:
    """Inside the live panel's fragment: a new ranking metric reruns the panel alone, from the built figures."""
    kind, payload = snap.page
    if kind == "cells":
        P.grid(ctx, payload, box, real, key="race")
        st.caption(ctx.t("verdict_when_done"))
        return
    view = finished_view(payload, real, box)
    P.grid(ctx, view["cells"], box, real, key="race", figs=view["figs"])
    verdict(payload, *metric, "race", view["csvs"])  # the live panel rewrites the link after its own reruns


def race_panel(build, data, settings, real, metric: tuple[str, str]) -> None:
    """Train the race live; new data or settings while a race is under way start it over (and say so).
    ``metric``: the ranking metric's default and widget key."""
    run = st.session_state.get(ctx.state_key("live"))
    if run is not None and run.trainer is not None and run.trainer.step_ and run.fingerprint != live_panel.fingerprint(data, settings):
        st.info(ctx.t("restarted"), icon=":material/restart_alt:")
    box = points.bounds(real)
    panel = live_panel.Panel(ctx, "arena", lambda reset: build(), data=data, settings=settings, lazy=True,
                             snapshot=snapshot, draw=lambda snap: draw(snap, real, box, metric),
                             tick_seconds=TICK, tick_budget=TICK_BUDGET,
                             buttons=("reset", "stop"), idle=ctx.t("idle"), labels={"start": ctx.t("start")},
                             helps={"play": ctx.t("start_help")},
                             model_file=False)  # a race holds many models: its results export as CSV, not as one weights file
    live_panel.show(panel)


# ---------------------------------------------------------------- the shipped lessons

@section
def lessons_section() -> None:
    """The shipped lessons: picking one, or running it yourself, reruns only this section (the sidebar and the text
    around it stay as they are)."""
    keys = [item.key for item in lessons.LESSONS]
    key = st.segmented_control(ctx.t("lesson"), keys, default=keys[0], required=True, format_func=ctx.labeler("arena.lessons"),
                               key=ctx.key("race")) or keys[0]  # not "lesson": that is the guided lesson's link parameter
    item = lessons.lesson(key)
    if guided.answer_hidden(ctx.page):  # a guided lesson asks about this race: its commentary would give the answer away
        st.caption(t("lessons.commentary_hidden"))
    else:
        st.info(ctx.t(f"lesson_text.{key}"), icon=":material/school:")
    live = st.toggle(ctx.t("run_yourself"), key=ctx.key(f"live_{key}"), help=ctx.t("run_yourself_help", steps=item.steps))
    if live:
        ds = lessons.dataset_for(item, ctx.seed)
        race_panel(lambda: lessons.race_for(item, ctx.seed), (ds.X, ds.y), ("lesson", key, ctx.seed), ds.X, (item.metric, key))
        return
    view = lesson_view(key, ctx.lang, presenting())
    if view is None:
        st.error(ctx.t("errors.no_shipped", lesson=key), icon=":material/error:")
        return
    doc = view["doc"]
    st.caption(ctx.t("shipped_caption", steps=ctx.num(item.steps, ","), seed=doc["seed"]))
    P.grid(ctx, view["cells"], view["box"], view["X"], key="lesson", figs=view["figs"])
    lesson_verdict(doc["rows"], item.metric, key, view["csvs"])


# ---------------------------------------------------------------- your own race

def custom_section() -> None:
    ds = dataset_picker(ctx, default="ring8", needs=NEEDS)
    if ds is None:
        return
    names = st.multiselect(ctx.t("contestants"), R.CONTESTANTS, default=list(R.CONTESTANTS), format_func=ctx.labeler("arena.names"),
                           key=ctx.key("names"), help=ctx.t("contestants_help"))
    knobs = knob_pickers([n for n in R.CONTESTANTS if n in names])
    c1, c2 = st.columns([1, 2])
    kind = c1.segmented_control(ctx.t("budget_kind"), BUDGET_KINDS, default="seconds", required=True,
                                format_func=ctx.labeler("arena.budget_kinds"), key=ctx.key("budget_kind")) or "seconds"
    amount = c2.select_slider(ctx.t(f"budget.{kind}"), BUDGETS[kind], DEFAULT_BUDGET[kind], key=ctx.key(f"budget_{kind}"),
                              help=ctx.t("budget_help"))
    if not names:
        st.warning(ctx.t("pick_one"), icon=":material/group_add:")
        return
    order = [n for n in R.CONTESTANTS if n in names]
    budget = Budget(max_seconds=float(amount)) if kind == "seconds" else Budget(max_steps=int(amount))
    dataset = ds.name if ds.name in points.BUILTIN else None  # built-in mode data count "modes covered"
    configs = R.configs_for(knobs)
    race_panel(lambda: R.Race(ds.X, ds.y, order, budget, ctx.seed, dataset=dataset, configs=configs), (ds.X, ds.y),
               ("custom", tuple(order), budget, ctx.seed, dataset, tuple(sorted(knobs.items()))), ds.X, ("mmd2", "custom"))


def knob_pickers(order: list[str]) -> dict:
    """One setting per chosen contestant (the registry's default preselected), ``KNOB_COLUMNS`` to a row."""
    names = [n for n in order if n in R.KNOBS]
    values = {}
    for start in range(0, len(names), KNOB_COLUMNS):
        for col, name in zip(st.columns(KNOB_COLUMNS), names[start:start + KNOB_COLUMNS]):
            values[name] = col.select_slider(ctx.t(f"knob.{name}"), R.KNOBS[name].options, R.knob_default(name),
                                             format_func=lambda v: ctx.num(v, "g"), key=ctx.key(f"knob_{name}"),
                                             help=ctx.t(f"knob_help.{name}"))
    return values


st.markdown(ctx.t("lead"))
mode = st.segmented_control(ctx.t("mode"), MODES, default="lessons", required=True, format_func=ctx.labeler("arena.modes"),
                            key=ctx.key("mode")) or "lessons"
with guard():
    lessons_section() if mode == "lessons" else custom_section()
with st.expander(ctx.t("explain"), icon=":material/school:"):
    ctx.md("rules")

ctx.finish()  # after every widget: a link's unknown settings are reported and dropped
