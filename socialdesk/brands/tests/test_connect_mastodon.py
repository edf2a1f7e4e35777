"""Connecting a Mastodon account from /manage/accounts/: OAuth on its instance (the desk registered
once per instance), or a pasted token whose scopes are checked; a revoked token pauses sending."""

import pytest
import requests

from socialdesk.actions import conversation as actions
from socialdesk.actions.delivery import perform
from socialdesk.brands.models import BrandAccount, PlatformApp
from socialdesk.conversations.models import Conversation
from socialdesk.ingestion.tests.worker import poll_all
from socialdesk.outbox.models import OutboundAction

from .flows import PUBLIC_URL, connect_with_platform

CALLBACK = f"{PUBLIC_URL}/manage/accounts/callback"


@pytest.fixture
def cm(client, agents, settings):
    settings.SOCIALDESK_PUBLIC_URL = PUBLIC_URL
    client.force_login(agents["cm"])
    return client


def masto() -> BrandAccount:
    return BrandAccount.objects.get(platform="mastodon", handle="firefox_support")


def _sim(mastodon_sim, path, method="get", **kw):
    r = getattr(requests, method)(f"{mastodon_sim.base_url}{path}", timeout=5, **kw)
    r.raise_for_status()
    return r.json()


def _scoped_token(mastodon_sim, scopes: str) -> str:
    """A token made on the instance for an app with only `scopes` (as under Preferences > Development)."""
    from .flows import consent

    app = _sim(
        mastodon_sim,
        "/api/v1/apps",
        "post",
        data={"client_name": "mine", "redirect_uris": CALLBACK, "scopes": scopes},
    )
    url = (
        f"{mastodon_sim.base_url}/oauth/authorize?response_type=code&client_id={app['client_id']}"
        f"&redirect_uri={CALLBACK}&scope={scopes.replace(' ', '+')}&state=s"
    )
    code = consent(url, account="firefox_support").split("code=")[1].split("&")[0]
    return _sim(
        mastodon_sim,
        "/oauth/token",
        "post",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "redirect_uri": CALLBACK,
        },
    )["access_token"]


def test_a_community_manager_connects_a_mastodon_account_on_its_instance(demo, mastodon_sim, cm):
    account = masto()
    r = connect_with_platform(
        cm, account, as_account="firefox_support", instance=mastodon_sim.base_url
    )
    assert r["Location"] == f"/manage/accounts/{account.pk}/"
    account.refresh_from_db()
    assert account.credentials["type"] == "oauth" and account.api_base == mastodon_sim.base_url
    assert set(account.credentials["scopes"]) == {
        "read:accounts",
        "read:notifications",
        "read:statuses",
        "write:statuses",
        "write:favourites",
    }
    page = cm.get(f"/manage/accounts/{account.pk}/").content.decode()
    assert "Mastodon sign-in (OAuth)" in page and account.credentials["access_token"] not in page
    # Connecting again uses the registration kept for the instance.
    connect_with_platform(
        cm, account, as_account="firefox_support", instance=mastodon_sim.base_url
    )
    assert (
        PlatformApp.objects.count() == 1 and _sim(mastodon_sim, "/_sim/oauth")["data"]["apps"] == 1
    )
    assert PlatformApp.objects.get().secrets.get("client_secret", "") not in page


def test_an_instance_that_forgot_the_desk_gets_it_registered_again(demo, mastodon_sim, cm):
    connect_with_platform(
        cm, masto(), as_account="firefox_support", instance=mastodon_sim.base_url
    )
    mastodon_sim.oauth.reset()  # the instance no longer knows the app (Mastodon before 4.3 removed unused ones)
    r = connect_with_platform(
        cm, masto(), as_account="firefox_support", instance=mastodon_sim.base_url
    )
    assert r["Location"] == f"/manage/accounts/{masto().pk}/" and PlatformApp.objects.count() == 1


def test_signing_in_as_another_account_of_the_instance_is_refused(demo, mastodon_sim, cm):
    before = masto().credentials
    r = connect_with_platform(cm, masto(), as_account="mozilla", instance=mastodon_sim.base_url)
    assert r["Location"] == "/manage/accounts/" and masto().credentials == before


def test_a_pasted_token_is_checked_for_the_scopes_the_desk_uses(demo, mastodon_sim, cm):
    account = masto()
    narrow = _scoped_token(mastodon_sim, "read:accounts read:notifications")
    r = cm.post(
        f"/manage/accounts/{account.pk}/connect",
        {"method": "token", "instance": mastodon_sim.base_url, "access_token": narrow},
    )
    assert (
        r.status_code == 400
        and "lacks the scope(s) read:statuses, write:statuses, write:favourites"
        in r.content.decode()
    )
    full = _scoped_token(
        mastodon_sim,
        "read:accounts read:notifications read:statuses write:statuses write:favourites",
    )
    r = cm.post(
        f"/manage/accounts/{account.pk}/connect",
        {"method": "token", "instance": mastodon_sim.base_url, "access_token": full},
    )
    assert r.status_code == 302 and masto().credentials == {
        "type": "token",
        "access_token": full,
        "scopes": sorted(
            [
                "read:accounts",
                "read:notifications",
                "read:statuses",
                "write:statuses",
                "write:favourites",
            ]
        ),
    }
    r = cm.post(
        f"/manage/accounts/{account.pk}/connect",
        {"method": "token", "instance": mastodon_sim.base_url, "access_token": "nope"},
    )
    assert r.status_code == 400 and "does not accept this token" in r.content.decode()
    r = cm.post(
        f"/manage/accounts/{account.pk}/connect",
        {"method": "token", "instance": "http://mastodon.example", "access_token": full},
    )
    assert r.status_code == 400 and "https only" in r.content.decode()


def test_a_revoked_token_pauses_replies_until_the_account_is_reconnected(
    demo, mastodon_sim, cm, contributor, customer_toot
):
    connect_with_platform(
        cm, masto(), as_account="firefox_support", instance=mastodon_sim.base_url
    )
    toot = customer_toot("@firefox_support my tabs vanished")
    poll_all()
    conversation = Conversation.objects.get()
    _sim(
        mastodon_sim, "/_sim/oauth/revoke_all", "post"
    )  # the owner removed the app on the instance
    action = actions.reply(
        actor=contributor, conversation=conversation, text="Try Restore Previous Session"
    ).outbound_action
    assert perform(action.pk) == "account"
    assert masto().sending_paused and "revoked" in masto().credentials_error
    assert (
        _sim(mastodon_sim, "/_sim/statuses", params={"in_reply_to_id": toot["id"]})["data"] == []
    )

    connect_with_platform(
        cm, masto(), as_account="firefox_support", instance=mastodon_sim.base_url
    )
    assert (
        OutboundAction.objects.get(pk=action.pk).state == "pending"
        and perform(action.pk) == "sent"
    )
    assert (
        len(_sim(mastodon_sim, "/_sim/statuses", params={"in_reply_to_id": toot["id"]})["data"])
        == 1
    )
