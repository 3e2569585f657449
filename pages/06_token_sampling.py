"""Page 6: a ladder of character-level language models, and how temperature, top-k and top-p
shape what they write. The charts take logits, never a model: every rung answers the same question."""

import hashlib
from dataclasses import replace

import numpy as np
import streamlit as st

from engine.core.errors import InputError
from engine.families import autoregressive as ts
from ui import live_panel
from ui import plots_token_sampling as plots
from ui import uploads
from ui.shell import guard, setup, show_input_error

ctx = setup("token_sampling")
P = ctx.page
BUILTIN = list(ts.CORPORA)
UPLOAD = "upload"
TEXT_TYPES = ["txt", "md"]
NEURAL = ("mlp", "transformer")
ALPHAS = [0.001, 0.01, 0.1, 0.5, 1.0]
REF_ALPHA = 0.1  # the count models drawn as fixed references (training curves, scaling chart)
EXTREME_T = 3.0
LIVE_EVAL = {"eval_every": 20, "eval_windows": 100}  # frequent, cheap validation for the live curves
ATTENTION_SHOWN = 24  # attention maps show the last positions of the context only
CHOOSER_WIDTHS = (310, 280, 280)  # px: text, model, weights or α; each holds its longest label in either language


# --- cached engine calls ---------------------------------------------------------------------------

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


# Figures that do not depend on the sampling controls are cached, so moving a slider only redraws
# the distribution (plotly's make_subplots alone costs ~0.1 s for the attention grid).
def attention_figure(model: ts.Transformer, ids: np.ndarray, chars: tuple, names: dict):
    view = ts.attention_window(model, ids, ATTENTION_SHOWN)  # the prediction's full context, cropped
    return plots.attention_figure(view.maps, [chars[i] for i in view.ids], names, first=view.first)


@st.cache_resource(max_entries=32, show_spinner=False)
def pretrained_attention_figure(corpus_name: str, ids: tuple, names: tuple):
    model, _ = pretrained(corpus_name, "transformer")
    return attention_figure(model, np.array(ids), builtin_corpus(corpus_name).vocab.chars, dict(names))


@st.cache_resource(max_entries=16, show_spinner=False)
def ladder_figure(labels: tuple, values: tuple, colours: tuple, names: tuple):
    return plots.ladder_figure(list(labels), list(values), list(colours), dict(names))


@st.cache_resource(max_entries=4, show_spinner=False)
def scaling_figure(rows: tuple, refs: tuple, names: tuple):
    return plots.scaling_figure([dict(r) for r in rows], dict(refs), dict(names))


def tr(name: str) -> str:
    return ctx.t(name)


def rung_label(rung: str) -> str:
    return ctx.t(f"rungs.{rung}")


def counted(name: str, n: int) -> str:
    """``<name>_none``, ``<name>_one`` or ``<name>_many`` for ``n`` things, so no text reads "1 tokens"."""
    return ctx.t(f"{name}_{'none' if n == 0 else 'one' if n == 1 else 'many'}", n=n)


# --- corpus and model --------------------------------------------------------------------------------

st.markdown(ctx.t("lead"))
with guard():
    # A wrapping row of fixed-width boxes, not columns: in a third of the page at 1024 px the drop-downs cut their
    # labels off (the longest, "Alice no País das Maravilhas (em inglês)", needs ~245 px of text), so they wrap.
    with st.container(horizontal=True, wrap=True):
        c1, c2, c3 = (st.container(width=w) for w in CHOOSER_WIDTHS)
    default_corpus = "dom_casmurro" if ctx.lang == "pt" else "alice"  # a text in the reader's language
    corpus_name = c1.selectbox(tr("corpus"), BUILTIN + [UPLOAD], index=BUILTIN.index(default_corpus),
                               format_func=ctx.labeler(f"{P}.corpora"), key=ctx.key("corpus"), help=tr("corpus_help"))
    rung = c2.selectbox(tr("model"), list(ts.RUNGS), index=ts.RUNGS.index("transformer"),
                        format_func=ctx.labeler(f"{P}.rungs"), key=ctx.key("rung"), help=tr("model_help"))

    corpus = None
    if corpus_name == UPLOAD:
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
                built = uploaded_corpus(digest, data)
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
            st.stop()
        corpus_id = f"upload:{stored[0]}"
        corpus = uploaded_corpus(*stored)
        if corpus.capped:
            st.warning(ctx.t("corpus_capped", cap=ts.MAX_CORPUS_CHARS), icon=":material/content_cut:")
    else:
        corpus_id = corpus_name
        corpus = builtin_corpus(corpus_name)
    vocab = corpus.vocab

    alpha = st.session_state.get(ctx.key("alpha"), 0.1)  # the α slider's value, kept while a network is chosen
    alpha = alpha if alpha in ALPHAS else 0.1
    source = "pretrained"
    if rung in NEURAL:
        sources = ["pretrained", "live"] if corpus_name != UPLOAD else ["live"]
        if st.session_state.get(ctx.key("source")) not in sources:
            st.session_state[ctx.key("source")] = sources[0]
        source = c3.segmented_control(tr("weights"), sources, format_func=ctx.labeler(f"{P}.sources"),
                                      key=ctx.key("source"), help=tr("weights_help")) or sources[0]
    else:
        alpha = c3.select_slider(tr("alpha"), ALPHAS, value=0.1, key=ctx.key("alpha"), help=tr("alpha_help"))

    # The live trainer lives in session state (ui/live_panel.py), one per text and rung. It holds an optimiser, a
    # copy of the weights and validation batches, so it is built only once "Train" is pressed, never just by visiting.
    train_data, train_settings = (corpus.train, corpus.val), (rung, ts.default_config(corpus, rung) if rung in NEURAL else None, ctx.seed)
    trainer = live_panel.current(ctx, train_data, train_settings) if rung in NEURAL else live_panel.run_for(ctx, check=False).trainer

    if rung in NEURAL and source == "pretrained":
        model, entry = pretrained(corpus_name, rung)
    elif rung in NEURAL:  # before training starts: the very model the trainer will start from (same seed)
        model = trainer.model if trainer is not None else ts.build(ts.default_config(corpus, rung), ctx.seed)
        entry = None
    else:
        model, entry = ngram(corpus_id, corpus, ts.RUNGS.index(rung) + 1, alpha), None
    c3.caption(ctx.t("model_size", params=ctx.num(model.n_params_, ","), vocab=vocab.size,
                     sees=counted("sees", max(model.context_size, 0))))

    # --- sampling controls --------------------------------------------------------------------------
    s1, s2, s3 = st.columns(3)
    temperature = s1.slider(tr("temperature"), 0.0, 5.0, 1.0, 0.05, key=ctx.key("temperature"), help=tr("temperature_help"))
    top_k = s2.number_input(tr("top_k"), 0, 500, 0, 1, key=ctx.key("top_k"), help=tr("top_k_help"))
    top_p = s3.slider(tr("top_p"), 0.0, 1.0, 1.0, 0.01, key=ctx.key("top_p"), help=tr("top_p_help"))
    settings = ts.SamplingSettings(float(temperature), int(top_k), float(top_p))
    if temperature == 0:
        s1.info(tr("msg_greedy"), icon=":material/trending_flat:")
    elif temperature >= EXTREME_T:
        s1.warning(ctx.t("msg_hot", t=temperature), icon=":material/local_fire_department:")
    if top_k >= vocab.size:
        s2.info(ctx.t("msg_top_k_large", k=int(top_k), v=vocab.size), icon=":material/info:")
    elif top_k == 0:
        s2.caption(tr("msg_top_k_off"))
    if top_p == 0:
        s3.info(tr("msg_top_p_zero"), icon=":material/info:")
    elif top_p == 1:
        s3.caption(tr("msg_top_p_one"))

    # --- the prompt (generation buttons write into it through a pending request) ---------------------
    prompt_key = ctx.key("prompt")
    gen_key = ctx.state_key("generation")
    default_prompt = {"names": "", "alice": "Alice was ", "dom_casmurro": "Capitú "}.get(corpus_name, "")
    if prompt_key not in st.session_state or st.session_state.get(ctx.state_key("prompt_for")) != corpus_id:
        st.session_state[prompt_key] = default_prompt
        st.session_state[ctx.state_key("prompt_for")] = corpus_id
        st.session_state.pop(gen_key, None)
    pending = st.session_state.pop(ctx.state_key("pending"), None)
    if pending == "clear":
        st.session_state[prompt_key] = ""
        st.session_state.pop(gen_key, None)
    elif isinstance(pending, int):
        clean, _ = ts.clean_prompt(vocab, st.session_state[prompt_key])
        rng_seed = ctx.seed * 100_003 + len(clean)
        gen = ts.generate(model, vocab, corpus.mode, clean, pending, settings, seed=rng_seed)
        st.session_state[prompt_key] = clean + gen.text
        old = st.session_state.get(gen_key)
        if old is not None and old.prompt + old.text == clean:
            old.text += gen.text
            old.steps += gen.steps
        else:
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

    clean, unknown = ts.clean_prompt(vocab, prompt)
    if unknown:
        st.warning(ctx.t("msg_unknown", chars=" ".join(plots.show_char(c) for c in unknown[:20])), icon=":material/help:")
    if not prompt:
        st.info(tr("msg_empty_prompt"), icon=":material/keyboard:")
    ids = ts.context_ids(corpus.mode, vocab, clean[-4 * ts.STREAM_BLOCK:])  # no rung sees further back

    # --- the next-token distribution ----------------------------------------------------------------
    st.subheader(tr("next_title"))
    logits = ts.next_logits(model, ids)
    view = ts.transform(logits, settings)
    d1, d2 = st.columns([2.2, 1])
    with d1:
        n_show = min(vocab.size, 20)
        fig = plots.distribution_figure(vocab.chars, view.p_model, view.p_temp, view.keep, view.q, n_show, {
            "p_temp": tr("bar_p_temp"), "q": tr("bar_q"), "p_model": tr("bar_p_model"), "cut": tr("bar_cut"),
            "x": tr("bar_x"), "y": tr("bar_y")})
        ctx.chart(fig, "ts_dist")
        st.caption(tr("dist_legend"))
    with d2:
        seen = ids[-max(model.context_size, 1):] if model.context_size else ids[:0]
        seen_text = plots.show_char("".join(vocab.chars[i] for i in seen)) if len(seen) else "∅"
        st.markdown(ctx.t("context_seen", tokens=counted("tokens", len(seen)), text=seen_text))
        kept = int(view.keep.sum())
        if temperature == 0:
            st.latex(r"q_i = \mathbf{1}\left[i = \arg\max_j z_j\right]")
        else:
            st.latex(r"q_i = \frac{\mathbf{1}[i \in S]\; e^{z_i / T}}{\sum_{j \in S} e^{z_j / T}}")
        st.markdown(ctx.t("formula_values", t=ctx.num(temperature, "g"), k=int(top_k) if top_k else "—",
                          p=ctx.num(top_p, "g"), kept=kept, v=vocab.size, mass=ctx.num(view.p_temp[view.keep].sum(), ".3f")))
        st.caption(tr("formula_help"))
        entropy = float(-(view.q[view.q > 0] * np.log2(view.q[view.q > 0])).sum())
        st.metric(tr("entropy"), f"{ctx.num(entropy)} bits", help=tr("entropy_help"))

    if isinstance(model, ts.NGram):
        with st.expander(tr("counts_title"), expanded=True, icon=":material/table:"):
            k = model.context_size
            padded = np.concatenate([np.zeros(max(k - len(ids), 0), np.int64), ids])[-k:] if k else ids[:0]
            counts = model.counts_for(padded)
            order = np.argsort(-counts, kind="stable")[:12]
            total = counts.sum()
            st.markdown(ctx.t("counts_formula", c=plots.show_char("".join(vocab.chars[i] for i in padded)) or "∅",
                              seen=counted("seen", int(total)), alpha=alpha, v=vocab.size))
            st.dataframe({
                tr("col_token"): [plots.show_char(vocab.chars[i]) for i in order],
                tr("col_count"): [int(counts[i]) for i in order],
                tr("col_prob"): [round(float(view.p_model[i]), 4) for i in order],
            }, hide_index=True)
            if total == 0:
                st.info(tr("counts_unseen"), icon=":material/help:")

    # --- everything else, in tabs --------------------------------------------------------------------
    t_tree, t_compare, t_attn, t_train, t_ladder = st.tabs(
        [tr("tab_tree"), tr("tab_compare"), tr("tab_attention"), tr("tab_train"), tr("tab_ladder")])

    with t_tree:
        gen = st.session_state.get(gen_key)
        if gen is None or not gen.steps:
            st.info(tr("tree_empty"), icon=":material/account_tree:")
        else:
            memo_key, signature = ctx.state_key("tree_fig"), (id(gen), len(gen.steps), ctx.lang)
            memo = st.session_state.get(memo_key)
            if memo is None or memo[0] != signature:  # rebuild only when the generation changes
                memo = (signature, plots.tree_figure(vocab.chars, gen.steps, {
                    "colour": tr("tree_colour"), "position": tr("tree_position"), "rank": tr("tree_rank"),
                    "chosen": tr("tree_chosen"), "p_chosen": tr("tree_p_chosen"), "p_axis": tr("tree_p_axis")}))
                st.session_state[memo_key] = memo
            ctx.chart(memo[1], "ts_tree")
            m1, m2 = st.columns(2)
            m1.metric(tr("perplexity"), ctx.num(gen.perplexity), help=tr("perplexity_help"))
            m2.metric(tr("n_generated"), len(gen.steps))
            st.caption(tr("tree_legend"))

    with t_compare:
        st.caption(tr("compare_help"))
        cc1, cc2, cc3 = st.columns(3)
        t_low, t_high = cc1.slider(tr("compare_temps"), 0.0, 3.0, (0.5, 1.5), 0.05, key=ctx.key("compare_temps"))
        n_chars = cc2.slider(tr("compare_chars"), 10, 120, 60, 10, key=ctx.key("compare_chars"))
        n_rep = cc3.slider(tr("compare_repeats"), 2, 10, 5, 1, key=ctx.key("compare_repeats"))
        cmp_key = ctx.state_key("compare")
        if st.button(tr("compare_run"), key="ts_compare", icon=":material/compare_arrows:"):
            out = {}
            for temp in (t_low, t_high):
                s = ts.SamplingSettings(temp, int(top_k), float(top_p))
                out[temp] = [ts.generate(model, vocab, corpus.mode, clean, n_chars, s, seed=ctx.seed * 1000 + r).text
                             for r in range(n_rep)]
            st.session_state[cmp_key] = (clean, out)
        result = st.session_state.get(cmp_key)
        if result is None:
            st.info(tr("compare_empty"), icon=":material/compare_arrows:")
        else:
            shown_prompt, out = result
            cols = st.columns(len(out))
            for col, (temp, texts) in zip(cols, out.items()):
                col.markdown(ctx.t("compare_at", t=ctx.num(temp, "g")))
                for text in texts:
                    col.code(shown_prompt + text, language=None, wrap_lines=True)
                col.metric(tr("distinct"), ctx.num(ts.distinct_ngrams(texts, 3), ".0%"), help=tr("distinct_help"))
            st.caption(tr("compare_legend"))

    with t_attn:
        if not isinstance(model, ts.Transformer):
            st.info(tr("attention_only_transformer"), icon=":material/visibility:")
        else:
            att_ids = ids[-model.context_size:]  # exactly what the prediction above sees
            att_names = {"title": tr("attention_panel"), "colour": tr("attention_colour"),
                         "query": tr("attention_query"), "key": tr("attention_key")}
            if source == "pretrained":
                fig = pretrained_attention_figure(corpus_name, tuple(att_ids.tolist()), tuple(att_names.items()))
            else:  # a live model changes as it trains: no cache
                fig = attention_figure(model, att_ids, vocab.chars, att_names)
            ctx.chart(fig, "ts_attention")
            st.caption(ctx.t("attention_legend", n=ATTENTION_SHOWN))

    with t_train:
        if rung not in NEURAL:
            st.info(tr("train_counts"), icon=":material/calculate:")
        else:
            st.caption(ctx.t("train_help", rung=rung_label(rung)))
            train_refs = {rung_label(r): ngram_bpc(corpus_id, corpus, n, REF_ALPHA) for n, r in ((2, "bigram"), (3, "trigram"))}

            if source != "live":
                st.caption(tr("train_use_live"))

            def build(reset: bool) -> ts.Trainer:
                new = ts.Trainer(corpus, ts.default_config(corpus, rung), ts.live_recipe(corpus, rung, **LIVE_EVAL), seed=ctx.seed)
                new.tag = (corpus_id, rung)
                return new

            def snapshot(tr_: ts.Trainer, done: bool):  # under the lock: a sample every 200 steps, then a copy
                if tr_.step_ // 200 > len(tr_.samples):
                    sample = ts.generate(tr_.model, vocab, corpus.mode, "", 80, ts.SamplingSettings(0.8), seed=tr_.step_)
                    tr_.samples.append((tr_.step_, sample.text))
                return list(tr_.history_), list(tr_.samples[-4:])

            def draw(snap: live_panel.Snapshot, refs: dict = train_refs) -> None:
                history, samples = snap.page
                m1, m2, m3 = st.columns(3)
                m1.metric(tr("train_steps"), snap.step)
                m2.metric(tr("train_seconds"), f"{ctx.num(snap.elapsed, '.1f')} s")
                last = history[-1]["val"] / ts.LN2 if history else float("nan")
                m3.metric(tr("train_val_bpc"), ctx.num(last, ".3f") if history else "—")
                if history:
                    ctx.chart(plots.loss_figure(history, refs, {
                        "train": tr("loss_train"), "val": tr("loss_val"), "x": tr("loss_x"), "y": tr("loss_y")}), "ts_loss")
                    st.caption(ctx.t("loss_legend", alpha=REF_ALPHA))
                elif snap.step == 0:
                    st.info(tr("train_not_started"), icon=":material/model_training:")
                for step, text in reversed(samples):
                    st.code(f"[{step}] " + text.replace("\n", " ↵ "), language=None, wrap_lines=True)

            live_panel.show(live_panel.Panel(
                ctx, "ts_train", build, data=train_data, settings=train_settings, lazy=True, snapshot=snapshot, draw=draw,
                idle=tr("train_not_started"), labels={"start": tr("train_start"), "pause": tr("train_pause"), "reset": tr("train_reset")},
                diverged_text=lambda step: tr("train_diverged")))

    with t_ladder:
        st.markdown(ctx.t("ladder_intro"))
        labels, values, colours = [], [], []
        rungs = []  # the shipped ladder (count models and pretrained networks), bottom to top
        for n, r in ((1, "unigram"), (2, "bigram"), (3, "trigram")):
            labels.append(rung_label(r))
            values.append(ngram_bpc(corpus_id, corpus, n, alpha))  # the α slider's smoothing, as the caption says
            colours.append("#9CA3AF")
            rungs.append(r)
        if corpus_name != UPLOAD:
            for r in NEURAL:
                _, e = pretrained(corpus_name, r)
                labels.append(rung_label(r) + " · " + ctx.t("sources.pretrained"))
                values.append(e["metrics"]["val_bits_per_char"])
                colours.append(plots.BLUE)
                rungs.append(r)
        shipped = list(zip(rungs, values))
        if rung in NEURAL and trainer is not None and trainer.history_:
            labels.append(rung_label(rung) + " · " + ctx.t("sources.live"))
            values.append(trainer.history_[-1]["val"] / ts.LN2)
            colours.append(plots.ORANGE)
        ctx.chart(ladder_figure(tuple(labels), tuple(round(v, 4) for v in values), tuple(colours),
                            (("x", tr("ladder_x")), ("y", tr("ladder_y")))), "ts_ladder")
        st.caption(ctx.t("ladder_legend", uniform=ctx.num(np.log2(vocab.size)), alpha=alpha))
        for (lower, lower_bpc), (upper, upper_bpc) in zip(shipped, shipped[1:]):
            if upper_bpc < lower_bpc:
                continue
            # a rung that does no better than the one below it: say so, with the numbers shown in the chart
            note = ctx.t("ladder_not_monotone", upper=rung_label(upper), lower=rung_label(lower),
                         upper_bpc=ctx.num(upper_bpc, ".3f"), lower_bpc=ctx.num(lower_bpc, ".3f"))
            if corpus.mode == "lines" and (lower, upper) == NEURAL:
                window = ts.default_config(corpus, "mlp").block_size
                reach = document_reach(corpus_id, corpus, window)
                note += " " + ctx.t("ladder_why_names", mean=ctx.num(reach.mean_length, ".1f"), window=window,
                                    share=ctx.num(reach.within_window, ".0%"), docs=ctx.num(reach.n_docs, ","))
            st.info(note, icon=":material/stairs:")
        rows = ts.read_scaling()
        if rows:
            st.markdown(f"**{tr('scaling_title')}**")
            names_corpus = builtin_corpus("names")
            scaling_refs = {rung_label(r): ngram_bpc("names", names_corpus, n, REF_ALPHA) * ts.LN2
                            for n, r in ((2, "bigram"), (3, "trigram"))}
            scaling_refs[ctx.t("fourgram")] = ngram_bpc("names", names_corpus, 4, REF_ALPHA) * ts.LN2
            ctx.chart(scaling_figure(tuple(tuple(sorted(r.items())) for r in rows), tuple(scaling_refs.items()),
                                 (("transformer", rung_label("transformer")), ("x", tr("scaling_x")), ("y", tr("scaling_y")))),
                  "ts_scaling")
            st.caption(ctx.t("scaling_legend", steps=rows[0]["steps"], alpha=REF_ALPHA))

st.divider()
for name in ("autoregressive", "tokens", "sampling", "attention", "greedy"):
    with st.expander(ctx.t(f"explain.{name}"), icon=":material/school:"):
        ctx.md(name)
