"""Triage's reasons are stored in English and shown in the reader's language: every template
reads back, values that are words of ours (a language, a type, a nested reason) are translated
with it, and what matches no template is shown as stored."""

import re

import pytest
from django.utils import translation
from django.utils.translation import gettext

from socialdesk.actions.inbound import ingest
from socialdesk.conversations.models import Conversation
from socialdesk.triage import classify, reasons
from socialdesk.triage.reasons import TEMPLATES, translate
from socialdesk.triage.tests.test_views import _text


def _filled(template: str) -> tuple[str, dict]:
    names = re.findall(r"%\((\w+)\)s", template)
    values = {name: f"Q{i}q" for i, name in enumerate(names)}
    return template % values, values


@pytest.mark.parametrize("template", sorted(set(TEMPLATES)))
def test_every_template_reads_back_in_german(template):
    stored, values = _filled(template)
    with translation.override("de"):
        german = gettext(template)
        assert german != template or not re.search(r"[a-z]{3}", template), "not translated"
        assert translate(stored) == german % values


def test_english_is_shown_as_stored_and_unknown_sentences_as_they_are():
    stored = reasons.RULE % {"rule": "Sync", "conditions": "mentions “sync”"}
    with translation.override("en"):
        assert translate(stored) == stored
    with translation.override("de"):
        assert translate("a reason from an older release") == "a reason from an older release"


def test_languages_types_and_nested_reasons_are_translated_with_the_sentence():
    reason = classify.detect_language("Mein Browser stürzt ständig ab seit dem Update", "de")[2]
    assert reason == "the text reads as German, and the platform says so too"
    differs = reasons.HINT_DIFFERS % {
        "source": reasons.THE_AUTHORS_APP,
        "language": "French",
        "detected": "German",
    }
    rule = reasons.TYPE_GUESS % {
        "why": reasons.RULE
        % {
            "rule": "Fan love",
            "conditions": ", ".join(
                [
                    reasons.TYPE_IS % {"type": "compliment"},
                    reasons.LANGUAGE_IS % {"language": "German"},
                ]
            ),
        }
    }
    with translation.override("de"):
        assert (
            translate(reason) == "der Text liest sich als Deutsch, und die Plattform sagt das auch"
        )
        assert translate(differs) == (
            "die App der Person sagt Französisch; der Text liest sich eher wie Deutsch"
        )
        assert translate(rule) == (
            "Regel „Fan love“: Typ ist Kompliment, Sprache ist Deutsch — aber der Typ ist nur "
            "eine Vermutung"
        )
        spam = "; ".join([reasons.LINKS, reasons.SPAM_PHRASE % {"phrase": "free followers"}])
        assert translate(spam) == "drei oder mehr Links; Spam-Phrase „free followers“"


def test_a_german_contributor_reads_the_triage_panel_in_german(client, contributor, demo, inbound):
    ingest([inbound("Firefox keeps crashing since the update, help")])
    c = Conversation.objects.get()
    client.force_login(contributor)
    english = client.get(f"/c/{c.pk}/").content.decode()
    assert "describes a problem or asks for help: words like “keeps crashing”" in english
    # The request activates German for this thread; the block puts the language back after it.
    with translation.override(None):
        page = client.get(f"/c/{c.pk}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "beschreibt ein Problem oder bittet um Hilfe: Wörter wie “keeps crashing”" in page
    assert "Sprache: Englisch" in _text(page)
    assert "der Text liest sich als Englisch, und die Plattform sagt das auch" in page
    assert "describes a problem" not in page
