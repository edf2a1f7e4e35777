"""Train the type and sentiment models on the "train" side of the split and write them to triage/data/.

Run from the repository root (the evaluation data is not part of the repository; see
docs/triage-quality.md for where it comes from):

    .venv/bin/python -m socialdesk.triage.training.train --data ../shared/evaldata

Type: the project's seed set (training/seed_types.csv) plus the complaints data mapped onto our
types — a complaint is a "support request"; a non-complaint from the random_tweet/random_reply
domains is "other"; non-complaints addressed to brands are left out (they may be questions,
praise or anything else, so no single type is right for them).
Sentiment: airline tweets + TweetEval + UMSAB (de, fr, es, pt, it tweets) + the seed set's
sentiment column, one model for every language (hashed character n-grams carry across them).
"""

import argparse
import hashlib
import json
import os
from pathlib import Path

import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.linear_model import LogisticRegression

from socialdesk.triage.textmodel import (
    DATA_DIR,
    LinearModel,
    features,
    idf_from,
    normalise,
    softmax,
    weigh,
)
from socialdesk.triage.training import datasets

CALIBRATION_PERCENT = 15
TYPE_C = 4.0
SENTIMENT_C = 2.0
# The sentiment model reads words per language as well as across them (textmodel.language_features).
SENTIMENT_BY_LANGUAGE = True


def _fit_linear(x, labels: list[str], *, c: float, weights=None) -> LogisticRegression:
    clf = LogisticRegression(C=c, max_iter=2000, class_weight="balanced")
    clf.fit(x, labels, sample_weight=weights)
    return clf


def _as_model(clf: LogisticRegression, idf, temperature: float = 1.0) -> LinearModel:
    coef, intercept = clf.coef_, clf.intercept_
    if len(clf.classes_) == 2:
        coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
    return LinearModel(
        classes=[str(c) for c in clf.classes_],
        idf=idf,
        coef=coef,
        intercept=intercept,
        temperature=temperature,
    )


def calibration_side(text: str) -> bool:
    """15% of the *training* side, chosen by another hash of the text, held out to fit the
    temperature (the test side is never used for it)."""
    h = int(hashlib.sha1(("calibration " + normalise(text)).encode("utf-8")).hexdigest()[:8], 16)
    return h % 100 < CALIBRATION_PERCENT


def fit_temperature(scores: np.ndarray, gold: np.ndarray) -> float:
    """The temperature T minimising the log-loss of softmax(scores / T) (Guo et al. 2017)."""

    def nll(log_t: float) -> float:
        p = softmax(scores / np.exp(log_t))
        return float(-np.mean(np.log(p[np.arange(len(gold)), gold] + 1e-12)))

    return float(np.exp(minimize_scalar(nll, bounds=(-3.0, 3.0), method="bounded").x))


def fit(
    texts: list[str],
    labels: list[str],
    *,
    c: float,
    languages: list[str] | None = None,
    weights: list[float] | None = None,
) -> LinearModel:
    """Logistic regression on all of `texts`, with a temperature fitted on a held-out 15%: a
    first model is fitted without that 15%, its temperature fitted on it, then the model is
    refitted on everything and keeps that temperature. With `languages` (one per text) the
    model is language-aware (`textmodel.language_features`); `weights` weigh the texts."""
    x = features(texts, languages)
    idf = idf_from(x)
    xw = weigh(x, idf)
    held = np.array([calibration_side(t) for t in texts])
    temperature = 1.0
    y = np.array(labels)
    w = np.ones(len(texts)) if weights is None else np.asarray(weights, dtype=np.float64)
    if held.sum() >= 20 and len(set(y[~held])) == len(set(labels)):
        first = _as_model(_fit_linear(xw[~held], list(y[~held]), c=c, weights=w[~held]), idf)
        gold = np.array([first.classes.index(label) for label in y[held]])
        temperature = fit_temperature(first.scores_weighted(xw[held]), gold)
    return _as_model(_fit_linear(xw, labels, c=c, weights=w), idf, temperature)


def type_training_set(data: Path) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for r in datasets.seed_types():
        if datasets.split(r["text"]) == "train":
            texts.append(r["text"])
            labels.append(r["type"])
    for r in datasets.complaint_rows(data):
        if datasets.split(r["text"]) != "train":
            continue
        if r["complaint"]:
            texts.append(r["text"])
            labels.append("support request")
        elif r["domain"].startswith("random"):
            texts.append(r["text"])
            labels.append("other")
    return texts, labels


# How much a UMSAB tweet weighs against an English one: the English sets are about twice as
# many, and the five languages share the rest (UMSAB 0.552 -> 0.563 model-only with the
# language block and this weight).
UMSAB_WEIGHT = 2.0


def sentiment_training_set(data: Path) -> tuple[list[str], list[str], list[float]]:
    """Texts, labels and weights."""
    rows = (
        datasets.sentiment_rows(data)
        + [dict(r, source="umsab") for r in datasets.umsab_rows(data)]
        + [{"text": r["text"], "label": r["sentiment"]} for r in datasets.seed_types()]
    )
    rows = [r for r in rows if datasets.split(r["text"]) == "train"]
    weights = [UMSAB_WEIGHT if r.get("source") == "umsab" else 1.0 for r in rows]
    return [r["text"] for r in rows], [r["label"] for r in rows], weights


def training_sets(data: Path) -> dict:
    """{model name: (texts, labels, weights)} as `make model` trains them."""
    return {
        "type": (*type_training_set(data), None),
        "sentiment": sentiment_training_set(data),
    }


def fit_model(name: str, texts: list[str], labels: list[str], weights=None) -> LinearModel:
    """The model `name` (type, sentiment) fitted as `make model` fits it: the sentiment model
    reads each text's detected language too (SENTIMENT_BY_LANGUAGE)."""
    if name == "type":
        return fit(texts, labels, c=TYPE_C, weights=weights)
    languages = languages_of(texts) if SENTIMENT_BY_LANGUAGE else None
    return fit(texts, labels, c=SENTIMENT_C, languages=languages, weights=weights)


def languages_of(texts: list[str]) -> list[str]:
    """The language triage detects for each text (without a platform's hint, as in the
    evaluation): what a language-aware model is trained on is what it will be given."""
    from socialdesk.triage.classify import detect_language

    return [detect_language(t)[0] for t in texts]


def topic_reliability(data: Path) -> dict[str, float]:
    """Per topic, on the training side of the Firefox reviews: of the reviews about it, the share
    whose volunteer reply gave the help an article on it gives (topics.same_help), shrunk towards
    the overall share by a few pseudo-reviews so that a rare topic does not get 0 or 1."""
    from socialdesk.triage import topics

    seen: dict[str, list[bool]] = {}
    for r in datasets.review_rows(data):
        if datasets.split(r["text"]) != "train":
            continue
        topic, _, _ = topics.message_topic(r["text"], reliability={})
        if topic:
            seen.setdefault(topic, []).append(topics.same_help(topic, r["reply"]))
    overall = sum(sum(v) for v in seen.values()) / max(sum(len(v) for v in seen.values()), 1)
    prior = 5
    return {
        t: round((sum(v) + prior * overall) / (len(v) + prior), 3) for t, v in sorted(seen.items())
    }


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--data", type=Path, default=Path(os.environ.get("EVALDATA", "../shared/evaldata"))
    )
    p.add_argument("--out", type=Path, default=DATA_DIR)
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    reliability = topic_reliability(args.data)
    (args.out / "topics.json").write_text(json.dumps(reliability, indent=1) + "\n")
    print(f"topics: how often each topic's help was the volunteers' help {reliability}")
    for name, (texts, labels, weights) in training_sets(args.data).items():
        model = fit_model(name, texts, labels, weights)
        path = args.out / f"{name}.npz"
        model.save(path)
        counts = {k: labels.count(k) for k in sorted(set(labels))}
        print(
            f"{name}: {len(texts)} training texts {counts}, temperature {model.temperature:.2f} "
            f"-> {path.name} ({path.stat().st_size // 1024} KiB)"
        )


if __name__ == "__main__":
    main()
