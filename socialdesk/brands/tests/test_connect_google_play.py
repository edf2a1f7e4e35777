"""Connecting a Google Play listing with a service account's JSON key: checked for what it is,
then with one reviews.list call, before it is saved; errors say what to fix and where."""

import json

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile

from socialdesk.actions import conversation as actions
from socialdesk.actions.delivery import perform
from socialdesk.brands.models import BrandAccount
from socialdesk.conversations.models import Conversation
from socialdesk.ingestion.tests.worker import poll_all

from .flows import PUBLIC_URL


@pytest.fixture
def cm(client, agents, settings):
    settings.SOCIALDESK_PUBLIC_URL = PUBLIC_URL
    client.force_login(agents["cm"])
    return client


def listing() -> BrandAccount:
    return BrandAccount.objects.get(platform="google_play")


def new_key(play_sim, packages=("org.mozilla.firefox",)) -> dict:
    r = requests.post(
        f"{play_sim.base_url}/_sim/service_accounts", json={"packages": list(packages)}, timeout=5
    )
    r.raise_for_status()
    return r.json()["data"]


def upload(cm, content: bytes | str):
    data = content if isinstance(content, bytes) else content.encode()
    return cm.post(
        f"/manage/accounts/{listing().pk}/connect",
        {
            "method": "service_account",
            "key_file": SimpleUploadedFile("key.json", data, content_type="application/json"),
        },
    )


def test_a_service_account_key_is_checked_saved_and_used(
    demo, play_sim, cm, agents, customer_review
):
    key = new_key(play_sim)
    r = upload(cm, json.dumps(key))
    assert r.status_code == 302, r.content.decode()[:3000]
    account = listing()
    assert account.credentials == {"type": "service_account", "service_account_info": key}
    page = cm.get(f"/manage/accounts/{account.pk}/").content.decode()
    assert key["client_email"] in page and key["private_key"][40:80] not in page
    customer_review("Crashes when I open a tab", stars=1)
    poll_all()
    conversation = Conversation.objects.get()
    action = actions.reply(
        actor=agents["cm"], conversation=conversation, text="Sorry! Which phone?"
    ).outbound_action
    assert perform(action.pk) == "sent"
    assert (
        requests.get(f"{play_sim.base_url}/_sim/service_accounts", timeout=5).json()["data"][
            "tokens_issued"
        ]
        >= 1
    )


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"\xff\xfe not text", "not text"),
        ("not json at all", "not JSON"),
        ('{"type": "authorized_user", "client_id": "x"}', "not a service account key"),
        (
            '{"type": "service_account", "client_email": "a@b.c"}',
            "lacks project_id, private_key_id, private_key, token_uri",
        ),
    ],
)
def test_a_file_that_is_not_a_usable_key_is_refused_with_what_to_do(
    demo, play_sim, cm, content, says
):
    before = listing().credentials
    r = upload(cm, content)
    assert r.status_code == 400 and says in r.content.decode()
    assert listing().credentials == before


def test_a_key_whose_private_key_or_token_uri_is_wrong_is_refused(demo, play_sim, cm):
    key = new_key(play_sim)
    r = upload(
        cm,
        json.dumps(
            {
                **key,
                "private_key": "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n",
            }
        ),
    )
    assert r.status_code == 400 and "not a readable PEM key" in r.content.decode()
    r = upload(cm, json.dumps({**key, "token_uri": "https://attacker.example/token"}))
    assert (
        r.status_code == 400 and "signs in at https://attacker.example/token" in r.content.decode()
    )


def test_an_account_the_play_console_did_not_invite_is_told_where_to_fix_it(demo, play_sim, cm):
    key = new_key(play_sim, packages=())
    r = upload(cm, json.dumps(key))
    body = r.content.decode()
    assert (
        r.status_code == 400
        and f"{key['client_email']} has no access to org.mozilla.firefox" in body
    )
    assert "Users and permissions" in body and "Reply to reviews" in body


def test_a_disabled_service_account_pauses_the_listing(demo, play_sim, cm):
    key = new_key(play_sim)
    assert upload(cm, json.dumps(key)).status_code == 302
    requests.post(
        f"{play_sim.base_url}/_sim/service_accounts/{key['client_email']}/disable", timeout=5
    ).raise_for_status()
    poll_all()
    account = listing()
    assert (
        account.sending_paused
        and "Google refused the service account key" in account.credentials_error
    )
    r = cm.post(f"/manage/accounts/{account.pk}/check")
    assert (
        "Still not working" in [str(m) for m in r.wsgi_request._messages][-1]
        and listing().sending_paused
    )
