"""Connecting an X account from /manage/accounts/ and keeping it working, against the X simulator's
OAuth 2.0 (PKCE, two-hour tokens, single-use refresh tokens), OAuth 1.0a and app-only tokens."""

import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.utils import timezone

from socialdesk.actions import conversation as actions
from socialdesk.actions.delivery import perform
from socialdesk.brands.models import BrandAccount
from socialdesk.connectors.registry import connector_for
from socialdesk.conversations.models import Conversation
from socialdesk.ingestion.tests.worker import poll_all
from socialdesk.outbox.models import OutboundAction

from .flows import PUBLIC_URL, connect_with_platform, consent


@pytest.fixture
def cm(client, agents, settings):
    settings.SOCIALDESK_PUBLIC_URL = PUBLIC_URL
    client.force_login(agents["cm"])
    return client


def support() -> BrandAccount:
    return BrandAccount.objects.get(handle="FirefoxSupport")


def sim(path, method="get", **kwargs):
    from django.conf import settings

    r = getattr(requests, method)(
        f"{settings.SOCIALDESK_TWITTER_API_BASE}{path}", timeout=5, **kwargs
    )
    r.raise_for_status()
    return r.json().get("data")


def oauth_counts():
    return sim("/_sim/oauth")


def mention(customer_tweet, text, *, username="maria_k") -> Conversation:
    customer_tweet(f"@FirefoxSupport {text}", username=username)
    poll_all()
    return Conversation.objects.filter(messages__text__contains=text).get()


def reply(contributor, conversation, text="We are on it") -> OutboundAction:
    return actions.reply(actor=contributor, conversation=conversation, text=text).outbound_action


def reply_to_new_mention(contributor, customer_tweet, text, *, username="maria_k"):
    return reply(contributor, mention(customer_tweet, text, username=username), f"Re: {text}")


def replies_on_x(action):
    return sim("/_sim/tweets", params={"in_reply_to": action.target_platform_id})


def test_a_community_manager_connects_an_x_account_through_the_pkce_sign_in(demo, twitter_sim, cm):
    account = support()
    start = cm.post(f"/manage/accounts/{account.pk}/connect", {"method": "oauth2"})
    asked = {k: v[0] for k, v in parse_qs(urlsplit(start["Location"]).query).items()}
    assert asked["code_challenge_method"] == "S256" and len(asked["code_challenge"]) == 43
    assert asked["redirect_uri"] == f"{PUBLIC_URL}/manage/accounts/callback"
    assert set(asked["scope"].split()) == {
        "tweet.read",
        "users.read",
        "tweet.write",
        "like.write",
        "offline.access",
    }
    back = cm.get(consent(start["Location"], account="FirefoxSupport"))
    assert back.status_code == 302 and back["Location"] == f"/manage/accounts/{account.pk}/"

    account.refresh_from_db()
    credentials = account.credentials
    assert credentials["type"] == "oauth2_user" and credentials["refresh_token"]
    assert 7000 < credentials["expires_at"] - time.time() <= 7200
    assert account.connected_by.username == "cm" and account.external_id == "2142732"
    page = cm.get(f"/manage/accounts/{account.pk}/").content.decode()
    assert "X user sign-in (OAuth 2.0)" in page and "renewed automatically" in page
    assert credentials["access_token"] not in page and credentials["refresh_token"] not in page


def test_credentials_of_another_account_a_wrong_state_or_a_cancel_change_nothing(
    demo, twitter_sim, cm
):
    account = support()
    before = account.credentials
    r = connect_with_platform(
        cm, account, as_account="Firefox"
    )  # signed in to X as the wrong account
    assert r.status_code == 302 and BrandAccount.objects.get(pk=account.pk).credentials == before
    assert "not for @FirefoxSupport" in [str(m) for m in r.wsgi_request._messages][0]

    start = cm.post(f"/manage/accounts/{account.pk}/connect", {"method": "oauth2"})
    callback = consent(start["Location"], account="FirefoxSupport")
    forged = callback.replace("state=", "state=x")
    assert cm.get(forged)["Location"] == "/manage/accounts/"  # not a sign-in started here
    assert BrandAccount.objects.get(pk=account.pk).credentials == before
    cm.get(callback.replace("state=", "state=x"))  # the real state is still usable once...
    assert cm.get(callback)["Location"] == f"/manage/accounts/{account.pk}/"
    assert cm.get(callback)["Location"] == "/manage/accounts/"  # ...and only once

    assert (
        connect_with_platform(cm, account, as_account="FirefoxSupport", decision="deny")[
            "Location"
        ]
        == "/manage/accounts/"
    )


def test_an_expired_token_is_renewed_once_and_the_reply_goes_out(
    demo, twitter_sim, cm, contributor, customer_tweet
):
    connect_with_platform(cm, support(), as_account="FirefoxSupport")
    first = reply_to_new_mention(contributor, customer_tweet, "tabs gone")
    assert perform(first.pk) == "sent"
    sim("/_sim/oauth/expire", method="post")
    second = reply_to_new_mention(contributor, customer_tweet, "bookmarks gone", username="tom")
    assert perform(second.pk) == "sent" and len(replies_on_x(second)) == 1
    third = reply_to_new_mention(contributor, customer_tweet, "sync broken", username="ana")
    assert perform(third.pk) == "sent"
    counts = oauth_counts()
    assert (counts["refreshes"], counts["refused_refreshes"]) == (1, 0)
    assert support().token_refreshed_at is not None


def test_a_token_about_to_expire_is_renewed_before_it_is_used(demo, twitter_sim, cm):
    connect_with_platform(cm, support(), as_account="FirefoxSupport")
    account = support()
    account.credentials = {**account.credentials, "expires_at": time.time() + 60}
    account.save(update_fields=["credentials"])
    old = account.credentials["access_token"]
    connector = connector_for(support())
    assert connector.token != old and oauth_counts()["refreshes"] == 1
    assert support().credentials["expires_at"] > time.time() + 7000


def test_a_refused_renewal_pauses_sending_and_reconnecting_sends_what_waited(
    demo, twitter_sim, cm, contributor, customer_tweet, agents, client
):
    connect_with_platform(cm, support(), as_account="FirefoxSupport")
    first, second = (
        mention(customer_tweet, "videos do not play"),
        mention(customer_tweet, "audio broken", username="kim"),
    )
    # The refresh token stops working (revoked on X's side), and the access token expires.
    requests.post(
        f"{twitter_sim.base_url}/2/oauth2/revoke",
        auth=("sim-client-id", "sim-client-secret"),
        data={"token": support().credentials["refresh_token"]},
        timeout=5,
    ).raise_for_status()
    sim("/_sim/oauth/expire", method="post")
    action = reply(contributor, first, "Which site?")
    assert perform(action.pk) == "account"
    action.refresh_from_db()
    assert action.state == "account" and "reconnects it on the Accounts page" in action.last_error
    assert replies_on_x(action) == []
    account = support()
    assert account.sending_paused and "refused to renew" in account.credentials_error
    # Nothing is tried while it waits: not a new reply, not the next poll.
    later = reply(contributor, second, "Which speakers?")
    assert perform(later.pk) is None and OutboundAction.objects.get(pk=later.pk).attempts == 0
    poll_all()
    assert oauth_counts()["refused_refreshes"] == 1
    client.force_login(agents["admin"])
    health = client.get("/manage/health/").content.decode()
    assert "sending paused" in health and "@FirefoxSupport" in health
    assert "waiting for it" in cm.get("/manage/accounts/").content.decode()

    assert "stopped working: replies wait" in cm.get(f"/c/{first.pk}/").content.decode()
    connect_with_platform(cm, support(), as_account="FirefoxSupport")
    assert not support().sending_paused
    for pk in (action.pk, later.pk):
        assert OutboundAction.objects.get(pk=pk).state == "pending"
        assert perform(pk) == "sent"
    assert len(replies_on_x(action)) == 1 and len(replies_on_x(later)) == 1


def test_likes_and_reposts_do_not_ask_x_who_the_account_is(demo, twitter_sim, cm, customer_tweet):
    connect_with_platform(cm, support(), as_account="FirefoxSupport")
    tweet = customer_tweet("@FirefoxSupport love it")["data"]
    # Any GET /2/users/me now would be refused (429): likes and reposts must not need one.
    sim("/_sim/config", method="post", json={"rate_limits": {"GET /2/users/me": 0}})
    connector = connector_for(support())
    connector.like(target_id=tweet["id"])
    connector.repost(target_id=tweet["id"])
    assert [lk["username"] for lk in sim("/_sim/likes")] == ["FirefoxSupport"]
    assert [rt["username"] for rt in sim("/_sim/retweets")] == ["FirefoxSupport"]


def test_an_account_learns_its_own_id_once_and_keeps_it(demo, twitter_sim, cm, customer_tweet):
    connect_with_platform(cm, support(), as_account="FirefoxSupport")
    BrandAccount.objects.filter(handle="FirefoxSupport").update(external_id="")
    sim(
        "/_sim/config",
        method="post",
        json={"rate_limits": {"GET /2/users/me": 1}, "reset_windows": True},
    )  # one lookup, no more
    for text in ("one", "two"):
        connector_for(support()).like(
            target_id=customer_tweet(f"@FirefoxSupport {text}")["data"]["id"]
        )
    assert support().external_id == "2142732" and len(sim("/_sim/likes")) == 2


def test_oauth1_user_tokens_connect_and_reply(demo, twitter_sim, cm, contributor, customer_tweet):
    from simulators.twitter.oauth import (
        CONSUMER_KEY,
        CONSUMER_SECRET,
        oauth1_secret_for,
        oauth1_token_for,
    )

    account = support()
    r = cm.post(
        f"/manage/accounts/{account.pk}/connect",
        {
            "method": "oauth1",
            "consumer_key": CONSUMER_KEY,
            "consumer_secret": CONSUMER_SECRET,
            "access_token": oauth1_token_for("FirefoxSupport"),
            "access_token_secret": oauth1_secret_for("FirefoxSupport"),
        },
    )
    assert r.status_code == 302, r.content.decode()[:3000]
    assert support().credentials["type"] == "oauth1_user"
    action = reply_to_new_mention(contributor, customer_tweet, "printing broken")
    assert perform(action.pk) == "sent" and replies_on_x(action)[0]["author_id"] == "2142732"
    bad = cm.post(
        f"/manage/accounts/{account.pk}/connect",
        {
            "method": "oauth1",
            "consumer_key": CONSUMER_KEY,
            "consumer_secret": CONSUMER_SECRET,
            "access_token": oauth1_token_for("FirefoxSupport"),
            "access_token_secret": "wrong",
        },
    )
    assert bad.status_code == 400 and "refused these credentials" in bad.content.decode()
    assert support().credentials["type"] == "oauth1_user"


def test_an_app_only_token_reads_and_replies_wait_without_a_403(
    demo, twitter_sim, cm, contributor, customer_tweet
):
    account = support()
    r = cm.post(
        f"/manage/accounts/{account.pk}/connect",
        {"method": "app_only", "bearer_token": "sim-app-token"},
    )
    assert r.status_code == 302
    page = cm.get(f"/manage/accounts/{account.pk}/").content.decode()
    assert (
        "X app-only bearer token" in page
        and "replies, likes and reposts need a user connection" in page
    )
    action = reply_to_new_mention(
        contributor, customer_tweet, "crash on start"
    )  # the poll reads with it
    composer = cm.get(f"/c/{action.conversation_id}/").content.decode()
    assert "connected for reading only: replies need a user connection" in composer
    assert perform(action.pk) is None
    action.refresh_from_db()
    assert (action.state, action.attempts) == (
        "account",
        0,
    ) and "cannot reply" in action.last_error
    assert replies_on_x(action) == []


def test_a_bearer_token_found_to_be_app_only_is_remembered_as_one(
    demo, twitter_sim, contributor, customer_tweet
):
    BrandAccount.objects.filter(handle="FirefoxSupport").update(
        credentials={"bearer_token": "sim-app-token"}
    )
    action = reply_to_new_mention(contributor, customer_tweet, "menu missing")
    assert perform(action.pk) == "account"  # X said 403 unsupported-authentication, once
    assert support().credentials == {"type": "app_only", "bearer_token": "sim-app-token"}
    later = reply_to_new_mention(contributor, customer_tweet, "menu still missing", username="li")
    assert (
        perform(later.pk) is None and OutboundAction.objects.get(pk=later.pk).attempts == 0
    )  # not tried again


def test_only_community_managers_and_admins_reach_the_accounts_pages(demo, client, agents):
    account = support()
    for role in ("contributor", "moderator"):
        client.force_login(agents[role])
        assert client.get("/manage/accounts/").status_code == 403
        assert (
            client.post(
                f"/manage/accounts/{account.pk}/connect",
                {"method": "app_only", "bearer_token": "x"},
            ).status_code
            == 403
        )
    assert BrandAccount.objects.get(pk=account.pk).credentials == account.credentials


def test_check_again_resumes_an_account_whose_credentials_work_again(
    demo, twitter_sim, cm, contributor, customer_tweet
):
    connect_with_platform(cm, support(), as_account="FirefoxSupport")
    conversation = mention(customer_tweet, "printing is slow")
    # Paused for a reason since fixed on the platform's side (the credentials themselves still work).
    BrandAccount.objects.filter(handle="FirefoxSupport").update(
        credentials_failed_at=timezone.now(), credentials_error="403 for a day"
    )
    action = reply(contributor, conversation, "Which printer?")
    assert (
        perform(action.pk) is None and OutboundAction.objects.get(pk=action.pk).state == "account"
    )
    r = cm.post(f"/manage/accounts/{support().pk}/check")
    assert "works again" in [str(m) for m in r.wsgi_request._messages][-1]
    assert not support().sending_paused and perform(action.pk) == "sent"
