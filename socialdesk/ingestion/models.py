"""Where each poll of a platform stream left off, and until when the platform asked us to wait."""

from django.db import models


class PollState(models.Model):
    account = models.ForeignKey("brands.BrandAccount", on_delete=models.CASCADE, related_name="poll_states")
    # "mentions", "search:<SearchTerm id>", "reviews", "notifications"; "connector" for set-up errors
    stream = models.CharField(max_length=100)
    # A TextField: a platform page token (Google Play's) can be long, and its length is not documented.
    cursor = models.TextField(blank=True, help_text="Where the next poll starts (opaque to all but the connector).")
    wait_until = models.DateTimeField(null=True, blank=True, help_text="Rate limited until then.")
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    fetched = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "stream"], name="unique_poll_stream")]

    def __str__(self) -> str:
        return f"{self.account} {self.stream}"


class FilterSettings(models.Model):
    """What ingestion keeps out of the queues (CH8), edited by community managers; one row."""

    drop_reposts = models.BooleanField(default=True, help_text="Retweets and boosts carry no question.")
    drop_unrelated_replies = models.BooleanField(default=True, help_text="Replies in other people's threads that mention none of our accounts.")
    drop_links = models.BooleanField(default=False, help_text="Messages with a link, unless they carry an allowed hashtag.")
    allowed_hashtags = models.TextField(blank=True, help_text="One per line, without #.")
    banned_authors = models.TextField(blank=True, help_text="Handles to ignore, one per line, without @.")
    brand_words_in_handles = models.TextField(blank=True, help_text="Fan accounts: handles containing one of these words (one per line).")
    muted_words = models.TextField(blank=True, help_text="Words or topics, one per line, case-insensitive; takes effect on the next poll.")

    @staticmethod
    def lines(text: str) -> list[str]:
        return [line.strip().lower().lstrip("#@") for line in text.splitlines() if line.strip()]

    @classmethod
    def current(cls) -> "FilterSettings":
        return cls.objects.order_by("pk").first() or cls()


class FilterReason(models.TextChoices):
    REPOST = "repost", "Retweet or boost"
    UNRELATED_REPLY = "unrelated_reply", "Reply not involving our accounts"
    LINK = "link", "Contains a link"
    BANNED_AUTHOR = "banned_author", "Ignored or banned author"
    FAN_ACCOUNT = "fan_account", "Handle contains the brand (fan account)"
    MUTED = "muted", "Muted word or topic"


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
        constraints = [models.UniqueConstraint(fields=["platform", "platform_id"], name="unique_filtered_message")]
        ordering = ["-filtered_at"]
