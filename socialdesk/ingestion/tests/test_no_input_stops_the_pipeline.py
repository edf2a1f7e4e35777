"""Issue 9: whatever a platform sends, at worst that one message is set aside; other messages and
accounts go on. Each test is one case as it was reported, on SQLite and on PostgreSQL alike."""

import json

from socialdesk.actions.inbound import ingest
from socialdesk.brands.models import BrandAccount
from socialdesk.connectors.twitter import normalise_page
from socialdesk.conversations.models import Author, Message
from socialdesk.ingestion.models import PollState
from socialdesk.ingestion.tests.worker import poll_all

NAME_LENGTH = Author._meta.get_field("name").max_length


def mastodon_state():
    return PollState.objects.get(account__platform="mastodon", stream="notifications")


def test_a_250_character_display_name_is_cut_to_fit_and_the_poll_goes_on(
    demo, mastodon_sim, customer_toot, twitter_sim, customer_tweet
):
    # Combining marks around the cut: the name is cut before the letter they belong to.
    long_name = "N" * (NAME_LENGTH - 1) + "e\u0301" + "x" * 49
    customer_toot("@firefox_support my tabs are gone", display_name=long_name)
    customer_tweet("@FirefoxSupport sync is broken")
    poll_all()
    author = Author.objects.get(platform="mastodon")
    assert author.name == "N" * (NAME_LENGTH - 1)
    assert Message.objects.get(platform="mastodon").text == "@firefox_support my tabs are gone"
    assert mastodon_state().last_error == "" and mastodon_state().cursor
    # The accounts polled after Mastodon were polled too.
    assert Message.objects.filter(
        platform="twitter", text="@FirefoxSupport sync is broken"
    ).exists()


def test_a_nul_character_in_a_text_or_a_name_is_removed_and_the_message_stored(
    demo, mastodon_sim, customer_toot
):
    customer_toot("@firefox_support crash\x00 on start", display_name="Ana\x00Lima")
    poll_all()
    message = Message.objects.get(platform="mastodon")
    assert message.text == "@firefox_support crash on start"
    assert message.author.name == "AnaLima"
    assert "\\u0000" not in json.dumps(message.raw)
    assert mastodon_state().last_error == ""


def test_a_lone_surrogate_in_a_text_does_not_lose_the_page(demo):
    # JSON may escape half of a surrogate pair on its own; Python reads it as a lone surrogate.
    body = json.loads("""{"data": [
        {"id": "1900000000000000001", "author_id": "71", "text": "@FirefoxSupport broken \\ud800 emoji", "created_at": "2026-01-05T10:00:00Z",
         "entities": {"mentions": [{"id": "2142732", "username": "FirefoxSupport"}]}},
        {"id": "1900000000000000002", "author_id": "72", "text": "@FirefoxSupport bookmarks gone", "created_at": "2026-01-05T10:01:00Z",
         "entities": {"mentions": [{"id": "2142732", "username": "FirefoxSupport"}]}}],
      "includes": {"users": [{"id": "71", "username": "sur\\udc00rogate", "name": "S"}, {"id": "72", "username": "ok", "name": "O"}]}}""")
    result = ingest(normalise_page(body))
    assert result.stored == 2
    assert (
        Message.objects.get(platform_id="1900000000000000001").text
        == "@FirefoxSupport broken \ufffd emoji"
    )
    assert Author.objects.get(external_id="71").handle == "sur\ufffdrogate"
    assert ingest(normalise_page(body)).stored == 0


def test_an_account_that_fails_unexpectedly_does_not_stop_the_next_accounts_poll(
    demo, twitter_sim, customer_tweet
):
    # A malformed service account key (pasted by hand) made the Google Play client raise an error
    # of its own; Google Play is polled first, so no X account was polled at all.
    BrandAccount.objects.filter(platform="google_play").update(
        credentials={
            "service_account_info": {"type": "service_account", "client_email": "x@example.com"}
        }
    )
    customer_tweet("@FirefoxSupport my passwords are gone")
    poll_all()
    assert Message.objects.filter(platform="twitter").count() == 1
    failing = PollState.objects.get(account__platform="google_play")
    assert failing.last_error
