"""Who may do what (roles, PE3), on which conversation (visibility and the deal), and what each
brand account may do (engagement policy, PO2).

Every action calls `require_role` with the conversation it acts on; it checks, in this order:

1. **The role** may do the action at all (`ACTION_ROLES`): otherwise `ActionRefused` (403).
2. **Visibility**: the conversation is one the actor may see (`queues.visibility.visible_conversations`:
   community managers and admins see everything; moderators and contributors what is in a queue
   their role may see, or what is dealt or assigned to them). Otherwise `ActionNotFound` (404):
   whoever may not see a conversation may not learn that it exists either.
3. **The deal**: while a conversation is dealt to another agent under a live lease, that agent
   owns it. The actions that answer the customer, move the conversation or change its course are
   refused with `ActionConflict` (409) naming who has it (`OWNER_ONLY`): reply, hold, close,
   escalate, assign, merge (both conversations) and split, like, retweet, moderate, and a retry of
   a failed delivery. The light ones stay open to everyone who sees the conversation, because they
   help the agent who has it rather than take it from them: internal notes, reminders, tags,
   sentiment, user tags and confirming triage's suggestions. Nobody, a community manager included,
   takes a conversation from an agent by acting on it: the lease expires when the agent leaves
   it, or a community manager takes it over explicitly (`actions.conversation.take_over`, logged with whom it
   was taken from).

Refusals of role and visibility are written to the activity log before they are raised, so
refused attempts are audited even though nothing else changes. The action layer checks the deal
again under the conversation's row lock (`check_not_dealt_to_another`), so a deal made between
the check and the write cannot be overtaken either.
"""

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from socialdesk.brands.models import BrandAccount, RetweetPolicy
from socialdesk.conversations.models import Activity, ActivityKind
from socialdesk.errors import ActionConflict, ActionNotFound, ActionRefused
from socialdesk.people.models import Role, has_role
from socialdesk.people.roles import ACTION_ROLES
from socialdesk.queues.visibility import can_see

# ACTION_ROLES (the lowest role allowed each action) is the roles' table in people.roles, which
# the roles' Django groups mirror.

# The actions only the agent a conversation is dealt to may take while the lease lasts.
OWNER_ONLY = frozenset(
    {
        "reply",
        "hold",
        "close",
        "like",
        "assign",
        "assign_others",
        "escalate",
        "merge",
        "moderate",
        "retweet",
        "dm",
    }
)


def refuse(*, actor, conversation, action: str, reason: str) -> ActionRefused:
    Activity.objects.create(
        conversation=conversation,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        kind=ActivityKind.REFUSED,
        detail={"action": action, "reason": reason},
    )
    return ActionRefused(reason)


def page_role(role: str, reason: str):
    """The check of a page open to `role` and above (a community manager's editor, the audit
    log...): `check(request)` refuses anyone else with a 403 that says `reason`."""

    def check(request) -> None:
        if not has_role(request.user, role):
            raise PermissionDenied(reason)

    return check


def require_role(*, actor, conversation, action: str) -> None:
    """The role may `action`, and — given a conversation — may see it and act on it now."""
    needed = ACTION_ROLES[action]
    if not has_role(actor, needed):
        raise refuse(
            actor=actor,
            conversation=conversation,
            action=action,
            reason=f"Your role may not {action}: it needs {Role(needed).label}.",
        )
    if conversation is None:
        return
    require_visible(actor=actor, conversation=conversation, action=action)
    if action in OWNER_ONLY:
        require_not_escalated_above(actor=actor, conversation=conversation, action=action)
        check_not_dealt_to_another(actor=actor, conversation=conversation)


def require_not_escalated_above(*, actor, conversation, action: str) -> None:
    """What is escalated is the community managers' to answer (AG10: "escalate to a community
    manager"): below them, whoever sees it may add notes, tags and reminders but not answer,
    close, hold, move or take it. A CM who assigns it elsewhere hands it back."""
    queue_id = conversation.assigned_queue_id
    if queue_id is None:
        return
    queue = conversation.assigned_queue
    if not has_role(actor, queue.play_role):
        raise refuse(
            actor=actor,
            conversation=conversation,
            action=action,
            reason=_(
                "This conversation is escalated to %(queue)s: the community managers answer it."
            )
            % {"queue": queue},
        )


def require_visible(*, actor, conversation, action: str) -> None:

    if not can_see(user=actor, conversation=conversation):
        Activity.objects.create(
            conversation=conversation,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            kind=ActivityKind.REFUSED,
            detail={"action": action, "reason": "not visible to this agent"},
        )
        raise ActionNotFound("No such conversation.")


def check_not_dealt_to_another(*, actor, conversation, now=None) -> None:
    """Refuse while another agent holds the conversation under a live lease (AG3: exclusively)."""
    now = now or timezone.now()
    if (
        conversation.dealt_to_id
        and conversation.dealt_to_id != actor.id
        and conversation.lease_expires_at
        and conversation.lease_expires_at > now
    ):
        from django.contrib.auth import get_user_model

        who = get_user_model().objects.filter(pk=conversation.dealt_to_id).first()
        raise ActionConflict(
            f"{who or 'Another agent'} is handling this conversation in Play Mode right now; "
            f"leave it to them, or add an internal note for them."
        )


def require_account_allows(
    *, actor, conversation, account: BrandAccount | None, action: str
) -> None:
    if account is None:
        raise refuse(
            actor=actor,
            conversation=conversation,
            action=action,
            reason="No brand account to act from: set the respond-from account first.",
        )
    allowed = {
        "reply": account.can_reply,
        "like": account.can_like,
        "dm": account.can_dm,
        "retweet": account.retweet_policy != RetweetPolicy.NEVER
        and (
            account.retweet_policy == RetweetPolicy.ANYONE
            or has_role(actor, Role.COMMUNITY_MANAGER)
        ),
    }[action]
    if not allowed:
        raise refuse(
            actor=actor,
            conversation=conversation,
            action=action,
            reason=f"The engagement policy of {account} does not allow: {action}.",
        )
