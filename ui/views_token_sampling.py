"""Cached engine calls and figures of the token-sampling page (pages/06_token_sampling.py).

Corpora, count models and shipped networks are loaded once and shared by every session (read-only: the
engine reads a shipped model's attention without writing to it). Figures that do not depend on the
sampling controls are cached too, so moving a slider only redraws the distribution (plotly's
make_subplots alone costs ~0.1 s for the attention grid); their keys include the language, so they carry
that language's labels.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import streamlit as st

from engine.families import autoregressive as ts
from ui import charts, plots_token_sampling as plots
from ui.shell import PageContext, presenting

PAGE = "token_sampling"
ATTENTION_SHOWN = 24  # attention maps show the last positions of the context only
REF_ALPHA = 0.1  # the count models drawn as fixed references (training curves, scaling chart)


def _ctx(lang: str) -> PageContext:
    """The page's texts in ``lang`` (the figures are cached per language, outside any one session)."""
    return PageContext(PAGE, lang, 0)


def names(lang: str, **keys: str) -> dict[str, str]:
    """``{name: text of the page's catalogue entry keys[name]}``: the labels a figure helper takes."""
    ctx = _ctx(lang)
    return {name: ctx.t(key) for name, key in keys.items()}


def rung_label(lang: str, rung: str) -> str:
    return _ctx(lang).t(f"rungs.{rung}")


# ---------------------------------------------------------------- cached engine calls

@st.cache_resource(max_entries=4, show_spinner=False)
def builtin_corpus(name: str) -> ts.Corpus:
    return ts.load_corpus(name)


@st.cache_resource(max_entries=4, show_spinner=False)
def uploaded_corpus(digest: str, _data: bytes, capped: bool = False) -> ts.Corpus:
    corpus = ts.corpus_from_bytes(_data)
    return replace(corpus, capped=corpus.capped or capped)


@st.cache_resource(max_entries=24, show_spinner=False)
def ngram(corpus_id: str, _corpus: ts.Corpus, n: int, alpha: float) -> ts.NGram:
    return ts.fit_ngram(_corpus, n, alpha)


@st.cache_resource(max_entries=6, show_spinner=False)
def pretrained(name: str, rung: str):
    return ts.load_pretrained(name, rung)


@st.cache_data(max_entries=4, ttl=3600, show_spinner=False)
def document_reach(corpus_id: str, _corpus: ts.Corpus, window: int) -> ts.DocumentReach:
    return ts.document_reach(_corpus, window)


@st.cache_data(max_entries=24, ttl=3600, show_spinner=False)
def ngram_bpc(corpus_id: str, _corpus: ts.Corpus, n: int, alpha: float) -> float:
    return ts.bits_per_char(ngram(corpus_id, _corpus, n, alpha), _corpus)


def reference_bpc(corpus_id: str, corpus: ts.Corpus, lang: str) -> dict[str, float]:
    """The bigram and trigram (α = REF_ALPHA) a network's training curve is drawn against, in bits/char."""
    return {rung_label(lang, r): ngram_bpc(corpus_id, corpus, n, REF_ALPHA) for n, r in ((2, "bigram"), (3, "trigram"))}


# ---------------------------------------------------------------- figures

N_SHOWN = 20  # the next-token chart's bars: the most likely tokens


def distribution_figure(vocab: ts.Vocab, view: ts.NextToken, lang: str) -> charts.Frozen:
    """The next-token chart for ``view``: its numbers poured into the language's serialised skeleton, so a move of a
    sampling control builds and validates no plotly object (a rebuilt figure cost ~40 ms, most of the move's script:
    the "plotly_white" template alone is validated again on every build), styled for the run's presenter mode."""
    present = presenting()
    v = plots.distribution_values(vocab.chars, view.p_model, view.p_temp, view.keep, view.q, min(vocab.size, N_SHOWN))
    base = _distribution_skeleton(lang, present)
    data = [dict(trace) for trace in base["data"]]
    for trace, name, colour in zip(data, ("p_temp", "q", "p_model"), (*v["colours"], None)):
        trace.update(x=v["x"], y=charts.typed(v[name]))
        if colour is not None:
            trace["marker"] = {**trace.get("marker", {}), "color": colour}
    layout = {**base["layout"], "yaxis": {**base["layout"]["yaxis"], "range": v["y_range"]}}
    fig = charts.Frozen(layout=dict(separators=layout["separators"]))
    fig._spec, fig.present = {"data": data, "layout": layout}, present
    # its column: 2.2 / 3.2 of a 1280 px laptop's page, ~500 px (620 gave the Portuguese legend a row too few: its first row was cut)
    return charts.fit_margins(fig, width=charts.WIDE_WIDTH if present else 500)


@st.cache_resource(max_entries=8, show_spinner=False)
def _distribution_skeleton(lang: str, present: bool) -> dict:
    """The chart's layout and trace styles as plotly's dict, made once per language and presenter mode (read-only)."""
    fig = plots.distribution_skeleton(names(
        lang, p_temp="bar_p_temp", q="bar_q", p_model="bar_p_model", cut="bar_cut", x="bar_x", y="bar_y"))
    fig.update_layout(separators=",." if lang == "pt" else ".,")
    if present:
        from ui import presenter

        fig = presenter.style(fig)
    return fig.to_dict()


def tree_figure(vocab: ts.Vocab, gen: ts.Generation, lang: str):
    return plots.tree_figure(vocab.chars, gen.steps, names(
        lang, colour="tree_colour", position="tree_position", rank="tree_rank", chosen="tree_chosen",
        p_chosen="tree_p_chosen", p_axis="tree_p_axis"))


def loss_figure(history: list[dict], refs: dict[str, float], lang: str, losses=()):
    return plots.loss_figure(history, refs, names(lang, train="loss_train", val="loss_val", x="loss_x", y="loss_y"), losses)


def attention_figure(model: ts.Transformer, ids: np.ndarray, chars: tuple, lang: str):
    view = ts.attention_window(model, ids, ATTENTION_SHOWN)  # the prediction's full context, cropped
    return plots.attention_figure(view.maps, [chars[i] for i in view.ids], names(
        lang, title="attention_panel", colour="attention_colour", query="attention_query", key="attention_key"),
        first=view.first)


@charts.shared_figures(max_entries=32, show_spinner=False)
def pretrained_attention_figure(corpus_name: str, ids: tuple, lang: str):
    """A shipped transformer's attention: cached (a live model changes as it trains, so it is drawn uncached)."""
    model, _ = pretrained(corpus_name, "transformer")
    return attention_figure(model, np.array(ids), builtin_corpus(corpus_name).vocab.chars, lang)


@charts.shared_figures(max_entries=16, show_spinner=False)
def ladder_figure(labels: tuple, values: tuple, colours: tuple, lang: str):
    return plots.ladder_figure(list(labels), list(values), list(colours), names(lang, x="ladder_x", y="ladder_y"))


@charts.shared_figures(max_entries=4, show_spinner=False)
def scaling_figure(lang: str):
    """The transformer's scaling curve on names against the count models, and its training steps; None when
    no curve ships."""
    rows = ts.read_scaling()
    if not rows:
        return None
    ctx, corpus = _ctx(lang), builtin_corpus("names")
    refs = {rung_label(lang, r): ngram_bpc("names", corpus, n, REF_ALPHA) * ts.LN2 for n, r in ((2, "bigram"), (3, "trigram"))}
    refs[ctx.t("fourgram")] = ngram_bpc("names", corpus, 4, REF_ALPHA) * ts.LN2
    labels = {"transformer": rung_label(lang, "transformer"), "x": ctx.t("scaling_x"), "y": ctx.t("scaling_y")}
    return plots.scaling_figure([dict(r) for r in rows], refs, labels), rows[0]["steps"]
