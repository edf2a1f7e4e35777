"""What triage suggested, what agents corrected, and the lists CMs edit (tag rules, KB, products, topics)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from socialdesk.conversations.models import Conversation, Tag

from .patterns import SYNTAX_HELP


class TriageSuggestion(models.Model):
    """What triage said about a conversation's first message, kept so corrections can be measured.

    The conversation's own fields (type, sentiment, language, tags, priority) are what agents
    work with; this row keeps the suggestion and its reasons, whatever agents do later.
    """

    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, related_name="triage"
    )
    type = models.CharField(max_length=20, blank=True)
    type_confidence = models.FloatField(default=0)
    type_reason = models.CharField(max_length=300, blank=True)
    language = models.CharField(max_length=10, blank=True)
    language_confidence = models.FloatField(default=0)
    language_reason = models.CharField(max_length=300, blank=True)
    sentiment = models.CharField(max_length=10, blank=True)
    sentiment_confidence = models.FloatField(default=0)
    sentiment_reason = models.CharField(max_length=300, blank=True)
    # [{"tag": ..., "reason": ...}] and [{"kind": ..., "label": ..., "reason": ...}]
    tags = models.JSONField(default=list, blank=True)
    signals = models.JSONField(default=list, blank=True)
    suggested_close_reason = models.CharField(max_length=30, blank=True)
    # Which fields triage set on the conversation itself (confident band), e.g. ["type"].
    applied = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Triage of conversation {self.conversation_id}"


class CorrectionField(models.TextChoices):
    TYPE = "type", _("Type")
    SENTIMENT = "sentiment", _("Sentiment")
    LANGUAGE = "language", _("Language")
    # An agent removed a tag triage had added: suggested = the tag's name, chosen = "".
    TAG = "tag", _("Tag")


class TriageCorrection(models.Model):
    """An agent confirmed or changed a suggestion: the agent's choice wins; this row is for evaluation."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="triage_corrections"
    )
    field = models.CharField(max_length=20, choices=CorrectionField.choices)
    suggested = models.CharField(max_length=100, blank=True)
    suggested_confidence = models.FloatField(default=0)
    chosen = models.CharField(max_length=30)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_field_display()}: {self.suggested or '-'} -> {self.chosen}"

    @property
    def agreed(self) -> bool:
        return self.suggested == self.chosen


def validate_regex(value: str) -> None:
    """Every path that saves a rule (the rules page, the admin) checks the pattern on the engine it runs on."""
    from .patterns import PatternError, check

    try:
        check(value)
    except PatternError as exc:
        raise ValidationError(exc.message) from exc


class TagRule(models.Model):
    """A CM's rule (TR2): when every condition given holds, the tag is added to a new conversation."""

    name = models.CharField(max_length=100, unique=True)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="rules")
    keywords = models.TextField(
        blank=True,
        help_text=gettext_lazy(
            "One per line or comma-separated; any one matches (whole words, any case)."
        ),
    )
    regex = models.CharField(
        max_length=300, blank=True, validators=[validate_regex], help_text=SYNTAX_HELP
    )
    authors = models.TextField(
        blank=True, help_text=gettext_lazy("Handles, one per line or comma-separated.")
    )
    account = models.CharField(
        max_length=100,
        blank=True,
        help_text=gettext_lazy("The brand account addressed, e.g. FirefoxSupport."),
    )
    type = models.CharField(
        max_length=20, blank=True, help_text=gettext_lazy("Only messages of this type.")
    )
    language = models.CharField(
        max_length=10,
        blank=True,
        help_text=gettext_lazy("Only messages in this language (ISO 639-1)."),
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class KBArticle(models.Model):
    """A knowledge-base article suggested in the reply field (TR8)."""

    title = models.CharField(max_length=300)
    url = models.URLField(max_length=500, unique=True)
    summary = models.TextField(blank=True)
    language = models.CharField(max_length=10, blank=True, default="en")
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class WatchKind(models.TextChoices):
    PAID_PRODUCT = "paid_product", _("Paid product")
    CONTROVERSIAL = "controversial", _("Controversial topic")


class WatchTerm(models.Model):
    """A paid product (TR7) or a controversial topic (TR9), with the words that mention it."""

    kind = models.CharField(max_length=20, choices=WatchKind.choices)
    name = models.CharField(max_length=100)
    keywords = models.TextField(
        blank=True,
        help_text=gettext_lazy("Other ways to say it, one per line or comma-separated."),
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [models.UniqueConstraint(fields=["kind", "name"], name="unique_watch_term")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name}"


def split_list(value: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in value.replace("\n", ",").split(",") if p.strip())
