"""Page 6: a ladder of character-level language models, and how temperature, top-k and top-p
shape what they write. The charts take logits, never a model: every rung answers the same question.

The page reads the choosers and the prompt (a change reruns it all), then runs two sections of its own: the sampling
controls with the next-token distribution they shape (a move reruns only that), and the tabs. Cached engine calls and
figures are in ui/views_token_sampling.py, the other sections in ui/token_sampling_sections.py."""

import streamlit as st

from engine.families import autoregressive as ts
from ui import live_panel
from ui import plots_token_sampling as plots
from ui import token_sampling_sections as sections
from ui import views_token_sampling as views
from ui.shell import guard, section, setup
from ui.token_sampling_sections import CHOOSER_WIDTHS, NEURAL, UPLOAD

ctx = setup("token_sampling")
P = ctx.page
BUILTIN = list(ts.CORPORA)
ALPHAS = [0.001, 0.01, 0.1, 0.5, 1.0]
EXTREME_T = 3.0


def tr(name: str) -> str:
    return ctx.t(name)


def current_model(text, rung: str, source: str, alpha: float, train_data, train_settings):
    """The live trainer (None until "Train" is pressed) and the model the page shows. Read again in every
    section run: the training panel (a fragment) may have built or stepped the trainer since the last page run."""
    trainer = live_panel.current(ctx, train_data, train_settings) if rung in NEURAL else live_panel.run_for(ctx, check=False).trainer
    if rung in NEURAL and source == "pretrained":
        model, _ = views.pretrained(text.name, rung)
    elif rung in NEURAL:  # before training starts: the very model the trainer will start from (same seed)
        model = trainer.model if trainer is not None else ts.build(ts.default_config(text.corpus, rung), ctx.seed)
    else:
        model = views.ngram(text.id, text.corpus, ts.RUNGS.index(rung) + 1, alpha)
    return trainer, model


# --- what the sampling controls change: one section, so a temperature move reruns only it ------------

SAMPLING_DEFAULTS = {"temperature": 1.0, "top_k": 0, "top_p": 1.0}
FORMULA = (r"q_i = \begin{cases} \dfrac{\mathbf{1}[i \in S]\; e^{z_i / T}}{\sum_{j \in S} e^{z_j / T}} & T > 0 \\[1.2em]"
           r" \mathbf{1}\left[i = \arg\max_j z_j\right] & T = 0 \end{cases}")


def chosen_settings() -> ts.SamplingSettings:
    """The sampling controls' values as the session holds them, for the code that writes with them outside the
    sampling section (the prompt's buttons, the comparison): the widgets' own keys, their defaults before the first
    draw."""
    ss = st.session_state
    return ts.SamplingSettings(*(type(d)(ss.get(ctx.key(name), d)) for name, d in SAMPLING_DEFAULTS.items()))


@section
def sampling_section(text, rung: str, source: str, alpha: float, train_data, train_settings, ids) -> None:
    """The three controls, the distribution they shape, and the numbers that depend on them. Only these: the prompt,
    the formula, the count table and the tabs do not change with T, k or p, so a move does not send them again."""
    vocab = text.corpus.vocab
    _, model = current_model(text, rung, source, alpha, train_data, train_settings)
    s1, s2, s3 = st.columns(3)
    temperature = s1.slider(tr("temperature"), 0.0, 5.0, SAMPLING_DEFAULTS["temperature"], 0.05, key=ctx.key("temperature"),
                            help=tr("temperature_help"))
    top_k = s2.number_input(tr("top_k"), 0, 500, SAMPLING_DEFAULTS["top_k"], 1, key=ctx.key("top_k"), help=tr("top_k_help"))
    top_p = s3.slider(tr("top_p"), 0.0, 1.0, SAMPLING_DEFAULTS["top_p"], 0.01, key=ctx.key("top_p"), help=tr("top_p_help"))
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

    view = ts.transform(ts.next_logits(model, ids), settings)
    d1, d2 = st.columns([2.2, 1])
    with d1:
        ctx.chart(views.distribution_figure(vocab, view, ctx.lang), "ts_dist")  # serialised, fitted: chart() leaves it be
        st.caption(tr("dist_legend"))
    with d2:
        st.markdown(ctx.t("formula_values", t=ctx.num(temperature, "g"), k=int(top_k) if top_k else "—",
                          p=ctx.num(top_p, "g"), kept=int(view.keep.sum()), v=vocab.size, mass=ctx.num(view.kept_mass, ".3f")))
        st.metric(tr("entropy"), f"{ctx.num(view.entropy)} bits", help=tr("entropy_help"))


@section
def tabs_section(text, rung: str, source: str, alpha: float, train_data, train_settings, clean: str, ids) -> None:
    """Everything else, in tabs: lazy, only the open one runs and sends its figures (a temperature move used to redraw
    all five); the open one is in the link (tab=compare). None of them draws with the sampling controls' values, so
    they sit outside the sampling section; the comparison reads them when its button is pressed."""
    trainer, model = current_model(text, rung, source, alpha, train_data, train_settings)
    vocab = text.corpus.vocab
    tabs = ("tree", "compare", "attention", "train", "ladder")
    t_tree, t_compare, t_attn, t_train, t_ladder = ctx.tabs(tabs, [tr(f"tab_{name}") for name in tabs], key="token_tab")
    with t_tree:
        if t_tree.open:
            sections.tree_tab(ctx, vocab)
    with t_compare:
        if t_compare.open:
            sections.compare_tab(ctx, model, text.corpus, clean, chosen_settings())
    with t_attn:
        if t_attn.open:
            sections.attention_tab(ctx, model, text, ids, source)
    with t_train:
        if t_train.open:
            sections.train_tab(ctx, text, rung, source, train_data, train_settings)
    with t_ladder:
        if t_ladder.open:
            sections.ladder_tab(ctx, text, rung, trainer, alpha)
    sections.export_texts(ctx)


# --- corpus and model: shared by everything below, so changing them reruns the page -------------------

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

    text = sections.uploaded_text(ctx) if corpus_name == UPLOAD else sections.Chosen(
        corpus_name, corpus_name, views.builtin_corpus(corpus_name))
    if text is None:
        st.stop()
    corpus, vocab = text.corpus, text.corpus.vocab

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
    trainer, model = current_model(text, rung, source, alpha, train_data, train_settings)
    c3.caption(ctx.t("model_size", params=ctx.num(model.n_params_, ","), vocab=vocab.size,
                     sees=sections.counted(ctx, "sees", max(model.context_size, 0))))

    # --- the prompt (its buttons write into it through a request the next run carries out): a change reruns the page
    clean = sections.prompt_section(ctx, text, model, chosen_settings())
    ids = ts.context_ids(corpus.mode, vocab, clean[-4 * ts.STREAM_BLOCK:])  # no rung sees further back

    # --- the next-token distribution: what the model reads and the formula, then the sampling section ----------
    st.subheader(tr("next_title"))
    seen = ts.seen_context(model, ids)
    seen_text = plots.show_char("".join(vocab.chars[i] for i in seen)) if len(seen) else "∅"
    st.markdown(ctx.t("context_seen", tokens=sections.counted(ctx, "tokens", len(seen)), text=seen_text))
    f1, f2 = st.columns([1.35, 1], vertical_alignment="center")  # the formula's column holds it at 1024 px
    f1.latex(FORMULA)  # one formula for every T: a move changes only the numbers beside the chart
    f2.caption(tr("formula_help"))
    sampling_section(text, rung, source, alpha, train_data, train_settings, ids)
    if isinstance(model, ts.NGram):  # its counts and p(x | c) do not depend on T, k or p
        sections.count_table(ctx, model, vocab, ids, ts.softmax(ts.next_logits(model, ids)), alpha)
    tabs_section(text, rung, source, alpha, train_data, train_settings, clean, ids)

st.divider()
for name in ("autoregressive", "tokens", "sampling", "attention", "greedy"):
    with st.expander(ctx.t(f"explain.{name}"), icon=":material/school:"):
        ctx.md(name)

ctx.finish()  # after every widget: a link's unknown settings are reported and dropped
