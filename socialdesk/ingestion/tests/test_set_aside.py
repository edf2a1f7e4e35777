"""A message that cannot be stored is set aside: kept once, shown, retried or dismissed by a
community manager; one stream's or account's failure never stops another's poll (issue 9)."""

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import OperationalError
from django.test import Client

from socialdesk.actions import inbound as services
from socialdesk.actions.inbound import ingest
from socialdesk.connectors import twitter
from socialdesk.connectors.twitter import TwitterConnector, read_page
from socialdesk.conversations.models import Message
from socialdesk.ingestion import set_aside
from socialdesk.ingestion.models import PollState, Resolution, SetAsideMessage
from socialdesk.ingestion.tests.worker import poll_all


def waiting():
    return SetAsideMessage.objects.filter(resolved_at__isnull=True)


def break_on(monkeypatch, word: str):
    """A bug of ours that only some messages hit: storing them raises after the message row was
    written, so the savepoint has something to roll back."""
    real = services.apply_metadata

    def failing(*, conversation, message, msg):
        if word in msg.text:
            raise RuntimeError(f"cannot handle {word!r}")
        return real(conversation=conversation, message=message, msg=msg)

    monkeypatch.setattr(services, "apply_metadata", failing)


def test_a_message_that_fails_is_set_aside_the_rest_is_stored_and_the_cursor_moves(
    demo, twitter_sim, customer_tweet, monkeypatch
):
    break_on(monkeypatch, "boom")
    customer_tweet("@FirefoxSupport bookmarks gone", username="ana")
    bad = customer_tweet("@FirefoxSupport boom goes the toolbar", username="ben")["data"]
    customer_tweet("@FirefoxSupport sync broken", username="cy")
    result = poll_all()
    assert (result.stored, result.set_aside) == (2, 1)
    kept = waiting().get()
    assert (kept.platform, kept.platform_id, kept.key, kept.author) == (
        "twitter",
        bad["id"],
        bad["id"],
        "ben",
    )
    assert kept.error == "RuntimeError: cannot handle 'boom'"
    assert kept.text == "@FirefoxSupport boom goes the toolbar" and kept.stream == "mentions"
    assert json.loads(kept.payload)["tweet"]["id"] == bad["id"]  # kept as received
    assert not Message.objects.filter(
        platform_id=bad["id"]
    ).exists()  # the savepoint was rolled back
    state = PollState.objects.get(account__handle="FirefoxSupport", stream="mentions")
    assert state.last_error == "" and state.cursor == str(
        max(int(bad["id"]), *(int(m.platform_id) for m in Message.objects.all()))
    )
    assert poll_all().stored == 0 and SetAsideMessage.objects.count() == 1


def test_a_set_aside_message_sent_again_stays_one_row_until_a_cm_retries_it(
    demo, inbound, agents, monkeypatch
):
    break_on(monkeypatch, "boom")
    page = [inbound("boom"), inbound("fine")]
    first = ingest(page)
    again = ingest(page)
    assert (first.stored, first.set_aside, again.stored, again.duplicates, again.set_aside) == (
        1,
        1,
        0,
        1,
        1,
    )
    kept = waiting().get()
    assert kept.attempts == 1 and kept.last_seen_at > kept.first_seen_at

    # Still broken: the retry fails, counted, with the error, and the message stays.
    outcome = set_aside.retry(kept.pk, actor=agents["cm"])
    assert (outcome.resolution, outcome.error) == ("", "RuntimeError: cannot handle 'boom'")
    kept.refresh_from_db()
    assert (kept.attempts, kept.resolved_at) == (2, None)

    monkeypatch.undo()  # the fix is deployed
    outcome = set_aside.retry(kept.pk, actor=agents["cm"])
    kept.refresh_from_db()
    assert (outcome.resolution, kept.resolution, kept.resolved_by) == (
        Resolution.STORED,
        Resolution.STORED,
        agents["cm"],
    )
    assert (
        kept.message.text.endswith("boom")
        and outcome.conversation_id == kept.message.conversation_id
    )
    assert [(h["action"], h["by"]) for h in kept.history] == [("retry", "cm"), ("retry", "cm")]
    assert Message.objects.filter(platform_id=page[0].platform_id).count() == 1
    assert ingest(page).stored == 0 and not waiting().exists()


def test_an_id_no_column_can_hold_is_set_aside_once_and_dismissed_with_a_reason(
    demo, inbound, agents
):
    too_long = inbound("my tabs are gone", platform_id="9" * 250)
    assert ingest([too_long, inbound("fine")]).set_aside == 1
    assert ingest([too_long]).set_aside == 1
    kept = waiting().get()
    assert kept.key.startswith("sha256:") and kept.platform_id == "9" * 200
    assert kept.error == "Its platform id is 250 characters long; at most 200 can be stored."
    assert set_aside.retry(kept.pk, actor=agents["cm"]).error == kept.error
    with pytest.raises(set_aside.SetAsideError, match="Say why"):
        set_aside.dismiss(kept.pk, actor=agents["cm"], reason=" \x00 ")
    set_aside.dismiss(
        kept.pk, actor=agents["cm"], reason="A test post from the platform's sandbox"
    )
    kept.refresh_from_db()
    assert (kept.resolution, kept.reason, kept.attempts) == (
        Resolution.DISMISSED,
        "A test post from the platform's sandbox",
        2,
    )
    assert [h["action"] for h in kept.history] == ["retry", "dismiss"]
    # Sent again after it was dismissed: it stays dismissed.
    ingest([too_long])
    assert not waiting().exists() and SetAsideMessage.objects.count() == 1
    with pytest.raises(set_aside.SetAsideError, match="handled already"):
        set_aside.retry(kept.pk, actor=agents["cm"])


def test_only_community_managers_retry_or_dismiss(demo, inbound, agents):
    ingest([replace(inbound(), platform_id="")])
    kept = waiting().get()
    for name in ("contributor", "moderator"):
        with pytest.raises(PermissionDenied):
            set_aside.retry(kept.pk, actor=agents[name])
        with pytest.raises(PermissionDenied):
            set_aside.dismiss(kept.pk, actor=agents[name], reason="spam")
    assert waiting().get().attempts == 1


def tweet_page(*tweets):
    return {
        "data": [
            {
                "author_id": "71",
                "entities": {"mentions": [{"id": "2142732", "username": "FirefoxSupport"}]},
                **t,
            }
            for t in tweets
        ],
        "includes": {"users": [{"id": "71", "username": "ana", "name": "Ana"}]},
    }


def test_a_tweet_the_connector_cannot_read_is_kept_raw_and_read_again_on_retry(
    demo, agents, monkeypatch
):
    # An id from before Snowflake carries no time, and "last Tuesday" is none the connector reads.
    body = tweet_page(
        {"id": "20", "text": "@FirefoxSupport crash", "created_at": "last Tuesday"},
        {
            "id": "1900000000000000012",
            "text": "@FirefoxSupport sync",
            "created_at": "2026-01-05T10:00:00Z",
        },
    )
    messages, unreadable = read_page(body)
    assert [m.platform_id for m in messages] == ["1900000000000000012"]
    assert [(u.platform, u.platform_id) for u in unreadable] == [("twitter", "20")]
    result = ingest(messages, unreadable=unreadable)
    assert (result.stored, result.set_aside) == (1, 1)
    kept = waiting().get()
    assert kept.normalised == "" and kept.error.startswith(
        "The connector could not read it: ValueError"
    )
    assert set_aside.retry(kept.pk, actor=agents["cm"]).error.startswith(
        "It still cannot be read: ValueError"
    )

    # The connector learns to read such times; the retry reads the payload again.
    real = twitter._parse_time
    tuesday = datetime(2026, 1, 6, tzinfo=UTC)
    monkeypatch.setattr(
        twitter, "_parse_time", lambda value: tuesday if value == "last Tuesday" else real(value)
    )
    assert set_aside.retry(kept.pk, actor=agents["cm"]).resolution == Resolution.STORED
    assert Message.objects.get(platform_id="20").text == "@FirefoxSupport crash"


def test_a_stream_that_fails_unexpectedly_does_not_stop_the_other_streams(
    demo, twitter_sim, customer_tweet, monkeypatch
):
    real = TwitterConnector.fetch_mentions

    def broken(self, *, cursor):
        if self.account.handle == "FirefoxSupport":
            raise KeyError("a bug of ours")
        return real(self, cursor=cursor)

    monkeypatch.setattr(TwitterConnector, "fetch_mentions", broken)
    customer_tweet(
        "my firefox crash again, nothing helps", username="dee"
    )  # found by the search '"firefox crash"'
    customer_tweet("@mozilla_germany Firefox startet nicht", username="eva", lang="de")
    poll_all()
    assert {m.author.handle for m in Message.objects.all()} == {"dee", "eva"}
    failed = PollState.objects.get(account__handle="FirefoxSupport", stream="mentions")
    assert (
        failed.last_error == "Unexpected error: KeyError: 'a bug of ours'" and failed.cursor == ""
    )


def test_an_account_whose_connector_fails_unexpectedly_does_not_stop_the_others(
    demo, twitter_sim, customer_tweet, monkeypatch
):
    from socialdesk.connectors import google_play

    def broken(*args, **kwargs):
        raise RuntimeError("the client library changed")

    monkeypatch.setattr(google_play, "make_service", broken)
    customer_tweet("@FirefoxSupport passwords gone")
    poll_all()
    assert Message.objects.filter(platform="twitter").count() == 1
    state = PollState.objects.get(account__platform="google_play", stream="connector")
    assert state.last_error == "Unexpected error: RuntimeError: the client library changed"
    monkeypatch.undo()
    poll_all()  # set up again: the old set-up error is no longer shown
    assert (
        PollState.objects.get(account__platform="google_play", stream="connector").last_error == ""
    )


def test_a_page_that_cannot_be_stored_nor_kept_leaves_the_cursor_where_it_was(
    demo, twitter_sim, customer_tweet, monkeypatch
):
    from socialdesk.ingestion import polling

    def database_gone(*args, **kwargs):
        raise OperationalError("the database is locked")

    customer_tweet("@FirefoxSupport bookmarks gone")
    monkeypatch.setattr(polling, "ingest", database_gone)
    poll_all()
    state = PollState.objects.get(account__handle="FirefoxSupport", stream="mentions")
    assert (state.cursor, state.last_error) == (
        "",
        "Unexpected error: OperationalError: the database is locked",
    )
    monkeypatch.undo()
    assert poll_all().stored == 1  # read again, nothing lost


def test_a_transient_database_error_is_not_a_reason_to_set_a_message_aside(
    demo, inbound, monkeypatch
):
    def locked(*, conversation, message, msg):
        raise OperationalError("database is locked")

    monkeypatch.setattr(services, "apply_metadata", locked)
    with pytest.raises(OperationalError):
        ingest([inbound()])
    assert not SetAsideMessage.objects.exists() and not Message.objects.exists()


# --- The pages ---------------------------------------------------------------------------------


@pytest.fixture
def kept(demo, inbound):
    ingest([replace(inbound("<script>alert(1)</script> my tabs"), platform_id="")])
    return waiting().get()


def test_the_health_page_counts_set_aside_messages_and_links_to_them(client, agents, kept):
    client.force_login(agents["admin"])
    page = client.get("/manage/health/").content.decode()
    assert "1 message could not be stored" in page and 'href="/manage/set-aside/"' in page


def test_the_set_aside_page_shows_the_message_escaped_with_its_error(client, agents, kept):
    client.force_login(agents["cm"])
    page = client.get("/manage/set-aside/").content.decode()
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt; my tabs" in page and "<script>alert(1)" not in page
    )
    assert "It has no platform id." in page


@pytest.mark.parametrize("role", ["contributor", "moderator"])
def test_agents_below_community_manager_can_neither_see_nor_act(client, agents, kept, role):
    client.force_login(agents[role])
    assert client.get("/manage/set-aside/").status_code == 403
    assert client.post(f"/manage/set-aside/{kept.pk}/retry").status_code == 403
    assert (
        client.post(f"/manage/set-aside/{kept.pk}/dismiss", {"reason": "spam"}).status_code == 403
    )
    assert waiting().get().attempts == 1


def test_signed_out_visitors_are_sent_to_the_login(kept):
    assert (
        Client()
        .post(f"/manage/set-aside/{kept.pk}/dismiss", {"reason": "spam"})["Location"]
        .startswith("/login/")
    )
    assert waiting().exists()


def test_bad_ids_and_methods_get_a_clear_answer(client, agents, kept):
    client.force_login(agents["cm"])
    assert client.get(f"/manage/set-aside/{kept.pk}/retry").status_code == 405
    assert client.post("/manage/set-aside/abc/retry").status_code == 404
    assert client.post(f"/manage/set-aside/{kept.pk + 1000}/retry").status_code == 404
    assert (
        client.post(
            "/manage/set-aside/99999999999999999999999/dismiss", {"reason": "x"}
        ).status_code
        == 404
    )
    assert client.post("/manage/set-aside/-1/retry").status_code == 404


def test_a_dismissal_needs_a_reason_and_keeps_it(client, agents, kept):
    client.force_login(agents["cm"])
    r = client.post(f"/manage/set-aside/{kept.pk}/dismiss", {"reason": "  "})
    assert r.status_code == 400 and "Say why this message is dismissed." in r.content.decode()
    r = client.post(f"/manage/set-aside/{kept.pk}/dismiss", {"reason": "x" * 501})
    assert r.status_code == 400 and "500 characters" in r.content.decode()
    assert waiting().exists()
    r = client.post(
        f"/manage/set-aside/{kept.pk}/dismiss", {"reason": "A platform test message"}, follow=True
    )
    assert (
        r.status_code == 200
        and "Dismissed" in r.content.decode()
        and "“A platform test message”" in r.content.decode()
    )
    assert not waiting().exists()
    r = client.post(f"/manage/set-aside/{kept.pk}/dismiss", {"reason": "again"}, follow=True)
    assert r.status_code == 200 and "handled already" in r.content.decode()


def test_a_retry_that_stores_the_message_links_its_conversation(
    client, agents, demo, inbound, monkeypatch
):
    break_on(monkeypatch, "boom")
    ingest([inbound("boom")])
    monkeypatch.undo()
    client.force_login(agents["cm"])
    r = client.post(f"/manage/set-aside/{waiting().get().pk}/retry", follow=True)
    conversation = Message.objects.get(text__endswith="boom").conversation_id
    page = r.content.decode()
    assert f"conversation #{conversation}" in page and f'href="/c/{conversation}/"' in page
    assert not waiting().exists()


def test_posts_need_the_csrf_token(agents, kept):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agents["cm"])
    assert (
        client.post(f"/manage/set-aside/{kept.pk}/dismiss", {"reason": "spam"}).status_code == 403
    )
    assert waiting().exists()
