"""PE3: a community manager edits the clippings (placeholders, languages) and the respond-from
table in the desk, not in the Django admin; what they save takes effect; others cannot."""

import pytest
from django.test import Client

from conftest import make_inbound
from socialdesk.actions.inbound import ingest
from socialdesk.brands.models import BrandAccount, RoutingRule
from socialdesk.clippings.models import Clipping
from socialdesk.conversations.models import Conversation
from socialdesk.people.audit import search

pytestmark = pytest.mark.django_db


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_cm_adds_edits_and_deletes_a_clipping(agents, conversation):
    cm = as_user(agents["cm"])
    r = cm.post(
        "/manage/clippings/",
        {"title": "Caché", "text": "Hola {name}, borra la caché ({handle})", "language": "es"},
        follow=True,
    )
    assert "Clipping “Caché” saved." in r.content.decode()
    clip = Clipping.objects.get(title="Caché")
    assert clip.language == "es"
    assert "Hola Maria, borra la caché (@maria_k)" in r.content.decode()  # the preview
    # Offered in the composer with the customer's own name.
    page = cm.get(f"/c/{conversation.pk}/").content.decode()
    author = conversation.author
    assert f"Hola {author.name.split(' ')[0]}, borra la caché (@{author.handle})" in page

    r = cm.post(
        f"/manage/clippings/{clip.pk}/",
        {"title": "Caché", "text": "Olá {name}", "language": "pt-BR", "is_holding_reply": "on"},
    )
    assert r.status_code == 302
    clip.refresh_from_db()
    assert (clip.text, clip.language, clip.is_holding_reply) == ("Olá {name}", "pt-BR", True)
    # Deleting asks first, as every settings page does.
    page = cm.get("/manage/clippings/").content.decode()
    assert f'href="/manage/clippings/{clip.pk}/delete"' in page
    r = cm.get(f"/manage/clippings/{clip.pk}/delete")
    assert r.status_code == 200 and "Delete the clipping “Caché”?" in r.content.decode()
    assert "replies already sent with it stay" in r.content.decode()
    assert Clipping.objects.filter(pk=clip.pk).exists()
    assert cm.post(f"/manage/clippings/{clip.pk}/delete").status_code == 302
    assert not Clipping.objects.filter(pk=clip.pk).exists()
    assert {e.kind for e in search(q="cm")} >= {"clipping_saved", "clipping_deleted"}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("text", "Hi {firstname}", "Unknown placeholder {firstname}: use {name} or {handle}."),
        ("text", "", "This field is required."),
        ("language", "German", "Give a language code such as en, de or pt-BR."),
        ("title", "", "This field is required."),
    ],
)
def test_a_bad_clipping_gets_a_clear_message_and_keeps_what_was_typed(
    agents, demo, field, value, message
):
    data = {"title": "Sync", "text": "Hi {name}, sign in again", "language": "de", field: value}
    r = as_user(agents["cm"]).post("/manage/clippings/", data)
    page = r.content.decode()
    assert r.status_code == 400 and message in page
    assert "Sign in again" in page or "sign in again" in page or field == "text"
    assert not Clipping.objects.filter(title="Sync").exists()


def test_a_respond_from_rule_takes_effect_on_the_next_mention(agents, demo):
    firefox = BrandAccount.objects.get(handle="Firefox")
    germany = BrandAccount.objects.get(handle="mozilla_germany")
    ingest([make_inbound(mention="Firefox")])
    assert Conversation.objects.latest("pk").respond_from.handle == "FirefoxSupport"

    cm = as_user(agents["cm"])
    r = cm.post(
        "/manage/accounts/respond-from/",
        {
            "position": "1",
            "platform": "twitter",
            "mentioned": firefox.pk,
            "respond_from": germany.pk,
            "note": "test",
        },
        follow=True,
    )
    assert "Rule added: @Firefox → @mozilla_germany." in r.content.decode()
    ingest([make_inbound("Another one", mention="Firefox")])
    assert Conversation.objects.latest("pk").respond_from == germany

    rule = RoutingRule.objects.get(note="test")
    # Removing asks first and says what it does (and what it leaves alone).
    assert (
        f'href="/manage/accounts/respond-from/{rule.pk}/delete"'
        in cm.get("/manage/accounts/respond-from/").content.decode()
    )
    page = cm.get(f"/manage/accounts/respond-from/{rule.pk}/delete").content.decode()
    assert "Delete the rule “@Firefox → @mozilla_germany”?" in page
    assert "conversations already open keep the account" in page
    assert RoutingRule.objects.filter(pk=rule.pk).exists()
    assert cm.post(f"/manage/accounts/respond-from/{rule.pk}/delete").status_code == 302
    ingest([make_inbound("A third", mention="Firefox")])
    assert Conversation.objects.latest("pk").respond_from.handle == "FirefoxSupport"


def test_a_rule_across_platforms_is_refused(agents, demo):
    play = BrandAccount.objects.exclude(platform="twitter").first()
    r = as_user(agents["cm"]).post(
        "/manage/accounts/respond-from/",
        {"position": "1", "platform": "twitter", "mentioned": "", "respond_from": play.pk},
    )
    assert r.status_code == 400 and "not on this platform" in r.content.decode()


def test_contributors_and_moderators_cannot_edit(agents, demo):
    for role in ("contributor", "moderator"):
        client = as_user(agents[role])
        assert client.get("/manage/clippings/").status_code == 403
        assert client.post("/manage/clippings/", {"title": "x", "text": "y"}).status_code == 403
        assert client.get("/manage/accounts/respond-from/").status_code == 403
    assert not Clipping.objects.filter(title="x").exists()
