"""Page 9: the arena. Every 2D family on the same points with the same budget, judged with the same rulers."""

import streamlit as st

from engine.core.training import Budget
from engine.data import points
from engine.evaluation import plane
from engine.races import lessons
from engine.races import race as R
from ui import lessons as guided
from ui import live_panel
from ui import plots_arena as P
from ui.data_input import dataset_picker
from ui.shell import guard, setup, t

ctx = setup("arena")
MODES = ("lessons", "custom")
NEEDS = points.DataNeeds(min_points=plane.MIN_POINTS)  # a training and a held-out half that fit k = 5
BUDGET_KINDS = ("seconds", "steps")
BUDGETS = {"seconds": (1, 2, 3, 5, 10, 20), "steps": (25, 50, 100, 200, 300, 500, 1000, 2000)}
DEFAULT_BUDGET = {"seconds": 2, "steps": 200}  # 2 s each: every family on the default data within about 15 s
PREVIEW = 150  # samples per panel while the race runs
TICK, TICK_BUDGET = 1.0, 0.8  # a redraw a second, after up to 0.8 s of training: drawing 14 figures is not free
PREVIEW_AGE = 2.0  # a panel's samples are redrawn at most every 2 s (diffusion's sampling takes a while)


@st.cache_data(max_entries=8, ttl=3600, show_spinner=False)
def shipped(key: str) -> dict | None:
    return lessons.shipped(key)


def metric_picker(default: str, key: str) -> str:
    return st.selectbox(ctx.t("rank_by"), R.METRICS, index=R.METRICS.index(default), format_func=ctx.labeler("arena.metric"),
                        key=ctx.key(f"metric_{key}"), help=ctx.t("rank_by_help"))


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
                            e.curve_key, race.fraction(e), status, e.step_, e.elapsed_, note))
    return "cells", cells


def draw(snap: live_panel.Snapshot, real, box, metric: str) -> None:
    kind, payload = snap.page
    if kind == "cells":
        P.grid(ctx, payload, box, real, key="race")
        st.caption(ctx.t("verdict_when_done"))
        return
    P.grid(ctx, P.cells_from_rows(ctx, payload), box, real, key="race")
    st.subheader(ctx.t("verdict_title"))
    P.verdict(ctx, payload, metric, key="race")


def race_panel(build, data, settings, real, metric: str) -> None:
    """Train the race live; new data or settings while a race is under way start it over (and say so)."""
    run = st.session_state.get(ctx.state_key("live"))
    if run is not None and run.trainer is not None and run.trainer.step_ and run.fingerprint != live_panel.fingerprint(data, settings):
        st.info(ctx.t("restarted"), icon=":material/restart_alt:")
    box = points.bounds(real)
    panel = live_panel.Panel(ctx, "arena", lambda reset: build(), data=data, settings=settings, lazy=True,
                             snapshot=snapshot, draw=lambda snap: draw(snap, real, box, metric),
                             tick_seconds=TICK, tick_budget=TICK_BUDGET,
                             buttons=("reset", "stop"), idle=ctx.t("idle"), labels={"start": ctx.t("start")},
                             helps={"play": ctx.t("start_help")})
    live_panel.show(panel)


# ---------------------------------------------------------------- the shipped lessons

def lessons_section() -> None:
    keys = [item.key for item in lessons.LESSONS]
    key = st.segmented_control(ctx.t("lesson"), keys, default=keys[0], required=True, format_func=ctx.labeler("arena.lessons"),
                               key=ctx.key("race")) or keys[0]  # not "lesson": that is the guided lesson's link parameter
    item = lessons.lesson(key)
    if guided.answer_hidden(ctx.page):  # a guided lesson asks about this race: its commentary would give the answer away
        st.caption(t("lessons.commentary_hidden"))
    else:
        st.info(ctx.t(f"lesson_text.{key}"), icon=":material/school:")
    live = st.toggle(ctx.t("run_yourself"), key=ctx.key(f"live_{key}"), help=ctx.t("run_yourself_help", steps=item.steps))
    metric = metric_picker(item.metric, key)
    if live:
        ds = lessons.dataset_for(item, ctx.seed)
        race_panel(lambda: lessons.race_for(item, ctx.seed), (ds.X, ds.y), ("lesson", key, ctx.seed), ds.X, metric)
        return
    doc = shipped(key)
    if doc is None:
        st.error(ctx.t("errors.no_shipped", lesson=key), icon=":material/error:")
        return
    ds = lessons.dataset_for(item, doc["seed"])
    st.caption(ctx.t("shipped_caption", steps=ctx.num(item.steps, ","), seed=doc["seed"]))
    P.grid(ctx, P.cells_from_rows(ctx, doc["rows"]), points.bounds(ds.X), ds.X, key="lesson")
    st.subheader(ctx.t("verdict_title"))
    P.verdict(ctx, doc["rows"], metric, key="lesson")


# ---------------------------------------------------------------- your own race

def custom_section() -> None:
    ds = dataset_picker(ctx, default="ring8", needs=NEEDS)
    if ds is None:
        return
    names = st.multiselect(ctx.t("contestants"), R.CONTESTANTS, default=list(R.CONTESTANTS), format_func=ctx.labeler("arena.names"),
                           key=ctx.key("names"), help=ctx.t("contestants_help"))
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
    metric = metric_picker("mmd2", "custom")
    race_panel(lambda: R.Race(ds.X, ds.y, order, budget, ctx.seed, dataset=dataset), (ds.X, ds.y),
               ("custom", tuple(order), budget, ctx.seed, dataset), ds.X, metric)


st.markdown(ctx.t("lead"))
mode = st.segmented_control(ctx.t("mode"), MODES, default="lessons", required=True, format_func=ctx.labeler("arena.modes"),
                            key=ctx.key("mode")) or "lessons"
with guard():
    lessons_section() if mode == "lessons" else custom_section()
with st.expander(ctx.t("explain"), icon=":material/school:"):
    ctx.md("rules")
