"""Drawing sections of the token-sampling page (pages/06_token_sampling.py), each taking the page's ``ctx``.

The page reads the choosers and the sampling controls; these sections draw the rest: the upload box,
the prompt with its buttons, the n-gram's count table, and the five tabs (tree, comparison, attention,
live training, ladder). Every number they show comes from the engine (``engine.families.autoregressive``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

import numpy as np
import streamlit as st

from engine.core.errors import InputError
from engine.families import autoregressive as ts
from ui import export, live_panel, uploads
from ui import plots_token_sampling as plots
from ui import views_token_sampling as views
from ui.shell import PageContext, show_input_error

UPLOAD = "upload"
TEXT_TYPES = ["txt", "md"]
NEURAL = ("mlp", "transformer")
LIVE_EVAL = {"eval_every": 20, "eval_windows": 100}  # frequent, cheap validation for the live curves
CHOOSER_WIDTHS = (310, 280, 280)  # px: text, model, weights or α; each holds its longest label in either language
DEFAULT_PROMPTS = {"names": "", "alice": "Alice was ", "dom_casmurro": "Capitú "}


def rung_label(ctx: PageContext, rung: str) -> str:
    return views.rung_label(ctx.lang, rung)


def counted(ctx: PageContext, name: str, n: int) -> str:
    """``<name>_none``, ``<name>_one`` or ``<name>_many`` for ``n`` things, so no text reads "1 tokens"."""
    return ctx.t(f"{name}_{'none' if n == 0 else 'one' if n == 1 else 'many'}", n=n)


@dataclass(frozen=True)
class Chosen:
    """The text the page works on: its name in the chooser, the id its caches are keyed by, the corpus."""

    name: str
    id: str
    corpus: ts.Corpus


# ---------------------------------------------------------------- the text

def uploaded_text(ctx: PageContext) -> Chosen | None:
    """The upload box; the stored text (capped at ``MAX_CORPUS_CHARS``), or None while there is none. A refused
    file says why above the box and keeps the text stored before it."""
    tr = ctx.t
    notice = st.container()  # above the expander, which folds once a text is stored: messages stay visible
    with st.expander(tr("upload_title"), expanded=ctx.state_key("upload") not in st.session_state,
                     icon=":material/upload_file:"):
        st.caption(ctx.t("upload_help", max_mb=ts.MAX_UPLOAD_BYTES // 1_000_000, cap=ts.MAX_CORPUS_CHARS,
                         min=ts.MIN_UPLOAD_CHARS))
        with st.container(key="ts_upload_box"):
            file = st.file_uploader(tr("upload_label"), type=TEXT_TYPES, key="ts_upload")
            refused = uploads.watch("ts_upload_box", ts.MAX_UPLOAD_BYTES, TEXT_TYPES)
    done_key, error_key = ctx.state_key("upload_done"), ctx.state_key("upload_error")
    if refused is not None:  # refused in the browser (too large, not text): it never arrives
        st.session_state[error_key] = uploads.refusal_error(refused, ts.MAX_UPLOAD_BYTES, TEXT_TYPES)
    elif file is None:
        st.session_state.pop(error_key, None)
        st.session_state.pop(done_key, None)
    elif st.session_state.get(done_key) != file.file_id:  # read each file once, not on every rerun
        st.session_state[done_key] = file.file_id
        st.session_state.pop(error_key, None)
        try:
            uploads.check_size(file.name, file.size, ts.MAX_UPLOAD_BYTES)  # before reading it
            data = file.getvalue()
            digest = hashlib.sha256(data).hexdigest()[:16]
            built = views.uploaded_corpus(digest, data)
            # the session keeps the capped text (at most MAX_CORPUS_CHARS), not the whole file
            st.session_state[ctx.state_key("upload")] = (digest, built.text().encode("utf-8"), built.capped)
        except InputError as err:
            st.session_state[error_key] = err
    if error_key in st.session_state:
        with notice:
            show_input_error(st.session_state[error_key])
            if ctx.state_key("upload") in st.session_state:
                st.caption(tr("upload_kept"))
    stored = st.session_state.get(ctx.state_key("upload"))
    if stored is None:
        st.info(tr("need_upload"), icon=":material/upload_file:")
        return None
    corpus = views.uploaded_corpus(*stored)
    if corpus.capped:
        st.warning(ctx.t("corpus_capped", cap=ts.MAX_CORPUS_CHARS), icon=":material/content_cut:")
    return Chosen(UPLOAD, f"upload:{stored[0]}", corpus)


# ---------------------------------------------------------------- the prompt

def prompt_section(ctx: PageContext, text: Chosen, model, settings: ts.SamplingSettings) -> str:
    """The prompt and the buttons that write into it; returns the prompt without the characters the model lacks.

    A button only leaves a request (``<page>.pending``: a number of tokens, or "clear"); the next run carries
    it out before the text area is drawn, since a drawn widget's value can no longer be set."""
    tr = ctx.t
    prompt_key, gen_key = ctx.key("prompt"), ctx.state_key("generation")
    if prompt_key not in st.session_state or st.session_state.get(ctx.state_key("prompt_for")) != text.id:
        st.session_state[prompt_key] = DEFAULT_PROMPTS.get(text.name, "")
        st.session_state[ctx.state_key("prompt_for")] = text.id
        st.session_state.pop(gen_key, None)
    pending = st.session_state.pop(ctx.state_key("pending"), None)
    if pending == "clear":
        st.session_state[prompt_key] = ""
        st.session_state.pop(gen_key, None)
    elif isinstance(pending, int):
        gen = ts.continue_generation(model, text.corpus.vocab, text.corpus.mode, st.session_state[prompt_key], pending,
                                     settings, seed=ctx.seed, previous=st.session_state.get(gen_key))
        st.session_state[prompt_key] = gen.prompt + gen.text
        st.session_state[gen_key] = gen

    def request(what) -> None:
        st.session_state[ctx.state_key("pending")] = what

    st.subheader(tr("generate_title"))
    prompt = st.text_area(tr("prompt"), key=prompt_key, height=100, help=tr("prompt_help"))
    with st.container(horizontal=True, wrap=True, vertical_alignment="bottom", gap="medium"):  # buttons never cut off
        buttons = st.container(horizontal=True, width="content")  # drawn first, filled once N is known
        n_gen = st.container(width=CHOOSER_WIDTHS[0]).slider(tr("n_generate"), 1, 200, 50, 1, key=ctx.key("n_generate"))
    buttons.button(tr("next_token"), key="ts_next", on_click=request, args=(1,), help=tr("next_token_help"), icon=":material/add:")
    buttons.button(tr("generate"), key="ts_generate", on_click=request, args=(int(n_gen),), icon=":material/play_arrow:")
    buttons.button(tr("clear"), key="ts_clear", on_click=request, args=("clear",), icon=":material/backspace:")

    clean, unknown = ts.clean_prompt(text.corpus.vocab, prompt)
    if unknown:
        st.warning(ctx.t("msg_unknown", chars=" ".join(plots.show_char(c) for c in unknown[:20])), icon=":material/help:")
    if not prompt:
        st.info(tr("msg_empty_prompt"), icon=":material/keyboard:")
    return clean


def export_texts(ctx: PageContext) -> None:
    """The page's CSV: the prompt with what the model wrote, and the comparison's continuations at each temperature."""
    rows = []
    prompt = st.session_state.get(ctx.key("prompt"))
    if prompt:
        rows.append(("prompt_and_generation", prompt))
    compared = st.session_state.get(ctx.state_key("compare"))
    if compared is not None:
        shown_prompt, out = compared
        rows += [(f"compare_T={temp:g}", shown_prompt + text) for temp, texts in out.items() for text in texts]
    if rows:
        export.csv_button(ctx, lambda: export.text_csv(rows), what="texts")  # written when clicked


# ---------------------------------------------------------------- the count table

def count_table(ctx: PageContext, model: ts.NGram, vocab: ts.Vocab, ids: np.ndarray, p_model: np.ndarray, alpha: float) -> None:
    """N(c, x) behind an n-gram's prediction: the context it reads, its most counted tokens, their probabilities
    ``p_model`` (the model's own, before any sampling control)."""
    tr = ctx.t
    with st.expander(tr("counts_title"), expanded=True, icon=":material/table:"):
        row = model.count_row(ids)
        st.markdown(ctx.t("counts_formula", c=plots.show_char("".join(vocab.chars[i] for i in row.context)) or "∅",
                          seen=counted(ctx, "seen", row.total), alpha=alpha, v=vocab.size))
        st.dataframe({
            tr("col_token"): [plots.show_char(vocab.chars[i]) for i in row.top],
            tr("col_count"): [int(row.counts[i]) for i in row.top],
            tr("col_prob"): [round(float(p_model[i]), 4) for i in row.top],
        }, hide_index=True)
        if row.total == 0:
            st.info(tr("counts_unseen"), icon=":material/help:")


# ---------------------------------------------------------------- the tabs

def tree_tab(ctx: PageContext, vocab: ts.Vocab) -> None:
    """What the model thought at each position of the last generation, and its perplexity."""
    tr = ctx.t
    gen = st.session_state.get(ctx.state_key("generation"))
    if gen is None or not gen.steps:
        st.info(tr("tree_empty"), icon=":material/account_tree:")
        return
    memo_key = ctx.state_key("tree_fig")
    memo = st.session_state.get(memo_key)
    if memo is None or memo[0] is not gen or memo[1] != ctx.lang:  # rebuild only when the generation changes
        memo = st.session_state[memo_key] = (gen, ctx.lang, views.tree_figure(vocab, gen, ctx.lang))
    ctx.chart(memo[2], "ts_tree")
    m1, m2 = st.columns(2)
    m1.metric(tr("perplexity"), ctx.num(gen.perplexity), help=tr("perplexity_help"))
    m2.metric(tr("n_generated"), len(gen.steps))
    st.caption(tr("tree_legend"))


def compare_tab(ctx: PageContext, model, corpus: ts.Corpus, clean: str, settings: ts.SamplingSettings) -> None:
    """The same prompt continued a few times at two temperatures (the other settings as chosen above)."""
    tr = ctx.t
    st.caption(tr("compare_help"))
    cc1, cc2, cc3 = st.columns(3)
    t_low, t_high = cc1.slider(tr("compare_temps"), 0.0, 3.0, (0.5, 1.5), 0.05, key=ctx.key("compare_temps"))
    n_chars = cc2.slider(tr("compare_chars"), 10, 120, 60, 10, key=ctx.key("compare_chars"))
    n_rep = cc3.slider(tr("compare_repeats"), 2, 10, 5, 1, key=ctx.key("compare_repeats"))
    cmp_key = ctx.state_key("compare")
    if st.button(tr("compare_run"), key="ts_compare", icon=":material/compare_arrows:"):
        out = {}
        for temp in (t_low, t_high):
            s = replace(settings, temperature=temp)
            out[temp] = [ts.generate(model, corpus.vocab, corpus.mode, clean, n_chars, s, seed=ctx.seed * 1000 + r).text
                         for r in range(n_rep)]
        st.session_state[cmp_key] = (clean, out)
    result = st.session_state.get(cmp_key)
    if result is None:
        st.info(tr("compare_empty"), icon=":material/compare_arrows:")
        return
    shown_prompt, out = result
    cols = st.columns(len(out))
    for col, (temp, texts) in zip(cols, out.items()):
        col.markdown(ctx.t("compare_at", t=ctx.num(temp, "g")))
        for text in texts:
            col.code(shown_prompt + text, language=None, wrap_lines=True)
        col.metric(tr("distinct"), ctx.num(ts.distinct_ngrams(texts, 3), ".0%"), help=tr("distinct_help"))
    st.caption(tr("compare_legend"))


def attention_tab(ctx: PageContext, model, text: Chosen, ids: np.ndarray, source: str) -> None:
    """The transformer's attention behind the prediction above (its last positions)."""
    if not isinstance(model, ts.Transformer):
        st.info(ctx.t("attention_only_transformer"), icon=":material/visibility:")
        return
    att_ids = ids[-model.context_size:]  # exactly what the prediction above sees
    if source == "pretrained":
        fig = views.pretrained_attention_figure(text.name, tuple(att_ids.tolist()), ctx.lang)
    else:  # a live model changes as it trains: no cache
        fig = views.attention_figure(model, att_ids, text.corpus.vocab.chars, ctx.lang)
    ctx.chart(fig, "ts_attention")
    st.caption(ctx.t("attention_legend", n=views.ATTENTION_SHOWN))


def train_tab(ctx: PageContext, text: Chosen, rung: str, source: str, data, settings) -> None:
    """Train the chosen network from scratch through the shared live panel, against the n-gram levels."""
    tr = ctx.t
    if rung not in NEURAL:
        st.info(tr("train_counts"), icon=":material/calculate:")
        return
    corpus = text.corpus
    st.caption(ctx.t("train_help", rung=rung_label(ctx, rung)))
    refs = views.reference_bpc(text.id, corpus, ctx.lang)
    if source != "live":
        st.caption(tr("train_use_live"))

    def build(reset: bool) -> ts.Trainer:
        new = ts.Trainer(corpus, ts.default_config(corpus, rung), ts.live_recipe(corpus, rung, **LIVE_EVAL), seed=ctx.seed)
        new.tag = (text.id, rung)
        return new

    def snapshot(trainer: ts.Trainer, done: bool):  # under the lock: a sample every 200 steps, then a copy
        return list(trainer.history_), list(trainer.record_sample()[-4:]), trainer.losses_[:]

    def draw(snap: live_panel.Snapshot) -> None:
        history, samples, losses = snap.page
        m1, m2, m3 = st.columns(3)
        m1.metric(tr("train_steps"), snap.step)
        m2.metric(tr("train_seconds"), f"{ctx.num(snap.elapsed, '.1f')} s")
        m3.metric(tr("train_val_bpc"), ctx.num(ts.last_val_bits(history), ".3f") if history else "—")
        if losses:  # every step's batch loss: the chart moves at every tick, not only at an evaluation
            ctx.chart(views.loss_figure(history, refs, ctx.lang, losses), "ts_loss")
            st.caption(ctx.t("loss_legend", alpha=views.REF_ALPHA))
        elif snap.step == 0:
            st.info(tr("train_not_started"), icon=":material/model_training:")
        for step, sample in reversed(samples):
            st.code(f"[{step}] " + sample.replace("\n", " ↵ "), language=None, wrap_lines=True)

    live_panel.show(live_panel.Panel(
        ctx, "ts_train", build, data=data, settings=settings, lazy=True, snapshot=snapshot, draw=draw,
        idle=tr("train_not_started"), labels={"start": tr("train_start"), "pause": tr("train_pause")},
        diverged_text=lambda step: tr("train_diverged")))


def ladder_tab(ctx: PageContext, text: Chosen, rung: str, trainer, alpha: float) -> None:
    """Held-out bits per character up the ladder (count models at the α chosen, shipped networks, the live
    run), a note where a rung does no better than the one below, and the shipped scaling curve."""
    tr, corpus = ctx.t, text.corpus
    st.markdown(ctx.t("ladder_intro"))
    labels, values, colours = [], [], []
    rungs = []  # the shipped ladder (count models and pretrained networks), bottom to top
    for n, r in ((1, "unigram"), (2, "bigram"), (3, "trigram")):
        labels.append(rung_label(ctx, r))
        values.append(views.ngram_bpc(text.id, corpus, n, alpha))  # the α slider's smoothing, as the caption says
        colours.append("#9CA3AF")
        rungs.append(r)
    if text.name != UPLOAD:
        for r in NEURAL:
            _, e = views.pretrained(text.name, r)
            labels.append(rung_label(ctx, r) + " · " + ctx.t("sources.pretrained"))
            values.append(e["metrics"]["val_bits_per_char"])
            colours.append(plots.BLUE)
            rungs.append(r)
    shipped = list(zip(rungs, values))
    if rung in NEURAL and trainer is not None and trainer.history_:
        labels.append(rung_label(ctx, rung) + " · " + ctx.t("sources.live"))
        values.append(ts.last_val_bits(trainer.history_))
        colours.append(plots.ORANGE)
    ctx.chart(views.ladder_figure(tuple(labels), tuple(round(v, 4) for v in values), tuple(colours), ctx.lang), "ts_ladder")
    st.caption(ctx.t("ladder_legend", uniform=ctx.num(ts.uniform_bits(corpus.vocab.size)), alpha=alpha))
    for (lower, lower_bpc), (upper, upper_bpc) in zip(shipped, shipped[1:]):
        if upper_bpc < lower_bpc:
            continue
        # a rung that does no better than the one below it: say so, with the numbers shown in the chart
        note = ctx.t("ladder_not_monotone", upper=rung_label(ctx, upper), lower=rung_label(ctx, lower),
                     upper_bpc=ctx.num(upper_bpc, ".3f"), lower_bpc=ctx.num(lower_bpc, ".3f"))
        if corpus.mode == "lines" and (lower, upper) == NEURAL:
            window = ts.default_config(corpus, "mlp").block_size
            reach = views.document_reach(text.id, corpus, window)
            note += " " + ctx.t("ladder_why_names", mean=ctx.num(reach.mean_length, ".1f"), window=window,
                                share=ctx.num(reach.within_window, ".0%"), docs=ctx.num(reach.n_docs, ","))
        st.info(note, icon=":material/stairs:")
    scaling = views.scaling_figure(ctx.lang)
    if scaling is not None:
        fig, steps = scaling
        st.markdown(f"**{tr('scaling_title')}**")
        ctx.chart(fig, "ts_scaling")
        st.caption(ctx.t("scaling_legend", steps=steps, alpha=views.REF_ALPHA))
