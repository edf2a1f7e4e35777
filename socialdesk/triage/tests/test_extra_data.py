"""Other public sentiment data (`make model EXTRADATA=folder`): optional, read from plain
tab-separated files, split by the same hash as the evaluation data."""

from pathlib import Path

import pytest

from socialdesk.triage.training import datasets, train

ROWS = [
    ("Harika bir hizmet, çok teşekkürler!", "positive", "tr", "example-tr"),
    ('İnternet yine "kesildi", rezalet', "negative", "tr", "example-tr"),
    ("Vanavond debat in de Kamer over de begroting", "neutral", "nl", "example-nl"),
]


def write(folder: Path, name: str, rows) -> None:
    lines = ["text\tlabel\tlang\tsource"] + ["\t".join(r) for r in rows]
    (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_no_folder_means_no_extra_rows():
    assert datasets.extra_sentiment_rows(None) == []


def test_every_tsv_in_the_folder_is_read_as_written_quotes_and_all(tmp_path):
    write(tmp_path, "b-nl.tsv", ROWS[2:])
    write(tmp_path, "a-tr.tsv", ROWS[:2])
    (tmp_path / "README.md").write_text("not data")
    rows = datasets.extra_sentiment_rows(tmp_path)
    assert [(r["text"], r["label"], r["lang"], r["source"]) for r in rows] == ROWS


def test_a_label_outside_the_three_is_refused_with_the_file_named(tmp_path):
    write(tmp_path, "odd.tsv", [("Fena değil", "mixed", "tr", "odd")])
    with pytest.raises(SystemExit, match="odd.tsv"):
        datasets.extra_sentiment_rows(tmp_path)


def test_an_empty_folder_says_what_it_expected(tmp_path):
    with pytest.raises(SystemExit, match=r"\*\.tsv"):
        datasets.extra_sentiment_rows(tmp_path)


def test_only_the_training_side_of_the_extra_rows_is_trained_on(tmp_path, monkeypatch):
    rows = [(f"Örnek tweet numara {'x' * i}", "positive", "tr", "ex") for i in range(60)]
    write(tmp_path, "tr.tsv", rows)
    # Without the evaluation data: only the seed set and the extra rows.
    monkeypatch.setattr(datasets, "sentiment_rows", lambda data: [])
    monkeypatch.setattr(datasets, "umsab_rows", lambda data: [])
    without, _, _ = train.sentiment_training_set(Path("unused"))
    texts, labels, weights = train.sentiment_training_set(Path("unused"), tmp_path)
    added = texts[len(without) :]
    assert added == [t for t, *_ in rows if datasets.split(t) == "train"]
    assert 0 < len(added) < len(rows)
    assert weights[len(without) :] == [train.EXTRA_WEIGHT] * len(added)


def test_building_the_folder_leaves_out_evaluation_texts_two_labels_and_repeats(
    tmp_path, monkeypatch
):
    from socialdesk.triage.training import extradata

    evaldata = tmp_path / "evaldata"
    evaldata.mkdir()
    (evaldata / "language-dev.jsonl").write_text('{"text": "Already Evaluated", "lang": "en"}\n')
    rows = [
        ("a  text", "positive"),
        ("A text", "negative"),  # the same text, normalised, with another label
        ("already evaluated", "neutral"),
        ("new\tone", "neutral"),
        ("new one", "neutral"),
    ]
    monkeypatch.setattr(extradata, "SETS", [("tr-x.tsv", "tr", "x", lambda clones: rows)])
    extradata.build(tmp_path / "clones", evaldata, tmp_path / "out")
    assert (tmp_path / "out" / "tr-x.tsv").read_text() == (
        "text\tlabel\tlang\tsource\nnew one\tneutral\ttr\tx\n"
    )
    (got,) = datasets.extra_sentiment_rows(tmp_path / "out")
    assert got == {"text": "new one", "label": "neutral", "lang": "tr", "source": "x"}
