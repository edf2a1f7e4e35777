"""Agents' corrections are recorded and retrain the models with one command, with a report."""

import csv
import io
import json

from django.core.management import call_command

from socialdesk.actions import conversation as actions
from socialdesk.actions.inbound import ingest
from socialdesk.actions.triage import confirm_or_correct
from socialdesk.conversations.models import Conversation
from socialdesk.triage import encoder
from socialdesk.triage.management.commands import triage_retrain
from socialdesk.triage.models import TriageCorrection
from socialdesk.triage.textmodel import DATA_DIR


def _write(path, header, rows, delimiter=","):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter=delimiter)
        w.writerow(header)
        w.writerows(rows)


def _tiny_evaldata(folder):
    """A few real-looking rows in the evaldata files' own columns: enough to fit a model."""
    neg = ["my flight was delayed again", "lost my bag, awful service", "worst airline ever"]
    pos = ["great crew, thank you", "lovely flight, thanks", "best service today"]
    neu = ["what time does boarding start", "flight 123 to Boston", "is wifi on board"]
    rows = [(t, "negative") for t in neg] + [(t, "positive") for t in pos]
    rows += [(t, "neutral") for t in neu]
    _write(folder / "airline-tweets-dev.csv", ["text", "airline_sentiment"], rows * 4)
    _write(folder / "tweeteval-sentiment-dev.csv", ["text", "sentiment"], rows * 4)
    umsab = [("de", lab, f"{t} heute") for t, lab in rows]
    _write(folder / "umsab-sentiment-dev.tsv", ["lang", "sentiment", "text"], umsab, "\t")
    complaints = [(t, "1", "software") for t in neg * 3] + [
        (t, "0", "random_tweet") for t in (pos + neu) * 3
    ]
    _write(folder / "complaints-dev.csv", ["text", "complaint", "domain"], complaints)
    _write(
        folder / "firefox-play-reviews-dev.csv",
        [
            "Star Rating",
            "Reviewer Language",
            "Review Title",
            "Review Text",
            "Developer Reply Text",
        ],
        [("1", "en", "", "Firefox keeps crashing", "Sometimes add-ons crash Firefox.")],
    )


def test_a_removed_triage_tag_is_recorded_as_a_correction(demo, inbound, contributor):
    ingest([inbound("Firefox keeps crashing when I open my bookmarks")])
    c = Conversation.objects.get()
    added = {t.name for t in c.tags.all()}
    assert "Bookmarks" in added
    actions.remove_tag(actor=contributor, conversation=c, tag="Bookmarks")
    correction = TriageCorrection.objects.get(field="tag")
    assert (correction.suggested, correction.chosen) == ("Bookmarks", "")
    # A tag an agent added by hand and removed again is no correction of triage.
    actions.add_tag(actor=contributor, conversation=c, tag="Sync")
    actions.remove_tag(actor=contributor, conversation=c, tag="Sync")
    assert TriageCorrection.objects.filter(field="tag").count() == 1


def test_the_command_exports_and_retrains_with_a_report(
    demo, inbound, contributor, tmp_path, monkeypatch
):
    ingest(
        [
            inbound("Firefox s'est fermé trois fois ce matin", author_id="a1"),
            inbound("Das neue Design ist richtig gut geworden", author_id="a2"),
        ]
    )
    first, second = Conversation.objects.order_by("id")
    confirm_or_correct(actor=contributor, conversation=first, field="sentiment", chosen="negative")
    confirm_or_correct(actor=contributor, conversation=second, field="type", chosen="compliment")
    actions.remove_tag(actor=contributor, conversation=first, tag="Crash")
    export = tmp_path / "corrections.jsonl"
    out = io.StringIO()
    call_command("triage_retrain", export=export, stdout=out)
    lines = [json.loads(x) for x in export.read_text().splitlines()]
    assert {(x["field"], x["chosen"]) for x in lines} >= {
        ("sentiment", "negative"),
        ("type", "compliment"),
    }
    assert any("Das neue Design" in x["text"] for x in lines)
    data = tmp_path / "evaldata"
    data.mkdir()
    _tiny_evaldata(data)
    # --write installs into a copy of the models' folder, beside a sentiment head of the encoder.
    models = tmp_path / "models"
    models.mkdir()
    for name in ("type", "sentiment"):
        (models / f"{name}.npz").write_bytes(
            (triage_retrain.DATA_DIR / f"{name}.npz").read_bytes()
        )
    (models / "sentiment-encoder.npz").write_bytes(b"a head")
    monkeypatch.setattr(triage_retrain, "DATA_DIR", models)
    monkeypatch.setattr(encoder, "DATA_DIR", models)
    out = io.StringIO()
    call_command("triage_retrain", data=data, write=True, stdout=out)
    report = out.getvalue()
    for name in ("type", "sentiment"):  # the retrained models replaced the copies
        new = (models / f"{name}.npz").read_bytes()
        assert new != (DATA_DIR / f"{name}.npz").read_bytes()
    assert "heads (sentiment) were blended with the previous models" in report
    assert "retraining with" in report and "| model | set |" in report
    assert "| sentiment | airline tweets |" in report and "| type | complaints" in report
