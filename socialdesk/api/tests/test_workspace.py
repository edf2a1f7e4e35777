"""The API's list and search, tokens' scope and expiry, the one error shape, the workspace's
actions over HTTP (each through the action function its page calls) and the published OpenAPI."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from socialdesk.actions import conversation as actions
from socialdesk.actions import deal as play_services
from socialdesk.actions.inbound import ingest
from socialdesk.api.openapi import DOC, document
from socialdesk.conversations.models import Activity, Conversation, Reminder, Status
from socialdesk.outbox.models import ActionState, OutboundAction
from socialdesk.people.models import ApiToken
from socialdesk.queues.models import Queue


def caller(user, *, scope="act", expires_at=None):
    key = ApiToken.issue(user, "test", scope=scope, expires_at=expires_at)[1]
    client = Client()

    def call(method, path, body=None):
        fn = getattr(client, method)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
        if body is None:
            return fn(f"/api/v1{path}", **headers)
        return fn(f"/api/v1{path}", json.dumps(body), content_type="application/json", **headers)

    return call


def assert_error(r, status):
    body = r.json()
    assert r.status_code == status, body
    assert body["status"] == status and isinstance(body["detail"], str) and body["detail"]
    # The machine-readable name of the error, the same in every language.
    assert body["code"] and body["code"].isascii() and " " not in body["code"]
    return body


@pytest.fixture
def convs(agents, inbound):
    ingest(
        [
            inbound(f"Sync stopped working, attempt {i}", handle=f"sync{i}", lang="en")
            for i in range(5)
        ]
        + [
            inbound("Meine Lesezeichen sind verschwunden", handle="greta", lang="de"),
            inbound("Firefox ate my tabs", mention="Firefox", handle="unmod"),
        ]
    )
    return {c.author.handle: c for c in Conversation.objects.select_related("author")}


def test_list_pages_by_keyset_with_the_queue_filters(agents, convs):
    api = caller(agents["cm"])
    seen, after = [], ""
    for _ in range(5):
        r = api("get", f"/conversations?limit=3&status=open&after={after}")
        assert r.status_code == 200, r.json()
        page = r.json()
        seen += [c["id"] for c in page["items"]]
        after = page["next"]
        if not after:
            break
    assert sorted(seen) == sorted(c.pk for c in convs.values())
    assert len(seen) == len(set(seen))
    r = api("get", "/conversations?language=de")
    assert [c["id"] for c in r.json()["items"]] == [convs["greta"].pk]
    r = api("get", "/conversations?status=closed")
    assert r.json() == {"items": [], "next": None}


def test_search_through_the_api_with_what_matched(agents, convs):
    api = caller(agents["cm"])
    r = api("get", "/conversations?q=Lesezeichen")
    items = r.json()["items"]
    assert [c["id"] for c in items] == [convs["greta"].pk]
    assert items[0]["hit"].endswith("Meine Lesezeichen sind verschwunden")
    r = api("get", "/conversations?q=sync&limit=2")
    assert len(r.json()["items"]) == 2 and r.json()["next"]
    r = api("get", "/conversations?q=@greta")
    assert [c["id"] for c in r.json()["items"]] == [convs["greta"].pk]
    body = assert_error(api("get", "/conversations?after=nope"), 400)
    assert body["field"] == "after"
    assert_error(api("get", "/conversations?q=" + "x" * 300), 422)
    assert_error(api("get", "/conversations?queue=nope"), 404)


def test_a_contributor_lists_and_finds_only_what_they_may_see(agents, convs):
    api = caller(agents["contributor"])
    listed = [c["id"] for c in api("get", "/conversations?limit=100").json()["items"]]
    assert convs["unmod"].pk not in listed and convs["greta"].pk in listed
    assert api("get", "/conversations?q=tabs").json()["items"] == []
    assert api("get", f"/conversations?q=%23{convs['unmod'].pk}").json()["items"] == []


def test_a_read_token_reads_and_changes_nothing(agents, convs):
    c = convs["greta"]
    api = caller(agents["cm"], scope="read")
    assert api("get", f"/conversations/{c.pk}").status_code == 200
    body = assert_error(api("post", f"/conversations/{c.pk}/notes", {"text": "fyi"}), 403)
    assert "read" in body["detail"] and body["code"] == "read_only_token"
    assert not c.notes.exists()


def test_an_expired_or_revoked_token_is_refused(agents, convs):
    api = caller(agents["cm"], expires_at=timezone.now() - timedelta(seconds=1))
    assert_error(api("get", "/queues"), 401)
    api = caller(agents["cm"], expires_at=timezone.now() + timedelta(days=1))
    assert api("get", "/queues").status_code == 200
    ApiToken.objects.all().delete()
    assert_error(api("get", "/queues"), 401)


def test_the_token_is_judged_afresh_on_every_call(agents, convs):
    """Nothing of the token is kept between calls (api/tokens.py): a person made inactive, a
    role taken away or a revoked token count from the very next call."""
    from socialdesk.people.models import Profile, Role

    contributor = agents["contributor"]
    api = caller(contributor)
    assert api("get", "/queues").status_code == 200
    assert api("get", "/signatures").status_code == 200
    Profile.objects.filter(user=contributor).update(role=Role.MODERATOR)
    slugs = {q["slug"] for q in api("get", "/queues").json()}
    assert "twitter-all" in slugs  # a moderator's queue, seen at once
    Profile.objects.filter(user=contributor).update(role=Role.CONTRIBUTOR)
    slugs = {q["slug"] for q in api("get", "/queues").json()}
    assert "twitter-all" not in slugs
    type(contributor).objects.filter(pk=contributor.pk).update(is_active=False)
    assert_error(api("get", "/queues"), 401)
    type(contributor).objects.filter(pk=contributor.pk).update(is_active=True)
    assert api("get", "/queues").status_code == 200
    ApiToken.objects.filter(user=contributor).delete()
    assert_error(api("get", "/queues"), 401)


def test_a_person_without_a_profile_is_refused_what_needs_a_role(agents, convs):
    from socialdesk.people.models import Profile

    contributor = agents["contributor"]
    api = caller(contributor)
    Profile.objects.filter(user=contributor).delete()
    assert api("get", "/queues").json() == []
    c = convs["greta"]
    assert_error(api("post", f"/conversations/{c.pk}/notes", {"text": "fyi"}), 404)


def test_every_error_has_one_shape(agents, convs):
    api = caller(agents["contributor"])
    c = convs["greta"]
    assert_error(Client().get("/api/v1/queues"), 401)
    assert_error(api("get", f"/conversations/{convs['unmod'].pk}"), 404)
    assert_error(api("get", "/conversations/999999999"), 404)
    assert_error(api("post", f"/conversations/{c.pk}/retweet", {"approve": True}), 403)
    assert_error(api("post", f"/conversations/{c.pk}/hold", {"reason": "nonsense"}), 400)
    body = assert_error(api("post", f"/conversations/{c.pk}/notes", {"txt": 1}), 422)
    assert body["errors"][0]["loc"]
    Conversation.objects.filter(pk=c.pk).update(
        dealt_to=agents["moderator"], lease_expires_at=timezone.now() + timedelta(hours=1)
    )
    assert_error(api("post", f"/conversations/{c.pk}/close", {"reason": "resolved"}), 409)


def test_merge_and_split(agents, inbound):
    first = inbound("Bookmarks gone", author_id="55", handle="same")
    ingest([first])
    ingest([inbound("Also the history", author_id="55", handle="same")])
    a, b = Conversation.objects.order_by("pk")
    assert a.pk != b.pk
    api = caller(agents["cm"])
    r = api("post", f"/conversations/{a.pk}/merge", {"other": b.pk})
    assert r.status_code == 200, r.json()
    assert len(r.json()["messages"]) == 2
    b.refresh_from_db()
    assert b.merged_into_id == a.pk and b.status == Status.CLOSED
    later = a.messages.order_by("created_at", "pk").last()
    r = api("post", f"/conversations/{a.pk}/split", {"message_id": later.pk})
    assert r.status_code == 201, r.json()
    new = Conversation.objects.get(pk=r.json()["id"])
    assert list(new.messages.values_list("pk", flat=True)) == [later.pk]
    assert_error(api("post", f"/conversations/{a.pk}/merge", {"other": a.pk}), 400)


def test_bulk_does_each_it_may_and_says_why_not_the_others(agents, convs):
    api = caller(agents["contributor"])
    ids = [convs["sync0"].pk, convs["sync1"].pk, convs["unmod"].pk]
    r = api("post", "/conversations/bulk", {"ids": ids, "action": "close", "value": "resolved"})
    assert r.status_code == 200, r.json()
    assert r.json()["done"] == 2
    assert r.json()["problems"] == [f"#{convs['unmod'].pk}: Not Found"]
    statuses = dict(Conversation.objects.filter(pk__in=ids).values_list("pk", "status"))
    assert statuses == {ids[0]: "closed", ids[1]: "closed", ids[2]: "open"}
    assert_error(api("post", "/conversations/bulk", {"ids": ids, "action": "explode"}), 422)
    assert_error(api("post", "/conversations/bulk", {"ids": ids, "action": "tag"}), 400)


def test_approve_and_return(agents, convs):
    contributor, moderator = agents["contributor"], agents["moderator"]
    actions.set_requires_approval(actor=moderator, agent=contributor, on=True)
    for handle in ("sync0", "sync1"):
        actions.reply(actor=contributor, conversation=convs[handle], text="Try a new profile")
    waiting = caller(moderator)("get", "/approvals").json()
    assert len(waiting) == 2 and waiting[0]["by"] == "contributor"
    assert_error(caller(contributor)("get", "/approvals"), 403)
    api = caller(moderator)
    r = api("post", f"/approvals/{waiting[0]['action_id']}/approve", {"text": "Try safe mode"})
    assert r.status_code == 200, r.json()
    approved = OutboundAction.objects.get(pk=waiting[0]["action_id"])
    assert approved.state == ActionState.PENDING and approved.text == "Try safe mode"
    assert_error(api("post", f"/approvals/{waiting[1]['action_id']}/return", {"note": " "}), 400)
    r = api("post", f"/approvals/{waiting[1]['action_id']}/return", {"note": "Say which menu"})
    assert r.status_code == 200
    assert OutboundAction.objects.get(pk=waiting[1]["action_id"]).state == ActionState.RETURNED
    assert_error(api("post", f"/approvals/{waiting[0]['action_id']}/approve", {}), 409)


def test_skip_deals_the_next(agents, convs):
    contributor = agents["contributor"]
    queue = Queue.objects.get(slug="twitter-conversations-moderated")
    play_services.start(agent=contributor, queue=queue)
    dealt = play_services.deal_next(agent=contributor, queue=queue)
    api = caller(contributor)
    r = api("post", "/play/skip", {"conversation_id": dealt.pk})
    assert r.status_code == 200, r.content
    assert r.json()["id"] != dealt.pk
    assert Activity.objects.filter(conversation=dealt, kind="skipped").exists()


def test_skip_without_playing_says_so(agents, convs):
    r = caller(agents["contributor"])("post", "/play/skip", {"conversation_id": convs["sync0"].pk})
    assert "Play" in assert_error(r, 400)["detail"]
    r = caller(agents["contributor"])("post", "/play/skip", {"conversation_id": 2**62})
    assert_error(r, 404)


def test_retry_triage_and_reminders(agents, convs):
    cm = agents["cm"]
    c = convs["sync2"]
    failed = OutboundAction.objects.create(
        kind="like",
        conversation=c,
        account=c.account,
        target_platform_id=c.messages.first().platform_id,
        state=ActionState.FAILED,
        last_error="refused",
        created_by=cm,
    )
    api = caller(cm)
    assert api("post", f"/outbox/{failed.pk}/retry").status_code == 200
    failed.refresh_from_db()
    assert failed.state != ActionState.FAILED

    r = api("post", f"/conversations/{c.pk}/triage", {"field": "type", "chosen": "feedback"})
    assert r.status_code == 200, r.json()
    c.refresh_from_db()
    assert c.type == "feedback"
    assert_error(
        api("post", f"/conversations/{c.pk}/triage", {"field": "colour", "chosen": "red"}), 422
    )

    due = timezone.now() + timedelta(hours=2)
    r = api(
        "post", f"/conversations/{c.pk}/reminders", {"due_at": due.isoformat(), "note": "again"}
    )
    assert r.status_code == 201
    mine = api("get", "/reminders").json()
    assert [(m["conversation_id"], m["note"]) for m in mine] == [(c.pk, "again")]
    assert caller(agents["moderator"])("get", "/reminders").json() == []
    assert_error(caller(agents["moderator"])("post", f"/reminders/{mine[0]['id']}/done"), 404)
    assert api("post", f"/reminders/{mine[0]['id']}/done").status_code == 200
    assert Reminder.objects.get(pk=mine[0]["id"]).done


def test_the_published_openapi_document_is_up_to_date():
    assert DOC.read_text(encoding="utf-8") == document(), (
        "docs/openapi.json is out of date: run `python manage.py api_schema`"
    )


def test_the_openapi_document_names_errors_tags_and_enumerations():
    schema = json.loads(document())
    assert "ErrorOut" in schema["components"]["schemas"]
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            assert op.get("tags"), (method, path)
            for status in ("401", "404", "422"):
                assert status in op["responses"], (method, path, status)
    bulk = schema["components"]["schemas"]["BulkIn"]["properties"]["action"]
    assert set(bulk["enum"]) == {"tag", "assign_queue", "hold", "close", "moderate"}
