"""The pages with Django's test client: sign-in required, roles, clear messages on bad input."""

from socialdesk.conversations.models import Conversation, Status
from socialdesk.outbox.models import OutboundAction


def test_pages_need_a_sign_in(client, demo):
    r = client.get("/")
    assert r.status_code == 302 and r["Location"].startswith("/login/")


def test_an_unknown_queue_is_a_friendly_404(client, contributor):
    client.force_login(contributor)
    r = client.get("/queues/nope/")
    assert r.status_code == 404
    assert b"Back to your queues" in r.content
    assert client.post("/play/nope/start").status_code == 404


def test_a_moderator_queue_is_hidden_from_contributors(client, contributor):
    client.force_login(contributor)
    assert client.get("/queues/twitter-all/").status_code == 404
    home = client.get("/").content.decode()
    assert "Twitter conversations - Moderated" in home and "Twitter - All" not in home


def test_customer_text_is_escaped(client, contributor, demo, inbound):
    from socialdesk.ingestion.services import ingest

    ingest([inbound('<script>alert("x")</script> help')])
    client.force_login(contributor)
    page = client.get(f"/c/{Conversation.objects.get().pk}/").content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_close_without_a_reason_keeps_the_conversation_open(client, contributor, conversation):
    client.force_login(contributor)
    r = client.post(f"/c/{conversation.pk}/close", {"reason": ""}, follow=True)
    assert "Choose one of the closing reasons" in r.content.decode()
    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN


def test_reply_in_play_mode_deals_the_next_conversation(client, contributor, demo, inbound):
    from socialdesk.ingestion.services import ingest

    ingest([inbound("first"), inbound("second")])
    client.force_login(contributor)
    client.post("/play/twitter-conversations-moderated/start")
    first = client.get("/play/").context["c"]
    r = client.post(f"/c/{first.pk}/reply", {"text": "Thanks!", "then": "close", "close_reason": "acknowledged", "play": "1"})
    assert r.status_code == 302 and r["Location"] == "/play/"
    second = client.get("/play/").context["c"]
    assert second.pk != first.pk
    assert OutboundAction.objects.count() == 1
