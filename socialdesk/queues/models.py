"""A queue is a saved rule over conversations, or a place conversations are assigned to."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_lazy as _

from socialdesk.people.models import ROLE_RANK, Role

RULE_KEYS = {
    "platforms",
    "accounts",
    "moderated",
    "languages",
    "tags",
    "min_priority",
    "types",
    "sentiments",
    "min_rating",
    "max_rating",
}


def validate_rules(value) -> None:
    if not isinstance(value, dict):
        raise ValidationError(
            gettext(
                'Queue rules must be an object, e.g. {"platforms": ["twitter"], "moderated": true}.'
            )
        )
    unknown = set(value) - RULE_KEYS
    if unknown:
        raise ValidationError(
            gettext("Unknown queue rule(s): %(join)s. Known: %(join2)s.")
            % {"join": ", ".join(sorted(unknown)), "join2": ", ".join(sorted(RULE_KEYS))}
        )
    for key in ("platforms", "accounts", "languages", "tags", "types", "sentiments"):
        if key in value and not (
            isinstance(value[key], list) and all(isinstance(v, str) for v in value[key])
        ):
            raise ValidationError(
                gettext("Queue rule '%(key)s' must be a list of strings.") % {"key": key}
            )
    if "moderated" in value and not any(value["moderated"] is v for v in (True, False, None)):
        raise ValidationError(gettext("Queue rule 'moderated' must be true, false or null."))
    if (
        "min_priority" in value
        and value["min_priority"] is not None
        and (not isinstance(value["min_priority"], int) or isinstance(value["min_priority"], bool))
    ):
        raise ValidationError(gettext("Queue rule 'min_priority' must be a whole number."))
    for key in ("min_rating", "max_rating"):
        if (
            key in value
            and value[key] is not None
            and not (
                isinstance(value[key], int)
                and not isinstance(value[key], bool)
                and 1 <= value[key] <= 5
            )
        ):
            raise ValidationError(
                gettext("Queue rule '%(key)s' must be a star rating from 1 to 5.") % {"key": key}
            )
    if (value.get("min_rating") or 0) > (value.get("max_rating") or 5):
        raise ValidationError(
            gettext("Queue rule 'min_rating' is above 'max_rating': nothing could match.")
        )


class QueueKind(models.TextChoices):
    RULES = "rules", _("Saved rules")
    ASSIGNMENT = "assignment", _("Assignment (e.g. Escalation)")


class Queue(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=QueueKind.choices, default=QueueKind.RULES)
    rules = models.JSONField(default=dict, blank=True, validators=[validate_rules])
    # The lowest role that sees this queue.
    visible_to = models.CharField(max_length=20, choices=Role.choices, default=Role.CONTRIBUTOR)
    is_escalation = models.BooleanField(
        default=False, help_text=gettext_lazy("Automation never closes what is here.")
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def play_role(self) -> str:
        """The lowest role that plays this queue and answers what is in it.

        What is escalated goes to the community managers (PRODUCT AG10, "escalate to a community
        manager"): those below see an escalation queue, so they know it is being taken care of,
        but are not dealt from it and do not answer its conversations.
        """
        if (
            self.is_escalation
            and ROLE_RANK[Role(self.visible_to)] < ROLE_RANK[Role.COMMUNITY_MANAGER]
        ):
            return Role.COMMUNITY_MANAGER
        return self.visible_to


class SavedFilter(models.Model):
    """A filter of the left panel an agent saved on a queue, to come back to it in one click."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters"
    )
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="saved_filters")
    name = models.CharField(max_length=100)
    params = models.JSONField(default=dict)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "queue", "name"], name="unique_saved_filter")
        ]

    def __str__(self) -> str:
        return self.name
