"""Tell a student whose tab lost its server session why the page started over.

A session lives in one server process. When that process dies (a replica killed behind the load balancer,
a restart, a redeploy), or the tab was away longer than ``server.disconnectedSessionTTL``, the browser
reconnects, possibly to another replica, and gets a fresh session: the page starts over with its defaults
(``ui.shell`` sets its persistent controls from session state, which is new), and the trainers, generated
samples and uploads held on the old server are gone. An idle page is redrawn only at the student's next move
(Streamlit's frontend reruns a reconnected page by itself only while it runs or auto-refreshes), so that
is when this message appears, next to the page that has started over.
Without a word, a student sees a trained model vanish.

How a fresh session knows that this tab had one before: Streamlit's frontend, when it reconnects, asks to
resume its last session by putting that session's id third in the websocket's ``Sec-WebSocket-Protocol``
header (``streamlit, <xsrf token>, <session id>``). The server resumes it if it still has it (then this
session's state is not new), and otherwise opens a new session with that header. So "a new session whose
handshake asks to resume one" is exactly "this tab had a session that this server does not have".

Why not a marker of our own: a marker in the URL would travel in every link a teacher copies from the
address bar and put the whole class's first visit in "moved" mode; one in ``sessionStorage`` is copied into
a duplicated tab and needs a custom component to read. The resume id lives only in the tab's memory, is
sent by Streamlit itself, and is gone after a reload or in a new tab, which is right: those start fresh
on purpose. It is Streamlit's wire format, not a documented API, so ``tests/test_replicas.py`` checks it on
the pinned version in a real browser.
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

SEEN_KEY = "_gp_session_seen"  # set on a session's first run
MOVED_KEY = "_gp_session_moved"  # the page on which a lost session was noticed


def resume_requested(headers: Mapping[str, str] | None) -> str | None:
    """The session id the browser asked to resume in this websocket handshake, or None."""
    if not headers:
        return None
    raw = headers.get("Sec-Websocket-Protocol") or headers.get("sec-websocket-protocol")
    if not raw:
        return None
    entries = [e.strip() for e in raw.split(",")]
    return entries[2] if len(entries) >= 3 and entries[2] else None


def _handshake_headers() -> Mapping[str, str] | None:
    try:
        return st.context.headers
    except Exception:  # no browser connection (AppTest, bare mode)
        return None


def check(page: str) -> None:
    """On a session's first run, note whether the browser had a session this server lacks."""
    if SEEN_KEY in st.session_state:
        return
    st.session_state[SEEN_KEY] = True
    if resume_requested(_handshake_headers()) is not None:
        st.session_state[MOVED_KEY] = page


def _dismiss() -> None:
    st.session_state.pop(MOVED_KEY, None)


def notice(page: str, t) -> None:
    """The visible message, on the page where the reconnect happened, until dismissed or the page changes."""
    moved = st.session_state.get(MOVED_KEY)
    if moved is None:
        return
    if moved != page:
        _dismiss()
        return
    st.warning(t("reconnect.moved"), icon=":material/sync_problem:")
    st.button(t("reconnect.ok"), key="gp_reconnect_ok", on_click=_dismiss)
