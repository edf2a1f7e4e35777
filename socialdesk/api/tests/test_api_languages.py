"""The API's errors speak the caller's language — the token's person's, else Accept-Language —
while their `code`, `status` and `field`, which programs read, stay the same in every language."""

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from socialdesk.people.models import ApiToken, Profile, TokenScope


def in_language(code: str, message: str) -> str:
    with translation.override(code):
        theirs = gettext(message)
    assert theirs != message, f"{message!r} is not translated into {code}"
    return theirs


@pytest.fixture(autouse=True)
def _english_afterwards():
    # A request activates its language for the rest of the thread; later tests read English.
    yield
    translation.activate("en")


def call(method, path, body=None, *, token=None, accept_language="en"):
    headers = {"HTTP_ACCEPT_LANGUAGE": accept_language}
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    fn = getattr(Client(), method)
    if body is None:
        return fn(f"/api/v1{path}", **headers)
    return fn(f"/api/v1{path}", body, content_type="application/json", **headers)


def test_a_german_persons_token_gets_german_errors_with_the_same_codes(contributor, conversation):
    Profile.objects.filter(user=contributor).update(language="de")
    token = ApiToken.issue(contributor, "de")[1]
    # The person's language wins over what the client sends.
    r = call("post", "/play/next", {"queue": "nope"}, token=token, accept_language="en")
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    assert r.json()["detail"] == in_language(
        "de", "Unknown queue '%(slug)s'. GET /api/v1/queues lists yours."
    ) % {"slug": "nope"}

    # The API's own refusal, and the action layer's, with the field at fault.
    path = f"/conversations/{conversation.pk}/reminders"
    r = call("post", path, {"due_at": "morgen früh"}, token=token)
    assert (r.status_code, r.json()["code"]) == (400, "bad_request")
    assert r.json()["detail"] == in_language(
        "de", "due_at must be an ISO 8601 date and time, e.g. 2026-12-01T09:00:00Z."
    )
    r = call("post", path, {"due_at": "2001-01-01T09:00:00Z"}, token=token)
    assert (r.status_code, r.json()["code"], r.json()["field"]) == (400, "bad_request", "due_at")
    assert r.json()["detail"] == in_language("de", "A reminder must be in the future.")

    # A method the path does not take (django-ninja's own 405, rewritten before any token is
    # read: the client's language).
    r = call("delete", "/queues", token=token, accept_language="de")
    assert (r.status_code, r.json()["code"]) == (405, "method_not_allowed")
    assert r.json()["detail"] == in_language(
        "de", "%(method)s is not allowed here; this path takes %(allowed)s."
    ) % {"method": "DELETE", "allowed": r["Allow"]}

    # A read-only token trying to change something.
    reader = ApiToken.issue(contributor, "lesen", scope=TokenScope.READ)[1]
    r = call("post", f"/conversations/{conversation.pk}/notes", {"text": "x"}, token=reader)
    assert (r.status_code, r.json()["code"]) == (403, "read_only_token")
    assert r.json()["detail"] == in_language(
        "de", "This token may only read: make an 'act' token to change anything."
    )


def test_without_a_language_of_their_own_the_callers_accept_language_is_used(
    contributor, conversation
):
    # No token at all: the browser's or client's language.
    r = call("get", "/queues", accept_language="de-DE,de;q=0.9")
    assert (r.status_code, r.json()["code"]) == (401, "not_authenticated")
    assert r.json()["detail"] == in_language(
        "de", "Sign in or send 'Authorization: Bearer <token>' with a token that has not expired."
    )
    # A token whose person follows their browser.
    token = ApiToken.issue(contributor, "fr")[1]
    r = call("post", "/play/next", {"queue": "nope"}, token=token, accept_language="fr")
    assert r.json()["detail"] == in_language(
        "fr", "Unknown queue '%(slug)s'. GET /api/v1/queues lists yours."
    ) % {"slug": "nope"}
    # And English stays English, code and all.
    r = call("post", "/play/next", {"queue": "nope"}, token=token)
    assert r.json() == {
        "status": 404,
        "code": "not_found",
        "detail": "Unknown queue 'nope'. GET /api/v1/queues lists yours.",
    }


def test_a_schema_refusal_names_each_problem_in_the_callers_language(contributor, conversation):
    """The schema library's own refusals (422) by their stable `type`: `msg` in German for a
    German caller, the same `type` and `loc` as in English."""
    token = ApiToken.issue(contributor, "de")[1]
    path = f"/conversations/{conversation.pk}/reply"
    body = {"text": "ok", "signature_id": 0, "signed": "vielleicht"}
    english = call("post", path, body, token=token, accept_language="en").json()
    german = call("post", path, body, token=token, accept_language="de").json()
    assert [(e["loc"], e["type"]) for e in german["errors"]] == [
        (e["loc"], e["type"]) for e in english["errors"]
    ]
    by_type = {e["type"]: e["msg"] for e in german["errors"]}
    assert by_type["greater_than_equal"] == in_language("de", "must be at least %(ge)s") % {
        "ge": "1"
    }
    assert by_type["bool_parsing"] == in_language("de", "must be true or false")
    assert {e["type"]: e["msg"] for e in english["errors"]}["bool_parsing"] == (
        "must be true or false"
    )
    missing = call("post", path, {}, token=token, accept_language="de").json()
    assert missing["errors"][0]["msg"] == in_language("de", "required")
    assert in_language("de", "required") in missing["detail"]
