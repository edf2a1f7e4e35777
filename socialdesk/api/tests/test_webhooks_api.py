"""Webhooks through the API (community managers), and the API's one error shape for every
status, 405 included."""

import pytest

from socialdesk.outbox.models import WebhookDelivery
from socialdesk.people.models import ApiToken
from socialdesk.webhooks import signing
from socialdesk.webhooks.models import WebhookSubscription


@pytest.fixture
def call(client, agents):
    tokens = {role: ApiToken.issue(agents[role], "t", scope="act")[1] for role in agents}

    def call(method, path, body=None, *, role="cm"):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {tokens[role]}"}
        fn = getattr(client, method)
        if body is None:
            return fn(f"/api/v1{path}", **headers)
        return fn(f"/api/v1{path}", body, content_type="application/json", **headers)

    return call


def test_a_community_manager_manages_webhooks_through_the_api(call, settings):
    settings.SOCIALDESK_WEBHOOKS_ALLOW_PRIVATE = True
    r = call(
        "post",
        "/webhooks",
        {"name": "CRM", "url": "http://127.0.0.1:9/in", "events": ["conversation.closed"]},
    )
    assert r.status_code == 201, r.content
    created = r.json()
    secret = created.pop("secret")
    assert secret.startswith("whsec_")
    hook = WebhookSubscription.objects.get(pk=created["id"])
    assert hook.secret == secret and hook.created_by.username == "cm"
    # Never shown again.
    assert "secret" not in call("get", f"/webhooks/{hook.pk}").json()
    assert [w["id"] for w in call("get", "/webhooks").json()] == [hook.pk]

    r = call("patch", f"/webhooks/{hook.pk}", {"active": False, "events": ["message.received"]})
    assert r.status_code == 200 and r.json()["active"] is False
    assert r.json()["events"] == ["message.received"]

    r = call("post", f"/webhooks/{hook.pk}/secret")
    assert r.status_code == 200 and r.json()["secret"] not in ("", secret)
    hook.refresh_from_db()
    assert hook.secret == r.json()["secret"] and hook.secret_rotated_at is not None

    r = call("post", f"/webhooks/{hook.pk}/test")
    assert r.status_code == 202 and r.json()["event"] == "ping"
    assert r.json()["state"] == "pending" and r.json()["tries"] == []
    log = call("get", f"/webhooks/{hook.pk}/deliveries").json()
    assert [d["event_id"] for d in log] == [
        str(e) for e in WebhookDelivery.objects.values_list("event_id", flat=True)
    ]

    assert call("delete", f"/webhooks/{hook.pk}").status_code == 200
    assert call("get", f"/webhooks/{hook.pk}").status_code == 404
    assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize("role", ["contributor", "moderator"])
def test_other_roles_may_not_see_or_add_webhooks(call, role, settings):
    settings.SOCIALDESK_WEBHOOKS_ALLOW_PRIVATE = True
    for method, path, body in [
        ("get", "/webhooks", None),
        ("post", "/webhooks", {"name": "x", "url": "http://127.0.0.1:9/", "events": ["ping"]}),
        (
            "post",
            "/webhooks",
            {"name": "x", "url": "http://127.0.0.1:9/", "events": ["conversation.closed"]},
        ),
    ]:
        r = call(method, path, body, role=role)
        assert r.status_code in (403, 422) and r.json()["status"] == r.status_code
    assert not WebhookSubscription.objects.exists()


def test_a_private_address_is_refused_with_the_field(call, settings):
    settings.SOCIALDESK_WEBHOOKS_ALLOW_PRIVATE = False
    r = call(
        "post",
        "/webhooks",
        {"name": "x", "url": "http://169.254.169.254/", "events": ["conversation.closed"]},
    )
    assert r.status_code == 400
    assert r.json()["field"] == "url" and "private" in r.json()["detail"]


@pytest.mark.parametrize(
    "method,path",
    [
        ("delete", "/queues"),
        ("get", "/play/next"),
        ("put", "/conversations/1"),
        ("patch", "/webhooks"),
        ("get", "/webhooks/1/test"),
    ],
)
def test_a_method_a_path_does_not_take_answers_in_the_error_shape(call, method, path):
    r = call(method, path)
    assert r.status_code == 405
    assert r["Content-Type"].startswith("application/json")
    body = r.json()
    assert body["status"] == 405 and method.upper() in body["detail"]
    assert r["Allow"] and method.upper() not in r["Allow"]


def test_verify_refuses_an_old_timestamp_and_a_changed_body():
    value = signing.header("whsec_x", b"{}", timestamp=1_000_000)
    assert signing.verify("whsec_x", b"{}", value, now=1_000_100) == 1_000_000
    with pytest.raises(signing.BadSignature):
        signing.verify("whsec_x", b"{}", value, now=1_000_000 + 301)
    with pytest.raises(signing.BadSignature):
        signing.verify("whsec_x", b"{ }", value, now=1_000_000)
    with pytest.raises(signing.BadSignature):
        signing.verify("whsec_x", b"{}", "v1=abc", now=1_000_000)


def test_an_unknown_path_is_a_json_404_for_every_method(agents):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(agents["cm"])
    for method in ("get", "post", "delete", "patch"):
        r = getattr(client, method)("/api/v1/webhooks/null,null/test")
        assert r.status_code == 404, method
        assert r.json() == {"status": 404, "code": "not_found", "detail": "Not Found"}
