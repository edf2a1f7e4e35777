"""Person-written patterns run in linear time; what the engine refuses is refused clearly and never saved."""

import faulthandler
import json
import logging

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import gettext
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from socialdesk.actions.inbound import ingest
from socialdesk.conversations.models import Conversation
from socialdesk.people.models import Profile
from socialdesk.triage import patterns
from socialdesk.triage.classify import TagRuleSpec, TriageConfig, TriageInput, classify
from socialdesk.triage.models import TagRule

# On a backtracking engine `(a+)+$` against n a's and a b takes about 2ⁿ steps: hours from n ≈ 40,
# so these tests finish only on a linear engine; no clock is read (how fast is bench/patterns.py's).
CATASTROPHIC = "(a+)+$"


@pytest.fixture
def watchdog():
    """If a regression brings backtracking back, end the run with a traceback instead of hanging it:
    a regex match holds the interpreter, so only this C-level timer can still fire. Not a timing:
    the linear engine needs milliseconds, a backtracking one longer than the universe has."""
    faulthandler.dump_traceback_later(120, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


def test_person_written_patterns_run_on_re2():
    """RE2 never backtracks (its time is linear in the text): the catastrophic pattern is compiled
    by it, not by Python's `re`, and finds what it should."""
    compiled = patterns.compile_pattern(CATASTROPHIC)
    assert type(compiled).__module__.split(".")[0] == "re2"
    assert patterns.search(CATASTROPHIC, "baaaa").group(0) == "aaaa"


def test_a_catastrophic_pattern_finishes_on_every_new_message(watchdog):
    rule = TagRuleSpec(tag="A", name="As", regex=CATASTROPHIC)
    text = "a" * 100_000 + "b"
    result = classify(TriageInput(text), TriageConfig(tag_rules=(rule,)))
    assert rule.matches(TriageInput(text), type="", language="") is None
    assert result.tags == []
    # It still matches where it should.
    assert (
        rule.matches(TriageInput("aaaa"), type="", language="")
        == "rule “As”: matches /(a+)+$/ (“aaaa”)"
    )


def test_a_catastrophic_pattern_is_accepted_and_previews(client, agents, demo, inbound, watchdog):
    ingest([inbound("a" * 5_000 + "b"), inbound("a" * 60)])
    client.force_login(agents["cm"])
    tag = TagRule.objects.first().tag
    page = client.post(
        "/triage/rules/",
        {"name": "As", "tag": tag.pk, "regex": CATASTROPHIC, "preview": "1", "active": "on"},
    ).content.decode()
    assert "Preview: 1 open conversation would be tagged" in page


@pytest.mark.parametrize(
    "pattern, says",
    [
        (r"(crash)\s+\1", "This pattern uses a backreference (\\1), which is not supported;"),
        (
            r"(?<!no )crash",
            "This pattern uses a lookahead or lookbehind ((?&lt;!), which is not supported;",
        ),
        (
            r"crash(?=es)",
            "This pattern uses a lookahead or lookbehind ((?=), which is not supported;",
        ),
        (r"(?>a+)b", "This pattern uses an atomic group or possessive repetition"),
        (r"\bçöküyor", "This pattern puts \\b beside “ç”"),
        (
            "(unclosed",
            "This regular expression does not compile (the engine says: missing ): (unclosed).",
        ),
    ],
)
def test_the_rule_form_refuses_what_the_engine_will_not_run_and_says_why(
    client, agents, demo, pattern, says
):
    client.force_login(agents["cm"])
    tag = TagRule.objects.first().tag
    for button in ("save", "preview"):
        r = client.post(
            "/triage/rules/",
            {"name": "Refused", "tag": tag.pk, "regex": pattern, button: "1", "active": "on"},
        )
        assert r.status_code == 200 and says in r.content.decode()
    assert not TagRule.objects.filter(name="Refused").exists()


def test_the_refusal_is_explained_in_the_language_of_whoever_reads_it(client, agents, demo):
    with pytest.raises(patterns.PatternError, match="backreference"):
        patterns.check(r"(crash)\s+\1")
    # The same pattern again (the engine's answer is cached, its explanation is not).
    Profile.objects.filter(user=agents["cm"]).update(language="de")
    client.force_login(agents["cm"])
    tag = TagRule.objects.first().tag
    try:
        page = client.post(
            "/triage/rules/",
            {"name": "Refused", "tag": tag.pk, "regex": r"(crash)\s+\1", "save": "1"},
        ).content.decode()
        with translation.override("de"):
            german = gettext(
                "This pattern uses a backreference (%(what)s), which is not supported; rules run on an engine that never backtracks, "
                "so a pattern cannot refer back to what an earlier group matched. Spell out the alternatives instead, e.g. (crash|crashes)."
            ) % {"what": "\\1"}
            help_text = str(patterns.SYNTAX_HELP)
    finally:
        translation.activate("en")
    assert "backreference" not in german and german.split(" (")[0] in page
    assert "\\1" in german
    assert help_text != str(patterns.SYNTAX_HELP)
    assert not TagRule.objects.filter(name="Refused").exists()


def test_the_admin_path_checks_the_pattern_too(demo):
    tag = TagRule.objects.first().tag
    with pytest.raises(ValidationError, match="backreference"):
        TagRule(name="Backref", tag=tag, regex=r"(a)\1").full_clean()
    TagRule(name="Fine", tag=tag, regex=r"crash(es|ed)?").full_clean()


def test_patterns_ignore_case_and_read_any_alphabet():
    rule = TagRuleSpec(tag="Crash", name="Crash", regex=r"stürzt\p{L}*|çöküyor")
    assert (
        rule.matches(TriageInput("Firefox STÜRZT ständig ab"), type="", language="")
        == "rule “Crash”: matches /stürzt\\p{L}*|çöküyor/ (“STÜRZT”)"
    )
    assert rule.matches(TriageInput("Firefox sürekli çöküyor"), type="", language="").endswith(
        "(“çöküyor”)"
    )


def test_a_saved_rule_that_no_longer_compiles_is_skipped_reported_and_never_stops_ingestion(
    client, agents, demo, inbound, caplog, capsys, tmp_path
):
    tag = TagRule.objects.first().tag
    # Saved when rules ran on Python's engine (or straight into the database): a lookbehind.
    TagRule.objects.create(name="Old lookbehind", tag=tag, regex=r"(?<!no )crash")
    with caplog.at_level(logging.WARNING, logger="socialdesk.triage.services"):
        ingest([inbound("Firefox crashes every time I open a tab")])
    c = Conversation.objects.get()
    assert "Crash" in {t.name for t in c.tags.all()}  # the other rules still ran
    assert "Old lookbehind" in caplog.text and "lookahead or lookbehind" in caplog.text
    client.force_login(agents["cm"])
    page = client.get("/triage/rules/").content.decode()
    assert "Skipped: This pattern uses a lookahead or lookbehind" in page
    f = tmp_path / "in.jsonl"
    f.write_text(json.dumps({"id": 1, "text": "Firefox crashes"}) + "\n")
    call_command("triage", str(f))
    assert (
        "tag rule “Old lookbehind” is skipped: This pattern uses a lookahead or lookbehind"
        in capsys.readouterr().err
    )


# Any code point, lone surrogates included: a JSON string from a platform may hold one.
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=200)


@hsettings(max_examples=200, deadline=None)
@given(pattern=st.text(st.characters(exclude_categories=()), max_size=40), text=ANY_TEXT)
def test_any_pattern_is_either_accepted_and_runs_or_refused_with_a_message(pattern, text):
    try:
        patterns.check(pattern)
    except patterns.PatternError as exc:
        assert exc.message.startswith("This ") and exc.message.endswith(".")
        return
    patterns.search(pattern, text)


@hsettings(max_examples=100, deadline=None)
@given(text=ANY_TEXT)
def test_a_pattern_rule_reads_any_text_a_platform_sends(text):
    rule = TagRuleSpec(tag="Crash", name="Crash", regex=r"crash\p{L}*")
    assert rule.matches(TriageInput(text + " crashes"), type="", language="") is not None


def test_a_refused_pattern_is_the_only_complaint_and_the_syntax_help_reads_whole(
    client, agents, demo
):
    client.force_login(agents["cm"])
    tag = TagRule.objects.first().tag
    page = client.post(
        "/triage/rules/", {"name": "Backref", "tag": tag.pk, "regex": r"(crash)\s+\1", "save": "1"}
    ).content.decode()
    assert "backreference" in page and "Give at least one condition" not in page
    # The help is text, not markup: all of it reaches the page.
    assert (
        "lookaheads or lookbehinds (?=…)." in page and "\\p{L} is a letter in any alphabet" in page
    )
    page = client.post(
        "/triage/rules/", {"name": "Empty", "tag": tag.pk, "save": "1"}
    ).content.decode()
    assert page.count("Give at least one condition") == 1
