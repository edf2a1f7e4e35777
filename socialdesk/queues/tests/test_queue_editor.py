from socialdesk.queues.models import Queue
from socialdesk.queues.selectors import queue_conversations


def test_a_cm_creates_a_queue_from_rules_and_bad_input_is_explained(client, agents, inbound):
    from socialdesk.ingestion.services import ingest

    ingest([inbound("hallo", mention="mozilla_germany", lang="de"), inbound("hello")])
    client.force_login(agents["cm"])
    r = client.post("/manage/queues/new", {"name": "German", "kind": "rules", "visible_to": "contributor", "position": 5, "languages": "de, x1", "moderated": "yes"})
    assert r.status_code == 400 and "Not a language code: x1" in r.content.decode()
    r = client.post("/manage/queues/new", {"name": "Escalation", "kind": "rules", "visible_to": "contributor", "position": 5})
    assert "exists already" in r.content.decode()
    r = client.post("/manage/queues/new", {"name": "German", "kind": "rules", "visible_to": "contributor", "position": 5, "languages": "de", "moderated": "yes"})
    assert r.status_code == 302
    queue = Queue.objects.get(slug="german")
    assert queue.rules == {"languages": ["de"], "moderated": True}
    assert [c.language for c in queue_conversations(queue=queue)] == ["de"]
    r = client.post(f"/manage/queues/{queue.pk}/", {"name": "German speakers", "kind": "rules", "visible_to": "moderator", "position": 5, "languages": "de"})
    queue.refresh_from_db()
    assert (queue.name, queue.visible_to) == ("German speakers", "moderator")


def test_only_community_managers_edit_queues(client, agents):
    for name in ("contributor", "moderator"):
        client.force_login(agents[name])
        assert client.get("/manage/queues/").status_code == 403
        assert client.post("/manage/queues/new", {"name": "Mine", "kind": "rules", "visible_to": "contributor", "position": 1}).status_code == 403
    assert not Queue.objects.filter(slug="mine").exists()
