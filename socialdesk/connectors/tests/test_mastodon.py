"""The Mastodon connector drives Mastodon.py over HTTP against the simulator."""

import time

import pytest
import requests

from socialdesk.actions import conversation as actions
from socialdesk.actions.delivery import perform
from socialdesk.brands.models import BrandAccount
from socialdesk.connectors.base import OutcomeUnknown
from socialdesk.connectors.mastodon import MastodonConnector
from socialdesk.conversations.models import Conversation, Message
from socialdesk.ingestion.models import PollState
from socialdesk.ingestion.tests.worker import poll_all
from socialdesk.outbox.models import OutboundAction


def account():
    return BrandAccount.objects.get(platform="mastodon", handle="firefox_support")


def sim_get(sim, path, **params):
    return requests.get(f"{sim.base_url}{path}", params=params, timeout=5).json()


def test_mentions_arrive_through_notifications_once(demo, mastodon_sim, customer_toot):
    customer_toot(
        "@firefox_support my <b>bookmarks</b> toolbar vanished &amp; more, after the update this morning"
    )
    customer_toot(
        "@firefox_support Firefox startet seit dem Update nicht mehr unter Windows",
        username="lea_dev",
        language="de",
    )
    customer_toot("just posting, no mention", username="kim")
    assert poll_all().stored == 2
    assert poll_all().stored == 0
    c = Conversation.objects.get(author__handle="alex_codes")
    assert (
        c.messages.get().text
        == "@firefox_support my <b>bookmarks</b> toolbar vanished &amp; more, after the update this morning"
    )
    assert str(c.account) == str(c.respond_from) == "@firefox_support"
    assert c.moderated and c.language == "en"
    assert Conversation.objects.get(author__handle="lea_dev").language == "de"
    state = PollState.objects.get(account=account(), stream="notifications")
    assert state.cursor and state.last_error == ""


def test_many_mentions_arrive_across_pages(demo, mastodon_sim, customer_toot):
    for i in range(95):
        customer_toot(f"@firefox_support question {i}", username=f"asker{i % 30}")
    poll_all()
    assert Message.objects.filter(platform="mastodon").count() == 95


def test_a_reply_to_our_reply_joins_the_conversation(
    demo, mastodon_sim, customer_toot, contributor
):
    first = customer_toot("@firefox_support sync stopped working")
    poll_all()
    c = Conversation.objects.get()
    actions.reply(
        actor=contributor, conversation=c, text="@alex_codes sign out and in again, please."
    )
    assert perform(OutboundAction.objects.get().pk) == "sent"
    ours = sim_get(mastodon_sim, "/_sim/statuses", in_reply_to_id=first["id"])["data"]
    assert [(s["username"], s["text"]) for s in ours] == [
        ("firefox_support", OutboundAction.objects.get().text)
    ]
    customer_toot("@firefox_support that worked, thanks!", in_reply_to_id=ours[0]["id"])
    poll_all()
    assert Conversation.objects.count() == 1
    assert c.messages.filter(direction="in").count() == 2


def test_every_post_carries_an_idempotency_key_so_a_retry_posts_once(
    demo, mastodon_sim, customer_toot
):
    toot = customer_toot("@firefox_support hello")
    # The post is performed and its answer lost; the look-up of the status answered goes through.
    requests.post(
        f"{mastodon_sim.base_url}/_sim/config",
        json={"faults": {"share": 1.0, "kinds": ["drop_after_commit"], "methods": ["POST"]}},
        timeout=5,
    )
    connector = MastodonConnector(account())
    with pytest.raises(OutcomeUnknown):
        connector.reply(text="@alex_codes hi!", in_reply_to_id=toot["id"], idempotency_key="key-1")
    requests.post(
        f"{mastodon_sim.base_url}/_sim/config", json={"faults": {"share": 0.0}}, timeout=5
    )
    again = connector.reply(
        text="@alex_codes hi!", in_reply_to_id=toot["id"], idempotency_key="key-1"
    )
    state = sim_get(mastodon_sim, "/_sim/state")
    assert state["statuses_created_per_idempotency_key"] == {"key-1": 1}
    assert [
        s["id"] for s in sim_get(mastodon_sim, "/_sim/statuses", idempotency_key="key-1")["data"]
    ] == [again]


def test_favourite_and_boost(demo, mastodon_sim, customer_toot):
    toot = customer_toot("@firefox_support containers are great")
    connector = MastodonConnector(account())
    connector.like(target_id=toot["id"])
    connector.like(target_id=toot["id"])
    connector.repost(target_id=toot["id"])
    assert [
        (f["username"], f["status_id"]) for f in sim_get(mastodon_sim, "/_sim/favourites")["data"]
    ] == [("firefox_support", toot["id"])]
    assert [
        (r["username"], r["status_id"]) for r in sim_get(mastodon_sim, "/_sim/reblogs")["data"]
    ] == [("firefox_support", toot["id"])]


def test_rate_limit_makes_the_poller_wait(demo, mastodon_sim, customer_toot):
    customer_toot("@firefox_support hi")
    requests.post(
        f"{mastodon_sim.base_url}/_sim/config",
        json={"faults": {"share": 1.0, "kinds": ["429"], "retry_after": 60}},
        timeout=5,
    )
    poll_all()
    state = PollState.objects.get(account=account(), stream="notifications")
    assert "rate limit" in state.last_error and state.wait_until is not None
    assert not Message.objects.exists()


@pytest.mark.parametrize("kind", ["500", "503", "malformed", "drop_after_commit"])
def test_a_failed_poll_keeps_the_cursor(demo, mastodon_sim, customer_toot, kind):
    customer_toot("@firefox_support tabs crash")
    requests.post(
        f"{mastodon_sim.base_url}/_sim/config",
        json={"faults": {"share": 1.0, "kinds": [kind]}},
        timeout=5,
    )
    poll_all()
    assert not Message.objects.exists()
    requests.post(
        f"{mastodon_sim.base_url}/_sim/config", json={"faults": {"share": 0.0}}, timeout=5
    )
    assert poll_all().stored == 1


def test_the_account_api_base_wins_over_the_setting(demo, mastodon_sim, customer_toot, settings):
    customer_toot("@firefox_support hi")
    settings.SOCIALDESK_MASTODON_API_BASE = "http://127.0.0.1:9"
    BrandAccount.objects.filter(pk=account().pk).update(api_base=mastodon_sim.base_url)
    assert poll_all().stored == 1


def test_bad_token_is_reported_not_raised(demo, mastodon_sim, customer_toot):
    BrandAccount.objects.filter(pk=account().pk).update(credentials={"access_token": "wrong"})
    poll_all()
    assert (
        "access token"
        in PollState.objects.get(account=account(), stream="notifications").last_error
    )


def test_the_outbox_retry_after_a_lost_answer_posts_once(
    demo, mastodon_sim, customer_toot, contributor
):
    customer_toot("@firefox_support videos have no picture")
    poll_all()
    c = Conversation.objects.get()
    actions.reply(
        actor=contributor,
        conversation=c,
        text="@alex_codes try turning off hardware acceleration.",
    )
    action = OutboundAction.objects.get()
    requests.post(
        f"{mastodon_sim.base_url}/_sim/config",
        json={"faults": {"share": 1.0, "kinds": ["malformed"], "methods": ["POST"]}},
        timeout=5,
    )
    assert perform(action.pk) == "pending"  # outcome unknown: back in line
    assert sim_get(mastodon_sim, "/_sim/state")["statuses_created_per_idempotency_key"] == {
        str(action.idempotency_key): 1
    }
    requests.post(
        f"{mastodon_sim.base_url}/_sim/config", json={"faults": {"share": 0.0}}, timeout=5
    )
    OutboundAction.objects.filter(pk=action.pk).update(next_attempt_at=None)
    assert perform(action.pk) == "sent"
    state = sim_get(mastodon_sim, "/_sim/state")
    assert state["statuses_created_per_idempotency_key"] == {str(action.idempotency_key): 1}


def test_a_backlog_larger_than_one_poll_is_read_over_several_polls_without_loss(
    demo, mastodon_sim, customer_toot, monkeypatch
):
    from socialdesk.connectors import mastodon

    monkeypatch.setattr(mastodon, "MAX_PAGES", 2)
    monkeypatch.setattr(mastodon, "PAGE_SIZE", 20)  # 40 mentions per poll
    for i in range(95):
        customer_toot(f"@firefox_support backlog question {i}", username=f"b{i % 20}")
    polls = []
    while Message.objects.filter(platform="mastodon").count() < 95 and len(polls) < 10:
        polls.append(poll_all().stored)
    assert polls == [40, 40, 15]
    customer_toot("@firefox_support a new one after the backlog", username="late")
    assert poll_all().stored == 1
    assert poll_all().stored == 0
    assert Message.objects.filter(platform="mastodon").count() == 96


def test_a_poll_that_fails_midway_keeps_the_pages_it_read(
    demo, mastodon_sim, customer_toot, monkeypatch
):
    from socialdesk.connectors import mastodon

    monkeypatch.setattr(mastodon, "PAGE_SIZE", 10)
    for i in range(25):
        customer_toot(f"@firefox_support question {i}", username=f"c{i}")
    calls = {"n": 0}
    real = mastodon.Mastodon.fetch_next

    def second_page_fails(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise mastodon.merr.MastodonServerError(
                "Mastodon API returned error", 503, "Service Unavailable", None
            )
        return real(self, *args, **kwargs)

    # The first poll reads the newest page, then pages back by the Link header: that fails once.
    monkeypatch.setattr(mastodon.Mastodon, "fetch_next", second_page_fails)
    assert poll_all().stored == 10
    assert (
        "503" in PollState.objects.get(account=account(), stream="notifications").last_error
    )  # on the health page
    assert poll_all().stored == 15
    assert PollState.objects.get(account=account(), stream="notifications").last_error == ""
    assert Message.objects.filter(platform="mastodon").count() == 25


def test_a_reply_mentions_the_customer_so_mastodon_notifies_them(
    demo, mastodon_sim, customer_toot, contributor, client
):
    customer_toot("@firefox_support my tabs are gone", username="alex_codes")
    poll_all()
    c = Conversation.objects.get()
    client.force_login(contributor)
    page = client.get(f"/c/{c.pk}/").content.decode()
    assert (
        "\n@alex_codes </textarea>" in page
    )  # the composer starts with the @, as Mastodon's apps do
    actions.reply(
        actor=contributor,
        conversation=c,
        text="Open the History menu and choose Restore previous session.",
    )
    assert perform(OutboundAction.objects.get().pk) == "sent"
    [ours] = sim_get(mastodon_sim, "/_sim/statuses", account="firefox_support")["data"]
    assert ours["text"].startswith(
        "@alex_codes Open the History menu and choose Restore previous session."
    )
    assert [m["username"] for m in ours["mentions"]] == ["alex_codes"]
    # Written by the agent already: not doubled, whatever the case.
    c2_toot = customer_toot("@firefox_support and my bookmarks too", username="sam_k")
    poll_all()
    c2 = Conversation.objects.get(messages__platform_id=c2_toot["id"])
    actions.reply(
        actor=contributor,
        conversation=c2,
        text="Thanks @Sam_K, try Library > Bookmarks > Restore.",
    )
    assert OutboundAction.objects.get(message__conversation=c2).text.startswith(
        "Thanks @Sam_K, try Library > Bookmarks > Restore."
    )


def toot(sim, text, *, username="alex_codes", **extra):
    """A customer's status with what `customer_toot` does not set: visibility, content warning,
    media, language claim, age (`seconds_ago`)."""
    body = {
        "text": text,
        "author": {"username": username, "display_name": username.title()},
        **extra,
    }
    r = requests.post(f"{sim.base_url}/_sim/customer_statuses", json=body, timeout=5)
    r.raise_for_status()
    return r.json()["data"]


def newest_notification_id(sim):
    headers = {"Authorization": "Bearer sim-token-mastodon-firefox_support"}
    return requests.get(
        f"{sim.base_url}/api/v1/notifications", params={"limit": 1}, headers=headers, timeout=5
    ).json()[0]["id"]


def test_the_first_poll_ingests_the_weeks_mentions_and_later_polls_only_new_ones(
    demo, mastodon_sim
):
    """Against serial notification ids, as a real server numbers them (1, 2, 3…)."""
    toot(
        mastodon_sim,
        "@firefox_support an old question from last month",
        username="old_timer",
        seconds_ago=30 * 86400,
    )
    toot(
        mastodon_sim,
        "@firefox_support a question of ten days ago",
        username="late_one",
        seconds_ago=10 * 86400,
    )
    toot(
        mastodon_sim,
        "@firefox_support a question of three days ago",
        username="this_week",
        seconds_ago=3 * 86400,
    )
    toot(mastodon_sim, "@firefox_support a question of today", username="today")
    assert newest_notification_id(mastodon_sim) == "4"
    assert poll_all().stored == 2
    assert sorted(Message.objects.values_list("author__handle", flat=True)) == [
        "this_week",
        "today",
    ]
    # The cursor is the newest notification id the server handed out, not a moment.
    assert PollState.objects.get(account=account(), stream="notifications").cursor == "4"
    assert poll_all().stored == 0
    toot(mastodon_sim, "@firefox_support a new one", username="newcomer")
    toot(mastodon_sim, "@firefox_support and another", username="second_newcomer")
    assert poll_all().stored == 2
    assert poll_all().stored == 0
    assert PollState.objects.get(account=account(), stream="notifications").cursor == "6"
    assert Message.objects.count() == 4


def test_a_time_based_cursor_of_earlier_versions_no_longer_stops_the_account(demo, mastodon_sim):
    """Earlier versions started at a time-based id a week back; on a real server every
    notification id is far below it, so `min_id` from it returned nothing, forever."""
    toot(mastodon_sim, "@firefox_support a question of two days ago", seconds_ago=2 * 86400)
    week_ago = str(int((time.time() - 7 * 86400) * 1000) << 16)
    PollState.objects.create(account=account(), stream="notifications", cursor=week_ago)
    assert poll_all().stored == 1
    assert PollState.objects.get(account=account(), stream="notifications").cursor == "1"
    toot(mastodon_sim, "@firefox_support and today", username="today")
    assert poll_all().stored == 1


def test_a_real_cursor_that_looks_like_a_moment_is_still_read_as_an_id(demo, mastodon_sim):
    # Serial ids stay far below any time-based id of this decade: 65536 is an id, not 1970.
    from socialdesk.connectors.mastodon import _time_cursor

    assert _time_cursor("65536", time.time()) is None
    assert (
        _time_cursor("117440821885976823", time.time()) is None
    )  # a real status id: low bits set
    assert _time_cursor(str(1_700_000_000_000 << 16), time.time()) == 1_700_000_000.0


@pytest.mark.parametrize("visibility", ["direct", "private", "unlisted", "public"])
def test_a_reply_is_never_more_visible_than_the_status_it_answers(
    demo, mastodon_sim, contributor, visibility
):
    asked = toot(
        mastodon_sim,
        "@firefox_support my passwords are gone after the update, please help",
        visibility=visibility,
    )
    poll_all()
    c = Conversation.objects.get()
    assert c.messages.get().metadata["visibility"] == visibility
    actions.reply(
        actor=contributor, conversation=c, text="Please check Settings > Passwords > Restore."
    )
    assert perform(OutboundAction.objects.get().pk) == "sent"
    [ours] = sim_get(mastodon_sim, "/_sim/statuses", in_reply_to_id=asked["id"])["data"]
    assert (ours["username"], ours["visibility"]) == ("firefox_support", visibility)


def test_the_composer_says_when_a_reply_will_be_private(demo, mastodon_sim, contributor, client):
    toot(
        mastodon_sim,
        "@firefox_support privately: my account was hacked",
        visibility="direct",
        username="quiet",
    )
    toot(mastodon_sim, "@firefox_support publicly: my tabs are gone", username="loud")
    poll_all()
    client.force_login(contributor)
    private = client.get(
        f"/c/{Conversation.objects.get(author__handle='quiet').pk}/"
    ).content.decode()
    assert "Private reply from" in private and "this reply is private too" in private
    public = client.get(
        f"/c/{Conversation.objects.get(author__handle='loud').pk}/"
    ).content.decode()
    assert "Public reply from" in public and "reply-audience" not in public


def test_a_reply_to_a_deleted_status_fails_clearly_and_posts_nothing(
    demo, mastodon_sim, contributor
):
    asked = toot(mastodon_sim, "@firefox_support never mind, found it")
    poll_all()
    requests.post(
        f"{mastodon_sim.base_url}/_sim/statuses/{asked['id']}/delete", timeout=5
    ).raise_for_status()
    actions.reply(
        actor=contributor, conversation=Conversation.objects.get(), text="Glad you found it!"
    )
    action = OutboundAction.objects.get()
    assert perform(action.pk) == "failed"
    action.refresh_from_db()
    assert "deleted" in action.last_error and "404" in action.last_error
    assert sim_get(mastodon_sim, "/_sim/statuses", account="firefox_support")["data"] == []


def test_content_warnings_media_and_the_apps_language_claim_are_kept(
    demo, mastodon_sim, contributor, client
):
    toot(
        mastodon_sim,
        "@firefox_support Firefox crashes every time I open the settings page on my laptop",
        spoiler_text="long <b>crash</b> report",
        language="de",
        sensitive=True,
        media=[{"type": "image", "description": "the crash <script>alert(1)</script> dialog"}],
    )
    poll_all()
    c = Conversation.objects.get()
    meta = c.messages.get().metadata
    assert meta["content_warning"] == "long <b>crash</b> report" and meta["sensitive"] is True
    [media] = meta["media"]
    assert media["type"] == "image" and media["url"].startswith("https://files.social.example/")
    assert media["description"] == "the crash <script>alert(1)</script> dialog"
    # The app claimed German; the text is English: our detection decides, the claim is a hint.
    assert meta["language_hint"] == "de" and c.language == "en"
    client.force_login(contributor)
    page = client.get(f"/c/{c.pk}/").content.decode()
    assert "long &lt;b&gt;crash&lt;/b&gt; report" in page and "<b>crash</b>" not in page
    assert (
        f'href="{media["url"]}"' in page
        and "<img" not in page.split('class="thread')[1].split("</section>")[0]
    )
    assert "the crash &lt;script&gt;alert(1)&lt;/script&gt; dialog" in page


def test_a_claimed_language_alone_does_not_set_the_conversations_language(demo, mastodon_sim):
    toot(mastodon_sim, "@firefox_support ok", language="fr")
    poll_all()
    c = Conversation.objects.get()
    assert c.language == "" and c.messages.get().metadata["language_hint"] == "fr"


def test_an_unchanged_clipping_behind_the_customers_mention_still_needs_confirming(
    demo, mastodon_sim, customer_toot, contributor
):
    from socialdesk.errors import ActionConflict

    customer_toot("@firefox_support you are great", username="alex_codes")
    poll_all()
    c = Conversation.objects.get()
    clipping = "Thank you, that means a lot to the whole community!"
    with pytest.raises(ActionConflict, match="unchanged"):
        actions.reply(
            actor=contributor,
            conversation=c,
            text=f"@alex_codes {clipping}",
            clipping_text=clipping,
        )
    actions.reply(
        actor=contributor,
        conversation=c,
        text=f"@alex_codes {clipping} Enjoy!",
        clipping_text=clipping,
    )
    assert OutboundAction.objects.count() == 1
