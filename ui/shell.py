"""The shared frame of every page: language, navigation, seed, reset, and error guard.

Every script in ``pages/`` (and the home page) starts with ``ctx = setup("<page key>")``.
Streamlit discovers the scripts itself (so a deep link such as ``/gan?lang=pt`` works
on a fresh server), its own navigation is hidden in ``.streamlit/config.toml``, and
``setup()`` draws the translated one.

Widget keys: values that should survive a page change and be cleared by "reset this
page" use ``ctx.key(name)`` (``w:<page>.<name>``). Other per-page state (a trainer, a
history) uses ``ctx.state_key(name)`` (``<page>.<name>``). Buttons and uploaders take
plain keys, since their values cannot be stored back.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pandas  # noqa: F401  (before any figure: see the note below)
import streamlit as st

from engine.core.errors import InputError
from ui import charts, heap, lessons, prewarm, presenter, reconnect, server_load, share, text
from ui.registry import BY_KEY, HOME_SCRIPT, PAGES

# pandas is imported above, in the first script run, before anything draws: plotly's validators look for a pandas
# already in sys.modules, so while another thread was still importing it (scikit-learn and hmmlearn import it, in
# ui.prewarm's thread or in another student's first page) they found a half-initialised module and about half the
# figures built meanwhile failed ("partially initialized module 'pandas' has no attribute 'Series"), a "Something
# went wrong" on a fresh server. tests/test_prewarm.py reproduces it. It costs ~0.8 s once per process.
heap.install()  # see ui/heap.py: the long-lived heap is frozen so full collections stop rescanning it

LOG = logging.getLogger("generative_playground")
PERSIST_PREFIX = "w:"
SEED_KEY = "w:seed"
CURRENT_PAGE = "current_page"
CSV_SLOT, CSV_DONE = "export.csv_slot", "export.csv_done"  # ui.export's: the sidebar's place for the page's CSV


def lang() -> str:
    return st.session_state.get("lang", text.DEFAULT_LANG)


def t(key: str, **params: object) -> str:
    """The catalogue text for ``key`` in the session's language."""
    return text.lookup(lang(), key, **params)


def presenting() -> bool:
    return bool(st.session_state.get(share.PRESENT))


def md(page: str, name: str) -> None:
    """Render the long explanation ``assets/texts/<lang>/<page>/<name>.md`` (folded in presenter mode)."""
    body = text.markdown(lang(), page, name)
    if presenting():
        with st.expander(t("share.explanation"), icon=":material/menu_book:"):
            st.markdown(body)
    else:
        st.markdown(body)


@dataclass(frozen=True)
class PageContext:
    page: str
    lang: str
    seed: int

    def key(self, name: str) -> str:
        """Key for a widget whose value persists and is cleared by "reset this page"."""
        return f"{PERSIST_PREFIX}{self.page}.{name}"

    def state_key(self, name: str) -> str:
        """Key for other per-page session state (also cleared by "reset this page")."""
        return f"{self.page}.{name}"

    def t(self, name: str, **params: object) -> str:
        """This page's own catalogue entry: ``ctx.t("title")`` reads ``[<page>] title``."""
        return text.lookup(self.lang, f"{self.page}.{name}", **params)

    def num(self, value: float, spec: str = ".2f") -> str:
        """A number in the reader's convention: 0.25 in English, 0,25 in Portuguese."""
        return text.number(self.lang, value, spec)

    def chart(self, fig, key: str | None = None, where=None, presented: bool = False, export: bool = False,
              wide: bool = False, fit_width: int | None = None, auto_margins: bool = False, **kwargs) -> None:
        """``st.plotly_chart`` (or ``where.plotly_chart`` for a column) with numbers on the axes and in the
        hovers written the reader's way: plotly's ``separators`` give 0,5 and 2.000 in Portuguese.
        ``presented``: ``fig`` was built for this run's presenter mode and language (a cached figure, styled
        by ``presenter.style`` when presenting, its separators set), so it is drawn as it is, untouched.
        ``export``: the points this figure shows are the page's data-and-samples CSV (``ui.export``, in the sidebar).
        Margins: ``charts.fit_margins`` gives the figure fixed margins that fit what it shows and turns plotly's
        ``margin.autoexpand`` off, so the browser draws it once instead of measuring and drawing it again (the margins the
        figure set are the least it gets). ``wide``: the figure spans the page, not a column (a horizontal legend then
        takes fewer rows); ``fit_width``: its rough width in px when it sits in a narrower column than half the page;
        ``auto_margins=True`` leaves plotly's auto-margins on."""
        if export:
            from ui import export as csv_export  # (ui.export imports this module)

            csv_export.figure_csv(self, fig)
        separators = ",." if self.lang == "pt" else ".,"
        presented = presented or getattr(fig, "present", None) is presenting()  # a shared frozen figure made for this mode (ui.charts)
        if fig.layout.separators != separators and not presented:
            fig.update_layout(separators=separators)
        kwargs.setdefault("config", {"displaylogo": False})
        if presenting():
            fig = fig if presented else presenter.style(fig)
            kwargs["config"] = {**kwargs["config"], **presenter.CONFIG}
        if not auto_margins:
            try:
                # in place: a cached figure is fitted once (the larger presenter type, on its copy, full width)
                charts.fit_margins(fig, charts.WIDE_WIDTH if wide or presenting() else fit_width)
            except Exception:  # an estimate that fails costs the browser a second drawing, never the figure
                LOG.exception("fit_margins failed; plotly's auto-margins stay on")
        (where or st).plotly_chart(fig, key=key, **kwargs)

    def finish(self) -> None:
        """The page's last line: a hand-edited link's unknown settings get a message and leave the address."""
        share.finish(self.page)
        heap.after_run()
        prewarm.start()  # once per process: the heavy imports in the background (ui/prewarm.py)
        server_load.load().end(session_id())  # the run that setup() began (ui/server_load.py: training gives way to it)

    def tabs(self, names: list[str], labels: list[str], key: str):
        """Tabs whose selected tab is in the link (``tab=<name>`` when not the first); see ``ui.share.tabs``."""
        return share.tabs(self.page, list(names), list(labels), key)

    def labeler(self, prefix: str) -> Callable[[object], str]:
        """A ``format_func`` for options: ``value -> text of "<prefix>.<value>"``.

        It is bound to this run's language, because Streamlit (and AppTest) may call a
        format_func outside the script run, where the session's language is unknown.
        """
        lang = self.lang
        return lambda value: text.lookup(lang, f"{prefix}.{value}")

    def md(self, name: str) -> None:
        md(self.page, name)


def _keep_widget_values() -> None:
    # Streamlit forgets a widget's value when a run does not draw it (e.g. after visiting
    # another page). Storing the value back marks it as ours, so it survives.
    for key in list(st.session_state.keys()):
        if isinstance(key, str) and key.startswith(PERSIST_PREFIX):
            st.session_state[key] = st.session_state[key]


def _on_lang_change() -> None:
    chosen = st.session_state.get("lang_choice")
    if chosen in text.LANGS:
        st.session_state["lang"] = chosen
        st.query_params["lang"] = chosen


def _reset_page(page: str) -> None:
    """The page's widgets back to their defaults, in the browser too, and its session data gone.

    Deleting a widget's key alone resets it for one run only: the browser keeps showing the old value and
    sends it back with the next input, which brings it back (streamlit#16388). A widget's default written
    into its key is sent to the browser with the widget (``set_value``), so both sides agree.

    The default is the value the session first showed (``share.first_shown``), not the widget's own: a page that
    seeds a widget's key before drawing it (the GAN's layers, its start and its steps per frame) gives the widget
    none, and writing the widget's own emptied the GAN's layers and started it from the first preset at step 0."""
    share.reset(page)
    for key in list(st.session_state.keys()):
        if isinstance(key, str) and (key.startswith(f"{PERSIST_PREFIX}{page}.") or key.startswith(f"{page}.")):
            widget = key.startswith(PERSIST_PREFIX)
            default = share.first_shown(key) if widget else None
            del st.session_state[key]
            if widget and share.known_default(default):
                st.session_state[key] = default


def _resolve_lang() -> str:
    try:
        locale = st.context.locale
    except Exception:  # no browser context (e.g. under AppTest)
        locale = None
    chosen = text.pick_lang(st.query_params.get("lang"), st.session_state.get("lang"), locale)
    st.session_state["lang"] = chosen
    if st.query_params.get("lang") != chosen:
        st.query_params["lang"] = chosen  # the URL always says the language, so it can be shared
    return chosen


def _sidebar(page: str, current: str) -> None:
    with st.sidebar:
        st.page_link(HOME_SCRIPT, label=t("home.nav"), icon=":material/home:", query_params={"lang": current})
        for info in PAGES:
            # the short "soon" keeps a planned page's link on one line in the default 256 px sidebar
            label = t(f"{info.key}.nav") + ("" if info.ready else f" · {t('common.soon_nav')}")
            st.page_link(info.script, label=label, icon=info.icon, query_params={"lang": current})
        st.divider()
        st.session_state["lang_choice"] = current
        st.segmented_control(
            t("common.language"),
            text.LANGS,
            format_func=lambda code: text.LANG_NAMES[code],
            key="lang_choice",
            on_change=_on_lang_change,
        )
        if SEED_KEY not in st.session_state:
            st.session_state[SEED_KEY] = 0
        st.number_input(t("common.seed"), min_value=0, max_value=99_999, step=1, key=SEED_KEY, help=t("common.seed_help"))
        if page != "home":
            st.button(
                t("common.reset_page"),
                icon=":material/restart_alt:",
                help=t("common.reset_page_help"),
                on_click=_reset_page,
                args=(page,),
                key="reset_page",
                width="stretch",
            )
        st.toggle(t("share.present"), key=share.PRESENT, help=t("share.present_help"))
        if lessons.steps(page) and lessons.step_key(page) not in st.session_state:
            st.button(t("lessons.start"), icon=":material/school:", key="lesson_start", on_click=lessons.go,
                      args=(page, 0), width="stretch")
        _share_panel(page)
        st.session_state[CSV_SLOT] = st.empty()  # the page's data-and-samples download (ui.export), drawn when the page has them
        st.session_state[CSV_DONE] = False
        st.caption(t("common.sidebar_footer"))


@st.fragment
def _share_panel(page: str) -> None:
    """Copy link to this view, and the view's settings as a small JSON file (download and read back).

    A fragment whose expander reruns it when opened: a section's own rerun (``section``) does not
    redraw the sidebar, so the link and the file are made from the session's settings at that moment,
    and only then (folded, it costs a page run nothing)."""
    with guard():
        with st.expander(t("share.title"), icon=":material/share:", key="share_panel", on_change="rerun") as panel:
            if panel.open is False:  # folded (as on most runs): its link, file and uploader are made when it opens
                return
            st.caption(t("share.copy_help"))
            st.code(share.link(page, share.params(page, lang())), language=None, wrap_lines=True)
            if page == "home":
                return
            st.download_button(t("share.download"), share.to_json(page, share.settings(page)).encode("utf-8"), file_name=f"{page}-view.json",
                               mime="application/json", icon=":material/download:", key="view_download", width="stretch")
            file = st.file_uploader(t("share.upload"), type=["json"], key=f"view_upload_{page}", help=t("share.upload_help"))
            if file is None or st.session_state.get("view_upload_done") == file.file_id:
                return
            st.session_state["view_upload_done"] = file.file_id  # read each file once, not on every rerun
            try:
                incoming = share.from_json(file.getvalue(), page)
            except share.BadViewFile as err:
                st.error(t(f"share.errors.{err.code}", **err.params), icon=":material/error:")
                return
            st.session_state[share.INCOMING] = incoming
            st.rerun()  # this run's widgets exist already: the settings go in at the start of the next run


def _presenter_frame() -> None:
    """Presenter mode's styles, and the way back (the sidebar with its toggle is hidden)."""
    st.html(presenter.CSS)
    st.button(t("share.present_exit"), icon=":material/close_fullscreen:", key="present_exit",
              on_click=lambda: st.session_state.update({share.PRESENT: False}))


# While a run (the page's or a section's) takes longer than 0.3 s, a bar and a word say so at the top of the
# page: Streamlit's own sign is a faint fade. The app root says whether a script runs (data-test-script-state).
RUNNING_CSS = """<style>
[data-testid="stApp"][data-test-script-state="running"]::after {
  content: "%s"; position: fixed; top: 0; left: 50%%; transform: translateX(-50%%); z-index: 1000000;
  padding: 0.15rem 0.9rem 0.25rem; border-radius: 0 0 0.5rem 0.5rem; background: #0B5FA5; color: #fff;
  font: 600 0.9rem sans-serif; border-top: 4px solid #F59E0B;
  opacity: 0; animation: gp-running 1.2s ease-in-out 0.3s infinite alternate;
}
@keyframes gp-running { from { opacity: 1; border-top-color: #F59E0B; } to { opacity: 0.85; border-top-color: #FDE68A; } }
</style>"""


def setup(page: str) -> PageContext:
    """Draw the shared frame for ``page`` (a registry key, or "home") and return its context."""
    server_load.load().begin(session_id())  # a page run in flight: live training gives way to it until finish()
    current = _resolve_lang()
    icon = BY_KEY[page].icon if page in BY_KEY else ":material/science:"
    st.set_page_config(
        page_title=f"{t(page + '.title')} · Generative Playground",
        page_icon=icon,
        layout="wide",
        initial_sidebar_state="expanded",
    )
    st.session_state[CURRENT_PAGE] = page
    reconnect.check(page)
    share.install()
    notes = share.read(page)  # a shared link's (or view file's) settings, before any widget is drawn
    _keep_widget_values()
    share.write(page, current)
    _sidebar(page, current)
    st.html(RUNNING_CSS % t("common.running").replace('"', ""))
    if presenting():
        _presenter_frame()
    st.title(t(f"{page}.title"))
    reconnect.notice(page, t)  # this tab's session was on a server that stopped: say why the page started over
    share.show(notes, st.container())
    lessons.panel(page, current, t)
    return PageContext(page, current, int(st.session_state.get(SEED_KEY, 0)))


def show_input_error(err: InputError, page: str | None = None) -> None:
    """The translated message for ``err``: the page's own ``[<page>.errors]`` entry if it has
    one, else the shared ``[errors]`` entry."""
    page = page or st.session_state.get(CURRENT_PAGE)
    key = f"{page}.errors.{err.code}"
    if key not in text.catalogue(lang()):
        key = f"errors.{err.code}"
    # text parameters come from the user's data (a cell, a label, a file name): shown as typed, never as Markdown
    params = {k: text.literal(v) if isinstance(v, str) else v for k, v in err.params.items()}
    st.error(t(key, **params), icon=":material/error:")


@contextmanager
def guard() -> Iterator[None]:
    """Turn any failure inside the block into a translated message instead of a traceback.

    Streamlit's own control flow (``st.rerun``, ``st.stop``) derives from BaseException
    and passes through untouched.
    """
    try:
        yield
    except InputError as err:
        show_input_error(err)
    except Exception:
        LOG.exception("unexpected error on a page")
        st.error(t("errors.unexpected"), icon=":material/error:")


def guarded(func: Callable[..., None]) -> Callable[..., None]:
    """``func`` with its body under ``guard()``. Put it *below* ``@st.fragment``, so that every
    fragment rerun (a ``run_every`` tick) is guarded, not only the first call::

        @st.fragment(run_every=1.0)
        @guarded
        def panel() -> None: ...
    """

    @functools.wraps(func)
    def run_guarded(*args, **kwargs) -> None:
        with guard():
            func(*args, **kwargs)

    return run_guarded


def session_id() -> str | None:
    """This run's session (None outside a Streamlit run)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    run = get_script_run_ctx(suppress_warning=True)
    return run.session_id if run is not None else None


def _fragment_run() -> bool:
    """True while Streamlit reruns only fragments, not the whole page."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    run = get_script_run_ctx(suppress_warning=True)
    return bool(run is not None and getattr(run, "fragment_ids_this_run", None))


def section(func: Callable[..., None]) -> Callable[..., None]:
    """A page section with controls of its own: moving one of them reruns only this function
    (``st.fragment``) and re-sends only its figures, under ``guard()``. After such a rerun the
    address bar is rewritten, so a copied link still says the whole view.

    Inputs shared with other sections (the dataset, the model, the seed) must be read *outside*
    and passed in as arguments: a change to them reruns the page, and every section with it.
    """

    @st.fragment
    @functools.wraps(func)
    def run_section(*args, **kwargs) -> None:
        with server_load.load().running(session_id(), counted=_fragment_run()), guard():  # a section's own rerun is in flight
            func(*args, **kwargs)
            page = st.session_state.get(CURRENT_PAGE)
            if page and _fragment_run():
                share.write(page, lang())
            if _fragment_run():
                heap.after_run()

    return run_section


def planned_page(page: str) -> None:
    """Body of a page whose issue is not done yet: say so, and say what it will show."""
    st.info(t("common.planned"), icon=":material/construction:")
    md(page, "planned")
