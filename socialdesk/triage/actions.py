"""Triage's changes to conversations, in the action layer's style: check the role, write, log, one transaction."""

from django.db import transaction
from django.utils import timezone

from socialdesk.conversations import policy
from socialdesk.conversations.errors import ActionError, ActionNotFound
from socialdesk.conversations.models import Activity, Conversation, InternalNote, Status
from socialdesk.conversations.selectors import visible_conversations
from socialdesk.people.models import Role, has_role
from socialdesk.queues.models import Queue

from . import services
from .models import TriageCorrection

MAX_CLUSTER = 200


def confirm_or_correct(
    *, actor, conversation: Conversation, field: str, chosen: str
) -> TriageCorrection:
    """An agent confirms or changes the suggested type, sentiment or language (contributors may: PE3)."""
    policy.require_role(actor=actor, conversation=conversation, action="note")
    return services.record_correction(
        actor=actor, conversation=conversation, field=field, chosen=chosen
    )


def escalate_cluster(*, actor, conversation_ids: list[int], reason: str) -> int:
    """Assign every conversation of a cluster to the Escalation queue, with an internal note each.

    Returns how many were escalated. Closed conversations and those already escalated are left as they are.
    """
    ids = sorted({int(i) for i in conversation_ids})
    if len(ids) < 2:
        raise ActionError("A cluster needs at least two conversations.", field="conversations")
    if len(ids) > MAX_CLUSTER:
        raise ActionError(
            f"At most {MAX_CLUSTER} conversations can be escalated at once.", field="conversations"
        )
    queue = Queue.objects.filter(slug="escalation").first()
    if queue is None:
        raise ActionError(
            "There is no Escalation queue (slug “escalation”): a CM must create it first."
        )
    # Only the conversations the agent may see: the others are left as if they did not exist.
    visible = visible_conversations(user=actor).filter(pk__in=ids)
    first = visible.first()
    if first is None:
        raise ActionNotFound("None of these conversations exists any more.")
    if not has_role(actor, Role.CONTRIBUTOR):
        raise policy.refuse(
            actor=actor,
            conversation=first,
            action="escalate",
            reason="Your role may not escalate.",
        )
    now = timezone.now()
    note = (
        f"Escalated as a cluster of {len(ids)} similar conversations "
        f"(#{', #'.join(map(str, ids))}). Why: {reason.strip()[:1500]}"
    )
    done = 0
    with transaction.atomic():
        for c in (
            Conversation.objects.select_for_update()
            .filter(pk__in=visible.values("pk"))
            .order_by("pk")
        ):
            if c.status == Status.CLOSED or c.assigned_queue_id == queue.pk:
                continue
            # An agent has it in Play Mode: escalating would take it from them (policy.OWNER_ONLY).
            if (
                c.dealt_to_id
                and c.dealt_to_id != actor.id
                and c.lease_expires_at
                and c.lease_expires_at > now
            ):
                continue
            c.assigned_queue = queue
            c.save(update_fields=["assigned_queue", "updated_at"])
            InternalNote.objects.create(conversation=c, author=actor, text=note)
            Activity.objects.create(
                conversation=c,
                actor=actor,
                kind="escalated",
                detail={"queue": queue.slug, "cluster": ids, "reason": reason.strip()[:500]},
            )
            done += 1
    return done
