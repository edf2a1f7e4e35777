"""`socialdesk triage FILE`: one output line per input line; a bad line gets its own message."""

import io
import json

from django.core.management import call_command
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from socialdesk.triage.classify import TriageConfig
from socialdesk.triage.management.commands.triage import MAX_LINE, run

KEYS = {
    "id",
    "type",
    "type_confidence",
    "type_band",
    "language",
    "language_confidence",
    "language_band",
    "sentiment",
    "sentiment_confidence",
    "sentiment_band",
    "tags",
    "suggested_tags",
    "signals",
}
TYPES = {"support request", "feedback", "feature request", "compliment", "app roundup", "other"}

good = st.builds(
    lambda i, t: json.dumps({"id": i, "text": t}),
    st.integers(),
    st.text(min_size=1).filter(str.strip),
)
bad = st.one_of(
    st.text().filter(lambda s: s.strip() and "\n" not in s and "\r" not in s),  # mostly not JSON
    st.builds(lambda i: json.dumps({"id": i}), st.integers()),  # no text
    st.builds(lambda i: json.dumps({"id": i, "text": 5}), st.integers()),  # text not a string
    st.just("[1, 2, 3]"),
    st.just('{"id": 1, "text": "hi", "author": {"followers": "many"}}'),
)


def _single_lines(s: str) -> str:
    return (
        s.replace("\n", " ")
        .replace("\r", " ")
        .replace("\u2028", " ")
        .replace("\u2029", " ")
        .replace("\x0b", " ")
        .replace("\x0c", " ")
        .replace("\x1c", " ")
        .replace("\x1d", " ")
        .replace("\x1e", " ")
        .replace("\x85", " ")
    )


@hsettings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(good, bad).map(_single_lines), max_size=12))
def test_every_line_gets_one_answer_and_bad_lines_do_not_stop_the_rest(lines):
    out = io.StringIO()
    ok, errors = run([line + "\n" for line in lines], out, TriageConfig())
    answers = [json.loads(a) for a in out.getvalue().splitlines()]
    assert len(answers) == ok + errors == sum(1 for line in lines if line.strip())
    for a in answers:
        if "error" in a:
            assert a["error"].startswith(f"line {a['line']}:")
        else:
            assert (
                set(a) == KEYS
                and a["type"] in TYPES
                and a["sentiment"] in {"positive", "neutral", "negative"}
            )
            # The band is the one the act threshold gives: the same words as on the conversation page.
            for f in ("type", "sentiment", "language"):
                assert a[f"{f}_band"] == ("confident" if a[f"{f}_confidence"] >= 0.8 else "unsure")


def test_a_file_with_bad_lines_is_still_processed(tmp_path, capsys, db):
    f = tmp_path / "in.jsonl"
    f.write_text(
        "\n".join(
            [
                json.dumps(
                    {
                        "id": "a",
                        "text": "please add vertical tabs",
                        "author": {"followers": 300000, "verified": False},
                    }
                ),
                "{not json",
                json.dumps({"id": "c"}),
                json.dumps({"id": "d", "text": "x" * (MAX_LINE + 1)}),
                json.dumps({"id": "e", "text": "Meine Lesezeichen sind weg, Hilfe!"}),
            ]
        )
        + "\n"
    )
    call_command("triage", str(f))
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o.get("id") for o in out] == ["a", None, "c", None, "e"]
    assert out[0]["type"] == "feature request" and "Internet celebrity" in out[0]["tags"]
    assert "not valid JSON" in out[1]["error"]
    assert '"text" is missing' in out[2]["error"]
    assert "longer than" in out[3]["error"]
    assert (out[4]["language"], out[4]["type"]) == ("de", "support request")


def test_a_missing_file_is_a_clear_error(db):
    import pytest
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="Cannot read"):
        call_command("triage", "/nonexistent/input.jsonl")


def test_a_huge_line_is_cut_not_read_whole_and_the_next_line_still_counts():
    from socialdesk.triage.management.commands.triage import bounded_lines

    source = io.StringIO("x" * 25 + "\n" + '{"id": 2}\n')
    assert [len(line) for line in bounded_lines(source, limit=10)] == [11, 10]
