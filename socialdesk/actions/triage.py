"""Triage's writes: a page's triage recorded at ingestion, and an agent's correction.

`record` is the bulk half of ingestion (`inbound` hands it the page's lists, so the `triaged`
entries and tag links go out in the page's own statements); the classifiers it records from are
pure functions in `socialdesk.triage`.
"""

from dataclasses import asdict

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext

from socialdesk.actions import policy
from socialdesk.actions.tagging import refresh_tag_slugs
from socialdesk.conversations.models import (
    Activity,
    ActivityKind,
    Conversation,
    MessageType,
    Sentiment,
    Tag,
)
from socialdesk.errors import ActionError
from socialdesk.triage.classify import CONFIDENT, LANGUAGES, TYPE_CHOICE, TriageResult
from socialdesk.triage.models import CorrectionField, TriageCorrection, TriageSuggestion


def record(
    opened: list[tuple[Conversation, TriageResult]],
    *,
    activity: list[Activity] | None = None,
    tag_links: list | None = None,
) -> None:
    """Store the suggestions of a page's new conversations, apply their tags and log it, in bulk.

    Given `activity` and `tag_links` lists, the `triaged` entries and the tag links are added to
    them instead, for the caller to insert with its own in one statement per table (ingestion
    stores a page that way)."""
    if not opened:
        return
    names = {t.tag for _, r in opened for t in r.applied_tags}
    tags = {t.name: t for t in Tag.objects.filter(name__in=names)}
    for name in names - tags.keys():
        tags[name], _ = Tag.objects.get_or_create(
            name=name, defaults={"slug": slugify(name)[:100] or "tag"}
        )
    suggestions, links, entries = [], [], []
    Through = Conversation.tags.through
    for conversation, r in opened:
        applied = [f for f in ("type", "sentiment") if getattr(conversation, f)]
        if r.language_band == CONFIDENT and conversation.language == r.language:
            applied.append("language")
        suggestions.append(
            TriageSuggestion(
                conversation=conversation,
                type=TYPE_CHOICE[r.type],
                type_confidence=r.type_confidence,
                type_reason=r.type_reason[:300],
                language=r.language,
                language_confidence=r.language_confidence,
                language_reason=r.language_reason[:300],
                sentiment=r.sentiment,
                sentiment_confidence=r.sentiment_confidence,
                sentiment_reason=r.sentiment_reason[:300],
                tags=[asdict(t) for t in r.tags],
                signals=[asdict(s) for s in r.signals],
                suggested_close_reason=r.suggested_close_reason,
                applied=applied,
            )
        )
        # Only confident tags are added; unsure ones stay in the suggestion for an agent to add.
        links += [
            Through(conversation_id=conversation.pk, tag_id=tags[t.tag].pk) for t in r.applied_tags
        ]
        entries.append(
            Activity(
                conversation=conversation,
                kind=ActivityKind.TRIAGED,
                detail={
                    "type": r.type,
                    "sentiment": r.sentiment,
                    "language": r.language,
                    "applied": applied,
                    "bands": {
                        "type": r.type_band,
                        "sentiment": r.sentiment_band,
                        "language": r.language_band,
                    },
                    "tags": [t.tag for t in r.applied_tags],
                    "suggested_tags": [t.tag for t in r.suggested_tags],
                    "signals": [s.kind for s in r.signals],
                },
            )
        )
    TriageSuggestion.objects.bulk_create(suggestions)
    if tag_links is None:
        Through.objects.bulk_create(links, ignore_conflicts=True)
        refresh_tag_slugs([c for c, r in opened if r.applied_tags])
    else:
        tag_links += links
    if activity is None:
        Activity.objects.bulk_create(entries)
    else:
        activity += entries


# --- Agents' corrections ----------------------------------------------------------------------

_CHOICES = {
    CorrectionField.TYPE: MessageType.values,
    CorrectionField.SENTIMENT: Sentiment.values,
    CorrectionField.LANGUAGE: LANGUAGES,
}


def confirm_or_correct(
    *, actor, conversation: Conversation, field: str, chosen: str
) -> TriageCorrection:
    """An agent confirms or changes the suggested type, sentiment or language (contributors may:
    PE3): the conversation takes the agent's choice, and the pair (suggested, chosen) is kept for
    evaluation."""
    policy.require_role(actor=actor, conversation=conversation, action="note")
    if field not in _CHOICES:
        raise ActionError(
            gettext("Only %(join)s can be confirmed or changed here.")
            % {"join": ", ".join(_CHOICES)},
            field="field",
        )
    if chosen not in _CHOICES[field]:
        raise ActionError(
            gettext("Choose one of: %(join)s.") % {"join": ", ".join(_CHOICES[field])},
            field="chosen",
        )
    suggestion = TriageSuggestion.objects.filter(conversation=conversation).first()
    suggested = getattr(suggestion, field, "") if suggestion else ""
    confidence = getattr(suggestion, f"{field}_confidence", 0.0) if suggestion else 0.0
    with transaction.atomic(durable=True):
        Conversation.objects.filter(pk=conversation.pk).update(**{field: chosen})
        setattr(conversation, field, chosen)
        correction = TriageCorrection.objects.create(
            conversation=conversation,
            field=field,
            suggested=suggested,
            suggested_confidence=confidence,
            chosen=chosen,
            actor=actor,
        )
        Activity.objects.create(
            conversation=conversation,
            actor=actor,
            kind=ActivityKind.TRIAGE_CONFIRMED
            if suggested == chosen
            else ActivityKind.TRIAGE_CORRECTED,
            detail={"field": field, "suggested": suggested, "chosen": chosen},
        )
    return correction
