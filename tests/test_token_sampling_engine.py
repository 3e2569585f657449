"""Engine tests for the token-sampling page: the ladder, the sampling transforms, uploads, training."""

import math

import numpy as np
import pytest

from engine.core.errors import InputError
from engine.core.torch_setup import torch
from engine.core.training import Budget
from engine.families import autoregressive as ts


@pytest.fixture(scope="module")
def corpora():
    return {name: ts.load_corpus(name) for name in ts.CORPORA}


# --- the ladder ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(ts.CORPORA))
def test_bits_per_char_strictly_improve_up_the_ladder(corpora, name):
    corpus = corpora[name]
    bpc = [ts.bits_per_char(ts.fit_ngram(corpus, n), corpus) for n in (1, 2, 3)]
    transformer, _ = ts.load_pretrained(name, "transformer")
    bpc.append(ts.bits_per_char(transformer, corpus))
    assert bpc[0] > bpc[1] > bpc[2] > bpc[3], bpc
    assert bpc[0] < math.log2(corpus.vocab.size)  # even counting single letters beats a uniform guess


def test_makemore_reference_numbers_for_count_models(corpora):
    # makemore's count bigram / trigram / 4-gram on its names split: 2.45 / 2.20 / 2.06 nats per char
    names = corpora["names"]
    nats = [ts.bits_per_char(ts.fit_ngram(names, n), names) * ts.LN2 for n in (2, 3, 4)]
    assert nats == pytest.approx([2.45, 2.20, 2.06], abs=0.02)


def test_document_reach_counts_the_targets_a_window_sees_whole():
    vocab = ts.Vocab.from_text("abcdefghij")
    docs = [vocab.encode(w) for w in ("ab", "abcdefghij", "abc")]  # 3, 11 and 4 targets (the end token included)
    corpus = ts.Corpus("toy", "lines", vocab, docs[:2], docs[2:], 18)
    reach = ts.document_reach(corpus, 4)  # the first 4 targets of each name see it whole: 3 + 4 + 4 of 18
    assert (reach.n_docs, reach.mean_length, reach.within_window) == (3, 5.0, pytest.approx(11 / 18))
    assert ts.document_reach(corpus, 11).within_window == 1.0
    with pytest.raises(ValueError):
        ts.document_reach(ts.corpus_from_bytes(b"running text, not names. " * 40), 8)


def test_makemore_split():
    words = [w for w in ts.read_corpus_text("names").splitlines() if w.strip()]
    train, test = ts.makemore_split(words)
    assert len(words) == 32033 and len(test) == 1000 and len(train) == 31033
    perm = torch.randperm(len(words), generator=torch.Generator().manual_seed(3407)).tolist()
    assert test == [words[i] for i in perm[-1000:]]


def test_every_rung_answers_the_same_question(corpora):
    corpus = corpora["alice"]
    idx = torch.from_numpy(corpus.val[:40].reshape(2, 20))
    models = [ts.fit_ngram(corpus, n) for n in (1, 2, 3)]
    models += [ts.load_pretrained("alice", rung)[0] for rung in ("mlp", "transformer")]
    for model in models:
        with torch.no_grad():
            logits = model.logits(idx)
        assert tuple(logits.shape) == (2, 20, corpus.vocab.size)
        p = ts.softmax(ts.next_logits(model, corpus.val[:20]))
        assert p.sum() == pytest.approx(1.0) and np.all(p > 0)


def test_ngram_probability_is_the_count_formula():
    corpus = ts.corpus_from_bytes(("abcab" * 200).encode())
    model = ts.fit_ngram(corpus, 2, alpha=0.5)
    a, b, c = (corpus.vocab.stoi[ch] for ch in "abc")
    counts = model.counts_for(np.array([a]))
    n_a = int((corpus.train[:-1] == a).sum())  # every "a" but a final one is followed by a token
    assert n_a > 100 and counts[b] == n_a and counts.sum() == n_a  # in "abcab" an "a" is always followed by "b"
    p = ts.softmax(ts.next_logits(model, np.array([0, c, a])))
    assert p[b] == pytest.approx((n_a + 0.5) / (n_a + 0.5 * corpus.vocab.size))
    assert p[c] == pytest.approx(0.5 / (n_a + 0.5 * corpus.vocab.size))


def test_ngram_count_row_pads_a_short_context_with_the_boundary_token():
    corpus = ts.corpus_from_bytes(("abcab" * 200).encode())
    a, b = (corpus.vocab.stoi[ch] for ch in "ab")
    trigram = ts.fit_ngram(corpus, 3)
    row = trigram.count_row(np.array([0, a]))  # two tokens: no padding
    assert row.context.tolist() == [0, a] and np.array_equal(row.counts, trigram.counts_for([0, a]))
    short = trigram.count_row(np.array([a]))  # one token: padded on the left, as ``logits`` pads
    assert short.context.tolist() == [0, a] and short.total == row.total
    bigram = ts.fit_ngram(corpus, 2).count_row(np.array([0, b, a]), n_top=2)
    assert bigram.context.tolist() == [a] and bigram.top[0] == b and bigram.total == bigram.counts[b] > 100
    unigram = ts.fit_ngram(corpus, 1).count_row(np.array([0, a]))
    assert unigram.context.size == 0 and unigram.total == len(corpus.train)  # every token counts once
    assert trigram.count_row(np.array([b, b])).total == 0  # "bb" never occurs


def test_bigram_on_ab_generates_alternating_letters():
    corpus = ts.corpus_from_bytes(("ab" * 500).encode())
    model = ts.fit_ngram(corpus, 2, alpha=0.01)
    gen = ts.generate(model, corpus.vocab, corpus.mode, "a", 40, ts.SamplingSettings(temperature=1.0), seed=3)
    text = "a" + gen.text
    assert text == "ab" * 20 + "a"


# --- sampling transforms -------------------------------------------------------------------------

LOGITS = np.array([1.0, 3.0, -2.0, 0.5, 2.9, 0.0, 3.0])


def test_temperature_zero_is_argmax():
    p = ts.apply_temperature(LOGITS, 0.0)
    assert np.array_equal(p, np.eye(len(LOGITS))[1])  # ties go to the first maximum
    assert np.argmax(ts.apply_temperature(LOGITS, 1e-3)) == np.argmax(p)
    view = ts.transform(LOGITS, ts.SamplingSettings(temperature=0.0, top_k=3, top_p=0.5))
    assert view.q[1] == 1.0 and view.keep.sum() == 1


@pytest.mark.parametrize("top_k, top_p", [(0, 1.0), (3, 1.0), (0, 0.9), (100, 1.0)])
def test_temperature_zero_keeps_only_the_argmax_whatever_top_k_and_top_p(top_k, top_p):
    # the one-hot p_temp used to let top-k "keep" 3 (or all 7) tokens at T = 0 although sampling is greedy
    view = ts.transform(LOGITS, ts.SamplingSettings(temperature=0.0, top_k=top_k, top_p=top_p))
    assert np.nonzero(view.keep)[0].tolist() == [1]
    assert view.q.tolist() == [0, 1, 0, 0, 0, 0, 0]


def test_display_order_breaks_temperature_ties_by_the_model_probability():
    greedy = ts.transform(LOGITS, ts.SamplingSettings(temperature=0.0))
    # at T = 0 the runners-up are the model's: 3.0 (the tie after the argmax), 2.9, 1.0, 0.5, 0.0, -2.0
    assert ts.display_order(greedy.p_temp, greedy.p_model).tolist() == [1, 6, 4, 0, 3, 5, 2]
    warm = ts.transform(LOGITS, ts.SamplingSettings(temperature=0.7))
    assert ts.display_order(warm.p_temp, warm.p_model).tolist() == [1, 6, 4, 0, 3, 5, 2]
    # p_temp decides first: a token with the larger p_temp goes first even if p_model says otherwise
    assert ts.display_order(np.array([0.2, 0.8]), np.array([0.9, 0.1])).tolist() == [1, 0]


def test_entropy_is_in_bits_and_zero_when_greedy():
    assert ts.entropy_bits(np.full(4, 0.25)) == pytest.approx(2.0)
    assert ts.entropy_bits([0.5, 0.5, 0.0]) == pytest.approx(1.0)  # 0 log 0 = 0, not NaN
    greedy = ts.transform(LOGITS, ts.SamplingSettings(temperature=0.0))
    assert greedy.entropy == 0.0 and greedy.kept_mass == 1.0
    view = ts.transform(LOGITS, ts.SamplingSettings(top_k=2))
    assert view.entropy == pytest.approx(ts.entropy_bits(view.q)) and 0 < view.entropy <= 1.0
    assert view.kept_mass == pytest.approx(np.sort(ts.softmax(LOGITS))[-2:].sum())
    assert ts.uniform_bits(32) == 5.0
    assert ts.last_val_bits([]) != ts.last_val_bits([])  # NaN before the first evaluation
    assert ts.last_val_bits([{"val": 2.0}, {"val": ts.LN2}]) == pytest.approx(1.0)


def test_temperature_one_is_softmax_and_large_temperature_flattens():
    assert np.allclose(ts.apply_temperature(LOGITS, 1.0), np.exp(LOGITS) / np.exp(LOGITS).sum())
    hot = ts.apply_temperature(LOGITS, 1e4)
    assert np.allclose(hot, 1 / len(LOGITS), atol=1e-3)


@pytest.mark.parametrize("k", range(1, 8))
def test_top_k_keeps_exactly_k(k):
    rng = np.random.default_rng(k)
    z = rng.normal(size=50)
    keep = ts.top_k_mask(ts.softmax(z), k)
    assert keep.sum() == k
    assert set(np.nonzero(keep)[0]) == set(np.argsort(-z)[:k])
    q = ts.transform(z, ts.SamplingSettings(top_k=k)).q
    assert q.sum() == pytest.approx(1.0) and (q > 0).sum() == k


def test_top_k_larger_than_vocabulary_keeps_everything():
    assert ts.top_k_mask(ts.softmax(LOGITS), 1000).all()
    assert ts.top_k_mask(ts.softmax(LOGITS), 0).all()


def test_top_p_keeps_the_smallest_set_reaching_p():
    p = np.array([0.05, 0.5, 0.15, 0.3])
    assert ts.top_p_mask(p, 0.5).tolist() == [False, True, False, False]
    assert ts.top_p_mask(p, 0.8).tolist() == [False, True, False, True]
    assert ts.top_p_mask(p, 0.81).tolist() == [False, True, True, True]
    assert ts.top_p_mask(p, 1.0).all()
    assert ts.top_p_mask(p, 0.0).sum() == 1  # p = 0 degenerates to the single most likely token
    rng = np.random.default_rng(0)
    for _ in range(50):
        q = ts.softmax(rng.normal(size=30) * 2)
        top_p = rng.uniform(0.01, 0.99)
        keep = ts.top_p_mask(q, top_p)
        assert q[keep].sum() >= top_p - 1e-12
        assert q[keep].sum() - q[keep].min() < top_p  # dropping the weakest kept token falls short


def test_every_result_is_renormalised():
    rng = np.random.default_rng(1)
    for _ in range(30):
        s = ts.SamplingSettings(temperature=float(rng.uniform(0, 3)), top_k=int(rng.integers(0, 12)),
                                top_p=float(rng.uniform(0, 1)))
        view = ts.transform(rng.normal(size=12) * 3, s)
        assert view.q.sum() == pytest.approx(1.0)
        assert np.all(view.q[~view.keep] == 0)
        kept = view.p_temp[view.keep]
        assert np.allclose(view.q[view.keep], kept / kept.sum())


def test_seeded_sample_is_reproducible(corpora):
    corpus = corpora["alice"]
    model, _ = ts.load_pretrained("alice", "transformer")
    s = ts.SamplingSettings(temperature=1.0, top_k=20, top_p=0.95)
    a = ts.generate(model, corpus.vocab, corpus.mode, "Alice was ", 30, s, seed=7)
    b = ts.generate(model, corpus.vocab, corpus.mode, "Alice was ", 30, s, seed=7)
    c = ts.generate(model, corpus.vocab, corpus.mode, "Alice was ", 30, s, seed=8)
    assert a.text == b.text and len(a.text) == 30
    assert a.text != c.text
    assert 1.0 <= a.perplexity < corpus.vocab.size
    assert all(0 < st.p_model <= 1 and st.top_probs == sorted(st.top_probs, reverse=True) for st in a.steps)


def test_greedy_decoding_is_deterministic_and_repeats(corpora):
    corpus = corpora["alice"]
    model = ts.fit_ngram(corpus, 3)
    g1 = ts.generate(model, corpus.vocab, corpus.mode, "the ", 60, ts.SamplingSettings(temperature=0.0), seed=1)
    g2 = ts.generate(model, corpus.vocab, corpus.mode, "the ", 60, ts.SamplingSettings(temperature=0.0), seed=2)
    assert g1.text == g2.text
    assert ts.distinct_ngrams([g1.text], 3) < 0.6  # a trigram with greedy decoding loops


def test_names_generation_restarts_context_after_each_name(corpora):
    corpus = corpora["names"]
    model, _ = ts.load_pretrained("names", "transformer")
    gen = ts.generate(model, corpus.vocab, corpus.mode, "", 80, ts.SamplingSettings(), seed=0)
    names = [w for w in gen.text.split("\n") if w]
    assert len(names) >= 4 and all(w.isalpha() and w.islower() for w in names)


def test_continuing_a_generation_extends_it_and_other_text_starts_a_new_one(corpora):
    corpus = corpora["alice"]
    model = ts.fit_ngram(corpus, 3)
    hot = ts.SamplingSettings(temperature=1.5)
    first = ts.continue_generation(model, corpus.vocab, corpus.mode, "Alice\u263a was ", 5, hot, seed=2)
    assert first.prompt == "Alice was " and len(first.steps) == 5  # the unknown character is dropped
    same = ts.generate(model, corpus.vocab, corpus.mode, "Alice was ", 5, hot, seed=2 * 100_003 + len("Alice was "))
    assert first.text == same.text
    more = ts.continue_generation(model, corpus.vocab, corpus.mode, first.prompt + first.text, 3, hot, seed=2, previous=first)
    assert more.prompt == "Alice was " and more.text.startswith(first.text) and len(more.text) == 8
    assert len(more.steps) == 8 and len(first.steps) == 5  # one generation over both clicks; the first is kept as it was
    edited = ts.continue_generation(model, corpus.vocab, corpus.mode, "The ", 3, hot, seed=2, previous=more)
    assert edited.prompt == "The " and len(edited.steps) == 3  # the text was edited: a new generation
    assert ts.seen_context(model, np.array([0, 5, 6, 7])).tolist() == [6, 7]
    assert ts.seen_context(ts.fit_ngram(corpus, 1), np.array([0, 5])).size == 0


def test_unknown_characters_in_prompt_are_an_input_error(corpora):
    with pytest.raises(InputError) as err:
        ts.check_prompt(corpora["names"].vocab, "Zoë")
    assert err.value.code == "unknown_chars" and "Z" in err.value.params["chars"]


def test_attention_is_causal_and_rows_sum_to_one(corpora):
    model, _ = ts.load_pretrained("alice", "transformer")
    ids = ts.context_ids("stream", corpora["alice"].vocab, "Alice was beginning")
    att = model.attention(ids)
    assert att.shape == (model.config.n_layer, model.config.n_head, len(ids), len(ids))
    assert np.allclose(att.sum(-1), 1.0, atol=1e-5)
    assert np.all(np.triu(att, 1) == 0)


def test_reading_attention_leaves_the_shared_model_untouched(corpora):
    """The shipped model is one ``st.cache_resource`` object for every session: attention must not be stored on it."""
    model, _ = ts.load_pretrained("alice", "transformer")
    vocab = corpora["alice"].vocab

    def state():
        return {name: {k: id(v) for k, v in vars(m).items()} for name, m in model.named_modules()}

    before = state()
    first = model.attention(ts.context_ids("stream", vocab, "Alice was beginning"))
    assert state() == before
    model.attention(ts.context_ids("stream", vocab, "The Queen"))
    assert first.shape[-1] == 20 and state() == before


LONG_PROMPT = ("Alice was beginning to get very tired of sitting by her sister on the bank, and of having "
               "nothing to do: once or twice she had peeped into the book")


def test_attention_window_is_the_crop_of_the_full_context_attention(corpora):
    model, _ = ts.load_pretrained("alice", "transformer")
    ids = ts.context_ids("stream", corpora["alice"].vocab, LONG_PROMPT)
    assert len(ids) > model.context_size == 64
    view = ts.attention_window(model, ids, 24)
    full = model.attention(ids[-64:])  # the context next_logits uses
    assert view.first == 40 and np.array_equal(view.ids, ids[-24:])
    assert view.maps.shape == (model.config.n_layer, model.config.n_head, 24, 24)
    assert np.array_equal(view.maps, full[:, :, 40:, 40:])
    # a separate pass on the last 24 tokens alone (the old chart) gives other maps
    assert np.abs(view.maps - model.attention(ids[-24:])).max() > 0.1
    # attention to the 40 hidden positions is not drawn: cropped rows sum to less than 1
    assert view.maps.sum(-1).min() < 0.9 and np.all(view.maps.sum(-1) <= 1 + 1e-5)
    short = ts.attention_window(model, ids[:10], 24)  # a short context is shown whole
    assert short.first == 0 and np.array_equal(short.maps, model.attention(ids[:10]))


# --- uploads -------------------------------------------------------------------------------------

@pytest.mark.parametrize("data, code", [
    (b"", "corpus_empty"),
    (b"   \n\n  ", "corpus_empty"),
    (b"short text", "corpus_too_short"),
    (b"\x00\x01\x02\x03" * 200, "corpus_binary"),
    ("caf\u00e9 ".encode("latin-1") * 200, "corpus_not_utf8"),
    (b"a" * 5000, "corpus_one_symbol"),
    (b"aaaa\n" * 1000, "corpus_one_symbol"),  # line breaks and spaces are not a second symbol
    (b"a a\ta\r\n" * 1000, "corpus_one_symbol"),
    (b"x" * (ts.MAX_UPLOAD_BYTES + 1), "corpus_too_large"),
])
def test_bad_uploads_are_rejected_with_a_code(data, code):
    with pytest.raises(InputError) as err:
        ts.corpus_from_bytes(data)
    assert err.value.code == code


def test_one_repeated_character_names_that_character():
    with pytest.raises(InputError) as err:
        ts.corpus_from_bytes(b"\n  " + b"zz zz\n" * 500)
    assert err.value.code == "corpus_one_symbol" and err.value.params == {"char": "z"}
    assert ts.corpus_from_bytes(b"ab\n" * 500).vocab.chars == ("\n", "a", "b")  # two symbols are enough


def test_shortest_accepted_upload_can_be_trained_and_evaluated():
    text = ("abc. " * 500)[:ts.MIN_UPLOAD_CHARS].encode()
    assert not text.endswith(b" ")
    corpus = ts.corpus_from_bytes(text)
    trainer = ts.Trainer(corpus, ts.default_config(corpus, "transformer"), ts.TrainConfig(eval_every=5), seed=0)
    trainer.advance(Budget(max_steps=5))
    assert len(trainer.history_) == 1 and math.isfinite(trainer.history_[0]["val"])
    with pytest.raises(InputError):
        ts.corpus_from_bytes(text[:-1])


def test_long_upload_is_capped_and_said_so():
    text = ("the cat sat on the mat. " * 30_000).encode()
    corpus = ts.corpus_from_bytes(text)
    assert corpus.capped and corpus.n_chars == ts.MAX_CORPUS_CHARS
    assert not ts.corpus_from_bytes(text[:5000]).capped
    accented = "ação e coração. ".encode() * 200_000  # 3.6 MB: capped, and no character is cut in half
    corpus = ts.corpus_from_bytes(accented)
    assert corpus.capped and corpus.n_chars == ts.MAX_CORPUS_CHARS and "\ufffd" not in corpus.vocab.chars
    # what the page keeps in session state: the capped text, which rebuilds the same corpus
    kept = corpus.text().encode("utf-8")
    assert len(kept) < len(accented) // 3
    again = ts.corpus_from_bytes(kept)
    assert again.vocab == corpus.vocab and np.array_equal(again.train, corpus.train) and np.array_equal(again.val, corpus.val)


# --- training ------------------------------------------------------------------------------------

def test_live_training_learns_and_beats_the_bigram(corpora):
    corpus = corpora["names"]
    cfg = ts.default_config(corpus, "mlp")
    trainer = ts.Trainer(corpus, cfg, ts.TrainConfig(eval_every=50, decay_steps=300), seed=0)
    trainer.advance(Budget(max_steps=300))
    vals = [h["val"] for h in trainer.history_]
    assert len(vals) == 6 and vals[-1] < vals[0]
    assert vals[-1] < 2.45  # makemore's count bigram
    # every step's batch loss, for the live chart between two evaluations: the one recorded at each evaluation
    # is its step's, and the batches get easier as the model learns
    assert len(trainer.losses_) == 300 and all(map(math.isfinite, trainer.losses_))
    assert [trainer.losses_[h["step"] - 1] for h in trainer.history_] == [h["train"] for h in trainer.history_]
    assert np.mean(trainer.losses_[-50:]) < np.mean(trainer.losses_[:50]) - 0.3
    again = ts.Trainer(corpus, cfg, ts.TrainConfig(eval_every=50, decay_steps=300), seed=0)
    again.advance(Budget(max_steps=50))
    assert again.history_[0]["val"] == pytest.approx(trainer.history_[0]["val"], rel=1e-5)


def test_trainer_records_one_sample_every_so_many_steps(corpora):
    corpus = corpora["names"]
    trainer = ts.Trainer(corpus, ts.default_config(corpus, "mlp"), ts.TrainConfig(eval_every=10), seed=0)
    assert trainer.record_sample(every=5) == []  # step 0
    trainer.advance(Budget(max_steps=5))
    samples = trainer.record_sample(every=5, n_chars=30)
    assert len(samples) == 1 and samples[0][0] == 5 and len(samples[0][1]) == 30
    assert trainer.record_sample(every=5) == samples and len(samples) == 1  # not again at the same step
    again = ts.generate(trainer.model, corpus.vocab, corpus.mode, "", 30, ts.SamplingSettings(0.8), seed=5).text
    assert samples[0][1] == again  # the model at that step wrote it, seeded by the step


def test_nan_stops_training_and_restores_the_last_good_model(corpora):
    corpus = corpora["names"]
    trainer = ts.Trainer(corpus, ts.default_config(corpus, "mlp"), ts.TrainConfig(eval_every=10), seed=0)
    trainer.advance(Budget(max_steps=10))
    good = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    with torch.no_grad():
        trainer.model.hidden.weight.fill_(float("nan"))
    trainer.advance(Budget(max_steps=10))
    assert trainer.diverged_ and trainer.step_ == 10
    assert all(torch.equal(good[k], v) for k, v in trainer.model.state_dict().items())
