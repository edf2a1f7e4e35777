"""Small linear text classifiers stored as numbers, not pickles: hashed n-grams, idf, weights.

The features are stateless (hashing), so a model file is only the idf vector, the weight matrix
and the class names. Training (training/train.py) and prediction share `features`, so the two
can never drift apart. Loading happens once per process; prediction works on a batch at once.
"""

import re
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.preprocessing import normalize

DATA_DIR = Path(__file__).resolve().parent / "data"
N_FEATURES = 2**17  # per vectorizer; two vectorizers -> 2**18 columns

_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"@\w+")
_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Lower-case, and replace what varies without meaning (links, handles, numbers)."""
    text = _URL.sub(" http ", text.lower())
    text = _MENTION.sub(" @user ", text)
    text = _DIGITS.sub("0", text)
    return _SPACE.sub(" ", text).strip()


_WORDS = HashingVectorizer(
    analyzer="word", ngram_range=(1, 2), n_features=N_FEATURES, alternate_sign=False, norm=None,
    lowercase=False, token_pattern=r"(?u)\b\w+\b|[!?]|[\U0001F300-\U0001FAFF\u2600-\u27BF]",
)
_CHARS = HashingVectorizer(
    analyzer="char_wb", ngram_range=(2, 5), n_features=N_FEATURES, alternate_sign=False, norm=None, lowercase=False,
)


def raw_features(texts: list[str]) -> sparse.csr_matrix:
    """Sublinear term counts of word 1-2-grams and character 2-5-grams (no idf yet)."""
    texts = [normalise(t) for t in texts]
    x = sparse.hstack([_WORDS.transform(texts), _CHARS.transform(texts)], format="csr")
    x.data = 1.0 + np.log(x.data)
    return x


def idf_from(x: sparse.csr_matrix) -> np.ndarray:
    n = x.shape[0]
    df = np.bincount(x.indices, minlength=x.shape[1])
    return (np.log((1 + n) / (1 + df)) + 1.0).astype(np.float32)


def weigh(x: sparse.csr_matrix, idf: np.ndarray) -> sparse.csr_matrix:
    return normalize(x @ sparse.diags(idf), norm="l2", copy=False)


class LinearModel:
    """Multinomial logistic regression at prediction time: softmax(x·Wᵀ + b)."""

    def __init__(self, *, classes: list[str], idf: np.ndarray, coef: np.ndarray, intercept: np.ndarray):
        self.classes = list(classes)
        self.idf = idf.astype(np.float32)
        self.coef_t = sparse.csr_matrix(coef.astype(np.float32).T)
        self.intercept = intercept.astype(np.float32)

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, len(self.classes)), dtype=np.float32)
        return self.predict_proba_features(raw_features(texts))

    def predict_proba_features(self, x: sparse.csr_matrix) -> np.ndarray:
        """From `raw_features(texts)`, so several models can share one feature extraction."""
        scores = (weigh(x, self.idf) @ self.coef_t).toarray() + self.intercept
        if len(self.classes) == 2 and scores.shape[1] == 1:
            scores = np.hstack([-scores, scores])
        scores -= scores.max(axis=1, keepdims=True)
        p = np.exp(scores)
        return p / p.sum(axis=1, keepdims=True)

    def save(self, path: Path) -> None:
        coef = self.coef_t.T.toarray()
        # float16 halves the file; the rounding is far below what moves a prediction.
        np.savez_compressed(path, classes=np.array(self.classes), idf=self.idf.astype(np.float16),
                            coef=coef.astype(np.float16), intercept=self.intercept)

    @classmethod
    def load(cls, path: Path) -> "LinearModel":
        with np.load(path, allow_pickle=False) as f:
            return cls(classes=[str(c) for c in f["classes"]], idf=f["idf"].astype(np.float32),
                       coef=f["coef"].astype(np.float32), intercept=f["intercept"])


@lru_cache(maxsize=None)
def model(name: str) -> LinearModel:
    """The committed model `name` (type, sentiment), loaded once per process."""
    return LinearModel.load(DATA_DIR / f"{name}.npz")
