"""Who may reach what, generated from the URL configuration: every route (pages, fragments, the
API's operations) × every role × every state a conversation can be in.

`ACCESS` decides each route's access. A route the URL configuration serves that has no entry there
fails `test_every_route_has_an_access_rule`, so a new page or API operation cannot be added
without deciding who may use it. Each case checks the status (login or 401 for the anonymous, 404
for a conversation one may not see, 403 for what one's role may not do, 409 while another agent
holds the conversation, 2xx/3xx otherwise) and, when refused, that nothing changed.

The world (the demo configuration, a conversation in each state with a sibling to merge, replies
waiting for approval, failed deliveries, attachments, reminders) is built once for the module;
each case runs in a savepoint that is rolled back.

The matrix is cut by role: this module checks the anonymous visitor's cases, and
`test_access_<role>.py` each other role's, with the table and the check kept here. `make test`
runs each module whole on one worker, so the roles' modules are spread over the machine's cores
instead of the whole matrix bounding the run; `test_every_role_has_its_module` keeps every role
in the matrix.
"""

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from socialdesk.api.api import api as ninja_api

from .world import ROLES, STATES, sign_in, snapshot

RANK = {"anonymous": 0, "contributor": 1, "moderator": 2, "cm": 3, "admin": 4}
OK = {200, 201, 204, 302}


def sees(role: str, state: str) -> bool:
    """The product's rule: contributors see the moderated and escalation queues; moderators also
    the unmoderated ones; community managers and admins everything."""
    return RANK[role] >= RANK["moderator"] or (role == "contributor" and state != "unmoderated")


def _clipping() -> int:
    from socialdesk.clippings.models import Clipping

    return Clipping.objects.order_by("pk").values_list("pk", flat=True).first()


def _rule() -> int:
    from socialdesk.brands.models import RoutingRule

    return RoutingRule.objects.order_by("pk").values_list("pk", flat=True).first()


def _webhook() -> int:
    """A webhook subscription (made inside the case's savepoint, so it goes when the case ends)."""
    from socialdesk.webhooks.models import WebhookSubscription, new_secret

    hook, _ = WebhookSubscription.objects.get_or_create(
        name="Access",
        defaults={
            "url": WEBHOOK_URL,
            "events": ["conversation.closed"],
            "signing": {"secret": new_secret()},
        },
    )
    return hook.pk


def _saved_filter() -> int:
    """A filter someone saved on a queue (made inside the case's savepoint, like `_webhook`)."""
    from django.contrib.auth import get_user_model

    from socialdesk.queues.models import Queue, SavedFilter

    saved, _ = SavedFilter.objects.get_or_create(
        user=get_user_model().objects.get(username="contributor"),
        queue=Queue.objects.get(slug="twitter-conversations-moderated"),
        name="Access",
        defaults={"params": {"tags": ["sync"], "statuses": ["open"]}},
    )
    return saved.pk


# A literal public address: accepted without resolving a name, and never called by these tests.
WEBHOOK_URL = "http://93.184.215.14/hook"
WEBHOOK_FORM = {"name": "Hook", "url": WEBHOOK_URL, "events": "conversation.closed"}


def _first(model: str, **where) -> int:
    """The first row's id of a model ("app.Model"), for the settings pages' routes."""
    from django.apps import apps

    return (
        apps.get_model(model)
        .objects.filter(**where)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )


# --- Expectations -----------------------------------------------------------------------------


def on_conversation(
    needs: str = "contributor", *, owner_only: bool = False, role_first: bool = False
):
    """A route about one conversation: 404 unless seen, 403 below `needs`, 409 when `owner_only`
    and another agent holds it. `role_first`: a route of a role only (403 before anything else)."""

    def expect(role, state):
        if role == "anonymous":
            return "login"
        if role_first and RANK[role] < RANK[needs]:
            return "403"
        if not sees(role, state):
            return "404"
        if RANK[role] < RANK[needs]:
            return "403"
        # Escalated, it is the community managers' to answer, move or take (AG10).
        if owner_only and state == "escalated" and RANK[role] < RANK["cm"]:
            return "403"
        if owner_only and state == "dealt":
            return "409"
        return "ok"

    return expect


def playing(role, state):
    """Play on the conversation's queue: the escalation queue is played by community managers."""
    outcome = on_conversation()(role, state)
    if outcome == "ok" and state == "escalated" and RANK[role] < RANK["cm"]:
        return "403"
    return outcome


def for_role(needs: str = "contributor"):
    def expect(role, state):
        if role == "anonymous":
            return "login"
        return "ok" if RANK[role] >= RANK[needs] else "403"

    expect.per_state = False
    return expect


def public(role, state):
    return "ok"


public.per_state = False


def bearer_token_only(role, state):
    """/metrics: Prometheus's bearer token, never a session; without a token configured, no metrics."""
    from django.conf import settings

    return "401" if settings.SOCIALDESK_METRICS_TOKEN else "404"


bearer_token_only.per_state = False


def staff_only(role, state):
    return (
        "ok" if role == "admin" else "login"
    )  # Django's admin sends everyone else to its sign-in


staff_only.per_state = False


def cluster_escalation(role, state):
    if role == "anonymous":
        return "login"
    if not sees(role, state):
        return "404"
    # Closed, already escalated and dealt-to-another conversations are left as they are.
    return "ok" if state in ("moderated", "unmoderated") else "noop"


def marking_useful(role, state):
    """RE4: community managers mark an escalation useful; only the escalated conversation has
    one (a contributor's) — anywhere else it is a 400."""
    outcome = on_conversation("cm")(role, state)
    if outcome == "ok" and state != "escalated":
        return "400"
    return outcome


def taking_over(role, state):
    """Community managers take a conversation dealt to another agent; anything else is a 400."""
    outcome = on_conversation("cm")(role, state)
    if outcome == "ok" and state != "dealt":
        return "400"  # nobody else has it
    return outcome


def bulk_close(role, state):
    if role == "anonymous":
        return "login"
    if not sees(role, state):
        return "404"  # the queue itself is not the role's
    return "noop" if state == "dealt" else "ok"


def own_session(role, state):
    """Play Mode's own routes: they touch only the agent's own deal and session."""
    return "login" if role == "anonymous" else "noop"


def api_bulk(role, state):
    """Each conversation is checked on its own: one the caller may not see, or that another agent
    holds, is a problem in the answer (200), and nothing is done to it."""
    if role == "anonymous":
        return "login"
    return "ok" if sees(role, state) and state != "dealt" else "noop"


@dataclass
class Access:
    method: str
    # (world, state, role) -> (path, form data or JSON body)
    request: Callable
    expect: Callable
    api: bool = False
    # An API operation that takes multipart/form-data (files) rather than JSON.
    multipart: bool = False
    statuses: dict = field(
        default_factory=dict
    )  # outcome -> accepted statuses, when not the usual


def web(method, request, expect, **kw):
    return Access(method, request, expect, **kw)


def api_op(method, request, expect, **kw):
    return Access(method, request, expect, api=True, **kw)


def page(method, path, data=None, *, needs="contributor", **kw):
    """A route that is not about one conversation, for `needs` and above: `path` is the path, or
    `path(world)` makes it for each case (from a row of the world, or one made in the case's
    savepoint)."""
    return web(
        method,
        lambda w, s, r: (path(w) if callable(path) else path, data or {}),
        for_role(needs),
        **kw,
    )


def c(w, s):
    return w["conversations"][s]


def conv(suffix="", data=None):
    return lambda w, s, r: (f"/c/{c(w, s).pk}/{suffix}", data or {})


def api_conv(suffix="", body=None):
    return lambda w, s, r: (f"/api/v1/conversations/{c(w, s).pk}{suffix}", body)


def _png():
    """A real one-pixel PNG, made afresh for each request (an upload is read once)."""
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (1, 1)).save(out, format="PNG")
    return SimpleUploadedFile("shot.png", out.getvalue(), content_type="image/png")


def _application() -> int:
    """A waiting application (made inside the case's savepoint, so it goes when the case ends)."""
    from socialdesk.people.models import Application

    return Application.objects.create(
        name="Ana", email="ana@example.org", handle="ana", started_on="2026-01-05"
    ).pk


def queue_of(state: str) -> str:
    return {"unmoderated": "twitter-all", "escalated": "escalation"}.get(
        state, "twitter-conversations-moderated"
    )


ACCESS: dict[str, Access] = {
    # Public.
    "login": web("GET", lambda w, s, r: ("/login/", {}), public),
    "healthz": web("GET", lambda w, s, r: ("/healthz", {}), public),
    # Not ready in the test world: no worker or scheduler has been seen.
    "readyz": web("GET", lambda w, s, r: ("/readyz", {}), public, statuses={"ok": {200, 503}}),
    "metrics": web("GET", lambda w, s, r: ("/metrics", {}), bearer_token_only),
    "logout": web("POST", lambda w, s, r: ("/logout/", {}), public),
    "api_not_found": web(
        "GET", lambda w, s, r: ("/api/v1/nothing/here", {}), public, statuses={"ok": {404}}
    ),
    "api:openapi-json": web("GET", lambda w, s, r: ("/api/v1/openapi.json", {}), public),
    "api:openapi-view": web("GET", lambda w, s, r: ("/api/v1/docs", {}), public),
    "api:api-root": web(
        "GET", lambda w, s, r: ("/api/v1/", {}), public, statuses={"ok": {200, 302, 404}}
    ),
    "admin": web("GET", lambda w, s, r: ("/admin/", {}), staff_only),
    "password_reset": web(
        "POST", lambda w, s, r: ("/password-reset/", {"email": "nobody@example.org"}), public
    ),
    "password_reset_done": web("GET", lambda w, s, r: ("/password-reset/sent", {}), public),
    "password_reset_confirm": web(
        "GET", lambda w, s, r: ("/password-reset/MQ/not-a-token/", {}), public
    ),
    "password_reset_complete": web(
        "GET", lambda w, s, r: ("/password-reset/complete", {}), public
    ),
    "apply": web("GET", lambda w, s, r: ("/apply/", {}), public),
    "apply_sent": web("GET", lambda w, s, r: ("/apply/sent", {}), public),
    "left": web("GET", lambda w, s, r: ("/left", {}), public),
    # The agent's own pages.
    "home": page("GET", "/"),
    "personal_settings": page("GET", "/settings/"),
    "password_change": page("GET", "/settings/password/"),
    "sign_out_everywhere": page("POST", "/settings/sign-out-everywhere"),
    "two_factor_setup": page("GET", "/settings/two-factor/"),
    "notifications": page("GET", "/notifications/"),
    "notifications_read": page("POST", "/notifications/read", {"id": "all"}),
    "notification_settings": page("POST", "/settings/notifications", {"email": "assigned"}),
    "time_zone_settings": page("POST", "/settings/time-zone", {"time_zone": "Europe/Berlin"}),
    "language_settings": page("POST", "/settings/language", {"language": "de"}),
    # The sign-in page's language picker (Django's set_language): anyone.
    "set_language": web(
        "POST", lambda w, s, r: ("/i18n/setlang/", {"language": "de", "next": "/login/"}), public
    ),
    "two_factor_verify": page("POST", "/login/code", {"code": "123456"}),
    # Without the password the page only asks again (400): nobody is deleted by a stray request.
    "leave": page("POST", "/settings/leave", {"confirm": "on"}, statuses={"ok": {400}}),
    "dismiss_reminder": web(
        "POST", lambda w, s, r: (f"/reminders/{w['reminders'].get(r, 1)}/done", {}), for_role()
    ),
    "play": web("GET", lambda w, s, r: ("/play/", {}), own_session),
    "play_skip": web(
        "POST", lambda w, s, r: ("/play/skip", {"conversation": c(w, s).pk}), own_session
    ),
    "play_stop": web("POST", lambda w, s, r: ("/play/stop", {}), own_session),
    "play_next": web("POST", lambda w, s, r: ("/play/next", {}), own_session),
    "play_renew": web(
        "POST", lambda w, s, r: ("/play/renew", {"conversation": c(w, s).pk}), own_session
    ),
    # Queues.
    "queue": web("GET", lambda w, s, r: (f"/queues/{queue_of(s)}/", {}), on_conversation()),
    "queue_summary": web(
        "GET", lambda w, s, r: (f"/queues/{queue_of(s)}/summary", {}), on_conversation()
    ),
    "queue_panel": web(
        "GET", lambda w, s, r: (f"/queues/{queue_of(s)}/panel", {}), on_conversation()
    ),
    "save_filter": web(
        "POST",
        lambda w, s, r: (f"/queues/{queue_of(s)}/filters", {"name": "Sync", "tag": "sync"}),
        on_conversation(),
    ),
    "play_start": web("POST", lambda w, s, r: (f"/play/{queue_of(s)}/start", {}), playing),
    "bulk_action": web(
        "POST",
        lambda w, s, r: (
            f"/queues/{queue_of(s)}/bulk",
            {
                "ids": c(w, s).pk,
                "action": "close",
                "value": "resolved",
                "status": ["open", "closed"],
            },
        ),
        bulk_close,
    ),
    # A conversation and its options.
    "conversation": web("GET", conv(), on_conversation()),
    "outbox_fragment": web("GET", conv("outbox"), on_conversation()),
    "presence": web("POST", conv("presence"), on_conversation()),
    "take_over": web("POST", conv("take-over"), taking_over),
    "attachment": web(
        "GET", lambda w, s, r: (f"/attachments/{w['attachments'][s]}", {}), on_conversation()
    ),
    "reply": web(
        "POST",
        conv("reply", {"text": "Try a new profile", "then": "none"}),
        on_conversation(owner_only=True),
    ),
    "note": web("POST", conv("note", {"text": "For whoever has it: see #12"}), on_conversation()),
    "hold": web(
        "POST", conv("hold", {"reason": "waiting_internal"}), on_conversation(owner_only=True)
    ),
    "close": web(
        "POST", conv("close", {"reason": "acknowledged"}), on_conversation(owner_only=True)
    ),
    "moderate": web("POST", conv("moderate"), on_conversation("moderator", owner_only=True)),
    "like": web(
        "POST",
        lambda w, s, r: (f"/c/{c(w, s).pk}/like/{w['later_messages'][s]}", {}),
        on_conversation(owner_only=True),
    ),
    "sentiment": web("POST", conv("sentiment", {"sentiment": "negative"}), on_conversation()),
    "tag": web("POST", conv("tag", {"tag": "Sync"}), on_conversation()),
    "user_tag": web("POST", conv("user-tag", {"kind": "influencer"}), on_conversation()),
    "reminder": web(
        "POST",
        conv("reminder", {"due_at": "2099-01-01T09:00", "note": "check"}),
        on_conversation(),
    ),
    "assign": web(
        "POST", conv("assign", {"to": "me", "note": "mine"}), on_conversation(owner_only=True)
    ),
    "escalate": web(
        "POST",
        conv("escalate", {"note": "Several people report this"}),
        on_conversation(owner_only=True),
    ),
    "escalation_useful": web("POST", conv("escalation-useful"), marking_useful),
    "api:escalation_useful": api_op(
        "POST", api_conv("/escalation-useful"), marking_useful, statuses={"ok": {201}}
    ),
    "retweet_decision": web(
        "POST", conv("retweet", {"approve": "1"}), on_conversation("cm", owner_only=True)
    ),
    "merge": web(
        "POST",
        lambda w, s, r: (f"/c/{c(w, s).pk}/merge", {"other": w["siblings"][s].pk}),
        on_conversation(owner_only=True),
    ),
    "split": web(
        "POST",
        lambda w, s, r: (f"/c/{c(w, s).pk}/split/{w['later_messages'][s]}", {}),
        on_conversation(owner_only=True),
    ),
    "retry_action": web(
        "POST",
        lambda w, s, r: (f"/outbox/{w['failed'][s]}/retry", {}),
        on_conversation(owner_only=True),
    ),
    "approvals": page("GET", "/approvals/", needs="moderator"),
    "approval_decision": web(
        "POST",
        lambda w, s, r: (f"/approvals/{w['approvals'][s]}", {"decision": "approve"}),
        on_conversation("moderator", role_first=True),
    ),
    "triage_correct": web(
        "POST",
        lambda w, s, r: (
            f"/triage/c/{c(w, s).pk}/correct",
            {"field": "type", "chosen": "feedback"},
        ),
        on_conversation(),
    ),
    "triage_clusters": page("GET", "/triage/clusters/"),
    "triage_escalate_cluster": web(
        "POST",
        lambda w, s, r: (
            "/triage/clusters/escalate",
            {"conversations": f"{c(w, s).pk},{w['siblings'][s].pk}", "reason": "same crash"},
        ),
        cluster_escalation,
    ),
    # Community managers' and admins' pages.
    "manage_queues": page("GET", "/manage/queues/", needs="cm"),
    "new_queue": page("GET", "/manage/queues/new", needs="cm"),
    "edit_queue": page("GET", lambda w: f"/manage/queues/{w['queue_pk']}/", needs="cm"),
    "delete_queue": page("GET", lambda w: f"/manage/queues/{w['queue_pk']}/delete", needs="cm"),
    "manage_saved_filters": page("GET", "/manage/saved-filters/", needs="cm"),
    "manage_saved_filters_edit": page(
        "GET", lambda w: f"/manage/saved-filters/{_saved_filter()}/", needs="cm"
    ),
    "manage_saved_filters_delete": page(
        "POST", lambda w: f"/manage/saved-filters/{_saved_filter()}/delete", needs="cm"
    ),
    "manage_agents": web(
        "POST",
        lambda w, s, r: ("/manage/agents/", {"agent": w["users"]["other"].pk, "on": "1"}),
        for_role("moderator"),
    ),
    "health": page("GET", "/manage/health/", needs="admin"),
    "ingestion_filters": web(
        "POST",
        lambda w, s, r: ("/manage/filters/", {"let_through": w["filtered"]}),
        for_role("cm"),
    ),
    "audit_log": page("GET", "/manage/audit/", {"q": "admin"}, needs="cm"),
    "people": web(
        "POST",
        lambda w, s, r: (
            "/manage/people/",
            {"op": "role", "user": w["users"]["other"].pk, "role": "moderator"},
        ),
        for_role("cm"),
    ),
    "applications": page("GET", "/manage/applications/", needs="cm"),
    "application_decision": page(
        "POST",
        lambda w: f"/manage/applications/{_application()}/decide",
        {"decision": "reject", "reason": "Not yet"},
        needs="cm",
    ),
    "invite": page(
        "POST",
        "/manage/applications/invite",
        {"name": "Ana", "email": "ana@example.org", "role": "contributor"},
        needs="cm",
    ),
    "set_aside": page("GET", "/manage/set-aside/", needs="cm"),
    "set_aside_retry": page(
        "POST", lambda w: f"/manage/set-aside/{w['set_aside']}/retry", needs="cm"
    ),
    "set_aside_dismiss": page(
        "POST",
        lambda w: f"/manage/set-aside/{w['set_aside']}/dismiss",
        {"reason": "spam"},
        needs="cm",
    ),
    # Connecting brand accounts. No platform is reachable in this world: connecting gets a 400
    # that says so, checking again a redirect with the message.
    "accounts": page("GET", "/manage/accounts/", needs="cm"),
    "account_add": page("GET", "/manage/accounts/new", needs="cm"),
    "clippings": page("GET", "/manage/clippings/", needs="cm"),
    "edit_clipping": page("GET", lambda w: f"/manage/clippings/{_clipping()}/", needs="cm"),
    "delete_clipping": page(
        "POST", lambda w: f"/manage/clippings/{_clipping()}/delete", needs="cm"
    ),
    "respond_from": page("GET", "/manage/accounts/respond-from/", needs="cm"),
    # The settings pages (PE3): community managers and admins only.
    "manage_index": page("GET", "/manage/", needs="cm"),
    "manage_tags": page("GET", "/manage/tags/", needs="cm"),
    "manage_tags_edit": page(
        "GET", lambda w: f"/manage/tags/{_first('conversations.Tag')}/", needs="cm"
    ),
    "manage_tags_delete": page(
        "POST", lambda w: f"/manage/tags/{_first('conversations.Tag')}/delete", needs="cm"
    ),
    "manage_user_tags": page("GET", "/manage/user-tags/", needs="cm"),
    "manage_user_tag_remove": page(
        "POST", lambda w: f"/manage/user-tags/{w['user_tag']}/remove", needs="cm"
    ),
    "engagement_policy": page("GET", "/manage/accounts/engagement/", needs="cm"),
    "engagement_policy_edit": page(
        "POST",
        lambda w: f"/manage/accounts/engagement/{w['account_pk']}/",
        {"can_reply": "on", "can_like": "on", "retweet_policy": "cm_only"},
        needs="cm",
    ),
    "manage_paid_products": page(
        "POST", "/triage/paid-products/", {"name": "Relay", "keywords": "relay"}, needs="cm"
    ),
    "manage_paid_products_edit": page(
        "GET",
        lambda w: f"/triage/paid-products/{_first('triage.WatchTerm', kind='paid_product')}/",
        needs="cm",
    ),
    "manage_paid_products_delete": page(
        "GET",
        lambda w: (
            f"/triage/paid-products/{_first('triage.WatchTerm', kind='paid_product')}/delete"
        ),
        needs="cm",
    ),
    "manage_controversial_topics": page("GET", "/triage/controversial-topics/", needs="cm"),
    "manage_controversial_topics_edit": page(
        "GET",
        lambda w: (
            f"/triage/controversial-topics/{_first('triage.WatchTerm', kind='controversial')}/"
        ),
        needs="cm",
    ),
    "manage_controversial_topics_delete": page(
        "POST",
        lambda w: (
            f"/triage/controversial-topics/{_first('triage.WatchTerm', kind='controversial')}/delete"
        ),
        needs="cm",
    ),
    "manage_kb_articles": page("GET", "/triage/kb/articles/", needs="cm"),
    "manage_kb_articles_edit": page(
        "GET", lambda w: f"/triage/kb/articles/{_first('triage.KBArticle')}/", needs="cm"
    ),
    "manage_kb_articles_delete": page(
        "POST", lambda w: f"/triage/kb/articles/{_first('triage.KBArticle')}/delete", needs="cm"
    ),
    "delete_rule": page(
        "POST", lambda w: f"/manage/accounts/respond-from/{_rule()}/delete", needs="cm"
    ),
    "account": page("GET", lambda w: f"/manage/accounts/{w['account_pk']}/", needs="cm"),
    "account_connect": page(
        "POST",
        lambda w: f"/manage/accounts/{w['account_pk']}/connect",
        {"method": "app_only", "bearer_token": "t"},
        needs="cm",
        statuses={"ok": {400}},
    ),
    "account_check": page(
        "POST", lambda w: f"/manage/accounts/{w['account_pk']}/check", needs="cm"
    ),
    "account_callback": page("GET", "/manage/accounts/callback?state=unknown&code=c", needs="cm"),
    "triage_rules": page("GET", "/triage/rules/", needs="cm"),
    "triage_rule": page("GET", lambda w: f"/triage/rules/{w['tag_rule']}/", needs="cm"),
    "triage_kb": page("GET", "/triage/kb/", needs="cm"),
    # Reports: everyone reads their own figures; the team's volumes and dashboard are the CMs'.
    "reports": page("GET", "/reports/"),
    "api_tokens": page("GET", "/settings/tokens/"),
    "search": page("GET", "/search/", {"q": "sync", "status": "open"}),
    "reports_response_times": page("GET", "/reports/response-times/", {"format": "csv"}),
    "reports_recognition": page("GET", "/reports/recognition/"),
    "reports_conversations_csv": page("GET", "/reports/conversations.csv"),
    "reports_volumes": page("GET", "/reports/volumes/", needs="cm"),
    "reports_dashboard": page("GET", "/reports/dashboard/", needs="cm"),
    # The API.
    "api:list_queues": api_op("GET", lambda w, s, r: ("/api/v1/queues", None), for_role()),
    "api:list_signatures": api_op("GET", lambda w, s, r: ("/api/v1/signatures", None), for_role()),
    "api:play_next": api_op(
        "POST",
        lambda w, s, r: ("/api/v1/play/next", {"queue": "twitter-conversations-moderated"}),
        for_role(),
    ),
    "api:play_stop": api_op("POST", lambda w, s, r: ("/api/v1/play/stop", None), for_role()),
    "api:get_conversation": api_op("GET", api_conv(), on_conversation()),
    "api:reply": api_op(
        "POST", api_conv("/reply", {"text": "Try a new profile"}), on_conversation(owner_only=True)
    ),
    "api:reply_with_media": api_op(
        "POST",
        lambda w, s, r: (
            f"/api/v1/conversations/{c(w, s).pk}/reply-with-media",
            {"text": "See the picture", "attachments": [_png()]},
        ),
        on_conversation(owner_only=True),
        multipart=True,
    ),
    "api:hold": api_op(
        "POST", api_conv("/hold", {"reason": "waiting_internal"}), on_conversation(owner_only=True)
    ),
    "api:close": api_op(
        "POST", api_conv("/close", {"reason": "acknowledged"}), on_conversation(owner_only=True)
    ),
    "api:note": api_op("POST", api_conv("/notes", {"text": "fyi"}), on_conversation()),
    "api:sentiment": api_op(
        "POST", api_conv("/sentiment", {"sentiment": "negative"}), on_conversation()
    ),
    "api:add_tag": api_op("POST", api_conv("/tags", {"tag": "Sync"}), on_conversation()),
    "api:remove_tag": api_op("DELETE", api_conv("/tags/crash"), on_conversation()),
    "api:user_tag": api_op(
        "POST", api_conv("/user-tags", {"kind": "influencer"}), on_conversation()
    ),
    "api:reminder": api_op(
        "POST", api_conv("/reminders", {"due_at": "2099-01-01T09:00:00Z"}), on_conversation()
    ),
    "api:assign": api_op(
        "POST", api_conv("/assign", {"to_user": "me"}), on_conversation(owner_only=True)
    ),
    "api:escalate": api_op(
        "POST",
        api_conv("/escalate", {"note": "Several people report this"}),
        on_conversation(owner_only=True),
    ),
    "api:moderated": api_op(
        "POST", api_conv("/moderated"), on_conversation("moderator", owner_only=True)
    ),
    "api:like": api_op("POST", api_conv("/like"), on_conversation(owner_only=True)),
    "api:take_over": api_op("POST", api_conv("/take-over"), taking_over),
    "api:retweet": api_op(
        "POST", api_conv("/retweet", {"approve": True}), on_conversation("cm", owner_only=True)
    ),
    "api:list_conversations": api_op(
        "GET", lambda w, s, r: ("/api/v1/conversations?q=tabs&status=open", None), for_role()
    ),
    "api:merge": api_op(
        "POST",
        lambda w, s, r: (
            f"/api/v1/conversations/{c(w, s).pk}/merge",
            {"other": w["siblings"][s].pk},
        ),
        on_conversation(owner_only=True),
    ),
    "api:split": api_op(
        "POST",
        lambda w, s, r: (
            f"/api/v1/conversations/{c(w, s).pk}/split",
            {"message_id": w["later_messages"][s]},
        ),
        on_conversation(owner_only=True),
        statuses={"ok": {201}},
    ),
    "api:bulk": api_op(
        "POST",
        lambda w, s, r: (
            "/api/v1/conversations/bulk",
            {"ids": [c(w, s).pk], "action": "close", "value": "resolved"},
        ),
        api_bulk,
    ),
    "api:list_approvals": api_op(
        "GET", lambda w, s, r: ("/api/v1/approvals", None), for_role("moderator")
    ),
    "api:approve": api_op(
        "POST",
        lambda w, s, r: (f"/api/v1/approvals/{w['approvals'][s]}/approve", {}),
        on_conversation("moderator", role_first=True),
    ),
    "api:return_reply": api_op(
        "POST",
        lambda w, s, r: (f"/api/v1/approvals/{w['approvals'][s]}/return", {"note": "shorter"}),
        on_conversation("moderator", role_first=True),
    ),
    "api:play_skip": api_op(
        "POST",
        lambda w, s, r: ("/api/v1/play/skip", {"conversation_id": c(w, s).pk}),
        own_session,
        statuses={"noop": {400}},
    ),
    "api:retry": api_op(
        "POST",
        lambda w, s, r: (f"/api/v1/outbox/{w['failed'][s]}/retry", None),
        on_conversation(owner_only=True),
    ),
    "api:triage": api_op(
        "POST", api_conv("/triage", {"field": "type", "chosen": "feedback"}), on_conversation()
    ),
    "reports_business_hours": page("GET", "/reports/business-hours/", needs="cm"),
    "webhooks": web("POST", lambda w, s, r: ("/manage/webhooks/", WEBHOOK_FORM), for_role("cm")),
    "webhook": web(
        "POST", lambda w, s, r: (f"/manage/webhooks/{_webhook()}/", WEBHOOK_FORM), for_role("cm")
    ),
    "webhook_rotate": page("POST", lambda w: f"/manage/webhooks/{_webhook()}/rotate", needs="cm"),
    "webhook_test": page("POST", lambda w: f"/manage/webhooks/{_webhook()}/test", needs="cm"),
    "webhook_delete": page("POST", lambda w: f"/manage/webhooks/{_webhook()}/delete", needs="cm"),
    "api:list_webhooks": api_op("GET", lambda w, s, r: ("/api/v1/webhooks", None), for_role("cm")),
    "api:create_webhook": api_op(
        "POST",
        lambda w, s, r: (
            "/api/v1/webhooks",
            {"name": "Hook", "url": WEBHOOK_URL, "events": ["conversation.closed"]},
        ),
        for_role("cm"),
    ),
    "api:get_webhook": api_op(
        "GET", lambda w, s, r: (f"/api/v1/webhooks/{_webhook()}", None), for_role("cm")
    ),
    "api:update_webhook": api_op(
        "PATCH",
        lambda w, s, r: (f"/api/v1/webhooks/{_webhook()}", {"active": False}),
        for_role("cm"),
    ),
    "api:delete_webhook": api_op(
        "DELETE", lambda w, s, r: (f"/api/v1/webhooks/{_webhook()}", None), for_role("cm")
    ),
    "api:rotate_webhook_secret": api_op(
        "POST", lambda w, s, r: (f"/api/v1/webhooks/{_webhook()}/secret", None), for_role("cm")
    ),
    "api:test_webhook": api_op(
        "POST",
        lambda w, s, r: (f"/api/v1/webhooks/{_webhook()}/test", None),
        for_role("cm"),
        statuses={"ok": {202}},
    ),
    "api:webhook_deliveries": api_op(
        "GET",
        lambda w, s, r: (f"/api/v1/webhooks/{_webhook()}/deliveries", None),
        for_role("cm"),
    ),
    "api:list_reminders": api_op("GET", lambda w, s, r: ("/api/v1/reminders", None), for_role()),
    "api:dismiss_reminder": api_op(
        "POST",
        lambda w, s, r: (f"/api/v1/reminders/{w['reminders'].get(r, 1)}/done", None),
        for_role(),
    ),
}


# --- The routes, from the URL configuration ----------------------------------------------------


def _walk(patterns, namespace=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            if p.namespace == "admin":
                yield "admin"  # Django's own admin: staff only, one rule for all of it
                continue
            yield from _walk(p.url_patterns, p.namespace or namespace)
        elif isinstance(p, URLPattern):
            yield f"{namespace}:{p.name}" if namespace else p.name


def served_routes() -> set[str]:
    return set(_walk(get_resolver().url_patterns))


def api_operations() -> dict[str, set[str]]:
    """Every django-ninja operation: `api:<name>` -> its HTTP methods."""
    ops = {}
    for _prefix, router in ninja_api._routers:
        for path_view in router.path_operations.values():
            for op in path_view.operations:
                ops.setdefault(f"api:{op.view_func.__name__}", set()).update(op.methods)
    return ops


def test_every_route_has_an_access_rule():
    routes = served_routes()
    missing = routes - set(ACCESS)
    assert not missing, f"Decide who may use these routes (add them to ACCESS): {sorted(missing)}"
    stale = set(ACCESS) - routes
    assert not stale, f"ACCESS names routes that no longer exist: {sorted(stale)}"
    for name, methods in api_operations().items():
        assert name in ACCESS and ACCESS[name].api, f"API operation {name} has no API rule"
        assert ACCESS[name].method in methods, (
            f"{name}: the rule uses {ACCESS[name].method}, the API serves {methods}"
        )


def call(world, role: str, access: Access, state: str, *, client: Client | None = None):
    path, data = access.request(world, state, role)
    client = client or Client()
    if access.api:
        headers = (
            {"HTTP_AUTHORIZATION": f"Bearer {world['tokens'][role]}"}
            if role != "anonymous"
            else {}
        )
        fn = getattr(client, access.method.lower())
        if data is None:
            return fn(path, **headers)
        if access.multipart:
            return fn(path, data, **headers)
        return fn(path, data, content_type="application/json", **headers)
    if role != "anonymous":
        sign_in(client, world, role)
    return getattr(client, access.method.lower())(path, data)


def cases(role: str):
    """The matrix's cases of one role: every route, in each state a conversation can be in."""
    for name, access in ACCESS.items():
        # A route that is not about a conversation is the same in every state: one will do.
        states = STATES if getattr(access.expect, "per_state", True) else ["moderated"]
        for state in states:
            yield pytest.param(name, state, id=f"{name}-{role}-{state}")


def check(world, name: str, role: str, state: str) -> None:
    """One case: the status `ACCESS` expects of `name` for `role` on a conversation in `state`,
    and nothing changed when the request was refused."""
    access = ACCESS[name]
    expected = access.expect(role, state)
    before = snapshot() if expected != "ok" else None
    r = call(world, role, access, state)
    status = r.status_code
    if expected == "login":
        if access.api:
            assert status == 401, f"{name} as {role}: {status}"
        else:
            assert status == 302 and r["Location"].startswith(("/login/", "/admin/login/")), (
                f"{name} as {role}: {status}"
            )
    elif expected in ("ok", "noop"):
        allowed = access.statuses.get(expected, OK)
        assert status in allowed, (
            f"{name} as {role} on a {state} conversation: {status}, expected one of {sorted(allowed)}"
        )
    else:
        assert status == int(expected), (
            f"{name} as {role} on a {state} conversation: {status}, expected {expected}"
        )
    if before is not None:
        assert snapshot() == before, (
            f"{name} as {role} on a {state} conversation was refused ({status}) but changed something"
        )


def test_every_role_has_its_module():
    """Each role's cases are in `test_access_<role>.py` (the anonymous visitor's here)."""
    for role in ROLES:
        module = __name__ if role == "anonymous" else f"{__package__}.test_access_{role}"
        assert importlib.import_module(module).ROLE == role, module


ROLE = "anonymous"


@pytest.mark.parametrize(("name", "state"), list(cases(ROLE)))
def test_access(world, db, name, state):
    check(world, name, ROLE, state)


def test_the_snapshot_sees_a_changed_row_and_not_a_refusal(world, db):
    """What `check` compares: a changed value is seen, a refusal's own audit entry is not."""
    from socialdesk.conversations.models import Activity, Conversation

    before = snapshot()
    c = Conversation.objects.order_by("pk").first()
    Activity.objects.create(conversation=c, kind="refused")
    assert snapshot() == before
    Conversation.objects.filter(pk=c.pk).update(moderated=not c.moderated)
    assert snapshot() != before
