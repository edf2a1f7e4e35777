"""The unit of work is a conversation: a thread of messages with one customer."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from socialdesk.brands.models import BrandAccount, Platform

from .fields import SlugSet


class Author(models.Model):
    """A customer's profile on a platform, kept current as their messages arrive."""

    platform = models.CharField(max_length=20, choices=Platform.choices)
    # Long enough for a Google Play review id (reviews have no author id; the review stands in).
    external_id = models.CharField(max_length=200)
    handle = models.CharField(max_length=200, blank=True)
    name = models.CharField(max_length=200, blank=True)
    followers = models.PositiveIntegerField(default=0)
    verified = models.BooleanField(default=False)
    profile_image_url = models.URLField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["platform", "external_id"], name="unique_author")
        ]

    def __str__(self) -> str:
        return f"@{self.handle}" if self.handle else self.name or self.external_id


class UserTagKind(models.TextChoices):
    COMMUNITY_MEMBER = "community_member", _("Community member")
    INFLUENCER = "influencer", _("Influencer")
    SPAMMER = "spammer", _("Spammer")
    TROLL = "troll", _("Troll account")
    TROUBLE_MAKER = "trouble_maker", _("Trouble maker")


class UserTag(models.Model):
    """A tag on the customer, kept across their conversations (TR6)."""

    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="user_tags")
    kind = models.CharField(max_length=20, choices=UserTagKind.choices)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["author", "kind"], name="unique_user_tag")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} (author {self.author_id})"


class Tag(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Status(models.TextChoices):
    OPEN = "open", _("Open")
    HELD = "held", _("On hold")
    CLOSED = "closed", _("Closed")


class HoldReason(models.TextChoices):
    WAITING_ON_CUSTOMER = "waiting_customer", _("Waiting on Customer")
    WAITING_INTERNAL = "waiting_internal", _("Waiting Internal")


class CloseReason(models.TextChoices):
    """The seed's nine closing reasons."""

    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    BUG_FILED = "bug_filed", _("Bug Filed")
    COULD_NOT_RESOLVE = "could_not_resolve", _("Could Not Resolve")
    DELETED = "deleted", _("Deleted")
    LANGUAGE_NOT_SUPPORTED = "language_not_supported", _("Language not supported")
    MOVED_TO_FORUM = "moved_to_forum", _("Moved to forum")
    NO_NEED_TO_REPLY = "no_need_to_reply", _("No Need to Reply")
    RESOLVED = "resolved", _("Resolved")
    USER_DIDNT_RESPOND = "user_didnt_respond", _("User didn't respond")


class Sentiment(models.TextChoices):
    POSITIVE = "positive", _("Positive")
    NEUTRAL = "neutral", _("Neutral")
    NEGATIVE = "negative", _("Negative")


class MessageType(models.TextChoices):
    SUPPORT_REQUEST = "support_request", _("Support request")
    FEEDBACK = "feedback", _("Feedback")
    FEATURE_REQUEST = "feature_request", _("Feature request")
    COMPLIMENT = "compliment", _("Compliment")
    APP_ROUNDUP = "app_roundup", _("App roundup")
    OTHER = "other", _("Other")


# The columns a queue's rules and the left panel's filters test, carried in the queue order
# indexes so a page can be found from the index alone.
QUEUE_FILTER_COLUMNS = [
    "platform",
    "moderated",
    "assigned_queue",
    "account",
    "sentiment",
    "language",
    "type",
    "rating",
    "tag_slugs",
]


class Conversation(models.Model):
    platform = models.CharField(max_length=20, choices=Platform.choices)
    # The platform's thread plus the customer: one conversation per customer per thread.
    thread_key = models.CharField(max_length=420)
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="conversations")
    account = models.ForeignKey(
        BrandAccount,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="conversations",
        help_text=gettext_lazy(
            "The brand account the customer addressed (mentioned); empty when found by search."
        ),
    )
    respond_from = models.ForeignKey(
        BrandAccount,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=gettext_lazy("The account replies go out from (PO1)."),
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    hold_reason = models.CharField(max_length=20, choices=HoldReason.choices, blank=True)
    close_reason = models.CharField(max_length=30, choices=CloseReason.choices, blank=True)
    sentiment = models.CharField(max_length=10, choices=Sentiment.choices, blank=True)
    type = models.CharField(max_length=20, choices=MessageType.choices, blank=True)
    language = models.CharField(max_length=10, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="conversations")
    # The slugs of `tags`, kept by `tagging.refresh_tag_slugs` wherever links change: a tag
    # filter is then a condition on the row (GIN-indexed on PostgreSQL), not a join.
    tag_slugs = SlugSet(db_default=[])
    priority = models.IntegerField(default=0, help_text=gettext_lazy("Higher is dealt first."))
    moderated = models.BooleanField(default=False)
    # True while the customer's latest message has no answer from us: what Play Mode deals.
    awaiting_reply = models.BooleanField(default=True)
    # A contributor recommends retweeting; a community manager executes or declines (AG10).
    retweet_recommended = models.BooleanField(default=False, db_default=False)
    # Automation found it open for longer than the configured age (AG9): a candidate for closing.
    flagged_for_closing = models.BooleanField(default=False, db_default=False)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_from"
    )
    # Explicit assignment: to a queue (e.g. Escalation) and/or to an agent.
    assigned_queue = models.ForeignKey(
        "queues.Queue",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_conversations",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_conversations",
    )
    # Play Mode: the agent it is dealt to, exclusively, until the lease expires.
    dealt_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="dealt_conversations",
    )
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # AG3: a customer's follow-up goes back to the agent who answered them last, if that agent
    # is playing: it is kept for them until `reserved_until`, then any agent may get it.
    last_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reserved_for = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reserved_until = models.DateTimeField(null=True, blank=True)
    # Opened by a poll whose triage runs after the page is stored (`actions.triage.run_pending`):
    # until then Play does not deal it, since its type, sentiment, language and priority (what
    # queues route on) may still change.
    triage_pending = models.BooleanField(default=False, db_default=False)
    # A customer's follow-up waits to be read again with the conversation's earlier messages
    # (`actions.triage.run_follow_ups`): set by the page that stored it, cleared by its task, so
    # that the scheduler's sweep finds it if the task is lost. Play deals it meanwhile: triage
    # routed the conversation already, and a follow-up's reading only advises.
    retriage_pending = models.BooleanField(default=False, db_default=False)
    # What app-store reviews tell about the customer (CH3); empty elsewhere. The latest version
    # of the review wins: an edited review may change its stars.
    rating = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text=gettext_lazy("Star rating, 1-5.")
    )
    app_version = models.CharField(max_length=50, blank=True)
    device = models.CharField(max_length=100, blank=True)
    android_version = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_inbound_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["platform", "thread_key"], name="unique_thread")
        ]
        indexes = [
            # The dealing query: open conversations by priority, oldest first.
            models.Index(
                fields=["status", "awaiting_reply", "moderated", "-priority", "last_inbound_at"],
                name="deal_order",
            ),
            # The same order per platform and moderation stage, for what Play may deal: every
            # queue of the demo configuration names both, so its deal walks this index in order
            # and stops at the first free row instead of passing over the other platforms' rows.
            models.Index(
                fields=["platform", "moderated", "-priority", "last_inbound_at", "id"],
                name="deal_platform_order",
                condition=models.Q(status="open", awaiting_reply=True),
            ),
            # Play within a left-panel filter reads the filter's own matches when the queue's
            # first rows have none (`play.services`): the filterable columns of what may be dealt.
            *(
                models.Index(
                    fields=[column],
                    name=f"deal_by_{column}",
                    condition=models.Q(status="open", awaiting_reply=True),
                )
                for column in ("language", "type", "sentiment")
            ),
            # What still waits for triage (a handful at any time): the scheduler's sweep.
            models.Index(
                fields=["id"], name="triage_pending", condition=models.Q(triage_pending=True)
            ),
            models.Index(
                fields=["id"], name="retriage_pending", condition=models.Q(retriage_pending=True)
            ),
            # Queue lists (queues.selectors.LIST_ORDER): a page is read off one of these, whatever
            # the size of the queue; the first for one status (the usual "open"), the second for
            # several statuses or all of them. They carry every column a queue's rules and the
            # left panel narrow by (PostgreSQL; SQLite has no INCLUDE), so a filtered page walks
            # the order in the index alone, testing each entry without reading its row
            # (`queues.selectors.page_of`), however late in the queue the matches are.
            models.Index(
                fields=["status", "-priority", "last_inbound_at", "id"],
                name="queue_order_covering",
                include=QUEUE_FILTER_COLUMNS,
            ),
            models.Index(
                fields=["-priority", "last_inbound_at", "id"],
                name="queue_order_any_covering",
                include=QUEUE_FILTER_COLUMNS,
            ),
            # The left panel's capped counts go straight to a value's rows; the language index
            # also lists the languages present without reading the table.
            models.Index(fields=["language", "status"], name="facet_language"),
            models.Index(fields=["type", "status"], name="facet_type"),
            models.Index(fields=["sentiment", "status"], name="facet_sentiment"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.author}"

    def save(self, *args, **kwargs):
        # `tag_slugs` is written only from the links (`tagging.refresh_tag_slugs`): saving an
        # instance read before someone tagged the conversation must not put the old slugs back.
        if (
            kwargs.get("update_fields") is None
            and not kwargs.get("force_insert")
            and not self._state.adding
            and self.pk
        ):
            deferred = self.get_deferred_fields()
            kwargs["update_fields"] = [
                f.attname
                for f in self._meta.concrete_fields
                if not f.primary_key and f.attname != "tag_slugs" and f.attname not in deferred
            ]
        super().save(*args, **kwargs)


class Direction(models.TextChoices):
    INBOUND = "in", _("From the customer")
    OUTBOUND = "out", _("From us")


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    direction = models.CharField(max_length=3, choices=Direction.choices)
    platform = models.CharField(max_length=20, choices=Platform.choices)
    # Empty for an outbound message the platform has not yet accepted.
    # Google Play review versions are "<review id>:<lastModified seconds>": ids need room.
    # NULL, not "", for "none yet": the unique (platform, platform_id) constraint below skips
    # NULLs, so any number of replies can wait for their id at once.
    platform_id = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    in_reply_to_platform_id = models.CharField(max_length=200, blank=True)
    author = models.ForeignKey(
        Author, null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    account = models.ForeignKey(
        BrandAccount,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="messages",
        help_text=gettext_lazy("For an outbound message: the account it goes out from."),
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    text = models.TextField()
    language = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(
        help_text=gettext_lazy("When the platform says it was written.")
    )
    received_at = models.DateTimeField(auto_now_add=True)
    raw = models.JSONField(default=dict, blank=True)
    # When we noticed the customer deleted it on the platform (CH2); the text stays for the record.
    deleted_at = models.DateTimeField(null=True, blank=True)
    # The connector's platform-neutral extras (rating, device, ...); {"existing": true} on an
    # outbound message marks a reply found on the platform rather than sent from here.
    metadata = models.JSONField(default=dict, blank=True)
    # A private message (a DM, Mastodon's "direct" status): set by the connector
    # (`InboundMessage.private`); the queues' "Containing private message" filter reads it.
    private = models.BooleanField(default=False, db_default=False)

    class Meta:
        indexes = [
            # "Containing private message" (the type filter) finds its few conversations here
            # instead of looking into every message of the queue.
            models.Index(
                fields=["conversation"],
                condition=models.Q(private=True),
                name="private_message",
            ),
        ]
        constraints = [
            # Nothing twice: a platform's message is stored once.
            models.UniqueConstraint(
                fields=["platform", "platform_id"],
                name="unique_platform_message",
                condition=models.Q(platform_id__isnull=False),
            )
        ]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_direction_display()}: {self.text[:40]}"


def attachment_path(instance: "Attachment", filename: str) -> str:
    """Where an upload is stored: a generated name with the extension of its detected type.

    The name the browser sent never reaches the disk (`../`, `x.html`, control characters): it is
    kept, made safe, in `original_name` for display only.
    """
    import uuid

    from django.utils import timezone

    from .channel_rules import EXTENSIONS

    return (
        timezone.now().strftime("attachments/%Y/%m/")
        + f"{uuid.uuid4().hex}.{EXTENSIONS.get(instance.content_type, 'bin')}"
    )


class Attachment(models.Model):
    """An image or video sent with a reply (AG6), checked against the platform's limits."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    # The real type, detected from the file's first bytes (channel_rules.sniff_type).
    content_type = models.CharField(max_length=50)
    size = models.PositiveBigIntegerField()
    # As the agent's browser named it, made safe (channel_rules.display_name); shown, never used as a path.
    original_name = models.CharField(max_length=255, blank=True)

    def __str__(self) -> str:
        return self.original_name or self.file.name


class InternalNote(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Note on conversation {self.conversation_id}"


class Reminder(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="reminders"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders"
    )
    due_at = models.DateTimeField()
    note = models.CharField(max_length=500, blank=True)
    done = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at"]

    def __str__(self) -> str:
        return f"Reminder on conversation {self.conversation_id} at {self.due_at:%Y-%m-%d %H:%M}"


# How each kind of activity reads in the conversation's history.
class ActivityKind(models.TextChoices):
    """Every kind of activity-log entry, one per thing that can happen to a conversation.

    The stored values are what reports filter on (`reports.selectors`): add kinds, never rename
    one. The label is what the conversation's history shows."""

    OPENED = "opened", _("Conversation opened")
    MESSAGE_RECEIVED = "message_received", _("Customer wrote")
    REOPENED = "reopened", _("Reopened: the customer wrote again")
    DEALT = "dealt", _("Dealt in Play Mode")
    TAKEN_OVER = "taken_over", _("Taken over from the agent who had it")
    SKIPPED = "skipped", _("Skipped")
    RETURNED = "returned", _("Returned to the queue (Stop)")
    REPLIED = "replied", _("Replied")
    HELD = "held", _("Put on hold")
    CLOSED = "closed", _("Closed")
    NOTE_ADDED = "note_added", _("Internal note")
    LIKED = "liked", _("Liked")
    MODERATED = "moderated", _("Marked moderated")
    DELIVERED = "delivered", _("Delivered to the platform")
    DELIVERY_RETRY = "delivery_retry", _("Delivery failed, will retry")
    DELIVERY_FAILED = "delivery_failed", _("Delivery failed")
    DELIVERY_RETRIED = "delivery_retried", _("Delivery retried by an agent")
    DELIVERY_WAITING = "delivery_waiting", _("Waiting: the account must be reconnected")
    DELIVERY_RESUMED = "delivery_resumed", _("Sending: the account was reconnected")
    REFUSED = "refused", _("Refused by policy")
    EXISTING_REPLY_FOUND = "existing_reply_found", _("Our earlier reply found on the platform")
    SENTIMENT_SET = "sentiment_set", _("Sentiment marked")
    TAG_ADDED = "tag_added", _("Tag added")
    TAG_REMOVED = "tag_removed", _("Tag removed")
    USER_TAG_ADDED = "user_tag_added", _("User tag added")
    USER_TAG_REMOVED = "user_tag_removed", _("User tag removed")
    REMINDER_SET = "reminder_set", _("Reminder set")
    ASSIGNED = "assigned", _("Assigned")
    ESCALATED = "escalated", _("Escalated")
    RETWEET_RECOMMENDED = "retweet_recommended", _("Retweet recommended")
    RETWEET_EXECUTED = "retweet_executed", _("Retweet approved")
    RETWEET_DECLINED = "retweet_declined", _("Retweet declined")
    ESCALATION_USEFUL = "escalation_useful", _("Escalation marked useful")
    AUTO_CLOSED = "auto_closed", _("Closed by automation")
    MESSAGE_DELETED = "message_deleted", _("Customer deleted a message")
    FLAGGED_FOR_CLOSING = "flagged_for_closing", _("Flagged for closing (old)")
    MERGED = "merged", _("Merged another conversation in")
    MERGED_AWAY = "merged_away", _("Merged into another conversation")
    SPLIT = "split", _("Split into a new conversation")
    REPLY_AWAITING_APPROVAL = "reply_awaiting_approval", _("Reply waiting for approval")
    REPLY_APPROVED = "reply_approved", _("Reply approved")
    REPLY_RETURNED = "reply_returned", _("Reply sent back with a note")
    APPROVAL_REQUIRED = "approval_required", _("Replies now need approval")
    APPROVAL_LIFTED = "approval_lifted", _("Replies go out directly again")
    PLAY_ENDED = "play_ended", _("Play session ended")
    TRIAGED = "triaged", _("Triaged")
    TRIAGE_CONFIRMED = "triage_confirmed", _("Triage suggestion confirmed")
    TRIAGE_CORRECTED = "triage_corrected", _("Triage suggestion corrected")


class Presence(models.Model):
    """Who has a conversation open right now (AG7); refreshed by the page every few seconds."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="presences"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "user"], name="unique_presence")
        ]

    def __str__(self) -> str:
        return f"User {self.user_id} on conversation {self.conversation_id}"


class ActivityLogIsAppendOnly(Exception):
    pass


class Activity(models.Model):
    """What happened to a conversation, when and by whom: appended, never changed.

    Response times and reports are computed from this log; nothing keeps its own counters.
    `actor` is empty when the system did it (ingestion, automation, the outbox worker).
    """

    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.CASCADE, related_name="activity"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # Reports and the action layer filter on kind through `activity_kind_at` (kind first), or on
    # a conversation's entries: a single-column kind index would only cost every write.
    kind = models.CharField(max_length=40, choices=ActivityKind.choices)
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name_plural = "activities"
        indexes = [
            # Reports read one kind of entry over a date range (replies this week, closes today).
            models.Index(fields=["kind", "at"], name="activity_kind_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ActivityLogIsAppendOnly("The activity log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ActivityLogIsAppendOnly("The activity log is append-only.")

    @property
    def label(self) -> str:
        return ActivityKind(self.kind).label if self.kind in ActivityKind.values else self.kind

    @property
    def reason_label(self) -> str:
        reason = (self.detail or {}).get("reason", "")
        return (
            dict(CloseReason.choices).get(reason) or dict(HoldReason.choices).get(reason) or reason
        )
