"""Small linear text classifiers stored as numbers, not pickles: hashed n-grams, idf, weights.

The features are stateless (hashing), so a model file is only the idf vector, the weight matrix
and the class names. Training (training/train.py) and prediction share `features`, so the two
can never drift apart. Loading happens once per process; prediction works on a batch at once.
"""

import re
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
from scipy import sparse

# scikit-learn (the hashing vectorizers, the norm, MurmurHash) is imported when triage first reads
# a text, not with this module: the URL configuration reaches here, and a web process or a
# command that never triages would pay about 0.6 s of imports at every start.

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


# A token: a word, "!" or "?", or an emoji.
TOKEN = r"(?u)\b\w+\b|[!?]|[\U0001F300-\U0001FAFF\u2600-\u27BF]"


def _hashed(**how):
    """Hashed counts (no sign flipping, no norm: idf and the norm come later)."""
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        n_features=N_FEATURES, alternate_sign=False, norm=None, lowercase=False, **how
    )


def _word_ngrams(token_pattern: str):
    """Hashed counts of 1-2-grams of tokens."""
    return _hashed(analyzer="word", ngram_range=(1, 2), token_pattern=token_pattern)


@cache
def words_vectorizer():
    return _word_ngrams(TOKEN)


@cache
def _chars_vectorizer():
    return _hashed(analyzer="char_wb", ngram_range=(2, 5))


# Single words as `words_vectorizer()` tokenises them; only words of 3 to 30 letters are named in a reason
# (a longer "word" is no word a volunteer reads, and reasons are stored in 300 characters).
_WORD = re.compile(r"(?u)\b\w+\b")
_LETTERS = re.compile(r"[^\W\d_]{3,30}")
# Words that carry no meaning a volunteer could check: the seed languages' commonest, and
# scikit-learn's English list (`stop_words`).
_MORE_STOP_WORDS = frozenset(
    """
    user http der die das und ist nicht ein eine mit von den dem des auf für sich auch noch nach seit wie aber oder
    les des une est pas pour que qui dans sur avec mais plus tout ses ces son elle nous vous ils
    los las del una por para que con como pero más muy este esta sus
    uma não com por para que mas mais muito meu minha isso este esta dos das nos
    bir için çok ama gibi daha ile olan bunu şey
    che non per una con sono della del het een van dat niet voor met zijn
""".split()
)


@cache
def stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | _MORE_STOP_WORDS


# A word's share of the score below which it is not worth naming.
MIN_WEIGHT = 0.02


def candidate_words(texts: list[str]) -> list[list[str]]:
    """For each text, the words a reason could name: letters only, not a stop word, each once."""
    stop = stop_words()
    return [
        sorted({w for w in _WORD.findall(normalise(t)) if _LETTERS.fullmatch(w) and w not in stop})
        for t in texts
    ]


@lru_cache(maxsize=65_536)
def word_column(word: str) -> int:
    """The feature column of one word in `words_vectorizer()`: the hash FeatureHasher computes
    (signed MurmurHash3, seed 0, absolute value modulo the width), without building a matrix per
    word."""
    from sklearn.utils import murmurhash3_32

    h = murmurhash3_32(word, seed=0, positive=False)
    return (2**31 - 1 - (N_FEATURES - 1)) if h == -(2**31) else abs(h) % N_FEATURES


# A letter written three or more times ("Sloooooow", "graaaacias") is read as two: the
# stretched word then shares its n-grams with the plain one.
_STRETCHED = re.compile(r"([^\W\d_])\1{2,}")


# Names of products are left out of what the models read: which browser a message names says
# nothing of its type or tone, but the project-written seed set names Firefox in most of its
# compliments while the complaints the type model learns support requests from name other brands,
# so a model reading the name learnt "Firefox" as praise ("Firefox keeps freezing": a compliment
# at 0.96; read as one shared word instead, the name became an app roundup's mark). Only names
# that are no common word in the desk's languages ("brave", "opera", "edge", "signal" are).
_PRODUCT = re.compile(
    r"\b(firefox|mozilla|chrome|chromium|safari|vivaldi|duckduckgo|thunderbird|bitwarden|spotify)\b"
)


def _plain(text: str) -> str:
    """The text as the features read it: `normalise`d, stretched letters read as two, without
    product names."""
    return _PRODUCT.sub(" ", _STRETCHED.sub(r"\1\1", normalise(text)))


def raw_features(texts: list[str]) -> sparse.csr_matrix:
    """Sublinear term counts of word 1-2-grams and character 2-5-grams (no idf yet)."""
    texts = [_plain(t) for t in texts]
    x = sparse.hstack(
        [words_vectorizer().transform(texts), _chars_vectorizer().transform(texts)], format="csr"
    )
    x.data = 1.0 + np.log(x.data)
    return x


# Languages whose words get a copy of their own in a language-aware model ("de|gut" beside
# "gut"): the model learns what a word means in each language on top of what it shares across
# them (Daumé's feature augmentation), and a per-language bias ("de|__lang__"). Any other
# language, or none, is "xx".
TAGGED_LANGUAGES = frozenset({"en", "de", "fr", "es", "pt", "it", "tr", "nl"})
_TOKENS = re.compile(TOKEN)


@cache
def _tagged_vectorizer():
    """The tokens are tagged ("de|gut") before hashing, so here a token is whatever spaces separate."""
    return _word_ngrams(r"\S+")


def language_features(texts: list[str], languages: list[str]) -> sparse.csr_matrix:
    """Word 1-2-grams tagged with the text's language, and the language itself (sublinear
    counts, no idf yet): the third block of a language-aware model's columns."""
    docs = []
    for text, lang in zip(texts, languages, strict=True):
        tag = lang if lang in TAGGED_LANGUAGES else "xx"
        words = _TOKENS.findall(_plain(text))
        docs.append(" ".join(f"{tag}|{w}" for w in words) + f" {tag}|__lang__")
    x = _tagged_vectorizer().transform(docs)
    x.data = 1.0 + np.log(x.data)
    return x


def features(texts: list[str], languages: list[str] | None = None) -> sparse.csr_matrix:
    """`raw_features`, and with `languages` the language-tagged block after it."""
    x = raw_features(texts)
    if languages is None:
        return x
    return sparse.hstack([x, language_features(texts, languages)], format="csr")


def idf_from(x: sparse.csr_matrix) -> np.ndarray:
    n = x.shape[0]
    df = np.bincount(x.indices, minlength=x.shape[1])
    return (np.log((1 + n) / (1 + df)) + 1.0).astype(np.float32)


def weigh(x: sparse.csr_matrix, idf: np.ndarray) -> sparse.csr_matrix:
    from sklearn.preprocessing import normalize

    return normalize(x @ sparse.diags(idf), norm="l2", copy=False)


def softmax(scores: np.ndarray) -> np.ndarray:
    scores = scores - scores.max(axis=1, keepdims=True)
    p = np.exp(scores)
    return p / p.sum(axis=1, keepdims=True)


class LinearModel:
    """Multinomial logistic regression at prediction time: softmax(x·Wᵀ + b)."""

    def __init__(
        self,
        *,
        classes: list[str],
        idf: np.ndarray,
        coef: np.ndarray,
        intercept: np.ndarray,
        temperature: float = 1.0,
    ):
        self.classes = list(classes)
        # Scores are divided by this before the softmax, so that a stated 0.8 is right about 80% of
        # the time (fitted on a held-out part of the training side; see training/train.py).
        self.temperature = float(temperature)
        self.idf = idf.astype(np.float32)
        self.coef_t = sparse.csr_matrix(coef.astype(np.float32).T)
        # Dense rows by column, to read single words' weights when explaining (a few MB).
        self.coef_by_column = np.ascontiguousarray(coef.astype(np.float32).T)
        self.intercept = intercept.astype(np.float32)

    @property
    def by_language(self) -> bool:
        """Whether the model reads the language-tagged block too (its columns say so)."""
        return len(self.idf) > 2 * N_FEATURES

    def predict_proba(self, texts: list[str], languages: list[str] | None = None) -> np.ndarray:
        """`languages` (ISO codes, one per text) for a language-aware model; without them it
        reads each text as of no known language."""
        if not texts:
            return np.zeros((0, len(self.classes)), dtype=np.float32)
        if self.by_language:
            return self.predict_proba_features(features(texts, languages or ["xx"] * len(texts)))
        return self.predict_proba_features(raw_features(texts))

    def predict_proba_features(self, x: sparse.csr_matrix) -> np.ndarray:
        """From `raw_features(texts)`, so several models can share one feature extraction."""
        return self.predict_proba_weighted(self.weighted(x))

    def weighted(self, x: sparse.csr_matrix) -> sparse.csr_matrix:
        """`raw_features` weighed with this model's idf: what the weights multiply."""
        return weigh(x, self.idf)

    def predict_proba_weighted(self, xw: sparse.csr_matrix) -> np.ndarray:
        return softmax(self.scores_weighted(xw) / self.temperature)

    def scores_weighted(self, xw: sparse.csr_matrix) -> np.ndarray:
        """The raw linear scores, before the temperature and the softmax."""
        scores = (xw @ self.coef_t).toarray() + self.intercept
        if len(self.classes) == 2 and scores.shape[1] == 1:
            scores = np.hstack([-scores, scores])
        return scores

    def telling_words(
        self, xw: sparse.csr_matrix, words: list[list[str]], labels: list[int], *, limit: int = 3
    ) -> list[list[str]]:
        """For each text (row of `xw = weighted(x)`; its `candidate_words`), the words that pushed the
        model most towards `labels[i]`, best first.

        A reason a volunteer can check ("words like “slow”, “update”") instead of a probability. A
        word's push is its weight in the text times how much more its model weight favours the label
        than the classes on average (softmax only cares about differences). Character n-grams count
        in the score but cannot be named, so a text may have no telling word at all.
        """
        out: list[list[str]] = [[] for _ in words]
        rows = np.array([i for i, ws in enumerate(words) for _ in ws], dtype=np.int64)
        if not len(rows):
            return out
        flat = [w for ws in words for w in ws]
        cols = np.array([word_column(w) for w in flat], dtype=np.int64)
        weights = self.coef_by_column[cols]
        chosen = weights[np.arange(len(flat)), np.asarray(labels, dtype=np.int64)[rows]]
        push = np.asarray(xw[rows, cols]).ravel() * (chosen - weights.mean(axis=1))
        for k in np.argsort(-push, kind="stable"):
            if push[k] < MIN_WEIGHT:
                break
            if len(out[rows[k]]) < limit:
                out[rows[k]].append(flat[k])
        return out

    def save(self, path: Path) -> None:
        coef = self.coef_t.T.toarray()
        # float16 halves the file; the rounding is far below what moves a prediction.
        np.savez_compressed(
            path,
            classes=np.array(self.classes),
            idf=self.idf.astype(np.float16),
            coef=coef.astype(np.float16),
            intercept=self.intercept,
            temperature=np.float32(self.temperature),
        )

    @classmethod
    def load(cls, path: Path) -> "LinearModel":
        with np.load(path, allow_pickle=False) as f:
            return cls(
                classes=[str(c) for c in f["classes"]],
                idf=f["idf"].astype(np.float32),
                coef=f["coef"].astype(np.float32),
                intercept=f["intercept"],
                temperature=float(f["temperature"]) if "temperature" in f.files else 1.0,
            )


@cache
def model(name: str) -> LinearModel:
    """The committed model `name` (type, sentiment), loaded once per process."""
    return LinearModel.load(DATA_DIR / f"{name}.npz")
