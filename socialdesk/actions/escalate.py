"""Escalating (AG10): one conversation from its page or Play, or a cluster of similar ones from
triage, the same way: the escalation queue, the role check, a note, the lease released, the
conversation waiting for an answer there, one log entry each."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from socialdesk.actions import policy
from socialdesk.actions.conversation import (
    _check_not_dealt_to_another,
    _lock,
    _release,
    check_reply,
    wait_for_escalation,
    write_reply,
)
from socialdesk.conversations.limits import check_text
from socialdesk.conversations.models import (
    Activity,
    ActivityKind,
    Conversation,
    InternalNote,
    Status,
)
from socialdesk.errors import ActionConflict, ActionError, ActionNotFound, ActionRefused
from socialdesk.people.models import Role, has_role
from socialdesk.queues.models import Queue
from socialdesk.queues.visibility import visible_conversations

MAX_CLUSTER = 200


def escalation_queue() -> Queue:
    """The queue escalations go to: the first escalation queue in the CMs' order."""
    queue = Queue.objects.filter(is_escalation=True).order_by("position", "pk").first()
    if queue is None:
        raise ActionError(_("No escalation queue is configured: ask an admin to create one."))
    return queue


def _escalate_locked(
    *, actor, conversation: Conversation, queue: Queue, note: str, kind: str, detail: dict
) -> None:
    """The writes of an escalation, under the caller's lock on `conversation`."""
    InternalNote.objects.create(conversation=conversation, author=actor, text=note)
    conversation.assigned_queue = queue
    # Out of the agent's hands: the deal ends here, Escalation Play deals it to a CM.
    _release(conversation)
    wait_for_escalation(conversation)
    conversation.save()
    Activity.objects.create(
        conversation=conversation, actor=actor, kind=kind, detail={"queue": queue.name, **detail}
    )


def escalate(
    *,
    actor,
    conversation: Conversation,
    note: str,
    holding_reply: str = "",
    recommend_retweet: bool = False,
) -> Conversation:
    """Escalate in one step: internal note, the holding reply, assignment to Escalation.

    A retweet recommendation is an escalation too; a community manager executes or declines it.
    The holding reply is checked first (a refusal's audit entry is kept) and written in the same
    transaction as the escalation: both happen or neither.
    """
    policy.require_role(actor=actor, conversation=conversation, action="escalate")
    note = check_text(
        (note or "").strip(), kind="note", field="note", label=_("The escalation note")
    )
    if not note:
        raise ActionError(
            _("Describe the problem and what was suggested, for the community manager."),
            field="note",
        )
    queue = escalation_queue()
    holding = (
        check_reply(actor=actor, conversation=conversation, text=holding_reply)
        if holding_reply.strip()
        else None
    )
    now = timezone.now()
    with transaction.atomic(durable=True):
        conversation = _lock(conversation)
        _check_not_dealt_to_another(actor, conversation, now)
        if holding is not None:
            write_reply(holding, conversation=conversation, now=now, holding=True)
        if recommend_retweet:
            conversation.retweet_recommended = True
        _escalate_locked(
            actor=actor,
            conversation=conversation,
            queue=queue,
            note=note,
            kind=ActivityKind.RETWEET_RECOMMENDED if recommend_retweet else ActivityKind.ESCALATED,
            detail={"holding_reply": holding is not None},
        )
    return conversation


def escalate_cluster(*, actor, conversation_ids: list[int], reason: str) -> int:
    """Escalate every conversation of a cluster of similar questions, with an internal note each.

    Returns how many were escalated. Those the agent may not see are left as if they did not
    exist; closed ones, those already in the escalation queue and those another agent holds in
    Play Mode are left as they are.
    """
    ids = sorted({int(i) for i in conversation_ids})
    if len(ids) < 2:
        raise ActionError(_("A cluster needs at least two conversations."), field="conversations")
    if len(ids) > MAX_CLUSTER:
        raise ActionError(
            _("At most %(MAX_CLUSTER)s conversations can be escalated at once.")
            % {"MAX_CLUSTER": MAX_CLUSTER},
            field="conversations",
        )
    reason = check_text((reason or "").strip(), kind="note", field="reason", label=_("The reason"))
    visible = visible_conversations(user=actor).filter(pk__in=ids)
    first = visible.first()
    if first is None:
        raise ActionNotFound(_("None of these conversations exists any more."))
    # The role check of a single escalation (without the lease: held ones are skipped below).
    policy.require_role(actor=actor, conversation=None, action="escalate")
    queue = escalation_queue()
    note = (
        f"Escalated as a cluster of {len(ids)} similar conversations "
        f"(#{', #'.join(map(str, ids))}). Why: {reason[:1500]}"
    )
    now, done = timezone.now(), 0
    with transaction.atomic(durable=True):
        for conversation in (
            Conversation.objects.select_for_update()
            .filter(pk__in=visible.values("pk"))
            .order_by("pk")
        ):
            if conversation.status == Status.CLOSED or conversation.assigned_queue_id == queue.pk:
                continue
            try:
                _check_not_dealt_to_another(actor, conversation, now)
            except ActionError:
                continue
            _escalate_locked(
                actor=actor,
                conversation=conversation,
                queue=queue,
                note=note,
                kind=ActivityKind.ESCALATED,
                detail={"holding_reply": False, "cluster": ids, "reason": reason[:500]},
            )
            done += 1
    return done


ESCALATION_KINDS = (ActivityKind.ESCALATED, ActivityKind.RETWEET_RECOMMENDED)


def useful_candidates(conversation: Conversation, *, actor=None) -> list[Activity]:
    """The conversation's escalations a community manager may still mark useful: made by a
    person (not the system), not by `actor`, not marked yet; newest first."""
    marked = {
        (d or {}).get("escalation")
        for d in Activity.objects.filter(
            conversation=conversation, kind=ActivityKind.ESCALATION_USEFUL
        ).values_list("detail", flat=True)
    }
    rows = (
        Activity.objects.filter(
            conversation=conversation, kind__in=ESCALATION_KINDS, actor__isnull=False
        )
        .select_related("actor")
        .order_by("-at", "-id")
    )
    if actor is not None:
        rows = rows.exclude(actor=actor)
    return [row for row in rows if row.pk not in marked]


def mark_useful(
    *, actor, conversation: Conversation, escalation_id: int | None = None
) -> Activity:
    """RE4: a community manager marks an escalation useful; it counts in its author's
    recognition. Once per escalation, never one's own; there is nothing that counts against
    anyone, so an escalation not marked simply is not counted here."""
    if not has_role(actor, Role.COMMUNITY_MANAGER):
        raise ActionRefused(_("Only community managers mark an escalation useful."))
    with transaction.atomic(durable=True):
        conversation = _lock(conversation)
        candidates = useful_candidates(conversation, actor=actor)
        if escalation_id is not None:
            candidates = [row for row in candidates if row.pk == escalation_id]
        if not candidates:
            already = Activity.objects.filter(
                conversation=conversation, kind=ActivityKind.ESCALATION_USEFUL
            ).exists()
            if already:
                raise ActionConflict(_("This escalation is already marked useful."))
            raise ActionError(
                _("There is no escalation by someone else to mark useful in this conversation.")
            )
        escalation = candidates[0]
        return Activity.objects.create(
            conversation=conversation,
            actor=actor,
            kind=ActivityKind.ESCALATION_USEFUL,
            detail={
                # Whose it is is read from that entry's actor (kept when they leave).
                "escalation": escalation.pk,
                "escalated_at": escalation.at.isoformat(),
            },
        )
