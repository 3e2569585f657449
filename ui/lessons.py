"""Guided lessons: "predict, then reveal", step by step, on any page that has ``assets/lessons/<page>.toml``.

A lesson is data: a list of ``[[step]]`` tables, each with ``settings`` (the page's controls under the
names a link uses, so a step goes in through the same checked path as a shared link) and, per language,
``title``, ``question`` and ``answer``. The lecturer moves with back and next; the step travels in the
URL (``lesson=2``), so students who open the link follow the same step on their laptops. The answer
stays hidden until someone presses "reveal".
"""

from __future__ import annotations

import tomllib
from functools import lru_cache

import streamlit as st

from ui import share, text

LESSONS = text.ROOT / "assets" / "lessons"


@lru_cache(maxsize=None)
def steps(page: str) -> tuple[dict, ...]:
    path = LESSONS / f"{page}.toml"
    if not path.exists():
        return ()
    with open(path, "rb") as f:
        return tuple(tomllib.load(f).get("step", ()))


def step_key(page: str) -> str:
    return f"{page}.lesson_step"  # cleared with the page's other state by "reset this page"


def reveal_key(page: str) -> str:
    return f"{page}.lesson_reveal"


def answer_hidden(page: str) -> bool:
    """Is a lesson step open on ``page`` with its answer not revealed yet? (A page then hides what would give it away.)"""
    ss = st.session_state
    return ss.get(step_key(page)) is not None and bool(steps(page)) and not ss.get(reveal_key(page))


def go(page: str, index: int | None) -> None:
    """Move to step ``index`` (None ends the lesson); its settings go in at the start of the next run."""
    ss = st.session_state
    ss[reveal_key(page)] = False
    if index is None:
        ss.pop(step_key(page), None)
        return
    ss[step_key(page)] = index
    ss[share.INCOMING] = dict(steps(page)[index]["settings"])


def from_url(page: str, raw: str | None) -> None:
    """``?lesson=<n>`` on a session's first run: open the lesson at step n (its controls come from the link)."""
    try:
        n = int(raw) if raw is not None else 0
    except ValueError:
        n = 0
    if 1 <= n <= len(steps(page)):
        st.session_state[step_key(page)] = n - 1


def panel(page: str, lang: str, t) -> None:
    """The lesson box under the title, when a lesson is running on this page."""
    index = st.session_state.get(step_key(page))
    all_steps = steps(page)
    if index is None or not all_steps:
        return
    index = min(int(index), len(all_steps) - 1)
    step = all_steps[index].get(lang) or all_steps[index]["en"]
    with st.container(border=True, key="lesson_box"):
        st.caption(t("lessons.step", i=index + 1, n=len(all_steps)))
        st.subheader(step["title"])
        st.markdown(step["question"])
        if st.session_state.get(reveal_key(page)):
            st.success(step["answer"], icon=":material/lightbulb:")
        else:
            st.button(t("lessons.reveal"), icon=":material/visibility:", key="lesson_reveal", type="primary",
                      on_click=lambda: st.session_state.update({reveal_key(page): True}))
        back, nxt, end = st.columns(3)
        back.button(t("lessons.back"), icon=":material/arrow_back:", key="lesson_back", disabled=index == 0,
                    on_click=go, args=(page, index - 1), width="stretch")
        nxt.button(t("lessons.next"), icon=":material/arrow_forward:", key="lesson_next", disabled=index + 1 >= len(all_steps),
                   on_click=go, args=(page, index + 1), width="stretch")
        end.button(t("lessons.end"), icon=":material/close:", key="lesson_end", on_click=go, args=(page, None), width="stretch")
