"""The labelled data, read the same way for training and evaluation, with one deterministic split.

`split(text)` puts 30% of texts in "test" by a SHA-1 hash of the normalised text, so a text (and
its exact repeats) is on one side only, whatever the file order. Models are trained on "train"
rows only; `make eval` scores "test" rows only.
"""

import csv
import hashlib
import json
from pathlib import Path

from socialdesk.triage.textmodel import normalise

SEED_FILE = Path(__file__).resolve().parent / "seed_types.csv"
TEST_PERCENT = 30


def split(text: str) -> str:
    h = int(hashlib.sha1(normalise(text).encode("utf-8")).hexdigest()[:8], 16)
    return "test" if h % 100 < TEST_PERCENT else "train"


def _csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def seed_types() -> list[dict]:
    """Written by this project: {text, lang, type, sentiment}."""
    return _csv(SEED_FILE)


def sentiment_rows(data: Path) -> list[dict]:
    """{text, label, source, lang} from the two English sentiment sets."""
    rows = [
        {"text": r["text"], "label": r["airline_sentiment"], "source": "airline", "lang": "en"}
        for r in _csv(data / "airline-tweets-dev.csv")
    ]
    rows += [
        {"text": r["text"], "label": r["sentiment"], "source": "tweeteval", "lang": "en"}
        for r in _csv(data / "tweeteval-sentiment-dev.csv")
    ]
    return rows


def complaint_rows(data: Path) -> list[dict]:
    return [
        {"text": r["text"], "complaint": r["complaint"] == "1", "domain": r["domain"]}
        for r in _csv(data / "complaints-dev.csv")
    ]


def language_rows(data: Path) -> list[dict]:
    return _jsonl(data / "language-dev.jsonl")


def twituser_rows(data: Path) -> list[dict]:
    return _jsonl(data / "twituser-language-dev.jsonl")


def review_rows(data: Path) -> list[dict]:
    """Firefox for Android Play reviews with the volunteers' replies: {text, stars, lang, reply}."""
    rows = []
    for r in _csv(data / "firefox-play-reviews-dev.csv"):
        text = " ".join(x for x in (r["Review Title"].strip(), r["Review Text"].strip()) if x)
        if not text:
            continue
        rows.append(
            {
                "text": text,
                "stars": int(r["Star Rating"]) if r["Star Rating"].strip().isdigit() else None,
                "lang": r["Reviewer Language"].split("-")[0].lower(),
                "reply": r["Developer Reply Text"],
            }
        )
    return rows


EXTRA_LABELS = ("negative", "neutral", "positive")


def extra_sentiment_rows(folder: Path | None) -> list[dict]:
    """Sentiment rows from a folder of other public labelled data (`make model EXTRADATA=…`):
    every `*.tsv` directly in it, with a header `text label lang source`, tab-separated and
    unquoted, one text per line, label negative / neutral / positive. {text, label, lang, source}.
    None (no folder given) reads nothing, so everything works without it."""
    if folder is None:
        return []
    files = sorted(Path(folder).glob("*.tsv"))
    if not files:
        raise SystemExit(f"No *.tsv files in {folder} (EXTRADATA): see its README for the format.")
    rows = []
    for path in files:
        with open(path, encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                if r["label"] not in EXTRA_LABELS:
                    raise SystemExit(
                        f"{path.name}: label {r['label']!r} is not one of {EXTRA_LABELS}"
                    )
                rows.append(
                    {
                        "text": r["text"],
                        "label": r["label"],
                        "lang": r["lang"],
                        "source": r["source"],
                    }
                )
    return rows


def umsab_rows(data: Path) -> list[dict]:
    """UMSAB tweets (de, fr, es, pt, it): {text, label, lang}."""
    with open(data / "umsab-sentiment-dev.tsv", encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [{"text": r["text"], "label": r["sentiment"], "lang": r["lang"]} for r in reader]
