"""Changes to an agent's own settings: their signatures (seed: "My Signatures")."""

from django.db import transaction
from django.utils.translation import gettext as _

from socialdesk.errors import ActionError, ActionRefused
from socialdesk.prepared import Prepared

from .models import Signature


def add_signature(*, user, text: str, make_default: bool = False) -> Signature:
    """Keep another signature; the first one, or one asked for, becomes the default."""
    text = " ".join((text or "").split())
    if not text:
        raise ActionError(_("Write the signature first: it is empty."), field="signature")
    if len(text) > Signature.MAX_LENGTH:
        raise ActionError(
            _(
                "Keep the signature short: %(len)s characters, at most %(MAX_LENGTH)s (it counts against the platform's limit)."
            )
            % {"len": len(text), "MAX_LENGTH": Signature.MAX_LENGTH},
            field="signature",
        )
    with transaction.atomic():
        mine = Signature.objects.select_for_update().filter(user=user)
        existing = mine.filter(text=text).first()
        if existing is None and mine.count() >= Signature.MAX_PER_AGENT:
            raise ActionError(
                _("You have %(MAX_PER_AGENT)s signatures already: remove one first.")
                % {"MAX_PER_AGENT": Signature.MAX_PER_AGENT},
                field="signature",
            )
        make_default = make_default or not mine.filter(is_default=True).exists()
        signature = existing or Signature.objects.create(user=user, text=text, is_default=False)
        if make_default:
            _make_default(user=user, signature=signature)
    return signature


def set_default_signature(*, user, signature_id: int | None) -> Signature | None:
    """Make one of the agent's signatures the default; None: replies go out without one."""
    with transaction.atomic():
        if signature_id is None:
            Signature.objects.filter(user=user).update(is_default=False)
            return None
        signature = _own(user, signature_id)
        _make_default(user=user, signature=signature)
    return signature


def remove_signature(*, user, signature_id: int) -> None:
    with transaction.atomic():
        signature = _own(user, signature_id)
        was_default = signature.is_default
        signature.delete()
        if was_default:
            # The next one takes its place, so replies don't silently lose their signature.
            following = Signature.objects.filter(user=user).order_by("id").first()
            if following is not None:
                _make_default(user=user, signature=following)


def signature_for_reply(*, user, signature_id: int | None = None, none: bool = False) -> str:
    """The text to sign a reply with: the one chosen, none, or the agent's default."""
    if none:
        return ""
    if signature_id is not None:
        return _own(user, signature_id).text
    default = _default_signature.first(user=user.pk)
    return default.text if default else ""


# Read for every reply: compiled once (socialdesk/prepared.py).
_default_signature = Prepared(
    lambda user: Signature.objects.filter(user_id=user, is_default=True).order_by("-id")[:1]
)


def _own(user, signature_id) -> Signature:
    signature = (
        Signature.objects.filter(user=user, pk=signature_id).first()
        if isinstance(signature_id, int)
        else None
    )
    if signature is None:
        raise ActionError(
            _("That signature is not one of yours (it may have been removed)."), field="signature"
        )
    return signature


def _make_default(*, user, signature: Signature) -> None:
    Signature.objects.filter(user=user).exclude(pk=signature.pk).update(is_default=False)
    Signature.objects.filter(pk=signature.pk).update(is_default=True)
    signature.is_default = True


def end_all_sessions(*, user) -> int:
    """Sign the agent out everywhere: every session they signed in with ends now (PE5).

    Returns how many sessions ended."""
    from importlib import import_module

    from django.conf import settings

    from .models import SignedInSession

    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(SignedInSession.objects.filter(user=user).values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    SignedInSession.objects.filter(user=user).delete()
    return len(keys)


def set_role(*, actor, user, role: str) -> None:
    """Give someone another role (PE3): a community manager between contributor and moderator,
    an admin any role; the last admin keeps theirs. Logged with who did it."""

    from . import audit
    from .models import ROLE_RANK, Profile, Role, has_role, role_of
    from .roles import sync_user

    if role not in Role.values:
        raise ActionError(_("Choose one of the roles."), field="role")
    mine = role_of(actor)
    theirs = role_of(user)
    if mine != Role.ADMIN:
        if (
            not has_role(actor, Role.COMMUNITY_MANAGER)
            or ROLE_RANK[Role(role)] >= ROLE_RANK[Role.COMMUNITY_MANAGER]
            or (
                theirs is not None and ROLE_RANK[Role(theirs)] >= ROLE_RANK[Role.COMMUNITY_MANAGER]
            )
        ):
            raise ActionRefused(
                _(
                    "Community managers move people between contributor and moderator; an admin gives the other roles."
                )
            )
    if (
        theirs == Role.ADMIN
        and role != Role.ADMIN
        and not Profile.objects.filter(role=Role.ADMIN).exclude(user=user).exists()
    ):
        raise ActionError(_("This is the last admin: make someone else an admin first."))
    with transaction.atomic():
        updated = Profile.objects.filter(user=user).update(
            role=role
        )  # .update(): logged here, with the actor
        if not updated:
            Profile.objects.create(user=user, role=role)
        type(user).objects.filter(pk=user.pk).update(
            is_staff=role == Role.ADMIN, is_superuser=role == Role.ADMIN
        )
        sync_user(user, role)  # .update() sends no post_save: the role's group here
    audit.record("role_given", actor=actor, subject=user, before=theirs or "", after=role)
