"""A platform call's failure is stored in English and shown in the reader's language, with what
the platform said itself kept as it came (connectors.messages)."""

import re

import pytest
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext

from socialdesk.brands.models import BrandAccount
from socialdesk.connectors import messages
from socialdesk.ingestion.models import PollState
from socialdesk.people.models import Profile

PLATFORM_WORDS = "Rate limit exceeded for /2/users/:id/mentions"


@pytest.fixture(autouse=True)
def _english_afterwards():
    yield
    translation.activate("en")


@pytest.mark.parametrize("template", messages.TEMPLATES)
def test_every_stored_message_reads_back_into_its_template(template):
    names = re.findall(r"%\((\w+)\)s", template)
    known = {"platform": "Mastodon", "status": "503", "kind": "KeyError"}
    values = {name: known.get(name, f"v{i}-{name}") for i, name in enumerate(names)}
    stored = template % values
    with translation.override("de"):
        shown = messages.translate(stored)
        expected = gettext(template) % values
    assert shown == expected
    if re.sub(r"%\(\w+\)s|\W", "", template):  # it has words of its own to translate
        assert expected != template % values, f"{template!r} is not translated into German"
    for value in values.values():
        assert value in shown


def test_a_sentence_of_another_kind_is_not_read_as_a_platforms_answer():
    stored = (
        "X did not say who wrote this tweet (no author_id); asking X for it again failed "
        "(X answered 404: No recorded exchange)."
    )
    with translation.override("de"):
        assert messages.translate(stored) == stored


def test_what_matches_no_template_is_shown_as_it_was_stored():
    with translation.override("de"):
        assert messages.translate("Something a platform said") == "Something a platform said"
        assert messages.translate("") == ""


def test_a_german_admin_reads_the_health_page_in_german_with_the_platforms_words_as_they_came(
    agents,
):
    account = BrandAccount.objects.filter(platform="twitter").first()
    stored = messages.ANSWERED % {"platform": "X", "status": 429, "detail": PLATFORM_WORDS}
    PollState.objects.create(
        account=account, stream="mentions", last_error=stored, last_polled_at=timezone.now()
    )
    # A reason inside another: the account's refusal inside why its replies wait.
    BrandAccount.objects.filter(pk=account.pk).update(
        credentials_failed_at=timezone.now(), credentials_error=messages.X_REFUSED
    )
    Profile.objects.filter(user=agents["admin"]).update(language="de")
    client = Client()
    client.force_login(agents["admin"])
    page = client.get("/manage/health/").content.decode()
    with translation.override("de"):
        answered = gettext(messages.ANSWERED) % {
            "platform": "X",
            "status": 429,
            "detail": PLATFORM_WORDS,
        }
        refused = gettext(messages.X_REFUSED)
    assert answered != stored and answered in page
    assert refused in page
    # The English stays what the logs, the API and the metrics read.
    assert PollState.objects.get(stream="mentions").last_error == stored


@pytest.mark.parametrize(
    ("stored", "german"),
    [
        ("twitter cannot like a message.", "twitter kann keine Nachricht liken."),
        (
            "ValueError: X sent a tweet without an id",
            "ValueError: X hat einen Tweet ohne ID gesendet",
        ),
        ("It has no platform id.", "Sie hat keine Plattform-ID."),
        (
            "Its author id is 300 characters long; at most 255 can be stored.",
            "Ihre Autor-ID ist 300 Zeichen lang; höchstens 255 können gespeichert werden.",
        ),
        (
            "Its platform ('myspace') is not one we know.",
            "Ihre Plattform ('myspace') kennen wir nicht.",
        ),
        (
            "Some platform's own words: nothing of ours",
            "Some platform's own words: nothing of ours",
        ),
    ],
)
def test_why_a_message_was_set_aside_or_an_action_failed_reads_in_german(stored, german):
    from django.utils import translation

    from socialdesk.connectors.messages import translate

    with translation.override("de"):
        assert translate(stored) == german
    assert translate(stored) == stored, "English as stored"
