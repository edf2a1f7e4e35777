"""HTTP API v1: queues, conversations, Play Mode and replies, over the same action layer as the UI.

Authentication: the browser session (with its CSRF token) or `Authorization: Bearer <token>`.
Errors are JSON `{"detail": "..."}` with the status code that says what went wrong.
"""

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import NinjaAPI, Schema, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import APIKeyCookie, HttpBearer

from socialdesk.conversations import actions
from socialdesk.conversations.errors import ActionError
from socialdesk.conversations.models import Conversation
from socialdesk.people.models import ApiToken, has_role
from socialdesk.play import services as play_services
from socialdesk.queues.models import Queue
from socialdesk.queues.selectors import dealable, queue_conversations, visible_queues


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        row = ApiToken.objects.select_related("user").filter(key_hash=ApiToken.hash(token)).first()
        if row is None or not row.user.is_active:
            return None
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
        request.user = row.user
        return row.user


class SessionAuth(APIKeyCookie):
    """The logged-in browser session; CSRF is checked for unsafe methods."""

    param_name = "sessionid"

    def authenticate(self, request, key):
        return request.user if request.user.is_authenticated else None


api = NinjaAPI(title="Socialdesk API", version="1", auth=[TokenAuth(), SessionAuth()], urls_namespace="api")


@api.exception_handler(ActionError)
def action_error(request, exc: ActionError):
    body = {"detail": exc.message}
    if exc.field:
        body["field"] = exc.field
    return api.create_response(request, body, status=exc.status)


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    problems = []
    for e in exc.errors:
        where = ".".join(str(p) for p in e.get("loc", []) if p not in ("body", "payload"))
        problems.append(f"{where}: {e.get('msg')}" if where else e.get("msg", "invalid"))
    return api.create_response(request, {"detail": "Invalid request: " + "; ".join(problems), "errors": exc.errors}, status=422)


@api.exception_handler(AuthenticationError)
def auth_error(request, exc):
    return api.create_response(request, {"detail": "Sign in or send 'Authorization: Bearer <token>'."}, status=401)


class QueueOut(Schema):
    slug: str
    name: str
    open: int
    waiting_for_answer: int


class MessageOut(Schema):
    id: int
    direction: str
    platform_id: str | None
    text: str
    created_at: str
    author: str | None
    account: str | None
    delivery: str | None


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
    queue: str


class ReplyIn(Schema):
    text: str
    then: str = "none"
    hold_reason: str = ""
    close_reason: str = ""


class ReplyOut(Schema):
    message_id: int
    action_id: int
    state: str


class StopOut(Schema):
    stopped: bool
    started_at: str | None = None
    ended_at: str | None = None
    dealt: int = 0


def _conversation_out(c: Conversation) -> dict:
    msgs = c.messages.select_related("author", "account", "outbound_action")
    return {
        "id": c.pk, "platform": c.platform, "status": c.status, "hold_reason": c.hold_reason,
        "close_reason": c.close_reason, "account": str(c.account) if c.account else None,
        "respond_from": str(c.respond_from) if c.respond_from else None, "author": str(c.author),
        "moderated": c.moderated, "priority": c.priority, "dealt_to": c.dealt_to.get_username() if c.dealt_to else None,
        "lease_expires_at": c.lease_expires_at.isoformat() if c.lease_expires_at else None,
        "messages": [
            {
                "id": m.pk, "direction": m.direction, "platform_id": m.platform_id, "text": m.text,
                "created_at": m.created_at.isoformat(), "author": str(m.author) if m.author else None,
                "account": str(m.account) if m.account else None,
                "delivery": getattr(getattr(m, "outbound_action", None), "state", None),
            }
            for m in msgs
        ],
    }


def _queue_for(request, slug: str) -> Queue:
    queue = Queue.objects.filter(slug=slug).first()
    if queue is None or not has_role(request.user, queue.visible_to):
        raise HttpError(404, f"Unknown queue '{slug}'. GET /api/v1/queues lists yours.")
    return queue


@api.get("/queues", response=list[QueueOut], summary="Queues visible to you, with counts")
def list_queues(request: HttpRequest):
    return [
        {"slug": q.slug, "name": q.name, "open": queue_conversations(queue=q).filter(status="open").count(), "waiting_for_answer": dealable(queue=q).count()}
        for q in visible_queues(user=request.user)
    ]


@api.get("/conversations/{conversation_id}", response=ConversationOut, summary="A conversation with its messages")
def get_conversation(request: HttpRequest, conversation_id: int):
    c = get_object_or_404(Conversation.objects.select_related("author", "account", "respond_from", "dealt_to"), pk=conversation_id)
    return _conversation_out(c)


@api.post("/play/next", response={200: ConversationOut, 204: None}, summary="Deal the next conversation of a queue")
def play_next(request: HttpRequest, body: PlayIn):
    queue = _queue_for(request, body.queue)
    conversation = play_services.deal_next(agent=request.user, queue=queue)
    if conversation is None:
        return Status(204, None)
    return Status(200, _conversation_out(conversation))


@api.post("/play/stop", response=StopOut, summary="Leave Play Mode")
def play_stop(request: HttpRequest):
    session = play_services.stop(agent=request.user)
    if session is None:
        return {"stopped": False}
    return {"stopped": True, "started_at": session.started_at.isoformat(), "ended_at": session.ended_at.isoformat(), "dealt": session.dealt}


@api.post("/conversations/{conversation_id}/reply", response={201: ReplyOut}, summary="Reply; then hold or close")
def reply(request: HttpRequest, conversation_id: int, body: ReplyIn):
    c = get_object_or_404(Conversation, pk=conversation_id)
    message = actions.reply(actor=request.user, conversation=c, text=body.text, then=body.then, hold_reason=body.hold_reason, close_reason=body.close_reason)
    action = message.outbound_action
    return Status(201, {"message_id": message.pk, "action_id": action.pk, "state": action.state})
