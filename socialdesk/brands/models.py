"""Connected brand accounts, what each may do (engagement policy) and who answers what (routing)."""

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_lazy as _

from .secrets import EncryptedJSONField


class Platform(models.TextChoices):
    TWITTER = "twitter", _("Twitter/X")
    GOOGLE_PLAY = "google_play", _("Google Play")
    MASTODON = "mastodon", _("Mastodon")


class AccountKind(models.TextChoices):
    MAIN = "main", _("Main brand")
    SUPPORT = "support", _("Support")
    LOCALE = "locale", _("Locale")


class RetweetPolicy(models.TextChoices):
    NEVER = "never", _("Never")
    CM_ONLY = "cm_only", _("Only by a community manager")
    ANYONE = "anyone", _("Any agent")


class BrandAccount(models.Model):
    platform = models.CharField(max_length=20, choices=Platform.choices)
    handle = models.CharField(max_length=100, help_text=gettext_lazy("Without the @."))
    display_name = models.CharField(max_length=200, blank=True)
    external_id = models.CharField(
        max_length=100, blank=True, help_text=gettext_lazy("The platform's id of the account.")
    )
    kind = models.CharField(
        max_length=20, choices=AccountKind.choices, default=AccountKind.SUPPORT
    )
    locale = models.CharField(max_length=10, default="en")
    supported_languages = models.JSONField(default=list, blank=True)
    # Secrets for the platform's API. Never rendered in the UI or the API; set by connecting the
    # account on /manage/accounts/ (brands.services), renewed by brands.tokens.
    credentials = EncryptedJSONField(default=dict, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    token_refreshed_at = models.DateTimeField(null=True, blank=True)
    # Set when the platform refused the credentials and renewing them did not help: sending is
    # paused for the account (its actions wait, none is lost) until it is connected again.
    credentials_failed_at = models.DateTimeField(null=True, blank=True)
    credentials_error = models.TextField(blank=True)
    # Where the account's API lives when that differs per account (a Mastodon instance, e.g.
    # https://mozilla.social); empty: the platform's setting (SOCIALDESK_<PLATFORM>_API_BASE).
    api_base = models.CharField(
        max_length=200, blank=True, validators=[URLValidator(schemes=["http", "https"])]
    )
    active = models.BooleanField(default=True)
    # Mentions of this account wait for a moderator before contributors see them.
    requires_moderation = models.BooleanField(default=False)

    # Engagement policy (PO2), enforced by the action layer on every path.
    can_reply = models.BooleanField(default=True)
    can_like = models.BooleanField(default=True)
    retweet_policy = models.CharField(
        max_length=10, choices=RetweetPolicy.choices, default=RetweetPolicy.NEVER
    )
    can_dm = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["platform", "handle"], name="unique_account_handle")
        ]
        ordering = ["platform", "id"]

    def __str__(self) -> str:
        if self.platform in (Platform.TWITTER, Platform.MASTODON):
            return f"@{self.handle}"
        # An app listing (Google Play) is known to people by its name; the handle is its package.
        return self.display_name or self.handle

    @property
    def label(self) -> str:
        return str(self)

    @property
    def sending_paused(self) -> bool:
        return self.credentials_failed_at is not None


class PlatformApp(models.Model):
    """The desk's own registration as an OAuth client where each instance keeps its own (Mastodon:
    POST /api/v1/apps on every instance), kept so it is registered once, not on every connect."""

    platform = models.CharField(max_length=20, choices=Platform.choices)
    api_base = models.CharField(max_length=200)
    redirect_uri = models.CharField(max_length=500)
    client_id = models.CharField(max_length=200)
    # {"client_secret": ...}: encrypted like the accounts' credentials.
    secrets = EncryptedJSONField(default=dict, blank=True)
    scopes = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "api_base", "redirect_uri", "scopes"],
                name="unique_platform_app",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_platform_display()} app at {self.api_base}"


class SearchTerm(models.Model):
    """A search that finds people who need support without mentioning a brand account (CH2)."""

    account = models.ForeignKey(
        BrandAccount,
        on_delete=models.CASCADE,
        related_name="search_terms",
        help_text=gettext_lazy("The account whose credentials run the search."),
    )
    query = models.CharField(max_length=500)
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.query


class RoutingRule(models.Model):
    """One row of the respond-from table: when this account is mentioned, answer from that one.

    Rules are tried in `position` order; the first whose `mentioned` account is among the
    accounts the customer mentioned wins. A rule with no `mentioned` account matches a message
    that mentions none of ours (found by a search term).
    """

    position = models.PositiveIntegerField(default=0)
    platform = models.CharField(max_length=20, choices=Platform.choices, default=Platform.TWITTER)
    mentioned = models.ForeignKey(
        BrandAccount,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="routing_as_mentioned",
        help_text=gettext_lazy("Empty: the message mentions none of our accounts."),
    )
    respond_from = models.ForeignKey(
        BrandAccount, on_delete=models.CASCADE, related_name="routing_as_responder"
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.mentioned or gettext('(no brand mention)')} → {self.respond_from}"
