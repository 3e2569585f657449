"""AppTest for the token-sampling page: every widget, both languages, and every bad input."""

import base64
import json
import math

import numpy as np
import pytest

from engine.core import weights as weights_io
from engine.families import autoregressive as ts
from engine.families.autoregressive import MIN_UPLOAD_CHARS as MIN_CHARS
from tests.apptest_utils import assert_clean, open_page
from ui import text
from ui.plots_token_sampling import show_char

SCRIPT = "pages/06_token_sampling.py"
K = "w:token_sampling."


def open_on(lang, tab):
    """The page opened on one of its tabs (they are lazy: only the open tab runs)."""
    at = open_page(SCRIPT, lang, run=False)
    at.session_state["token_tab"] = text.lookup(lang, f"token_sampling.tab_{tab}")
    return at.run()


def sel(at, key):
    return at.selectbox(key=K + key)


def prompt_value(at):
    return at.text_area(key=K + "prompt").value


# Each language opens on a book in that language, with its own starting prompt.
DEFAULTS = {"en": ("alice", "Alice was "), "pt": ("dom_casmurro", "Capitú ")}


def messages(at):
    return " ".join(str(m.value) for m in list(at.info) + list(at.warning) + list(at.caption) + list(at.markdown))


def chart_data(at, key):
    """The traces of the plotly chart drawn with ``key``, as plotly JSON."""
    charts = [c for c in at.get("plotly_chart") if c.proto.id.endswith(key)]
    assert len(charts) == 1, key
    return json.loads(charts[0].proto.spec)["data"]


def array(value):
    """A plotly JSON array as numpy: plotly 6 writes numpy data as base64 ``{"dtype", "bdata", "shape"}``."""
    if isinstance(value, dict) and "bdata" in value:
        out = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = value.get("shape")
        return out.reshape([int(n) for n in str(shape).split(",")]) if shape else out
    return np.asarray(value)


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_page_renders_clean_with_its_charts(lang):
    at = open_page(SCRIPT, lang)
    assert_clean(at)
    assert at.title[0].value == text.lookup(lang, "token_sampling.title")
    corpus, prompt = DEFAULTS[lang]
    assert sel(at, "corpus").value == corpus and sel(at, "rung").value == "transformer"
    assert prompt_value(at) == prompt
    assert len(at.expander) >= 5  # the five explanations
    for tab, charts in (("tree", 1), ("attention", 2), ("ladder", 2)):  # + the distribution; the ladder has scaling too
        at = open_on(lang, tab)
        assert_clean(at)
        assert len(at.get("plotly_chart")) >= charts, tab


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_buttons_write_into_the_prompt_and_fill_the_tree(lang):
    at = open_page(SCRIPT, lang)
    at.button(key="ts_next").click().run()
    assert_clean(at)
    prompt = DEFAULTS[lang][1]
    assert len(prompt_value(at)) == len(prompt) + 1
    at.slider(key=K + "n_generate").set_value(30).run()
    at.button(key="ts_generate").click().run()
    assert_clean(at)
    assert len(prompt_value(at)) == len(prompt) + 31
    assert any(m.label == text.lookup(lang, "token_sampling.perplexity") for m in at.metric)
    at.button(key="ts_clear").click().run()
    assert_clean(at)
    assert prompt_value(at) == ""
    assert text.lookup(lang, "token_sampling.msg_empty_prompt") in messages(at)


def test_sampling_controls_and_their_messages():
    at = open_page(SCRIPT, "en")
    at.slider(key=K + "temperature").set_value(0.0).run()
    assert_clean(at)
    assert text.lookup("en", "token_sampling.msg_greedy") in messages(at)
    at.slider(key=K + "temperature").set_value(4.5).run()
    assert "T = 4.5 is extreme" in messages(at)
    at.slider(key=K + "temperature").set_value(0.7).run()
    at.number_input(key=K + "top_k").set_value(3).run()
    assert_clean(at)
    assert "keeps **3** of" in messages(at)
    at.number_input(key=K + "top_k").set_value(500).run()
    assert "is not smaller than the vocabulary" in messages(at)
    at.number_input(key=K + "top_k").set_value(0).run()
    at.slider(key=K + "top_p").set_value(0.0).run()
    assert text.lookup("en", "token_sampling.msg_top_p_zero") in messages(at)
    assert "keeps **1** of" in messages(at)
    at.slider(key=K + "top_p").set_value(0.5).run()
    assert_clean(at)
    at.slider(key=K + "top_p").set_value(1.0).run()
    assert text.lookup("en", "token_sampling.msg_top_p_one") in messages(at)
    assert_clean(at)


def test_greedy_bars_are_the_model_runners_up_and_only_the_argmax_is_kept():
    at = open_page(SCRIPT, "en")
    at.slider(key=K + "temperature").set_value(0.0).run()
    assert_clean(at)
    model, _ = ts.load_pretrained("alice", "transformer")
    vocab = ts.load_corpus("alice").vocab
    p_model = ts.softmax(ts.next_logits(model, ts.context_ids("stream", vocab, DEFAULTS["en"][1])))
    top = np.argsort(-p_model)[:20]
    assert p_model[top[1]] > 0.01  # a real runner-up, not a token the model never expects
    p_temp, q, diamonds = chart_data(at, "ts_dist")[:3]
    # the 20 bars are the model's 20 most likely tokens in its own order, not the argmax + the first characters
    assert p_temp["x"] == [show_char(vocab.chars[i]) for i in top]
    assert np.allclose(array(diamonds["y"]), p_model[top], atol=1e-6)
    assert array(q["y"]).tolist() == [1.0] + [0.0] * 19
    assert "keeps **1** of" in messages(at)  # greedy: S is the argmax alone, not all the tokens
    at.number_input(key=K + "top_k").set_value(5).run()
    assert "keeps **1** of" in messages(at)


def test_attention_map_is_the_crop_of_the_prediction_context():
    prompt = ("Alice was beginning to get very tired of sitting by her sister on the bank, and of having "
              "nothing to do: once or twice she had peeped into the book")
    at = open_on("en", "attention")
    at.text_area(key=K + "prompt").input(prompt).run()
    assert_clean(at)
    model, _ = ts.load_pretrained("alice", "transformer")
    ids = ts.context_ids("stream", ts.load_corpus("alice").vocab, prompt)
    full = model.attention(ids[-model.context_size:])  # one pass on the 64 tokens the prediction sees
    panels = chart_data(at, "ts_attention")
    L, H = full.shape[:2]
    assert len(panels) == L * H
    for n, panel in enumerate(panels):
        z = array(panel["z"]).reshape(24, 24)
        assert np.allclose(z, full[n // H, n % H, -24:, -24:], atol=1e-6), n
    # rows and columns are labelled with their positions in the 64-token context: 40..63
    labels = panels[0]["y"]
    assert labels[0] == f"40:{show_char(prompt[-24])}" and labels[-1] == f"63:{show_char(prompt[-1])}"
    assert panels[0]["x"] == labels
    assert "Only the last 24 positions are drawn" in messages(at)


@pytest.mark.parametrize("corpus", ["names", "dom_casmurro", "alice"])
def test_every_rung_on_every_corpus(corpus):
    at = open_page(SCRIPT, "pt" if corpus == "dom_casmurro" else "en")
    sel(at, "corpus").set_value(corpus).run()
    for rung in ("unigram", "bigram", "trigram", "mlp", "transformer"):
        sel(at, "rung").set_value(rung).run()
        assert_clean(at)
        if rung in ("bigram", "trigram"):
            assert len(at.dataframe) == 1  # the count table
    if corpus == "names":
        assert prompt_value(at) == ""


def test_ngram_smoothing_and_the_count_table():
    at = open_page(SCRIPT, "en")
    sel(at, "rung").set_value("trigram").run()
    for alpha in (0.001, 1.0, 0.1):
        at.select_slider(key=K + "alpha").set_value(alpha).run()
        assert_clean(at)
        assert f"α = {alpha}" in messages(at)
    df = at.dataframe[0].value
    assert df.shape[0] == 12 and df.iloc[:, 1].is_monotonic_decreasing


def test_unknown_characters_get_a_message():
    at = open_page(SCRIPT, "en")
    sel(at, "corpus").set_value("names").run()
    at.text_area(key=K + "prompt").input("Zoë").run()
    assert_clean(at)
    assert "never seen these characters" in messages(at) and "Z" in messages(at)
    at.button(key="ts_next").click().run()
    assert_clean(at)
    assert prompt_value(at).startswith("o")  # the unknown characters were left out


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_side_by_side_sampling(lang):
    at = open_on(lang, "compare")
    at.slider(key=K + "compare_temps").set_value((0.2, 2.0))
    at.slider(key=K + "compare_chars").set_value(20)
    at.slider(key=K + "compare_repeats").set_value(3).run()
    at.button(key="ts_compare").click().run()
    assert_clean(at)
    assert len(at.main.code) == 6  # the sidebar has its own code block (the share link)
    assert all(c.value.startswith(DEFAULTS[lang][1]) for c in at.main.code)


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_live_training_start_pause_restart(lang):
    at = open_on(lang, "train")
    sel(at, "rung").set_value("mlp").run()
    at.button_group(key=K + "source").set_value("live").run()
    assert_clean(at)
    at.button(key="ts_train_play").click().run()  # AppTest runs the fragment once: one tick
    assert_clean(at)
    trainer = at.session_state["token_sampling.live"].trainer
    assert trainer.step_ > 0
    at.button(key="ts_train_pause").click().run()
    assert at.session_state["token_sampling.live"].playing is False
    at.button(key="ts_next").click().run()  # writing with the live model
    assert_clean(at)
    at.button(key="ts_train_reset").click().run()
    assert_clean(at)
    assert at.session_state["token_sampling.live"].trainer is None  # back to the untrained model, no trainer until "Train"
    at.button(key="ts_train_play").click().run()
    assert_clean(at)
    assert at.session_state["token_sampling.live"].trainer.step_ > 0


def test_the_live_loss_chart_draws_every_step_and_stays_small():
    """The live chart moves at every tick (each step's batch loss), not only at an evaluation, and a long run's
    line is thinned to at most LOSS_POINTS points, its last step kept."""
    from ui import plots_token_sampling as plots

    names = dict(train="train", val="val", x="x", y="y")
    short = plots.loss_figure([], {}, names, losses=[3.0, 2.5, 2.0])  # before the first evaluation
    assert list(short.data[0].x) == [1, 2, 3] and short.data[0].y[-1] == pytest.approx(2.0 / math.log(2))
    losses = list(np.linspace(3.0, 1.5, 2500))
    fig = plots.loss_figure([{"step": 2500, "train": 1.5, "val": 1.6}], {"bigram": 2.4}, names, losses=losses)
    x = list(fig.data[0].x)
    assert len(x) <= plots.LOSS_POINTS and x[-1] == 2500 and x == sorted(x)
    assert fig.data[0].y[-1] == pytest.approx(1.5 / math.log(2)) and list(fig.data[1].x) == [2500]


@pytest.fixture
def trainers_built(monkeypatch):
    """Every ``ts.Trainer`` the page builds (AppTest runs the page in this process, on this module)."""
    built = []

    class Counting(ts.Trainer):
        def __init__(self, *args, **kwargs):
            built.append(args[1].kind)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(ts, "Trainer", Counting)
    return built


def test_visiting_and_sampling_builds_no_trainer_until_train_is_pressed(trainers_built):
    at = open_on("en", "train")
    at.slider(key=K + "temperature").set_value(0.6).run()
    at.number_input(key=K + "top_k").set_value(5).run()
    at.slider(key=K + "top_p").set_value(0.9).run()
    at.button(key="ts_next").click().run()
    sel(at, "rung").set_value("mlp").run()
    at.button_group(key=K + "source").set_value("live").run()  # the untrained model writes, still no trainer
    at.button(key="ts_next").click().run()
    sel(at, "corpus").set_value("names").run()
    assert_clean(at)
    assert trainers_built == [] and at.session_state["token_sampling.live"].trainer is None
    assert text.lookup("en", "token_sampling.train_not_started") in messages(at)
    at.button(key="ts_train_play").click().run()  # now, and only now, one trainer
    assert_clean(at)
    assert trainers_built == ["mlp"]
    trainer = at.session_state["token_sampling.live"].trainer
    assert trainer.step_ > 0 and trainer.tag == ("names", "mlp")
    at.slider(key=K + "temperature").set_value(1.2).run()  # sampling reuses it
    assert trainers_built == ["mlp"] and at.session_state["token_sampling.live"].trainer is trainer


GOOD = ("the quick brown fox jumps over the lazy dog. " * 40).encode()


@pytest.mark.parametrize("data, code", [
    (b"", "corpus_empty"),
    (b"tiny", "corpus_too_short"),
    (b"\x00\x01\x02" * 300, "corpus_binary"),
    ("ação ".encode("latin-1") * 100, "corpus_not_utf8"),
    (b"z" * 3000, "corpus_one_symbol"),
])
def test_bad_uploads_show_a_translated_message(data, code):
    at = open_page(SCRIPT, "pt")
    sel(at, "corpus").set_value("upload").run()
    assert text.lookup("pt", "token_sampling.need_upload") in messages(at)
    at.file_uploader(key="ts_upload").upload("bad.txt", data, "text/plain").run()
    assert not at.exception
    params = {"corpus_too_short": {"n": 4, "min": MIN_CHARS}, "corpus_one_symbol": {"char": "z"}}.get(code, {})
    assert [e.value for e in at.error] == [text.lookup("pt", f"token_sampling.errors.{code}", **params)]


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_long_upload_is_capped_and_the_page_says_so(lang):
    data = ("the cat sat on the mat. " * 20_000).encode()  # 480,000 characters
    assert len(data) > ts.MAX_CORPUS_CHARS
    at = open_page(SCRIPT, lang)
    sel(at, "corpus").set_value("upload").run()
    at.file_uploader(key="ts_upload").upload("long.txt", data, "text/plain").run()
    assert_clean(at)
    capped = text.lookup(lang, "token_sampling.corpus_capped", cap=ts.MAX_CORPUS_CHARS)
    assert [w.value for w in at.warning] == [capped]
    digest, kept, is_capped = at.session_state["token_sampling.upload"]
    assert is_capped and len(kept) == ts.MAX_CORPUS_CHARS  # the session holds the first 400,000 characters
    at.file_uploader(key="ts_upload").upload("short.txt", data[:5000], "text/plain").run()
    assert_clean(at)
    assert capped not in messages(at)


def test_too_large_file_is_refused_with_a_message():
    data = b"x" * (ts.MAX_UPLOAD_BYTES + 1)
    at = open_page(SCRIPT, "en")
    sel(at, "corpus").set_value("upload").run()
    at.file_uploader(key="ts_upload").upload("huge.txt", data, "text/plain").run()
    assert not at.exception
    size_kb, max_kb = ts.MAX_UPLOAD_BYTES // 1000 + 1, ts.MAX_UPLOAD_BYTES // 1000  # 20,001 kB over 20,000 kB
    assert [e.value for e in at.error] == [text.lookup("en", "errors.file_refused_size", name=text.literal("huge.txt"),
                                                       size_kb=size_kb, max_kb=max_kb)]  # refused from its size, unread
    assert text.lookup("en", "token_sampling.need_upload") in messages(at)  # nothing was loaded


def test_good_upload_gives_ngrams_and_a_live_network():
    at = open_page(SCRIPT, "en")
    sel(at, "corpus").set_value("upload").run()
    at.file_uploader(key="ts_upload").upload("fox.txt", GOOD, "text/plain").run()
    sel(at, "rung").set_value("bigram").run()
    assert_clean(at)
    sel(at, "rung").set_value("transformer").run()
    assert_clean(at)
    assert at.button_group(key=K + "source").value == "live"


def test_error_messages_exist_in_both_languages():
    for code in ("corpus_empty", "corpus_too_large", "corpus_binary", "corpus_not_utf8", "corpus_too_short",
                 "corpus_one_symbol", "corpus_too_many_symbols", "unknown_chars"):
        for lang in ("en", "pt"):
            assert f"token_sampling.errors.{code}" in text.catalogue(lang)


def test_seed_and_reset_page():
    at = open_page(SCRIPT, "en")
    at.slider(key=K + "temperature").set_value(2.0).run()
    at.number_input(key="w:seed").set_value(5).run()
    assert_clean(at)
    at.button(key="reset_page").click().run()
    assert_clean(at)
    assert at.slider(key=K + "temperature").value == 1.0


# --- the ladder: what its captions claim -------------------------------------------------------------

def infos(at):
    return [str(m.value) for m in at.info]


def bpc(manifest, corpus, rung):
    return manifest[f"{corpus}_{rung}"]["metrics"]["val_bits_per_char"]


@pytest.mark.parametrize("corpus", list(ts.CORPORA))
def test_ladder_says_it_is_not_monotone_exactly_when_the_manifest_says_so(corpus):
    manifest = weights_io.read_manifest("autoregressive")
    counts = manifest[f"{corpus}_mlp"]["metrics"]  # the count models at the default α = 0.1, measured by --regenerate
    ladder = [("unigram", counts["1gram"]), ("bigram", counts["2gram"]), ("trigram", counts["3gram"])]
    ladder += [(r, bpc(manifest, corpus, r)) for r in ("mlp", "transformer")]
    breaks = [(lo, hi) for lo, hi in zip(ladder, ladder[1:]) if hi[1] >= lo[1]]  # a rung no better than the one below
    lang = "pt" if corpus == "dom_casmurro" else "en"
    at = open_on(lang, "ladder")
    sel(at, "corpus").set_value(corpus).run()
    assert_clean(at)
    heading = text.lookup(lang, "token_sampling.ladder_not_monotone").split(":**")[0]
    notes = [m for m in infos(at) if m.startswith(heading)]
    assert len(notes) == len(breaks), (breaks, notes)
    for ((lower, lower_bpc), (upper, upper_bpc)), note in zip(breaks, notes):
        rung = {r: text.lookup(lang, f"token_sampling.rungs.{r}") for r in (lower, upper)}
        assert note.startswith(text.lookup(lang, "token_sampling.ladder_not_monotone", upper=rung[upper], lower=rung[lower],
                                           upper_bpc=text.number(lang, upper_bpc, ".3f"),
                                           lower_bpc=text.number(lang, lower_bpc, ".3f")))
    if corpus == "names":
        # the shipped names transformer does not beat the MLP (2.854 against 2.838 bits/char), and the page says why
        assert [(lo[0], hi[0]) for lo, hi in breaks] == [("mlp", "transformer")]
        names = ts.load_corpus("names")
        reach = ts.document_reach(names, ts.default_config(names, "mlp").block_size)
        assert reach.within_window > 0.9  # "the MLP's window already holds the whole name so far", nearly always
        assert text.number(lang, reach.within_window, ".0%") in notes[0] and "32,033 names" in notes[0]
        # ... and that on the books the transformer wins
        assert all(bpc(manifest, book, "transformer") < bpc(manifest, book, "mlp") for book in ("alice", "dom_casmurro"))


def ladder_bars(at):
    bars = chart_data(at, "ts_ladder")[0]  # horizontal bars: the rungs on y, bits per character on x
    return dict(zip(bars["y"], array(bars["x"]).tolist()))


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_ladder_count_bars_follow_the_alpha_slider_and_say_which_alpha(lang):
    corpus = ts.load_corpus(DEFAULTS[lang][0])
    trigram = text.lookup(lang, "token_sampling.rungs.trigram")
    at = open_on(lang, "ladder")

    def legend(alpha):
        uniform = text.number(lang, math.log2(corpus.vocab.size))
        return text.lookup(lang, "token_sampling.ladder_legend", alpha=alpha, uniform=uniform)

    assert legend(0.1) in messages(at)
    assert ladder_bars(at)[trigram] == pytest.approx(ts.bits_per_char(ts.fit_ngram(corpus, 3, 0.1), corpus), abs=1e-4)
    sel(at, "rung").set_value("trigram").run()
    at.select_slider(key=K + "alpha").set_value(1.0).run()
    assert_clean(at)
    at1 = ts.bits_per_char(ts.fit_ngram(corpus, 3, 1.0), corpus)
    assert ladder_bars(at)[trigram] == pytest.approx(at1, abs=1e-4) and legend(1.0) in messages(at)
    sel(at, "rung").set_value("transformer").run()  # the slider is hidden now: its value still holds, and is said
    assert ladder_bars(at)[trigram] == pytest.approx(at1, abs=1e-4) and legend(1.0) in messages(at)


# --- plurals -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "pt"])
def test_counts_of_one_and_none_read_as_words_not_1_tokens(lang):
    def t(key, **kw):
        return text.lookup(lang, f"token_sampling.{key}", **kw)

    at = open_page(SCRIPT, lang)
    assert t("sees_many", n=64) in messages(at)
    sel(at, "rung").set_value("bigram").run()
    assert_clean(at)
    assert t("sees_one") in messages(at) and f"({t('tokens_one')})" in messages(at)
    sel(at, "rung").set_value("unigram").run()
    assert t("sees_none") in messages(at) and f"({t('tokens_none')})" in messages(at)
    # a trigram context seen exactly once in the names: "seen once", not "1 times"
    names = ts.load_corpus("names")
    model = ts.fit_ngram(names, 3)
    V = names.vocab.size
    once = next(int(k) for k, row in zip(model.keys_, model.counts_) if row.sum() == 1 and k // V and k % V)  # two letters
    context = names.vocab.decode([once // V, once % V])
    sel(at, "corpus").set_value("names").run()
    sel(at, "rung").set_value("trigram").run()
    at.text_area(key=K + "prompt").input(context).run()
    assert_clean(at)
    assert t("seen_one") in messages(at)
    shown = messages(at)
    assert " 1 tokens" not in shown and " 1 times" not in shown and " 1 vezes" not in shown


def test_every_counted_text_exists_in_both_languages():
    for lang in ("en", "pt"):
        for name in ("sees", "tokens", "seen"):
            for form in ("none", "one", "many"):
                assert f"token_sampling.{name}_{form}" in text.catalogue(lang)
