"""Who may do what (roles, PE3) and what each brand account may do (engagement policy, PO2).

Every action calls `require`; a refusal is written to the activity log before it is raised, so
refused attempts are audited even though nothing else changes.
"""

from socialdesk.brands.models import BrandAccount, RetweetPolicy
from socialdesk.people.models import Role, has_role

from .errors import ActionRefused
from .models import Activity

# The lowest role allowed each action.
ACTION_ROLES = {
    "reply": Role.CONTRIBUTOR,
    "hold": Role.CONTRIBUTOR,
    "close": Role.CONTRIBUTOR,
    "like": Role.CONTRIBUTOR,
    "note": Role.CONTRIBUTOR,
    "play": Role.CONTRIBUTOR,
    "sentiment": Role.CONTRIBUTOR,
    "tag": Role.CONTRIBUTOR,
    "user_tag": Role.CONTRIBUTOR,
    "reminder": Role.CONTRIBUTOR,
    "assign": Role.CONTRIBUTOR,
    "escalate": Role.CONTRIBUTOR,
    "assign_others": Role.MODERATOR,
    "merge": Role.CONTRIBUTOR,
    "bulk": Role.CONTRIBUTOR,
    "approve": Role.MODERATOR,
    "moderate": Role.MODERATOR,
    "retweet": Role.COMMUNITY_MANAGER,
    "dm": Role.CONTRIBUTOR,
}


def refuse(*, actor, conversation, action: str, reason: str) -> ActionRefused:
    Activity.objects.create(
        conversation=conversation, actor=actor if getattr(actor, "is_authenticated", False) else None,
        kind="refused", detail={"action": action, "reason": reason},
    )
    return ActionRefused(reason)


def require_role(*, actor, conversation, action: str) -> None:
    needed = ACTION_ROLES[action]
    if not has_role(actor, needed):
        raise refuse(actor=actor, conversation=conversation, action=action, reason=f"Your role may not {action}: it needs {Role(needed).label}.")


def require_account_allows(*, actor, conversation, account: BrandAccount | None, action: str) -> None:
    if account is None:
        raise refuse(actor=actor, conversation=conversation, action=action, reason="No brand account to act from: set the respond-from account first.")
    allowed = {
        "reply": account.can_reply,
        "like": account.can_like,
        "dm": account.can_dm,
        "retweet": account.retweet_policy != RetweetPolicy.NEVER
        and (account.retweet_policy == RetweetPolicy.ANYONE or has_role(actor, Role.COMMUNITY_MANAGER)),
    }[action]
    if not allowed:
        raise refuse(actor=actor, conversation=conversation, action=action, reason=f"The engagement policy of {account} does not allow: {action}.")
