"""Train the type and sentiment models on the "train" side of the split and write them to triage/data/.

Run from the repository root (the evaluation data is not part of the repository; see
docs/triage-quality.md for where it comes from):

    .venv/bin/python -m socialdesk.triage.training.train --data ../shared/evaldata

Type: the project's seed set (training/seed_types.csv) plus the complaints data mapped onto our
types — a complaint is a "support request"; a non-complaint from the random_tweet/random_reply
domains is "other"; non-complaints addressed to brands are left out (they may be questions,
praise or anything else, so no single type is right for them).
Sentiment: airline tweets + TweetEval + UMSAB (de, fr, es, pt, it tweets) + the seed set's
sentiment column, one model for every language (hashed character n-grams carry across them);
with `--extradata FOLDER` (`make model EXTRADATA=FOLDER`) also the training side of the other
public sets in that folder (Turkish and Dutch, say; datasets.extra_sentiment_rows).
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
    """Logistic regression on the columns some text has: a hashed column no text reaches has a
    zero gradient throughout, so its weight stays 0 and the fit is the same, in a fraction of
    the time (the optimiser's every step costs as many columns as it is given)."""
    x = x.tocsc()
    used = np.flatnonzero(np.diff(x.indptr))
    clf = LogisticRegression(C=c, max_iter=2000, class_weight="balanced")
    clf.fit(x[:, used].tocsr(), labels, sample_weight=weights)
    coef = np.zeros((clf.coef_.shape[0], x.shape[1]), dtype=clf.coef_.dtype)
    coef[:, used] = clf.coef_
    clf.coef_, clf.n_features_in_ = coef, x.shape[1]
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


# How much a text of the optional extra data (EXTRADATA, datasets.extra_sentiment_rows) weighs.
EXTRA_WEIGHT = 1.0
# Whether the other public sets' held-out texts choose the encoder head's C and blend. They do
# not: FSMTSAD's back-translated near-copies sit on both sides of any split, so the linear model
# reads them too well there, and a blend chosen with them leant on it (a=0.59, b=0.65 against
# a=0.31, b=0.80 without them): UMSAB with the encoder 0.650 -> 0.641, TweetEval 0.694 -> 0.682.
EXTRA_CHOOSES = False


def sentiment_training_set(
    data: Path, extra: Path | None = None
) -> tuple[list[str], list[str], list[float]]:
    """Texts, labels and weights; with `extra`, the training side of that folder's sets too."""
    rows = (
        datasets.sentiment_rows(data)
        + [dict(r, source="umsab") for r in datasets.umsab_rows(data)]
        + [{"text": r["text"], "label": r["sentiment"]} for r in datasets.seed_types()]
        + [dict(r, source="extra") for r in datasets.extra_sentiment_rows(extra)]
    )
    rows = [r for r in rows if datasets.split(r["text"]) == "train"]
    weight = {"umsab": UMSAB_WEIGHT, "extra": EXTRA_WEIGHT}
    weights = [weight.get(r.get("source"), 1.0) for r in rows]
    return [r["text"] for r in rows], [r["label"] for r in rows], weights


def training_sets(data: Path, extra: Path | None = None) -> dict:
    """{model name: (texts, labels, weights)} as `make model` trains them."""
    return {
        "type": (*type_training_set(data), None),
        "sentiment": sentiment_training_set(data, extra),
    }


def fit_model(name: str, texts: list[str], labels: list[str], weights=None) -> LinearModel:
    """The model `name` (type, sentiment) fitted as `make model` fits it: the sentiment model
    reads each text's detected language too (SENTIMENT_BY_LANGUAGE)."""
    if name == "type":
        return fit(texts, labels, c=TYPE_C, weights=weights)
    languages = languages_of(texts) if SENTIMENT_BY_LANGUAGE else None
    return fit(texts, labels, c=SENTIMENT_C, languages=languages, weights=weights)


def fit_encoder_head(
    name: str,
    texts: list[str],
    labels: list[str],
    weights,
    linear: LinearModel,
    embed,
    use=None,
    choose_on=None,
):
    """The optional encoder's head for `name` (encoder.py): logistic regression on the texts'
    embeddings, and the weights that blend it with the linear model `linear`, both chosen on
    the held-out 15% of the training side (calibration_side): a first linear model and a first
    head are fitted without it, the regularisation C with the lowest log-loss there is kept, and
    (a, b) in p ∝ exp(a·log p_linear + b·log p_encoder) minimise the log-loss of the blend there.
    Then the head is refitted on everything. The test side is never read. The head reads the
    embedding with a copy per language of ENCODER_LANGUAGES[name] (encoder.with_languages).

    `embed(texts)` gives the embeddings; `use` (a mask over the texts) says which texts the head
    is fitted on (all by default), `choose_on` which held-out texts choose C and the blend (all
    by default: `main` leaves the other public sets out, see EXTRA_CHOOSES)."""
    from scipy.optimize import minimize

    from socialdesk.triage.encoder import Head, with_languages

    y = np.array(labels)
    w = np.ones(len(texts)) if weights is None else np.asarray(weights, dtype=np.float64)
    held = np.array([calibration_side(t) for t in texts])
    use = np.ones(len(texts), dtype=bool) if use is None else np.asarray(use, dtype=bool)
    embeddings = np.zeros((len(texts), 384), dtype=np.float32)
    embeddings[use] = embed([t for t, u in zip(texts, use, strict=True) if u])
    tagged = ENCODER_LANGUAGES.get(name, ())
    detected = languages_of(texts) if tagged or name == "sentiment" else None
    embeddings = with_languages(embeddings, detected, tagged)
    languages = detected if name == "sentiment" and SENTIMENT_BY_LANGUAGE else None
    x = features(texts, languages)
    idf = idf_from(x)
    xw = weigh(x, idf)
    c = TYPE_C if name == "type" else SENTIMENT_C
    first = _as_model(_fit_linear(xw[~held], list(y[~held]), c=c, weights=w[~held]), idf)
    classes = first.classes
    on_held = held & use
    if choose_on is not None:
        on_held &= np.asarray(choose_on, dtype=bool)
    gold = np.array([classes.index(label) for label in y[on_held]])
    log_linear = np.log(softmax(first.scores_weighted(xw[on_held])) + 1e-9)

    def nll(p: np.ndarray) -> float:
        return float(-np.mean(np.log(p[np.arange(len(gold)), gold] + 1e-12)))

    def head_fit(rows, c_enc):
        clf = LogisticRegression(C=c_enc, max_iter=3000, class_weight="balanced")
        clf.fit(embeddings[rows], y[rows], sample_weight=w[rows])
        return clf

    def probs(clf, emb):
        order = [list(clf.classes_).index(k) for k in classes]
        return clf.predict_proba(emb)[:, order]

    tried = {}
    for c_enc in ENCODER_C:
        tried[c_enc] = probs(head_fit(use & ~held, c_enc), embeddings[on_held])
    c_enc = min(tried, key=lambda k: nll(tried[k]))
    log_enc = np.log(tried[c_enc] + 1e-9)
    blend = minimize(
        lambda ab: nll(softmax(ab[0] * log_linear + ab[1] * log_enc)),
        [0.5, 0.5],
        method="Nelder-Mead",
    ).x
    clf = head_fit(use, c_enc)
    order = [list(clf.classes_).index(k) for k in classes]
    coef, intercept = clf.coef_, clf.intercept_
    if len(clf.classes_) == 2:
        coef, intercept = np.vstack([-coef, coef]) / 2, np.concatenate([-intercept, intercept]) / 2
    # The linear model triage runs divides its scores by its temperature first: the same blend
    # on its probabilities is a·T (log-softmax differs from the scores by a constant per text).
    return Head(
        classes=classes,
        coef=coef[order],
        intercept=intercept[order],
        a=float(blend[0]) * linear.temperature,
        b=float(blend[1]),
        languages=tagged,
    ), {
        "C": c_enc,
        "held_log_loss": round(nll(softmax(blend[0] * log_linear + blend[1] * log_enc)), 4),
    }


# Regularisation tried for an encoder head (the best on the held-out 15% is kept).
ENCODER_C = (0.5, 2.0, 8.0)
# Languages whose texts get a copy of the embedding of their own in a head (encoder.with_languages):
# those with thousands of training texts. On the sentiment model's held-out 15%, the copies took
# the blend's log-loss from 0.652 to 0.641 (UMSAB's corpora label tone each in its own way).
# Turkish has thousands too when the optional extra data is trained on (EXTRADATA).
ENCODER_LANGUAGES = {"sentiment": ("en", "de", "fr", "es", "pt", "it", "tr")}


# The models an encoder head is fitted beside. The type head took the complaints' macro-F1 from
# 0.752 to 0.825 on the held-out rows (docs/triage-quality.md).
ENCODER_HEADS = ("sentiment", "type")


def embeddings_for(texts: list[str], cache: Path | None = None) -> np.ndarray:
    """The encoder's embeddings of `texts`, reusing and extending `cache` (an .npz of texts and
    their embeddings) so that a second `make model` does not embed the same texts again."""
    from socialdesk.triage import encoder

    known: dict[str, np.ndarray] = {}
    if cache is not None and cache.exists():
        with np.load(cache, allow_pickle=False) as f:
            known = dict(zip(f["texts"].tolist(), f["emb"], strict=True))
    todo = sorted({t for t in texts if t not in known})
    for i in range(0, len(todo), 500):
        chunk = todo[i : i + 500]
        known.update(zip(chunk, encoder.embed(chunk), strict=True))
    if cache is not None and todo:
        cache.parent.mkdir(parents=True, exist_ok=True)
        keys = sorted(known)
        np.savez(cache, texts=np.array(keys), emb=np.stack([known[k] for k in keys]))
    return np.stack([known[t] for t in texts]) if texts else np.zeros((0, 384), np.float32)


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
    p.add_argument(
        "--extradata",
        type=Path,
        default=Path(os.environ["EXTRADATA"]) if os.environ.get("EXTRADATA") else None,
        help="a folder of other public labelled sentiment data (datasets.extra_sentiment_rows) "
        "whose training side the sentiment model is trained on too",
    )
    p.add_argument("--out", type=Path, default=DATA_DIR)
    p.add_argument(
        "--encoder-cache",
        type=Path,
        default=Path("var/encoder-embeddings.npz"),
        help="where the optional encoder's embeddings of the training texts are kept between runs",
    )
    p.add_argument(
        "--encoder-only",
        action="store_true",
        help="fit only the encoder heads, beside the linear models already in --out",
    )
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.encoder_only:
        reliability = topic_reliability(args.data)
        (args.out / "topics.json").write_text(json.dumps(reliability, indent=1) + "\n")
        print(f"topics: how often each topic's help was the volunteers' help {reliability}")
    from socialdesk.triage import encoder

    with_encoder = encoder.installed()
    if args.encoder_only and not with_encoder:
        raise SystemExit("--encoder-only: the optional encoder extra is not installed")
    for name, (texts, labels, weights) in training_sets(args.data, args.extradata).items():
        path = args.out / f"{name}.npz"
        if args.encoder_only:
            model = LinearModel.load(path)
        else:
            model = fit_model(name, texts, labels, weights)
            model.save(path)
            counts = {k: labels.count(k) for k in sorted(set(labels))}
            print(
                f"{name}: {len(texts)} training texts {counts}, temperature "
                f"{model.temperature:.2f} -> {path.name} ({path.stat().st_size // 1024} KiB)"
            )
        if not with_encoder or name not in ENCODER_HEADS:
            continue
        extra = {r["text"] for r in datasets.extra_sentiment_rows(args.extradata)}
        head, chosen = fit_encoder_head(
            name,
            texts,
            labels,
            weights,
            model,
            lambda some: embeddings_for(some, args.encoder_cache),
            choose_on=None if EXTRA_CHOOSES or not extra else [t not in extra for t in texts],
        )
        path = args.out / f"{name}-encoder.npz"
        head.save(path)
        print(
            f"{name}, encoder head: {chosen}, blend a={head.a:.2f} b={head.b:.2f} "
            f"-> {path.name} ({path.stat().st_size // 1024} KiB)"
        )
    if not with_encoder:
        print(
            "encoder heads: not refitted (the optional encoder extra is not installed); "
            "the committed ones blend with the linear models they were fitted beside."
        )


if __name__ == "__main__":
    main()
