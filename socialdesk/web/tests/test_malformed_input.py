"""Bad input gets a clear error, never a 500: every field of every form and API operation, with
letters where an id belongs, ids no row can have, empty values, NULs, lone surrogates and very
long strings.

The forms' fields are listed here beside the access table (a POST route without an entry fails
`test_every_form_route_is_fuzzed`); the API's fields are read from its OpenAPI schema, so a new
field is fuzzed without anyone listing it. Each request runs in its own savepoint and is rolled
back, so one request's effect does not hide another's failure.

About 13,000 requests: the forms and the API operations are cut into parts, each in a module of
its own (`test_malformed_forms_<n>.py`, `test_malformed_api_<n>.py`), so that `make test`, which
runs each module whole on one worker, spreads them over the machine's cores. The tables and the
checks stay here, with the query strings and the paths; `test_every_part_has_its_module` keeps
every route in some part.
"""

import importlib.util
import json
from urllib.parse import quote, urlencode

import pytest
from django.db import transaction
from django.test import Client

from socialdesk.api.api import api as ninja_api

from .test_access import (
    ACCESS,
    WEBHOOK_URL,
    _application,
    _clipping,
    _first,
    _rule,
    _saved_filter,
    _webhook,
)
from .world import sign_in

BAD_TEXT = [
    "abc",
    "99999999999999999999",
    "-1",
    "0",
    "1.5",
    "²",
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "x" * 100_000,
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "%s%n",
    "\u202egnp.exe",
]
BAD_JSON = [*BAD_TEXT, 99999999999999999999, -1, 1.5, None, True, [], {}, ["a"], {"a": 1}]
BAD_IDS = ["abc", "99999999999999999999", "-1", "0", "1.5", "²", "%00", "%ED%A0%80", "x" * 5000]


def _c(w):
    return w["conversations"]["moderated"]


def on_row(path: str, model: str, data: dict, **where):
    """A form about one row of a settings page: `path` with the first row of `model` (its
    `where`) in place of `{}`, found when the case runs."""
    return lambda w: (path.format(_first(model, **where)), data)


# route -> world -> (path, valid form data): each field is replaced by each bad value in turn, then all at once.
FORMS = {
    "logout": lambda w: ("/logout/", {"next": "/"}),
    "save_filter": lambda w: (
        "/queues/twitter-conversations-moderated/filters",
        {"name": "Mine", "tag": "sync", "status": "open"},
    ),
    "bulk_action": lambda w: (
        "/queues/twitter-conversations-moderated/bulk",
        {
            "ids": "1",
            "action": "close",
            "value": "resolved",
            "scope": "",
            "tag": "sync",
            "status": "open",
        },
    ),
    "play_start": lambda w: (
        "/play/twitter-conversations-moderated/start",
        {"tag": "sync", "type": "feedback", "language": "en"},
    ),
    "play_skip": lambda w: ("/play/skip", {"conversation": str(_c(w).pk)}),
    "play_stop": lambda w: ("/play/stop", {}),
    "play_next": lambda w: ("/play/next", {"start_over": "1"}),
    "play_renew": lambda w: ("/play/renew", {"conversation": str(_c(w).pk)}),
    "presence": lambda w: (f"/c/{_c(w).pk}/presence", {}),
    "take_over": lambda w: (f"/c/{w['conversations']['dealt'].pk}/take-over", {}),
    "reply": lambda w: (
        f"/c/{_c(w).pk}/reply",
        {
            "text": "Try this",
            "then": "close",
            "hold_reason": "waiting_customer",
            "close_reason": "resolved",
            "confirm": "on",
            "clipping": "1",
            "play": "1",
        },
    ),
    "note": lambda w: (f"/c/{_c(w).pk}/note", {"text": "fyi", "play": ""}),
    "hold": lambda w: (f"/c/{_c(w).pk}/hold", {"reason": "waiting_internal", "play": "1"}),
    "close": lambda w: (f"/c/{_c(w).pk}/close", {"reason": "resolved", "play": "1"}),
    "moderate": lambda w: (f"/c/{_c(w).pk}/moderate", {"play": "1"}),
    "like": lambda w: (f"/c/{_c(w).pk}/like/{w['later_messages']['moderated']}", {}),
    "sentiment": lambda w: (f"/c/{_c(w).pk}/sentiment", {"sentiment": "negative"}),
    "tag": lambda w: (f"/c/{_c(w).pk}/tag", {"tag": "Sync", "remove": "1"}),
    "user_tag": lambda w: (f"/c/{_c(w).pk}/user-tag", {"kind": "influencer", "on": "1"}),
    "reminder": lambda w: (
        f"/c/{_c(w).pk}/reminder",
        {"due_at": "2099-01-01T09:00", "note": "later"},
    ),
    "assign": lambda w: (f"/c/{_c(w).pk}/assign", {"to": "user:1", "note": "yours"}),
    "escalate": lambda w: (
        f"/c/{_c(w).pk}/escalate",
        {"note": "look", "holding_reply": "We're on it", "recommend_retweet": "on"},
    ),
    "retweet_decision": lambda w: (f"/c/{_c(w).pk}/retweet", {"approve": "1", "note": "ok"}),
    "merge": lambda w: (f"/c/{_c(w).pk}/merge", {"other": str(w["siblings"]["moderated"].pk)}),
    "split": lambda w: (f"/c/{_c(w).pk}/split/{w['later_messages']['moderated']}", {}),
    "dismiss_reminder": lambda w: (f"/reminders/{w['reminders']['admin']}/done", {"next": "/"}),
    "retry_action": lambda w: (f"/outbox/{w['failed']['moderated']}/retry", {}),
    "approval_decision": lambda w: (
        f"/approvals/{w['approvals']['moderated']}",
        {"decision": "approve", "text": "Edited", "note": "why"},
    ),
    "manage_agents": lambda w: (
        "/manage/agents/",
        {"agent": str(w["users"]["other"].pk), "on": "1"},
    ),
    "ingestion_filters": lambda w: ("/manage/filters/", {"let_through": str(w["filtered"])}),
    "set_aside_retry": lambda w: (f"/manage/set-aside/{w['set_aside']}/retry", {}),
    "set_aside_dismiss": lambda w: (
        f"/manage/set-aside/{w['set_aside']}/dismiss",
        {"reason": "spam"},
    ),
    "ingestion_filters:settings": lambda w: (
        "/manage/filters/",
        {"drop_reposts": "on", "muted_words": "boycott", "allowed_hashtags": "firefox"},
    ),
    "personal_settings": lambda w: ("/settings/", {"signature": "^AB"}),
    "api_tokens": lambda w: (
        "/settings/tokens/",
        {"op": "create", "name": "script", "scope": "read", "days": "30"},
    ),
    "api_tokens:revoke": lambda w: ("/settings/tokens/", {"op": "revoke", "token": "1"}),
    "password_change": lambda w: (
        "/settings/password/",
        {
            "old_password": "connect-the-accounts",
            "new_password1": "quiet-harbour-lanterns",
            "new_password2": "quiet-harbour-lanterns",
        },
    ),
    "sign_out_everywhere": lambda w: ("/settings/sign-out-everywhere", {}),
    "notifications_read": lambda w: ("/notifications/read", {"id": "1", "open": "1"}),
    "notification_settings": lambda w: ("/settings/notifications", {"email": "assigned"}),
    "time_zone_settings": lambda w: ("/settings/time-zone", {"time_zone": "Europe/Berlin"}),
    "language_settings": lambda w: ("/settings/language", {"language": "de"}),
    "set_language": lambda w: ("/i18n/setlang/", {"language": "de", "next": "/login/"}),
    "two_factor_setup": lambda w: (
        "/settings/two-factor/",
        {"op": "confirm", "code": "123456", "next": "/"},
    ),
    "two_factor_verify": lambda w: ("/login/code", {"code": "123456", "next": "/"}),
    "leave": lambda w: ("/settings/leave", {"password": "connect-the-accounts", "confirm": "on"}),
    "password_reset": lambda w: ("/password-reset/", {"email": "admin@example.org"}),
    "apply": lambda w: (
        "/apply/",
        {
            "name": "Ana",
            "email": "ana@example.org",
            "handle": "ana",
            "started_on": "2026-01-05",
            "privacy": "on",
            "contact": "on",
            "criterion_experience": "on",
            "criterion_respect": "on",
            "criterion_clarity": "on",
            "criterion_collaboration": "on",
            "criterion_judgement": "on",
            "criterion_nda": "on",
        },
    ),
    "application_decision": lambda w: (
        f"/manage/applications/{_application()}/decide",
        {"decision": "approve", "role": "moderator", "reason": "ok"},
    ),
    "people": lambda w: (
        "/manage/people/",
        {
            "op": "role",
            "user": str(w["users"]["other"].pk),
            "role": "moderator",
            "confirm": "other",
        },
    ),
    "people:delete": lambda w: (
        "/manage/people/",
        {"op": "delete", "user": str(w["users"]["other"].pk), "confirm": "other"},
    ),
    "invite": lambda w: (
        "/manage/applications/invite",
        {"name": "Ana", "email": "ana@example.org", "role": "contributor", "language": "pt-br"},
    ),
    "password_reset_confirm": lambda w: (
        "/password-reset/MQ/set-password/",
        {"new_password1": "quiet-harbour-lanterns", "new_password2": "quiet-harbour-lanterns"},
    ),
    "triage_correct": lambda w: (
        f"/triage/c/{_c(w).pk}/correct",
        {"field": "type", "chosen": "feedback"},
    ),
    "triage_escalate_cluster": lambda w: (
        "/triage/clusters/escalate",
        {"conversations": f"{_c(w).pk},{w['siblings']['moderated'].pk}", "reason": "same"},
    ),
    "edit_queue": lambda w: (
        f"/manage/queues/{w['queue_pk']}/",
        {"name": "Escalation", "kind": "assignment", "visible_to": "contributor"},
    ),
    "new_queue": lambda w: (
        "/manage/queues/new",
        {"name": "German", "languages": "de", "visible_to": "contributor", "kind": "rules"},
    ),
    "triage_rules": lambda w: (
        "/triage/rules/",
        {"name": "r", "tag": "1", "keywords": "crash", "regex": "", "active": "on"},
    ),
    "triage_rule": lambda w: (
        f"/triage/rules/{w['tag_rule']}/",
        {"name": "r", "tag": "1", "keywords": "crash", "preview": "1"},
    ),
    "login": lambda w: ("/login/", {"username": "admin", "password": "nope", "next": "/"}),
    "account_add": lambda w: (
        "/manage/accounts/new",
        {
            "platform": "mastodon",
            "handle": "desk",
            "display_name": "Desk",
            "kind": "support",
            "locale": "en",
            "api_base": "https://mastodon.example",
        },
    ),
    "account_connect": lambda w: (
        f"/manage/accounts/{w['account_pk']}/connect",
        {"method": "app_only", "bearer_token": "t"},
    ),
    "account_connect:mastodon": lambda w: (
        f"/manage/accounts/{w['mastodon_pk']}/connect",
        {"method": "token", "instance": "https://mastodon.example", "access_token": "t"},
    ),
    "account_connect:oauth": lambda w: (
        f"/manage/accounts/{w['mastodon_pk']}/connect",
        {"method": "oauth", "instance": "http://127.0.0.1:9"},
    ),
    "account_check": lambda w: (f"/manage/accounts/{w['account_pk']}/check", {}),
    "clippings": lambda w: (
        "/manage/clippings/",
        {"title": "Cache", "text": "Hi {name}, clear the cache", "language": "en"},
    ),
    "edit_clipping": lambda w: (
        f"/manage/clippings/{_clipping()}/",
        {"title": "Cache", "text": "Hi {handle}", "language": "pt-BR", "is_holding_reply": "on"},
    ),
    "delete_clipping": lambda w: (f"/manage/clippings/{_clipping()}/delete", {}),
    "reports_business_hours": lambda w: (
        "/reports/business-hours/",
        {
            "enabled": "on",
            "time_zone": "Europe/Berlin",
            "start": "09:00",
            "end": "17:00",
            "weekdays": "0",
        },
    ),
    "escalation_useful": lambda w: (f"/c/{_c(w).pk}/escalation-useful", {}),
    "webhooks": lambda w: (
        "/manage/webhooks/",
        {"name": "Hook", "url": WEBHOOK_URL, "events": "conversation.closed", "active": "on"},
    ),
    "webhook": lambda w: (
        f"/manage/webhooks/{_webhook()}/",
        {"name": "Hook", "url": WEBHOOK_URL, "events": "message.received", "active": ""},
    ),
    "webhook_rotate": lambda w: (f"/manage/webhooks/{_webhook()}/rotate", {}),
    "webhook_test": lambda w: (f"/manage/webhooks/{_webhook()}/test", {}),
    "webhook_delete": lambda w: (f"/manage/webhooks/{_webhook()}/delete", {}),
    "respond_from": lambda w: (
        "/manage/accounts/respond-from/",
        {
            "position": "5",
            "platform": "twitter",
            "mentioned": str(w["account_pk"]),
            "respond_from": str(w["account_pk"]),
            "note": "n",
        },
    ),
    "delete_rule": lambda w: (f"/manage/accounts/respond-from/{_rule()}/delete", {}),
    # The settings pages (PE3).
    "manage_saved_filters": lambda w: (
        "/manage/saved-filters/",
        {
            "user": str(w["users"]["other"].pk),
            "queue": str(w["queue_pk"]),
            "name": "Sync in German",
            "tags": "sync",
            "languages": "de, (none)",
            "statuses": "open",
        },
    ),
    "manage_saved_filters_edit": lambda w: (
        f"/manage/saved-filters/{_saved_filter()}/",
        {
            "user": str(w["users"]["other"].pk),
            "queue": str(w["queue_pk"]),
            "name": "Renamed",
            "types": "private_message",
            "sentiments": "negative",
        },
    ),
    "manage_saved_filters_delete": lambda w: (
        f"/manage/saved-filters/{_saved_filter()}/delete",
        {},
    ),
    "manage_tags": lambda w: ("/manage/tags/", {"name": "Relay", "slug": "relay"}),
    "manage_tags_edit": on_row(
        "/manage/tags/{}/", "conversations.Tag", {"name": "Sync again", "slug": "sync-again"}
    ),
    "manage_tags_delete": on_row("/manage/tags/{}/delete", "conversations.Tag", {}),
    "manage_user_tags": lambda w: (
        "/manage/user-tags/",
        {
            "platform": "twitter",
            "handle": w["conversations"]["moderated"].author.handle,
            "kind": "spammer",
        },
    ),
    "manage_user_tag_remove": lambda w: (f"/manage/user-tags/{w['user_tag']}/remove", {}),
    "engagement_policy": lambda w: ("/manage/accounts/engagement/", {}),
    "engagement_policy_edit": lambda w: (
        f"/manage/accounts/engagement/{w['account_pk']}/",
        {"can_reply": "on", "can_like": "on", "retweet_policy": "cm_only", "can_dm": "on"},
    ),
    "manage_paid_products": lambda w: (
        "/triage/paid-products/",
        {"name": "Relay", "keywords": "relay, firefox relay", "active": "on"},
    ),
    "manage_paid_products_edit": on_row(
        "/triage/paid-products/{}/",
        "triage.WatchTerm",
        {"name": "VPN", "keywords": "vpn", "active": "on"},
        kind="paid_product",
    ),
    "manage_paid_products_delete": on_row(
        "/triage/paid-products/{}/delete", "triage.WatchTerm", {}, kind="paid_product"
    ),
    "manage_controversial_topics": lambda w: (
        "/triage/controversial-topics/",
        {"name": "AI", "keywords": "ai"},
    ),
    "manage_controversial_topics_edit": on_row(
        "/triage/controversial-topics/{}/",
        "triage.WatchTerm",
        {"name": "Ads", "keywords": "ads", "active": "on"},
        kind="controversial",
    ),
    "manage_controversial_topics_delete": on_row(
        "/triage/controversial-topics/{}/delete", "triage.WatchTerm", {}, kind="controversial"
    ),
    "manage_kb_articles": lambda w: (
        "/triage/kb/articles/",
        {
            "title": "Sync",
            "url": "https://support.mozilla.org/kb/sync-new",
            "summary": "How sync works",
            "language": "en",
        },
    ),
    "manage_kb_articles_edit": on_row(
        "/triage/kb/articles/{}/",
        "triage.KBArticle",
        {"title": "Sync", "url": "https://support.mozilla.org/kb/x", "language": "de"},
    ),
    "manage_kb_articles_delete": on_row("/triage/kb/articles/{}/delete", "triage.KBArticle", {}),
    "delete_queue": lambda w: (f"/manage/queues/{w['queue_pk']}/delete", {}),
}
# Every filter a queue's page (and its summary and panel fragments) reads, and a page's key.
QUEUE_FILTERS = {
    "tag": "sync",
    "type": "feedback",
    "status": "open",
    "language": "en",
    "sentiment": "negative",
    "account": "FirefoxSupport",
    "platform": "twitter",
    "after": "0_1700000000000000_1",
}
# Pages read from the query string.
QUERIES = {
    "queue": lambda w: (
        "/queues/twitter-conversations-moderated/",
        QUEUE_FILTERS,
    ),
    "queue_summary": lambda w: (
        "/queues/twitter-conversations-moderated/summary",
        QUEUE_FILTERS,
    ),
    "queue_panel": lambda w: (
        "/queues/twitter-conversations-moderated/panel",
        QUEUE_FILTERS,
    ),
    "ingestion_filters:list": lambda w: ("/manage/filters/", {"reason": "muted"}),
    "notifications": lambda w: ("/notifications/", {"page": "2"}),
    "audit_log": lambda w: ("/manage/audit/", {"q": "admin", "kind": "signed_in", "page": "2"}),
    "login:page": lambda w: ("/login/", {"next": "/"}),
    "account_callback": lambda w: (
        "/manage/accounts/callback",
        {"state": "s", "code": "c", "error": "access_denied", "error_description": "no"},
    ),
    "reports_response_times": lambda w: (
        "/reports/response-times/",
        {"start": "2026-03-01", "end": "2026-03-07", "format": "csv", "table": "play"},
    ),
    "reports_response_times:hours": lambda w: (
        "/reports/response-times/",
        {"start": "2026-03-01", "end": "2026-03-07", "hours": "business"},
    ),
    "search": lambda w: (
        "/search/",
        {"q": "sync", "status": "open", "tag": "sync", "type": "feedback", "after": "1_1"},
    ),
    "reports_recognition": lambda w: (
        "/reports/recognition/",
        {"start": "2026-03-01", "end": "2026-03-07", "format": "csv"},
    ),
    "reports_volumes": lambda w: (
        "/reports/volumes/",
        {
            "start": "2026-03-01",
            "end": "2026-03-07",
            "queue": "escalation",
            "tag": "sync",
            "type": "feedback",
            "status": "open",
            "language": "en",
            "sentiment": "negative",
            "platform": "twitter",
            "format": "html",
        },
    ),
    "reports_dashboard": lambda w: ("/reports/dashboard/", {"format": "csv"}),
    "reports_conversations_csv": lambda w: (
        "/reports/conversations.csv",
        {
            "queue": "twitter-conversations-moderated",
            "tag": "sync",
            "status": "open",
            "account": "FirefoxSupport",
            "platform": "twitter",
        },
    ),
}
# Routes whose path carries ids: each id is replaced by each bad id.
PATHS = {
    "webhook": "/manage/webhooks/{}/",
    "webhook_rotate": "/manage/webhooks/{}/rotate",
    "webhook_test": "/manage/webhooks/{}/test",
    "webhook_delete": "/manage/webhooks/{}/delete",
    "set_aside_retry": "/manage/set-aside/{}/retry",
    "set_aside_dismiss": "/manage/set-aside/{}/dismiss",
    "conversation": "/c/{}/",
    "outbox_fragment": "/c/{}/outbox",
    "attachment": "/attachments/{}",
    "reply": "/c/{}/reply",
    "like": "/c/1/like/{}",
    "split": "/c/1/split/{}",
    "retry_action": "/outbox/{}/retry",
    "approval_decision": "/approvals/{}",
    "dismiss_reminder": "/reminders/{}/done",
    "edit_queue": "/manage/queues/{}/",
    "queue": "/queues/{}/",
    "queue_summary": "/queues/{}/summary",
    "queue_panel": "/queues/{}/panel",
    "bulk_action": "/queues/{}/bulk",
    "triage_rule": "/triage/rules/{}/",
    "triage_correct": "/triage/c/{}/correct",
    "account": "/manage/accounts/{}/",
    "application_decision": "/manage/applications/{}/decide",
    "password_reset_confirm": "/password-reset/{}/set-password/",
    "account_connect": "/manage/accounts/{}/connect",
    "account_check": "/manage/accounts/{}/check",
    "manage_tags_edit": "/manage/tags/{}/",
    "manage_tags_delete": "/manage/tags/{}/delete",
    "manage_user_tag_remove": "/manage/user-tags/{}/remove",
    "engagement_policy_edit": "/manage/accounts/engagement/{}/",
    "manage_paid_products_edit": "/triage/paid-products/{}/",
    "manage_paid_products_delete": "/triage/paid-products/{}/delete",
    "manage_controversial_topics_delete": "/triage/controversial-topics/{}/delete",
    "manage_kb_articles_edit": "/triage/kb/articles/{}/",
    "delete_queue": "/manage/queues/{}/delete",
}
GET_ONLY = {
    "manage_index",
    "audit_log",
    "notifications",
    "left",
    "apply_sent",
    "applications",
    "password_reset_done",
    "password_reset_complete",
    "set_aside",
    "home",
    "conversation",
    "outbox_fragment",
    "attachment",
    "approvals",
    "health",
    "manage_queues",
    "triage_clusters",
    "triage_kb",
    "queue",
    "queue_summary",
    "queue_panel",
    "play",
    "admin",
    "accounts",
    "account",
    "account_callback",
    "api:openapi-json",
    "api:openapi-view",
    "api:api-root",
    "api_not_found",
    "healthz",
    "readyz",
    "metrics",
    "reports",
    "reports_response_times",
    "reports_recognition",
    "reports_volumes",
    "reports_dashboard",
    "reports_conversations_csv",
    "search",
}


def _post(client, path, data):
    # Encoded by hand: a lone surrogate cannot be UTF-8 encoded by the test client, yet a browser
    # (or anyone) can send its bytes.
    body = urlencode(data, doseq=True, encoding="utf-8", errors="surrogatepass")
    return client.post(path, body, content_type="application/x-www-form-urlencoded")


def _variants(valid: dict, bad_values):
    for name in valid:
        for bad in bad_values:
            yield f"{name}={bad!r:.40}", {**valid, name: bad}
    for bad in bad_values:
        yield f"every field={bad!r:.40}", {name: bad for name in valid} or {"x": bad}
    yield "a list where one value belongs", {name: [valid[name], "abc"] for name in valid}


def _rolled_back(fn):
    # The test's own transaction, marked as Django's TestCase marks its own, so the actions'
    # `durable=True` transactions open inside it as they do in production.
    atomic = transaction.atomic()
    atomic._from_testcase = True
    with atomic:
        try:
            return fn()
        finally:
            transaction.set_rollback(True)


def _server_errors(requests) -> list[str]:
    """The labels of the requests, `(label, send)` each sent in its own rolled-back savepoint,
    that answered with a server error."""
    return [label for label, send in requests if _rolled_back(send).status_code >= 500]


def _admin_client(world) -> Client:
    return sign_in(Client(raise_request_exception=False), world, "admin")


def test_every_form_route_is_fuzzed():
    posts = {name for name, a in ACCESS.items() if not a.api and name not in GET_ONLY}
    missing = posts - {name.split(":")[0] for name in FORMS}
    assert not missing, f"Add the form fields of these routes to FORMS: {sorted(missing)}"


# Modules of the forms' and the API operations' parts (see the module's docstring). A form's
# bad request renders its page again (the forms are most of this module's CPU); the API's answer
# is a short JSON error, and all its operations together cost less than one part of the forms.
FORM_PARTS = 6
API_PARTS = 1


def part(cases: list, n: int, parts: int) -> list:
    """The `n`th of `parts` parts of `cases` (1-based): every case is in exactly one part."""
    assert 1 <= n <= parts, f"part {n} of {parts}"
    return cases[n - 1 :: parts]


def form_routes(n: int) -> list[str]:
    return part(sorted(FORMS), n, FORM_PARTS)


def test_every_part_has_its_module():
    for kind, parts in (("forms", FORM_PARTS), ("api", API_PARTS)):
        for n in range(1, parts + 1):
            module = importlib.import_module(f"{__package__}.test_malformed_{kind}_{n}")
            assert module.PART == n, module.__name__
    assert not importlib.util.find_spec(f"{__package__}.test_malformed_forms_{FORM_PARTS + 1}")
    assert not importlib.util.find_spec(f"{__package__}.test_malformed_api_{API_PARTS + 1}")


def check_form(world, route: str) -> None:
    path, valid = FORMS[route](world)
    client = _admin_client(world)
    failures = _server_errors(
        (label, lambda data=data: _post(client, path, data))
        for label, data in _variants(valid, BAD_TEXT)
    )
    assert not failures, f"{route} answered 500 for: {failures}"


@pytest.mark.parametrize("route", sorted(QUERIES))
def test_no_query_parameter_gets_a_500(world, db, route):
    path, valid = QUERIES[route](world)
    client = _admin_client(world)
    failures = _server_errors(
        (
            label,
            lambda data=data: client.get(
                f"{path}?{urlencode(data, doseq=True, encoding='utf-8', errors='surrogatepass')}"
            ),
        )
        for label, data in _variants(valid, BAD_TEXT)
    )
    assert not failures, f"{route} answered 500 for: {failures}"


@pytest.mark.parametrize("route", sorted(PATHS))
def test_no_id_in_a_path_gets_a_500(world, db, route):
    client = _admin_client(world)
    paths = (PATHS[route].format(bad if bad.startswith("%") else quote(bad)) for bad in BAD_IDS)
    failures = _server_errors(
        (f"{method.upper()} {path[:60]}", lambda m=method, p=path: getattr(client, m)(p))
        for path in paths
        for method in ("get", "post")
    )
    assert not failures, f"{route} answered 500 for: {failures}"


# --- The API, from its OpenAPI schema ---------------------------------------------------------


def _api_operations():
    schema = ninja_api.get_openapi_schema()
    components = schema.get("components", {}).get("schemas", {})
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            body = {}
            content = (op.get("requestBody") or {}).get("content", {}).get("application/json", {})
            ref = content.get("schema", {}).get("$ref", "")
            if ref:
                props = components[ref.rsplit("/", 1)[-1]].get("properties", {})
                body = {name: _valid_value(name, spec) for name, spec in props.items()}
            params = [p["name"] for p in op.get("parameters", []) if p.get("in") == "path"]
            yield pytest.param(method, path, params, body, id=f"{method.upper()} {path}")


VALID = {
    "queue": "twitter-conversations-moderated",
    "text": "Try this",
    "then": "none",
    "reason": "waiting_internal",
    "sentiment": "negative",
    "tag": "Sync",
    "kind": "influencer",
    "due_at": "2099-01-01T09:00:00Z",
    "to_user": "me",
    "to_queue": "escalation",
    "note": "look",
    "holding_reply": "On it",
    "approve": True,
    "on": True,
    "recommend_retweet": False,
    "url": WEBHOOK_URL,
    "events": ["conversation.closed"],
    "active": True,
}


def _valid_value(name, spec):
    return VALID.get(name, "x")


def _api_path(path: str, world, **override) -> str:
    values = {
        "conversation_id": str(world["conversations"]["moderated"].pk),
        "tag": "sync",
        "webhook_id": str(_webhook()),
        **override,
    }
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    return path


def api_operations(n: int) -> list:
    return part(list(_api_operations()), n, API_PARTS)


def check_api_operation(world, method, path, params, body) -> None:
    client = Client(raise_request_exception=False)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {world['tokens']['admin']}"}

    def send(url, payload):
        raw = json.dumps(payload) if payload is not None else None
        if raw is None:
            return getattr(client, method)(url, **headers)
        return getattr(client, method)(url, raw, content_type="application/json", **headers)

    cases = [
        (f"{name}={bad!r:.40}", _api_path(path, world), {**body, name: bad})
        for name in body
        for bad in BAD_JSON
    ]
    cases += [
        (f"{p}={bad!r:.40}", _api_path(path, world, **{p: bad}), body or None)
        for p in params
        for bad in BAD_IDS
    ]
    if method != "get":
        cases += [
            ("a body that is not an object", _api_path(path, world), ["x"]),
            ("an empty object", _api_path(path, world), {}),
        ]
    requests = [(label, lambda u=url, p=payload: send(u, p)) for label, url, payload in cases]
    if method != "get":
        # And a body that is not JSON at all.
        requests.append(
            (
                "not JSON",
                lambda: getattr(client, method)(
                    _api_path(path, world),
                    b"{not json",
                    content_type="application/json",
                    **headers,
                ),
            )
        )
    failures = _server_errors(requests)
    assert not failures, f"{method.upper()} {path} answered 500 for: {failures}"
