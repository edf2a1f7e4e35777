"""An agent is a Django user with a role; signatures and API tokens belong to them."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CONTRIBUTOR = "contributor", _("Contributor")
    MODERATOR = "moderator", _("Moderator")
    COMMUNITY_MANAGER = "cm", _("Community manager")
    ADMIN = "admin", _("Admin")


# Each role has the rights of those before it.
ROLE_RANK = {Role.CONTRIBUTOR: 1, Role.MODERATOR: 2, Role.COMMUNITY_MANAGER: 3, Role.ADMIN: 4}

# The username of the one placeholder account that departed people's work is attributed to
# (actions/leaving.py). It stays English in the database and the API; pages name it in the
# reader's language (`shown_name`).
FORMER_CONTRIBUTOR = "a former contributor"


def shown_name(user) -> str:
    """How a person is named on a page (`str(user)`, installed by PeopleConfig.ready): their
    username, and the placeholder for departed people in the reader's language."""
    from django.utils.translation import gettext

    name = user.get_username()
    return gettext("a former contributor") if name == FORMER_CONTRIBUTOR else name


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.CONTRIBUTOR)
    # AG11: a moderator can have this agent's replies wait for approval (e.g. in their first weeks).
    replies_need_approval = models.BooleanField(default=False, db_default=False)
    # WCAG 2.1.4: single-key shortcuts can be turned off (speech input, a cat on the keyboard).
    keyboard_shortcuts = models.BooleanField(default=True, db_default=True)
    # PE6: every time is shown, and every time typed is read, in this IANA zone (Europe/Berlin).
    # Empty until the browser tells its own zone on the first visit (or the person picks one).
    time_zone = models.CharField(max_length=64, blank=True, default="", db_default="")
    # PE6: the interface's language (a code of settings.LANGUAGES: "de", "pt-br"); empty: the
    # browser's (Accept-Language), as for someone not signed in.
    language = models.CharField(max_length=10, blank=True, default="", db_default="")
    # The kinds of notification also sent by email (people/notifications.py); null: the defaults.
    email_notifications = models.JSONField(null=True, blank=True)

    class Meta:
        # The desk's rights that are not a model's, for the roles' groups (people.roles); the
        # server checks the role itself (actions.policy).
        permissions = [
            ("reply", "Reply to customers"),
            ("hold", "Put a conversation on hold"),
            ("close", "Close a conversation"),
            ("like", "Like a customer's message"),
            ("note", "Write internal notes"),
            ("play", "Play a queue (Play Mode)"),
            ("sentiment", "Set a conversation's sentiment"),
            ("tag", "Tag conversations"),
            ("user_tag", "Tag customers (user tags)"),
            ("reminder", "Set reminders"),
            ("assign", "Assign a conversation to themselves or a queue"),
            ("escalate", "Escalate a conversation"),
            ("assign_others", "Assign conversations to other agents"),
            ("merge", "Merge and split conversations"),
            ("bulk", "Act on many conversations at once"),
            ("approve", "Approve or return replies waiting for approval"),
            ("moderate", "Mark conversations moderated"),
            ("retweet", "Retweet or boost customers' posts"),
            ("dm", "Send private messages"),
            ("take_over", "Take over a conversation dealt to another agent"),
            ("manage_settings", "Keep the desk's settings (community managers' pages)"),
            ("manage_team", "Review applications and give contributor and moderator roles"),
            ("see_reports_of_all", "See every agent's figures in the reports"),
        ]

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.get_role_display()})"


def role_of(user) -> str | None:
    """The user's role, or None for anonymous users and users without a profile."""
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.profile.role
    except Profile.DoesNotExist:
        return Role.ADMIN if user.is_superuser else None


def has_role(user, role: str) -> bool:
    """True when the user's role is `role` or a higher one."""
    mine = role_of(user)
    return mine is not None and ROLE_RANK[Role(mine)] >= ROLE_RANK[Role(role)]


class Signature(models.Model):
    """A signature appended to the agent's public replies (seed: "My Signatures").

    An agent may keep several (one per language, a formal one…); the default one is chosen for
    each reply, and the composer lets them pick another or none."""

    # Signatures count against the platform's limit (X's 280): keep them short and few.
    MAX_LENGTH = 40
    MAX_PER_AGENT = 10

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signatures"
    )
    text = models.CharField(max_length=MAX_LENGTH)
    is_default = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.text


def signatures_of(user) -> list[Signature]:
    """The agent's signatures, the default one first."""
    return list(Signature.objects.filter(user=user).order_by("-is_default", "id"))


class TokenScope(models.TextChoices):
    READ = "read", _("Read: look at queues and conversations")
    ACT = "act", _("Act: also reply, close, tag… as you")


class ApiToken(models.Model):
    """A token for the HTTP API. Only its hash is kept; the token is shown once, when made.

    A `read` token may only read (GET); an `act` token may do what its person may do. After
    `expires_at` the token is refused; revoking it deletes it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(
        max_length=10, choices=TokenScope.choices, default=TokenScope.ACT, db_default="act"
    )
    # None: never (tokens issued from the command line for a deployment's own scripts).
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(
        cls, user, name: str, *, scope: str = TokenScope.ACT, expires_at=None
    ) -> tuple["ApiToken", str]:
        key = "sd_" + secrets.token_urlsafe(32)
        row = cls.objects.create(
            user=user, name=name, key_hash=cls.hash(key), scope=scope, expires_at=expires_at
        )
        return row, key

    def expired(self, now=None) -> bool:
        from django.utils import timezone

        return self.expires_at is not None and self.expires_at <= (now or timezone.now())


class SignedInSession(models.Model):
    """One of the agent's live sessions, so that "sign out everywhere" (and leaving) can end them
    all without decoding every session in the store."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signed_in_sessions"
    )
    session_key = models.CharField(max_length=40, unique=True)
    signed_in_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user} since {self.signed_in_at:%Y-%m-%d %H:%M}"


class ApplicationStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class Application(models.Model):
    """Someone asking to become a contributor (PE1), as the seed's form asks it: who they are,
    when they began answering on the incubation channel, each access criterion confirmed, the
    privacy terms accepted and consent to be emailed. A community manager decides (PE2)."""

    name = models.CharField(max_length=100)
    email = models.EmailField()
    handle = models.CharField(max_length=50)
    started_on = models.DateField(
        help_text=gettext_lazy("When they began answering with the incubation hashtag.")
    )
    confirmed_criteria = models.JSONField(default=list)
    privacy_accepted = models.BooleanField(default=False)
    contact_accepted = models.BooleanField(default=False)
    submitted_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        max_length=10,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.PENDING,
        db_index=True,
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.TextField(blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="applications",
    )
    # The language they applied in (a code of settings.LANGUAGES): the answer is written in it,
    # whatever language the community manager who decides reads the desk in.
    language = models.CharField(max_length=10, blank=True, default="", db_default="")

    class Meta:
        ordering = ["submitted_at"]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}> ({self.get_status_display()})"


class AuditEntry(models.Model):
    """Who did what to access and roles (PE5): sign-ins, lock-outs, passwords, two-factor sign-in,
    roles given, applications decided. Beside the conversations' activity log; appended only."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Whom it concerns, when not the actor (a role given to someone, an account locked).
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(max_length=40, db_index=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"


class Notification(models.Model):
    """Something a person should know (a reminder is due, a conversation was assigned to them…):
    listed under the bell in the header until read; written by people.notifications.notify."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=30)
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)
    # Makes an event notify each person once (a reminder, one failure of an account).
    key = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"],
                condition=~models.Q(key=""),
                name="unique_notification_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.text}"
