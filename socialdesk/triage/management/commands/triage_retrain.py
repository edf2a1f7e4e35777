"""`socialdesk triage_retrain`: export agents' corrections of triage and retrain the models with them.

    socialdesk triage_retrain --export corrections.jsonl          # only write them out
    socialdesk triage_retrain --data ../shared/evaldata            # retrain in a scratch folder, report
    socialdesk triage_retrain --data ../shared/evaldata --write    # … and install the new models

Each confirmed or changed type or sentiment becomes a labelled text (the conversation's first
customer messages, labelled with the agent's choice), added to the training side of `make model`;
corrections whose text falls on the test side of the usual hash split are kept out and scored
instead. The report compares the committed models with the retrained ones, model only (no
rules or cues), on the public held-out sets and on those held-out corrections. Removed tags
cannot teach the models; they are exported and counted per tag, for the tag rules' owners.
"""

import json
import tempfile
from collections import Counter
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from sklearn.metrics import f1_score

from socialdesk.triage import encoder
from socialdesk.triage.models import CorrectionField
from socialdesk.triage.selectors import correction_rows
from socialdesk.triage.textmodel import DATA_DIR, LinearModel
from socialdesk.triage.training import datasets, train


def _macro_f1(model: LinearModel, rows: list[dict]) -> float | None:
    if not rows:
        return None
    texts = [r["text"] for r in rows]
    probs = model.predict_proba(texts, train.languages_of(texts) if model.by_language else None)
    pred = [model.classes[i] for i in probs.argmax(axis=1)]
    gold = [r["label"] for r in rows]
    return f1_score(gold, pred, labels=sorted(set(gold)), average="macro", zero_division=0)


def _test_sets(data: Path | None, corrections: dict[str, list[dict]]) -> dict:
    """{(model name, set name): rows with text and label} to compare the models on."""
    sets: dict = {}
    held = {
        f: [r for r in rows if datasets.split(r["text"]) == "test"]
        for f, rows in corrections.items()
    }
    sets[("type", "agents' corrections, held out")] = held["type"]
    sets[("sentiment", "agents' corrections, held out")] = held["sentiment"]
    if data is not None:
        for source, name in (("airline", "airline tweets"), ("tweeteval", "TweetEval")):
            sets[("sentiment", name)] = [
                r
                for r in datasets.sentiment_rows(data)
                if r["source"] == source and datasets.split(r["text"]) == "test"
            ]
        sets[("sentiment", "UMSAB")] = [
            r for r in datasets.umsab_rows(data) if datasets.split(r["text"]) == "test"
        ]
        sets[("type", "complaints (support request or other)")] = [
            {"text": r["text"], "label": "support request" if r["complaint"] else "other"}
            for r in datasets.complaint_rows(data)
            if datasets.split(r["text"]) == "test"
            and (r["complaint"] or r["domain"].startswith("random"))
        ]
    return sets


class Command(BaseCommand):
    help = "Export agents' corrections of triage and retrain the models with them, with a report."

    def add_arguments(self, parser):
        parser.add_argument("--export", type=Path, help="write the corrections as JSON lines")
        parser.add_argument("--data", type=Path, help="the public labelled data (evaldata)")
        parser.add_argument(
            "--write", action="store_true", help="install the retrained models (then: make eval)"
        )

    def handle(self, *args, export=None, data=None, write=False, **options):
        rows = correction_rows()
        if export:
            with open(export, "w", encoding="utf-8") as f:
                for r in rows:
                    f.write(json.dumps(r, ensure_ascii=False) + "\n")
            self.stdout.write(f"{len(rows)} corrections written to {export}")
        tags = Counter(r["suggested"] for r in rows if r["field"] == CorrectionField.TAG)
        for tag, n in tags.most_common():
            self.stdout.write(
                f"tag “{tag}”: removed by an agent {n} time(s) after triage added it"
            )
        if data is None:
            if not export:
                raise CommandError("Give --export FILE, or --data EVALDATA to retrain.")
            return
        if not (data / "airline-tweets-dev.csv").exists():
            raise CommandError(f"No evaluation data in {data}.")
        labelled = {
            field: [
                {"text": r["text"], "label": r["chosen"].replace("_", " ")}
                for r in rows
                if r["field"] == field and r["text"].strip()
            ]
            for field in ("type", "sentiment")
        }
        added = {
            f: [r for r in v if datasets.split(r["text"]) == "train"] for f, v in labelled.items()
        }
        self.stdout.write(
            f"retraining with {len(added['type'])} type and {len(added['sentiment'])} sentiment "
            "corrections (those on the training side of the split)"
        )
        new = {}
        with tempfile.TemporaryDirectory() as scratch:
            for name, (texts, labels, weights) in train.training_sets(data).items():
                texts = texts + [r["text"] for r in added[name]]
                labels = labels + [r["label"] for r in added[name]]
                if weights is not None:
                    weights = weights + [1.0] * len(added[name])
                model = train.fit_model(name, texts, labels, weights)
                model.save(Path(scratch) / f"{name}.npz")
                new[name] = LinearModel.load(Path(scratch) / f"{name}.npz")
            self.stdout.write("| model | set | rows | macro-F1 now | macro-F1 retrained |")
            self.stdout.write("|---|---|---:|---:|---:|")
            for (name, set_name), items in _test_sets(data, labelled).items():
                before = _macro_f1(LinearModel.load(DATA_DIR / f"{name}.npz"), items)
                after = _macro_f1(new[name], items)
                self.stdout.write(
                    f"| {name} | {set_name} | {len(items)} | "
                    f"{'—' if before is None else f'{before:.3f}'} | "
                    f"{'—' if after is None else f'{after:.3f}'} |"
                )
            if write:
                for name in new:
                    (DATA_DIR / f"{name}.npz").write_bytes(
                        (Path(scratch) / f"{name}.npz").read_bytes()
                    )
                self.stdout.write(
                    "Installed the retrained models; run `make eval` to rewrite the figures."
                )
                heads = [name for name in new if encoder.has_head(name)]
                if heads:
                    # A head's blend weights were fitted against the linear model it sat beside.
                    self.stdout.write(
                        "The optional encoder's heads ("
                        + ", ".join(heads)
                        + ") were blended with the previous models: refit them with "
                        "`python -m socialdesk.triage.training.train --data <the public data> --encoder-only` "
                        "(the encoder extra installed)."
                    )
