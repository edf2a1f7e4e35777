"""The Play pages: a GET shows, a POST deals; bad input gets a 400 with a message."""

import pytest

from socialdesk.actions import deal as play
from socialdesk.actions.inbound import ingest
from socialdesk.conversations.models import Activity, Conversation
from socialdesk.play.models import PlaySession
from socialdesk.queues.models import Queue

MODERATED = "twitter-conversations-moderated"


@pytest.fixture
def playing(client, contributor, inbound):
    ingest([inbound("first"), inbound("second")])
    client.force_login(contributor)
    return client


def test_a_get_of_the_play_page_never_deals(playing, contributor, demo):
    play.start(agent=contributor, queue=Queue.objects.get(slug=MODERATED))
    for _ in range(3):
        page = playing.get("/play/")
        assert (
            page.status_code == 200
            and "2 waiting" in page.content.decode()
            and "Deal next" in page.content.decode()
        )
    assert not Conversation.objects.filter(dealt_to__isnull=False).exists()
    assert not Activity.objects.filter(kind="dealt").exists()
    r = playing.post("/play/next")
    assert r.status_code == 302 and r["Location"] == "/play/"
    dealt = Conversation.objects.get(dealt_to=contributor)
    assert playing.get("/play/").context["c"] == dealt  # a reload shows the same one
    assert playing.get("/play/").context["c"] == dealt


def test_play_deals_in_its_post_and_the_page_shows_the_deal(playing, contributor):
    r = playing.post(f"/play/{MODERATED}/start")
    assert r.status_code == 302 and r["Location"] == "/play/"
    dealt = Conversation.objects.get(dealt_to=contributor)
    assert playing.get("/play/").context["c"] == dealt


def test_skip_deals_the_next_in_its_post(playing, contributor):
    playing.post(f"/play/{MODERATED}/start")
    first = Conversation.objects.get(dealt_to=contributor)
    r = playing.post("/play/skip", {"conversation": first.pk})
    assert r.status_code == 302 and r["Location"] == "/play/"
    second = Conversation.objects.get(dealt_to=contributor)
    assert second != first
    playing.post("/play/skip", {"conversation": second.pk})
    page = playing.get("/play/").content.decode()
    assert "You skipped everything left" in page and "Start over" in page
    playing.post("/play/next", {"start_over": "1"})
    assert Conversation.objects.get(dealt_to=contributor) == first


@pytest.mark.parametrize("value", ["abc", "", "-1", "1.5", "9" * 30])
def test_malformed_conversation_is_a_400_with_a_message(playing, contributor, value):
    playing.post(f"/play/{MODERATED}/start")
    held = Conversation.objects.get(dealt_to=contributor)
    for path in ("/play/skip", "/play/renew"):
        r = playing.post(path, {"conversation": value})
        if path == "/play/renew" and value == "":
            assert r.status_code == 204  # the heartbeat of a page with nothing dealt
            continue
        assert r.status_code == 400, (path, value)
        assert "conversation" in r.content.decode().lower()
    assert Conversation.objects.get(dealt_to=contributor) == held  # nothing changed
    r = playing.post("/play/skip", {})
    assert r.status_code == 400 and "Say which conversation" in r.content.decode()


def test_a_skip_outside_play_is_a_400_too(playing):
    r = playing.post("/play/skip", {"conversation": "abc"})
    assert r.status_code == 400 and "number" in r.content.decode()


def test_renew_keeps_the_lease_and_the_session_alive(playing, contributor):
    playing.post(f"/play/{MODERATED}/start")
    held = Conversation.objects.get(dealt_to=contributor)
    before = PlaySession.objects.get().last_seen_at
    assert playing.post("/play/renew", {"conversation": held.pk}).status_code == 204
    assert PlaySession.objects.get().last_seen_at > before
    other = Conversation.objects.exclude(pk=held.pk).get()
    assert (
        "no longer dealt to you"
        in playing.post("/play/renew", {"conversation": other.pk}).content.decode()
    )
    play.stop(agent=contributor)
    assert "Play Mode has ended" in playing.post("/play/renew").content.decode()
