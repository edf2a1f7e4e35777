"""The optional multilingual encoder: its committed heads, the blend, and triage with and without it."""

import numpy as np
import pytest

from socialdesk.triage import encoder
from socialdesk.triage.classify import TriageInput, classify_batch
from socialdesk.triage.textmodel import model


@pytest.fixture
def encoder_on(monkeypatch):
    monkeypatch.setenv(encoder.ENV, "1")


@pytest.mark.parametrize("name", ["sentiment", "type"])
def test_committed_heads_read_the_linear_models_classes(name):
    if name != "sentiment" and not encoder.has_head(name):
        pytest.skip(f"no {name} head is committed (the sentiment head is required)")
    head = encoder.head(name)
    assert sorted(head.classes) == sorted(model(name).classes)
    # The embedding, a copy per language of the head's, and one bias per language.
    columns = encoder.DIM * (1 + len(head.languages)) + len(head.languages)
    assert head.coef_t.shape == (columns, len(head.classes))
    assert head.b > 0, "the blend gives the encoder no weight: it would not earn its place"


def test_head_round_trips_and_blends_in_the_linear_models_order(tmp_path):
    rng = np.random.default_rng(3)
    head = encoder.Head(
        classes=["positive", "neutral", "negative"],
        coef=rng.normal(scale=0.05, size=(3, encoder.DIM)),
        intercept=[0.1, 0.0, -0.1],
        a=0.7,
        b=1.3,
    )
    path = tmp_path / "h.npz"
    head.save(path)
    back = encoder.Head.load(path)
    assert back.classes == head.classes and (back.a, back.b) == pytest.approx((0.7, 1.3))
    emb = rng.normal(size=(4, encoder.DIM)).astype(np.float32)
    np.testing.assert_allclose(back.predict_proba(emb), head.predict_proba(emb), rtol=1e-5)
    # Blended in another class order, the linear side's: the same distribution, reordered.
    linear = np.array([[0.2, 0.5, 0.3]] * 4)  # negative, neutral, positive
    enc = head.predict_proba(emb)[:, [2, 1, 0]]
    want = np.exp(0.7 * np.log(linear) + 1.3 * np.log(enc))
    want /= want.sum(axis=1, keepdims=True)
    got = encoder.blend(back, linear, ["negative", "neutral", "positive"], emb)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-8)
    # No weight on the encoder: the linear reading as it was.
    plain = encoder.Head(
        classes=head.classes, coef=head.coef_t.T, intercept=head.intercept, a=1, b=0
    )
    np.testing.assert_allclose(
        encoder.blend(plain, linear, ["negative", "neutral", "positive"], emb), linear, rtol=1e-6
    )


def test_off_unless_switched_on(monkeypatch):
    monkeypatch.delenv(encoder.ENV, raising=False)
    assert not encoder.available()


needs_engine = pytest.mark.skipif(
    not encoder.installed(), reason="the encoder extra is not installed"
)


@needs_engine
def test_embeddings_are_unit_length_and_multilingual():
    emb = encoder.embed(
        ["I love this app", "Ich liebe diese App", "This app crashes all the time"]
    )
    assert emb.shape == (3, encoder.DIM)
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-3)
    # The same praise in German is nearer the English praise than a complaint in English is.
    assert emb[0] @ emb[1] > emb[0] @ emb[2]


@needs_engine
def test_triage_blends_the_encoder_when_switched_on(encoder_on):
    texts = ["Que raiva, o app não abre mais", "Ich liebe diese App, danke!"]
    with_encoder = classify_batch([TriageInput(t) for t in texts])
    assert [r.sentiment for r in with_encoder] == ["negative", "positive"]
    for r in with_encoder:
        assert 0 < r.sentiment_confidence <= 1 and 0 < r.type_confidence <= 1


def test_a_head_with_language_copies_reads_each_language_on_top_of_all(tmp_path):
    rng = np.random.default_rng(5)
    tagged = ("de", "fr")
    # Columns: the shared embedding, a copy per tagged language, then one bias per language.
    coef = np.zeros((2, encoder.DIM * 3 + 2))
    coef[1, : encoder.DIM] = rng.normal(scale=0.1, size=encoder.DIM)
    coef[1, encoder.DIM * 2 : encoder.DIM * 3] = 5 * coef[1, : encoder.DIM]  # fr reads it 6×
    coef[1, -2] = 2.0  # de leans towards the second class whatever the text
    head = encoder.Head(classes=["a", "b"], coef=coef, intercept=[0.0, 0.0], languages=tagged)
    path = tmp_path / "h.npz"
    head.save(path)
    back = encoder.Head.load(path)
    assert back.languages == tagged
    emb = np.tile(rng.normal(size=(1, encoder.DIM)).astype(np.float32), (4, 1))
    p = back.predict_proba(emb, ["en", "de", "fr", ""])
    # A language without a copy of its own (en, unknown) reads the shared weights only, and the
    # same as when no languages are given.
    np.testing.assert_allclose(p[0], p[3], rtol=1e-6)
    np.testing.assert_allclose(back.predict_proba(emb[:1]), p[:1], rtol=1e-6)
    assert p[1, 1] > p[0, 1]  # the German bias
    shared = float(emb[0] @ coef[1, : encoder.DIM])
    assert p[2, 1] == pytest.approx(1 / (1 + np.exp(-6 * shared)), rel=1e-4)


def test_a_head_saved_before_language_copies_loads_without_them(tmp_path):
    path = tmp_path / "old.npz"
    np.savez_compressed(
        path,
        classes=np.array(["a", "b"]),
        coef=np.zeros((2, encoder.DIM), dtype=np.float32),
        intercept=np.zeros(2, dtype=np.float32),
        blend=np.array([0.5, 0.5], dtype=np.float32),
    )
    head = encoder.Head.load(path)
    assert head.languages == ()
    emb = np.ones((1, encoder.DIM), dtype=np.float32)
    np.testing.assert_allclose(head.predict_proba(emb, ["de"]), [[0.5, 0.5]])
