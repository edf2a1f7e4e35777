"""HTTP API v1: queues, conversations, Play Mode and replies, over the same action layer as the UI.

Authentication: the browser session (with its CSRF token) or `Authorization: Bearer <token>`.
Tokens are made and revoked on the settings page (`/settings/tokens/`), each with a scope (`read`:
GET only; `act`: whatever its person may do) and an expiry.

Every error, whatever its status, is JSON of one shape (`ErrorOut`): `{"status": 404, "code":
"not_found", "detail": "..."}`, with `field` when one field is at fault and `errors` (each with
`loc`, `msg`, `type`) for a 422. 400 or 422 bad input, 401 no or an expired token, 403 not allowed
(or a read-only token), 404 unknown (or not yours to see), 409 someone else has it or it changed
meanwhile. `detail` is for a person, in the caller's language (the token's person's, else
`Accept-Language`); `status`, `code`, `field` and `errors` are for programs and never change with it.

Every text field has the action layer's length limit (`conversations.limits.TEXT_LIMITS`) in its
schema, so an over-long field is refused while the body is parsed, before any work is done.
"""

import functools
import logging
from datetime import timedelta
from http import HTTPStatus
from typing import Annotated

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy
from ninja import File, Form, NinjaAPI, Query, Schema, Status, UploadedFile
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import APIKeyCookie, HttpBearer
from pydantic import AfterValidator, Field

from socialdesk.actions import conversation as actions
from socialdesk.actions import deal as play_services
from socialdesk.actions import escalate as escalation
from socialdesk.brands.models import BrandAccount
from socialdesk.conversations.limits import TEXT_LIMITS, unsafe_character
from socialdesk.conversations.models import Conversation, Message
from socialdesk.errors import ActionError
from socialdesk.people.languages import language_codes
from socialdesk.people.models import ApiToken, TokenScope, has_role, signatures_of
from socialdesk.prepared import Prepared
from socialdesk.queues.models import Queue
from socialdesk.queues.selectors import (
    capped_count,
    count_cap,
    dealable,
    queue_conversations,
    visible_queues,
)
from socialdesk.queues.visibility import can_see

from . import openapi
from .tokens import token_with_person

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# How stale a token's "last used" may be (the tokens page shows it to the minute).
LAST_USED_PRECISION = timedelta(minutes=1)


# An error's machine-readable name, by status (`code`): the same in every language.
CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid_request",
    429: "too_many_requests",
    500: "server_error",
}
READ_ONLY_TOKEN = "read_only_token"


class ScopeRefused(Exception):
    """A read-only token tried to change something."""


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`: a token its person made on their settings page. A `read`
    token may only GET; an expired or revoked one is refused like no token at all."""

    def authenticate(self, request, token):
        now = timezone.now()
        # The person's profile comes with the token: every operation checks the role. Read
        # afresh on every call (revoked, expired, deactivated: refused at once), in SQL written
        # once per connection (`tokens`).
        row = token_with_person(ApiToken.hash(token))
        if row is None or not row.user.is_active or row.expired(now):
            return None
        # The session's person had their language set by LanguageMiddleware; a token's person
        # is known only now. Whatever this call answers is in their language from here on.
        language = getattr(getattr(row.user, "profile", None), "language", "")
        if language in language_codes():
            translation.activate(language)
            request.LANGUAGE_CODE = language
        if row.scope != TokenScope.ACT and request.method not in SAFE_METHODS:
            raise ScopeRefused()
        if row.last_used_at is None or now - row.last_used_at >= LAST_USED_PRECISION:
            # "Last used" to the minute: a write (and a commit) per call would double a Play
            # cycle's statements for a time nobody reads to the second.
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        request.user = row.user
        request.api_token = row
        return row.user


class SessionAuth(APIKeyCookie):
    """The logged-in browser session; CSRF is checked for unsafe methods."""

    param_name = "sessionid"

    def authenticate(self, request, key):
        return request.user if request.user.is_authenticated else None


class DeskAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        return openapi.finish(schema)

    def _get_urls(self):
        # Every answer of the API's views in the one error shape, including those django-ninja
        # or Django write themselves: a method the path does not take (405, with `Allow`) and
        # whatever else comes back as a page rather than JSON.
        patterns = super()._get_urls()
        for pattern in patterns:
            if hasattr(pattern, "callback") and not getattr(pattern.callback, "_one_shape", False):
                pattern.callback = _in_one_shape(pattern.callback)
        return patterns


def _in_one_shape(view):
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code < 400 or "json" in response.get("Content-Type", ""):
            return response
        status = response.status_code
        if status == 405:
            detail = gettext("%(method)s is not allowed here; this path takes %(allowed)s.") % {
                "method": request.method,
                "allowed": response.get("Allow", ""),
            }
        elif status == 404:
            detail = gettext("Not Found")
        else:
            detail = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
        again = error_response(request, status, detail or gettext("Error"))
        for header in ("Allow", "Retry-After"):
            if header in response:
                again[header] = response[header]
        return again

    wrapped._one_shape = True  # functools.wraps kept the rest of the view's attributes
    return wrapped


api = DeskAPI(
    title="Socialdesk API",
    version="1",
    description=__doc__,
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
)


def error_response(request, status: int, detail: str, *, code: str = "", **more):
    """Every error, whatever its status, in one shape (`ErrorOut`)."""
    body = {"status": status, "code": code or CODES.get(status, "error"), "detail": str(detail)}
    body.update({k: v for k, v in more.items() if v is not None})
    return api.create_response(request, body, status=status)


@api.exception_handler(ActionError)
def action_error(request, exc: ActionError):
    return error_response(request, exc.status, exc.message, field=exc.field)


@api.exception_handler(ScopeRefused)
def scope_refused(request, exc):
    return error_response(
        request,
        403,
        gettext("This token may only read: make an 'act' token to change anything."),
        code=READ_ONLY_TOKEN,
    )


@api.exception_handler(Http404)
def not_found(request, exc):
    return error_response(request, 404, gettext("Not Found"))


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    return error_response(request, exc.status_code, str(exc.message))


@api.exception_handler(PermissionDenied)
def permission_denied(request, exc):
    return error_response(request, 403, str(exc) or gettext("You may not do this."))


@api.exception_handler(Exception)
def server_error(request, exc):
    # Logged with its traceback like any other; the body says no more than that it happened.
    logging.getLogger("django.request").exception("API error", exc_info=exc)
    return error_response(
        request, 500, gettext("Something went wrong on our side; it has been logged.")
    )


# The schema library's commonest refusals, by their stable `type`, in the caller's language
# (its own `msg` is English; a type not listed here keeps it). Values come from the error's `ctx`.
_PROBLEMS = {
    "missing": gettext_lazy("required"),
    "string_type": gettext_lazy("must be text"),
    "string_too_long": gettext_lazy("at most %(max_length)s characters"),
    "string_too_short": gettext_lazy("at least %(min_length)s characters"),
    "int_type": gettext_lazy("must be a whole number"),
    "int_parsing": gettext_lazy("must be a whole number"),
    "int_from_float": gettext_lazy("must be a whole number"),
    "bool_type": gettext_lazy("must be true or false"),
    "bool_parsing": gettext_lazy("must be true or false"),
    "greater_than_equal": gettext_lazy("must be at least %(ge)s"),
    "greater_than": gettext_lazy("must be more than %(gt)s"),
    "less_than_equal": gettext_lazy("must be at most %(le)s"),
    "less_than": gettext_lazy("must be less than %(lt)s"),
    "list_type": gettext_lazy("must be a list"),
    "too_long": gettext_lazy("at most %(max_length)s items"),
    "dict_type": gettext_lazy("must be an object"),
    "model_attributes_type": gettext_lazy("must be an object"),
    "datetime_type": gettext_lazy("must be a date and time (ISO 8601)"),
    "datetime_parsing": gettext_lazy("must be a date and time (ISO 8601)"),
    "datetime_from_date_parsing": gettext_lazy("must be a date and time (ISO 8601)"),
    "json_invalid": gettext_lazy("not valid JSON"),
    "url_parsing": gettext_lazy("must be a web address"),
    "url_scheme": gettext_lazy("must be a web address"),
}


def _problem(e: dict) -> str:
    template = _PROBLEMS.get(str(e.get("type", "")))
    if template is None:
        return str(e.get("msg", ""))
    ctx = e.get("ctx") if isinstance(e.get("ctx"), dict) else {}
    try:
        return str(template) % {k: str(v) for k, v in ctx.items()}
    except (KeyError, TypeError, ValueError):
        return str(e.get("msg", ""))


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    problems, errors = [], []
    for e in exc.errors:
        where = ".".join(str(p) for p in e.get("loc", []) if p not in ("body", "payload"))
        problem = _problem(e)
        problems.append(f"{where}: {problem}" if where else problem or "invalid")
        # Not the input itself: it may be megabytes long, or not encodable at all.
        errors.append(
            {
                "loc": [str(p) for p in e.get("loc", [])],
                "msg": problem,
                "type": str(e.get("type", "")),
            }
        )
    # `type` is the schema library's stable code; `msg` its refusal in the caller's language
    # where `_PROBLEMS` knows it, else the library's own (English) words.
    return error_response(
        request,
        422,
        gettext("Invalid request: %(problems)s") % {"problems": "; ".join(problems)},
        errors=errors,
    )


def _storable(value: str) -> str:
    if unsafe_character(value) is not None:
        raise ValueError(
            "contains a character that cannot be stored (a NUL or a broken Unicode surrogate)"
        )
    return value


def Text(limit: int):
    """A text field of at most `limit` characters that the database can store."""
    return Annotated[str, Field(max_length=limit), AfterValidator(_storable)]


# Short values that name something (a queue's slug, a reason, a username).
Name = Text(150)


@api.exception_handler(AuthenticationError)
def auth_error(request, exc):
    return error_response(
        request,
        401,
        gettext(
            "Sign in or send 'Authorization: Bearer <token>' with a token that has not expired."
        ),
    )


class QueueOut(Schema):
    slug: str
    name: str
    open: int = Field(
        description="Open conversations, counted up to `counts_stop_at` + 1: a larger queue shows `counts_stop_at` + 1."
    )
    waiting_for_answer: int = Field(
        description="Conversations Play Mode may deal, counted like `open`."
    )
    counts_stop_at: int = Field(
        description="Where the counts stop (SOCIALDESK_COUNT_CAP): counting further would read the whole queue."
    )


class MessageOut(Schema):
    id: int
    direction: str
    platform_id: str | None
    text: str
    created_at: str
    author: str | None
    account: str | None
    delivery: str | None
    # When the customer was seen to have deleted it on the platform (the text is kept).
    deleted_at: str | None = None


class ConversationOut(Schema):
    id: int
    platform: str
    status: str
    hold_reason: str
    close_reason: str
    account: str | None
    respond_from: str | None
    author: str
    moderated: bool
    priority: int
    dealt_to: str | None
    lease_expires_at: str | None
    messages: list[MessageOut]


class PlayIn(Schema):
    queue: Name


class ReplyIn(Schema):
    text: Text(TEXT_LIMITS["reply"])
    then: Name = "none"
    hold_reason: Name = ""
    close_reason: Name = ""
    # One of your signatures, by id; none given: your default one.
    # `signed: false` sends the reply unsigned.
    signature_id: Annotated[int, Field(ge=1, le=2**63 - 1)] | None = None
    signed: bool = True


class ReplyOut(Schema):
    message_id: int
    action_id: int
    state: str


class StopOut(Schema):
    stopped: bool
    started_at: str | None = None
    ended_at: str | None = None
    dealt: int = 0


def _conversation_out(c: Conversation, *, user=None) -> dict:
    """The conversation with its messages: two statements at most, usually one (its messages,
    with their authors and accounts, which are also the conversation's)."""
    msgs = _messages.all(conversation=c.pk)
    for m in msgs:
        Message.conversation.field.set_cached_value(m, c)
    _related_from(c, msgs, user=user)
    return {
        "id": c.pk,
        "platform": c.platform,
        "status": c.status,
        "hold_reason": c.hold_reason,
        "close_reason": c.close_reason,
        "account": str(c.account) if c.account else None,
        "respond_from": str(c.respond_from) if c.respond_from else None,
        "author": str(c.author),
        "moderated": c.moderated,
        "priority": c.priority,
        "dealt_to": c.dealt_to.get_username() if c.dealt_to else None,
        "lease_expires_at": c.lease_expires_at.isoformat() if c.lease_expires_at else None,
        "messages": [
            {
                "id": m.pk,
                "direction": m.direction,
                "platform_id": m.platform_id,
                "text": m.text,
                "created_at": m.created_at.isoformat(),
                "author": str(m.author) if m.author else None,
                "account": str(m.account) if m.account else None,
                "delivery": getattr(getattr(m, "outbound_action", None), "state", None),
                "deleted_at": m.deleted_at.isoformat() if m.deleted_at else None,
            }
            for m in msgs
        ],
    }


# The reads of every Play cycle, compiled once (socialdesk/prepared.py).
_messages = Prepared(
    lambda conversation: Message.objects.filter(conversation_id=conversation).select_related(
        "author", "account", "outbound_action"
    )
)
_conversation_with_people = Prepared(
    lambda pk: Conversation.objects.select_related(
        "author", "respond_from", "account", "dealt_to"
    ).filter(pk=pk)
)


def _related_from(c: Conversation, msgs: list, *, user=None) -> None:
    """Fill the conversation's author, accounts and holder from what is at hand (the messages'
    own authors and accounts, the caller) instead of a statement each; what is not at hand is
    read in one statement per model."""
    authors = {m.author_id: m.author for m in msgs if m.author_id}
    accounts = {m.account_id: m.account for m in msgs if m.account_id}
    fields = Conversation._meta
    if not fields.get_field("author").is_cached(c) and c.author_id in authors:
        c.author = authors[c.author_id]
    missing = set()
    for name in ("account", "respond_from"):
        pk = getattr(c, f"{name}_id")
        if pk is not None and not fields.get_field(name).is_cached(c):
            if pk in accounts:
                setattr(c, name, accounts[pk])
            else:
                missing.add(pk)
    if missing:
        found = BrandAccount.objects.in_bulk(missing)
        for name in ("account", "respond_from"):
            pk = getattr(c, f"{name}_id")
            if pk in found and not fields.get_field(name).is_cached(c):
                setattr(c, name, found[pk])
    if (
        user is not None
        and c.dealt_to_id == user.pk
        and not fields.get_field("dealt_to").is_cached(c)
    ):
        c.dealt_to = user


def unknown_queue(slug: str) -> str:
    return gettext("Unknown queue '%(slug)s'. GET /api/v1/queues lists yours.") % {"slug": slug}


def _queue_for(request, slug: str) -> Queue:
    queue = Queue.objects.filter(slug=slug).first()
    if queue is None or not has_role(request.user, queue.visible_to):
        raise HttpError(404, unknown_queue(slug))
    return queue


class SignatureOut(Schema):
    id: int
    text: str
    is_default: bool


@api.get(
    "/signatures",
    response=list[SignatureOut],
    summary="Your signatures, the default one first (a reply's `signature_id`)",
)
def list_signatures(request: HttpRequest):
    return [
        {"id": s.pk, "text": s.text, "is_default": s.is_default}
        for s in signatures_of(request.user)
    ]


@api.get("/queues", response=list[QueueOut], summary="Queues visible to you, with counts")
def list_queues(request: HttpRequest):
    return [
        {
            "slug": q.slug,
            "name": q.name,
            "open": capped_count(queue_conversations(queue=q).filter(status="open")),
            "waiting_for_answer": capped_count(dealable(queue=q)),
            "counts_stop_at": count_cap(),
        }
        for q in visible_queues(user=request.user)
    ]


@api.get(
    # {int:…}: "/conversations/bulk" is another operation.
    "/conversations/{int:conversation_id}",
    response=ConversationOut,
    summary="A conversation with its messages",
)
def get_conversation(request: HttpRequest, conversation_id: int):
    return _conversation_out(_conversation(request, conversation_id), user=request.user)


@api.post(
    "/play/next",
    response={200: ConversationOut, 204: None},
    summary="Deal the next conversation of a queue",
)
def play_next(request: HttpRequest, body: PlayIn):
    # The agent's play session comes with its queue: when it is this queue's, that one read
    # serves the queue's look-up, its visibility and the deal (no second read of the session).
    session = play_services.current_session(agent=request.user)
    if session is not None and session.queue.slug == body.queue and not session.filter:
        if not has_role(request.user, session.queue.visible_to):
            raise HttpError(404, unknown_queue(body.queue))
        conversation = play_services.deal_next(agent=request.user, session=session)
    else:
        queue = _queue_for(request, body.queue)
        conversation = play_services.deal_next(agent=request.user, queue=queue)
    if conversation is None:
        return Status(204, None)
    return Status(200, _conversation_out(conversation, user=request.user))


@api.post("/play/stop", response=StopOut, summary="Leave Play Mode")
def play_stop(request: HttpRequest):
    session = play_services.stop(agent=request.user)
    if session is None:
        return {"stopped": False}
    return {
        "stopped": True,
        "started_at": session.started_at.isoformat(),
        "ended_at": session.ended_at.isoformat(),
        "dealt": session.dealt,
    }


@api.post(
    "/conversations/{conversation_id}/reply",
    response={201: ReplyOut},
    summary="Reply; then hold or close",
)
def reply(request: HttpRequest, conversation_id: int, body: ReplyIn):
    return _reply(request, conversation_id, body)


@api.post(
    "/conversations/{conversation_id}/reply-with-media",
    response={201: ReplyOut},
    summary="Reply with images or a video (multipart/form-data); then hold or close",
    description=(
        "The same reply as `/reply`, sent as `multipart/form-data`: the reply's fields as form "
        "fields and each file as an `attachments` part. The platform's rules for media apply, "
        "checked on the files' content, not their names: on X up to four images (PNG, JPEG, "
        "WebP, 5 MB each) or one GIF (15 MB) or MP4 (512 MB); on the other platforms replies are "
        "text only. A refused file is a 400 that names it, and nothing is saved."
    ),
)
def reply_with_media(
    request: HttpRequest,
    conversation_id: int,
    body: Form[ReplyIn],
    attachments: File[list[UploadedFile]],
):
    return _reply(request, conversation_id, body, attachments=attachments)


def _reply(request, conversation_id: int, body: ReplyIn, *, attachments=()):
    c = _conversation(request, conversation_id)
    message = actions.reply(
        actor=request.user,
        conversation=c,
        text=body.text,
        then=body.then,
        hold_reason=body.hold_reason,
        close_reason=body.close_reason,
        signature_id=body.signature_id,
        signed=body.signed,
        attachments=attachments,
    )
    action = message.outbound_action
    return Status(201, {"message_id": message.pk, "action_id": action.pk, "state": action.state})


# --- Options (AG5, AG10): the same actions as the conversation page ---------------------------


class ReasonIn(Schema):
    reason: Name = ""


class TextIn(Schema):
    text: Text(TEXT_LIMITS["note"])


class SentimentIn(Schema):
    sentiment: Name


class TagIn(Schema):
    tag: Text(TEXT_LIMITS["tag"])


class UserTagIn(Schema):
    kind: Name
    on: bool = True


class ReminderIn(Schema):
    due_at: Text(64)
    note: Text(TEXT_LIMITS["reminder_note"]) = ""


class AssignIn(Schema):
    to_user: Name | None = None
    to_queue: Name | None = None
    note: Text(TEXT_LIMITS["note"]) = ""


class EscalateIn(Schema):
    note: Text(TEXT_LIMITS["note"])
    holding_reply: Text(TEXT_LIMITS["reply"]) = ""
    recommend_retweet: bool = False


class RetweetIn(Schema):
    approve: bool
    note: Text(TEXT_LIMITS["note"]) = ""


class Done(Schema):
    ok: bool = True
    detail: str = ""


def _conversation(request, conversation_id: int) -> Conversation:
    """The conversation if the caller may see it; 404 alike for unknown and hidden ones."""
    c = _conversation_with_people.first(pk=conversation_id)
    if c is None:
        raise Http404
    if not can_see(user=request.user, conversation=c, fresh=True):
        raise HttpError(404, gettext("Not Found"))
    return c


def _act(request, conversation_id: int, action, **arguments):
    """One action of the action layer, by the caller, on a conversation they may see: the
    operations below only parse their input and name the action."""
    return action(
        actor=request.user, conversation=_conversation(request, conversation_id), **arguments
    )


@api.post(
    "/conversations/{conversation_id}/hold",
    response=Done,
    summary="Hold (waiting_customer | waiting_internal)",
)
def hold(request, conversation_id: int, body: ReasonIn):
    _act(request, conversation_id, actions.hold, reason=body.reason)
    return {"detail": "held"}


@api.post(
    "/conversations/{conversation_id}/close",
    response=Done,
    summary="Close with one of the nine reasons",
)
def close(request, conversation_id: int, body: ReasonIn):
    _act(request, conversation_id, actions.close, reason=body.reason)
    return {"detail": "closed"}


@api.post(
    "/conversations/{conversation_id}/notes", response={201: Done}, summary="Add an internal note"
)
def note(request, conversation_id: int, body: TextIn):
    _act(request, conversation_id, actions.add_note, text=body.text)
    return Status(201, {"detail": "note added"})


@api.post("/conversations/{conversation_id}/sentiment", response=Done)
def sentiment(request, conversation_id: int, body: SentimentIn):
    _act(request, conversation_id, actions.set_sentiment, sentiment=body.sentiment)
    return {"detail": body.sentiment}


@api.post(
    "/conversations/{conversation_id}/tags", response=Done, summary="Add a tag (by name or slug)"
)
def add_tag(request, conversation_id: int, body: TagIn):
    tag = _act(request, conversation_id, actions.add_tag, tag=body.tag)
    return {"detail": tag.name}


@api.delete("/conversations/{conversation_id}/tags/{tag}", response=Done, summary="Remove a tag")
def remove_tag(request, conversation_id: int, tag: str):
    found = _act(request, conversation_id, actions.remove_tag, tag=tag)
    return {"detail": found.name}


@api.post(
    "/conversations/{conversation_id}/user-tags",
    response=Done,
    summary="Set or clear a user tag on the customer",
)
def user_tag(request, conversation_id: int, body: UserTagIn):
    _act(request, conversation_id, actions.set_user_tag, kind=body.kind, on=body.on)
    return {"detail": body.kind}


@api.post(
    "/conversations/{conversation_id}/reminders",
    response={201: Done},
    summary="Remind me (ISO 8601 time)",
)
def reminder(request, conversation_id: int, body: ReminderIn):
    from django.utils.dateparse import parse_datetime

    try:
        due = parse_datetime(body.due_at)
    except ValueError:
        due = None
    if due is None:
        raise HttpError(
            400, gettext("due_at must be an ISO 8601 date and time, e.g. 2026-12-01T09:00:00Z.")
        )
    if timezone.is_naive(due):
        due = timezone.make_aware(due)
    _act(request, conversation_id, actions.set_reminder, due_at=due, note=body.note)
    return Status(201, {"detail": "reminder set"})


@api.post(
    "/conversations/{conversation_id}/assign",
    response=Done,
    summary="Assign to an agent (username or 'me') and/or a queue (slug)",
)
def assign(request, conversation_id: int, body: AssignIn):
    from django.contrib.auth import get_user_model

    to_user = to_queue = None
    if body.to_user:
        to_user = (
            request.user
            if body.to_user == "me"
            else get_user_model().objects.filter(username=body.to_user, is_active=True).first()
        )
        if to_user is None:
            raise HttpError(
                400, gettext("No agent called '%(username)s'.") % {"username": body.to_user}
            )
    if body.to_queue:
        to_queue = _queue_for(request, body.to_queue)
    _act(
        request,
        conversation_id,
        actions.assign,
        to_user=to_user,
        to_queue=to_queue,
        note=body.note,
    )
    return {"detail": "assigned"}


@api.post(
    "/conversations/{conversation_id}/escalate",
    response=Done,
    summary="Note + holding reply + Escalation queue, in one step",
)
def escalate(request, conversation_id: int, body: EscalateIn):
    _act(
        request,
        conversation_id,
        escalation.escalate,
        note=body.note,
        holding_reply=body.holding_reply,
        recommend_retweet=body.recommend_retweet,
    )
    return {"detail": "escalated"}


@api.post(
    "/conversations/{conversation_id}/moderated",
    response=Done,
    summary="Mark moderated (moderators)",
)
def moderated(request, conversation_id: int):
    _act(request, conversation_id, actions.mark_moderated)
    return {"detail": "moderated"}


@api.post(
    "/conversations/{conversation_id}/like",
    response=Done,
    summary="Like the customer's latest message from the mentioned account",
)
def like(request, conversation_id: int):
    c = _conversation(request, conversation_id)
    message = (
        c.messages.filter(direction="in", platform_id__isnull=False)
        .order_by("-created_at")
        .first()
    )
    if message is None:
        raise HttpError(400, gettext("There is no customer message to like."))
    actions.like(actor=request.user, conversation=c, message=message)
    return {"detail": "like queued"}


@api.post(
    "/conversations/{conversation_id}/retweet",
    response=Done,
    summary="Execute or decline a recommended retweet (CMs)",
)
def retweet(request, conversation_id: int, body: RetweetIn):
    _act(request, conversation_id, actions.decide_retweet, approve=body.approve, note=body.note)
    return {"detail": "retweet queued" if body.approve else "declined"}


@api.post(
    "/conversations/{conversation_id}/take-over",
    response=Done,
    summary="Take over a conversation dealt to another agent (CMs)",
)
def take_over(request, conversation_id: int):
    _act(request, conversation_id, actions.take_over)
    return {"detail": "taken over"}


@api.post(
    "/conversations/{conversation_id}/escalation-useful",
    response={201: Done},
    summary="Mark an escalation useful: it counts in its author's recognition (CMs)",
)
def escalation_useful(
    request,
    conversation_id: int,
    escalation_id: Annotated[int, Field(ge=1, le=2**63 - 1)] | None = Query(
        None, description="The escalation's activity entry; none given: the newest not marked."
    ),
):
    _act(request, conversation_id, escalation.mark_useful, escalation_id=escalation_id)
    return Status(201, {"detail": "marked useful"})


# Listing, searching and the rest of the workspace's actions.
from .workspace import router as workspace_router  # noqa: E402

api.add_router("", workspace_router)

from .webhooks import router as webhooks_router  # noqa: E402

api.add_router("", webhooks_router)
