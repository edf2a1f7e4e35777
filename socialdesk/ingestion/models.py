"""What ingestion keeps: where each poll of a stream left off, the filters, and the messages set aside."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from socialdesk.brands.models import Platform


class PollState(models.Model):
    account = models.ForeignKey(
        "brands.BrandAccount", on_delete=models.CASCADE, related_name="poll_states"
    )
    # "mentions", "search:<SearchTerm id>", "reviews", "notifications"; "connector" for set-up errors
    stream = models.CharField(max_length=100)
    # A TextField: a platform page token (Google Play's) can be long, and its length is not documented.
    cursor = models.TextField(
        blank=True,
        help_text=gettext_lazy("Where the next poll starts (opaque to all but the connector)."),
    )
    wait_until = models.DateTimeField(
        null=True, blank=True, help_text=gettext_lazy("Rate limited until then.")
    )
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    fetched = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "stream"], name="unique_poll_stream")
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.stream}"


class FilterSettings(models.Model):
    """What ingestion keeps out of the queues (CH8), edited by community managers; one row."""

    drop_reposts = models.BooleanField(
        default=True, help_text=gettext_lazy("Retweets and boosts carry no question.")
    )
    drop_unrelated_replies = models.BooleanField(
        default=True,
        help_text=gettext_lazy(
            "Replies in other people's threads that mention none of our accounts."
        ),
    )
    drop_links = models.BooleanField(
        default=False,
        help_text=gettext_lazy("Messages with a link, unless they carry an allowed hashtag."),
    )
    allowed_hashtags = models.TextField(
        blank=True, help_text=gettext_lazy("One per line, without #.")
    )
    banned_authors = models.TextField(
        blank=True, help_text=gettext_lazy("Handles to ignore, one per line, without @.")
    )
    brand_words_in_handles = models.TextField(
        blank=True,
        help_text=gettext_lazy(
            "Fan accounts: handles containing one of these words (one per line)."
        ),
    )
    muted_words = models.TextField(
        blank=True,
        help_text=gettext_lazy(
            "Words or topics, one per line, case-insensitive; takes effect on the next poll."
        ),
    )

    def __str__(self) -> str:
        return "Filter settings"

    @staticmethod
    def lines(text: str) -> list[str]:
        return [line.strip().lower().lstrip("#@") for line in text.splitlines() if line.strip()]

    @classmethod
    def current(cls) -> "FilterSettings":
        return cls.objects.order_by("pk").first() or cls()


class FilterReason(models.TextChoices):
    REPOST = "repost", _("Retweet or boost")
    UNRELATED_REPLY = "unrelated_reply", _("Reply not involving our accounts")
    LINK = "link", _("Contains a link")
    BANNED_AUTHOR = "banned_author", _("Ignored or banned author")
    FAN_ACCOUNT = "fan_account", _("Handle contains the brand (fan account)")
    MUTED = "muted", _("Muted word or topic")


class FilteredMessage(models.Model):
    """A message ingestion kept out, with why: kept, counted and can be let through."""

    platform = models.CharField(max_length=20)
    platform_id = models.CharField(max_length=200)
    reason = models.CharField(max_length=30, choices=FilterReason.choices, db_index=True)
    detail = models.CharField(max_length=200, blank=True)
    author_handle = models.CharField(max_length=200, blank=True)
    text = models.TextField()
    normalised = models.JSONField(default=dict)
    filtered_at = models.DateTimeField(auto_now_add=True)
    let_through_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "platform_id"], name="unique_filtered_message"
            )
        ]
        ordering = ["-filtered_at"]

    def __str__(self) -> str:
        return f"{self.platform} {self.platform_id} ({self.get_reason_display()})"


class Resolution(models.TextChoices):
    STORED = "stored", _("Stored")
    FILTERED = "filtered", _("Kept out by a filter")
    SKIPPED = "skipped", _("Not a customer message")
    DISMISSED = "dismissed", _("Dismissed")


class SetAsideMessage(models.Model):
    """A message ingestion could not store, kept as the platform sent it (issue 9).

    No input stops the pipeline: at worst the one message lands here, the rest of its page is
    stored and the poll cursor moves on, which it may only because the message is kept. The
    health page shows how many wait; a community manager retries one (after a fix) or dismisses
    it with a reason. One row per platform message, however often the platform sends it."""

    platform = models.CharField(max_length=20, choices=Platform.choices)
    # The platform id, or "sha256:<digest of the payload>" when it has no usable id.
    key = models.CharField(max_length=200)
    platform_id = models.CharField(
        max_length=200,
        blank=True,
        help_text=gettext_lazy("The platform's id as far as it could be read."),
    )
    account = models.ForeignKey(
        "brands.BrandAccount", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    stream = models.CharField(max_length=100, blank=True)
    # JSON with every non-ASCII character escaped, so NULs and lone surrogates are kept on any
    # database: what the platform sent (`InboundMessage.raw`), and the normalised message a retry
    # stores (empty when the connector could not read the item: a retry reads it again).
    payload = models.TextField()
    normalised = models.TextField(blank=True)
    # For people: the text and author as far as they are known, made storable.
    text = models.TextField(blank=True)
    author = models.CharField(max_length=200, blank=True)
    error = models.TextField()
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(
        default=timezone.now, help_text=gettext_lazy("The last time the platform sent it.")
    )
    attempts = models.PositiveIntegerField(
        default=1, help_text=gettext_lazy("Tries to store it: the first, and each retry.")
    )
    resolved_at = models.DateTimeField(null=True, blank=True, db_index=True)
    resolution = models.CharField(max_length=20, choices=Resolution.choices, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.TextField(blank=True, help_text=gettext_lazy("Why it was dismissed."))
    message = models.ForeignKey(
        "conversations.Message",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=gettext_lazy("Where a retry stored it."),
    )
    # Who retried or dismissed it, when, and how it went: [{"at", "by", "action", "outcome"}]
    # ("by" is empty, and "automatic" true, for what a poll did by itself).
    history = models.JSONField(default=list, blank=True)
    # A message that waits for the platform (its answer left out what the message cannot be
    # stored without, such as who wrote it) is read again, asking the platform once more, by the
    # first poll of its account after this time; empty: only a community manager retries it.
    retry_at = models.DateTimeField(
        null=True,
        blank=True,
        db_index=True,
        help_text=gettext_lazy("When a poll next asks the platform again for what it left out."),
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["platform", "key"], name="unique_set_aside_message")
        ]
        ordering = ["-last_seen_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.platform} {self.platform_id or self.key}"
