"""The rest of the workspace over HTTP: list and search conversations with the queues' filters,
and the actions the pages have (merge, split, bulk, approvals, skip, retry, triage, reminders),
each calling the same action function as its page."""

from typing import Annotated, Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from socialdesk.actions import conversation as actions
from socialdesk.actions import deal as play_services
from socialdesk.actions import triage as triage_actions
from socialdesk.actions.delivery import retry_failed
from socialdesk.conversations.limits import TEXT_LIMITS
from socialdesk.conversations.models import Conversation, Message, Reminder
from socialdesk.errors import ActionError
from socialdesk.outbox.models import ActionState, OutboundAction
from socialdesk.people.models import Role, has_role
from socialdesk.queues.selectors import ConversationFilter, count_cap, queue_conversations
from socialdesk.queues.visibility import can_see, visible_conversations
from socialdesk.search import selectors as search

from .api import ConversationOut, Done, Name, Text, _conversation, _conversation_out, _queue_for

router = Router()

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
FilterValue = Annotated[str, Field(max_length=200)]
MAX_BULK = 500


# --- List and search --------------------------------------------------------------------------


class ConversationSummary(Schema):
    id: int
    platform: str
    status: str
    hold_reason: str
    close_reason: str
    author: str
    account: str | None
    language: str
    type: str
    sentiment: str
    priority: int
    moderated: bool
    tags: list[str]
    dealt_to: str | None
    last_inbound_at: str
    hit: str | None = Field(
        None, description="Searching: the latest message whose words matched, if one did."
    )


class ConversationPage(Schema):
    items: list[ConversationSummary]
    next: str | None = Field(
        description="Pass as `after` for the next page; null on the last page."
    )


def _summary(c: Conversation) -> dict:
    hit = getattr(c, "hit", None)
    return {
        "id": c.pk,
        "platform": c.platform,
        "status": c.status,
        "hold_reason": c.hold_reason,
        "close_reason": c.close_reason,
        "author": str(c.author),
        "account": str(c.account) if c.account else None,
        "language": c.language,
        "type": c.type,
        "sentiment": c.sentiment,
        "priority": c.priority,
        "moderated": c.moderated,
        "tags": [t.slug for t in c.tags.all()],
        "dealt_to": c.dealt_to.get_username() if c.dealt_to else None,
        "last_inbound_at": c.last_inbound_at.isoformat(),
        "hit": hit.text if hit else None,
    }


class ListQuery(Schema):
    q: Annotated[str, Field(max_length=search.MAX_QUERY)] = Field(
        "", description="Words (stemmed in each message's language), an @handle or a #number."
    )
    queue: Name | None = Field(None, description="Only this queue (its slug).")
    status: list[FilterValue] = Field([], description="open, held, closed; repeat for several.")
    tag: list[FilterValue] = Field([], description="Tag slugs; `(none)`: untagged.")
    type: list[FilterValue] = Field([], description="Message types; `private_message` too.")
    platform: list[FilterValue] = []
    account: list[FilterValue] = Field([], description="Brand account handles.")
    language: list[FilterValue] = []
    sentiment: list[FilterValue] = []
    after: Annotated[str, Field(max_length=60)] = Field(
        "", description="The `next` of the previous page."
    )
    limit: Annotated[int, Field(ge=1, le=100)] = 25


@router.get(
    "/conversations",
    response=ConversationPage,
    summary="List or search conversations, with the queues' filters",
    description="Newest activity first, keyset-paged: follow `next` as `after`. Only the "
    "conversations you may see; with `queue`, only that queue's.",
)
def list_conversations(request: HttpRequest, params: Query[ListQuery]):
    filter = ConversationFilter(
        **{
            name: tuple(v for v in getattr(params, ConversationFilter._param(name)) if v)
            for name in ConversationFilter.FIELDS
        }
    )
    after = None
    if params.after:
        try:
            after = search.SearchCursor.decode(params.after)
        except ValueError:
            raise ActionError(
                _("`after` is not a page this API gave out."), field="after"
            ) from None
    within = queue_conversations(queue=_queue_for(request, params.queue)) if params.queue else None
    if params.q.strip():
        # The search page's own search: the same matches, order, pages and snippets.
        try:
            found = search.results(
                user=request.user,
                text=params.q,
                filter=filter,
                after=after,
                size=params.limit,
                with_count=False,
                within=within,
                prefetch=("tags",),
            )
        except search.BadQuery as e:
            raise ActionError(str(e), field="q") from None
        rows, cursor = found.rows, found.next
    else:
        qs = filter.apply(visible_conversations(user=request.user))
        if within is not None:
            qs = qs.filter(pk__in=within)
        rows, cursor = search.page(qs, after=after, size=params.limit, prefetch=("tags",))
    return {"items": [_summary(c) for c in rows], "next": cursor.encode() if cursor else None}


# --- Merge, split, bulk -----------------------------------------------------------------------


class MergeIn(Schema):
    other: Id = Field(description="The conversation to merge into this one (same customer).")


class SplitIn(Schema):
    message_id: Id = Field(
        description="This message and every later one go to a new conversation."
    )


class CreatedConversation(Schema):
    id: int


class BulkIn(Schema):
    ids: list[Id] = Field(min_length=1, max_length=MAX_BULK)
    action: Literal["tag", "assign_queue", "hold", "close", "moderate"]
    value: Name = Field(
        "", description="The tag, the queue's slug, or the hold or close reason; none to moderate."
    )


class BulkOut(Schema):
    done: int
    problems: list[str] = Field(description="Why each conversation not done was not.")


@router.post(
    "/conversations/{conversation_id}/merge",
    response=ConversationOut,
    summary="Merge another conversation of the same customer into this one",
)
def merge(request, conversation_id: int, body: MergeIn):
    c = _conversation(request, conversation_id)
    other = _conversation(request, body.other)
    return _conversation_out(actions.merge(actor=request.user, conversation=c, other=other))


@router.post(
    "/conversations/{conversation_id}/split",
    response={201: CreatedConversation},
    summary="Split from a message into a new conversation",
)
def split(request, conversation_id: int, body: SplitIn):
    c = _conversation(request, conversation_id)
    message = get_object_or_404(Message, pk=body.message_id, conversation=c)
    new = actions.split(actor=request.user, conversation=c, message=message)
    return Status(201, {"id": new.pk})


@router.post(
    "/conversations/bulk",
    response=BulkOut,
    summary="One action on many conversations, each checked and logged on its own",
)
def bulk(request, body: BulkIn):
    ids = list(dict.fromkeys(body.ids))
    visible = {
        c.pk: c for c in visible_conversations(user=request.user).filter(pk__in=ids)[: count_cap()]
    }
    done, problems = actions.bulk(
        actor=request.user,
        conversations=[visible[i] for i in ids if i in visible],
        action=body.action,
        value=body.value,
    )
    problems += [f"#{i}: Not Found" for i in ids if i not in visible]
    return {"done": done, "problems": problems}


# --- Approvals --------------------------------------------------------------------------------


class WaitingReply(Schema):
    action_id: int
    conversation_id: int
    text: str
    by: str | None
    created_at: str


class ApproveIn(Schema):
    text: Text(TEXT_LIMITS["reply"]) | None = Field(
        None, description="The reply as edited; none: approve it as written."
    )


class ReturnIn(Schema):
    note: Text(TEXT_LIMITS["note"]) = Field(description="What to change, for the contributor.")


def _require_moderator(request):
    if not has_role(request.user, Role.MODERATOR):
        raise HttpError(403, _("Only moderators approve replies."))


def _visible_action(request, action_id: int) -> OutboundAction:
    action = get_object_or_404(OutboundAction.objects.select_related("conversation"), pk=action_id)
    if not can_see(user=request.user, conversation=action.conversation):
        raise HttpError(404, _("Not Found"))
    return action


@router.get(
    "/approvals",
    response=list[WaitingReply],
    summary="Replies waiting for a moderator (oldest first)",
)
def list_approvals(request):
    _require_moderator(request)
    waiting = (
        OutboundAction.objects.filter(
            state=ActionState.AWAITING_APPROVAL,
            conversation__in=visible_conversations(user=request.user).values("pk"),
        )
        .select_related("message__sent_by")
        .order_by("created_at", "pk")[:200]
    )
    return [
        {
            "action_id": a.pk,
            "conversation_id": a.conversation_id,
            "text": a.text,
            "by": a.message.sent_by.get_username() if a.message and a.message.sent_by else None,
            "created_at": a.created_at.isoformat(),
        }
        for a in waiting
    ]


@router.post("/approvals/{action_id}/approve", response=Done, summary="Approve, edited or not")
def approve(request, action_id: int, body: ApproveIn):
    _require_moderator(request)
    actions.approve_reply(
        actor=request.user, action=_visible_action(request, action_id), text=body.text
    )
    return {"detail": "approved"}


@router.post(
    "/approvals/{action_id}/return", response=Done, summary="Send back to its writer with a note"
)
def return_reply(request, action_id: int, body: ReturnIn):
    _require_moderator(request)
    actions.return_reply(
        actor=request.user, action=_visible_action(request, action_id), note=body.note
    )
    return {"detail": "returned"}


# --- Play, outbox, triage, reminders ----------------------------------------------------------


class SkipIn(Schema):
    conversation_id: Id


@router.post(
    "/play/skip",
    response={200: ConversationOut, 204: None},
    summary="Skip the conversation dealt to you and deal the next",
)
def play_skip(request, body: SkipIn):
    conversation = get_object_or_404(Conversation, pk=body.conversation_id)
    following = play_services.skip(agent=request.user, conversation=conversation)
    if following is None:
        return Status(204, None)
    return Status(200, _conversation_out(following))


@router.post("/outbox/{action_id}/retry", response=Done, summary="Try a failed delivery again")
def retry(request, action_id: int):
    retry_failed(actor=request.user, action=_visible_action(request, action_id))
    return {"detail": "retrying"}


class TriageIn(Schema):
    field: Literal["type", "sentiment", "language"]
    chosen: Name = Field(description="The value you confirm, or the one you change it to.")


class TriageOut(Schema):
    agreed: bool = Field(description="True: you confirmed triage's value; false: you changed it.")


@router.post(
    "/conversations/{conversation_id}/triage",
    response=TriageOut,
    summary="Confirm or change triage's type, sentiment or language",
)
def triage(request, conversation_id: int, body: TriageIn):
    correction = triage_actions.confirm_or_correct(
        actor=request.user,
        conversation=_conversation(request, conversation_id),
        field=body.field,
        chosen=body.chosen,
    )
    return {"agreed": correction.agreed}


class ReminderOut(Schema):
    id: int
    conversation_id: int
    due_at: str
    note: str


@router.get("/reminders", response=list[ReminderOut], summary="Your open reminders, soonest first")
def list_reminders(request):
    rows = Reminder.objects.filter(
        user=request.user,
        done=False,
        conversation__in=visible_conversations(user=request.user).values("pk"),
    ).order_by("due_at", "pk")[:200]
    return [
        {
            "id": r.pk,
            "conversation_id": r.conversation_id,
            "due_at": r.due_at.isoformat(),
            "note": r.note,
        }
        for r in rows
    ]


@router.post(
    "/reminders/{reminder_id}/done", response=Done, summary="Dismiss one of your reminders"
)
def dismiss_reminder(request, reminder_id: int):
    reminder = get_object_or_404(Reminder, pk=reminder_id, user=request.user)
    actions.dismiss_reminder(actor=request.user, reminder=reminder)
    return {"detail": "done"}
