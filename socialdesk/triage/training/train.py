"""Train the type and sentiment models on the "train" side of the split and write them to triage/data/.

Run from the repository root (the evaluation data is not part of the repository; see
docs/triage-quality.md for where it comes from):

    .venv/bin/python -m socialdesk.triage.training.train --data ../shared/evaldata

Type: the project's seed set (training/seed_types.csv) plus the complaints data mapped onto our
types — a complaint is a "support request"; a non-complaint from the random_tweet/random_reply
domains is "other"; non-complaints addressed to brands are left out (they may be questions,
praise or anything else, so no single type is right for them).
Sentiment: airline tweets + TweetEval + the seed set's sentiment column.
"""

import argparse
import os
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from socialdesk.triage.textmodel import DATA_DIR, LinearModel, idf_from, raw_features, weigh
from socialdesk.triage.training import datasets


def fit(texts: list[str], labels: list[str], *, c: float) -> LinearModel:
    x = raw_features(texts)
    idf = idf_from(x)
    clf = LogisticRegression(C=c, max_iter=2000, class_weight="balanced")
    clf.fit(weigh(x, idf), labels)
    coef, intercept = clf.coef_, clf.intercept_
    if len(clf.classes_) == 2:
        coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
    return LinearModel(
        classes=[str(c) for c in clf.classes_], idf=idf, coef=coef, intercept=intercept
    )


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


def sentiment_training_set(data: Path) -> tuple[list[str], list[str]]:
    rows = datasets.sentiment_rows(data) + [
        {"text": r["text"], "label": r["sentiment"]} for r in datasets.seed_types()
    ]
    rows = [r for r in rows if datasets.split(r["text"]) == "train"]
    return [r["text"] for r in rows], [r["label"] for r in rows]


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
    for name, (texts, labels), c in (
        ("type", type_training_set(args.data), 4.0),
        ("sentiment", sentiment_training_set(args.data), 2.0),
    ):
        model = fit(texts, labels, c=c)
        path = args.out / f"{name}.npz"
        model.save(path)
        counts = {k: labels.count(k) for k in sorted(set(labels))}
        print(
            f"{name}: {len(texts)} training texts {counts} -> {path.name} ({path.stat().st_size // 1024} KiB)"
        )


if __name__ == "__main__":
    main()
