"""Triage's writes: a page's triage recorded at ingestion or after it, and an agent's correction.

`record` is the bulk half of ingestion (`inbound` hands it the page's lists, so the `triaged`
entries and tag links go out in the page's own statements); `run_pending` triages what a poll
stored without triage (the page's task, or the scheduler's sweep); the classifiers it records
from are pure functions in `socialdesk.triage`.
"""

import logging
from collections import defaultdict
from dataclasses import asdict
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext

from socialdesk.actions import policy
from socialdesk.actions.log import write_entries
from socialdesk.actions.tagging import refresh_tag_slugs
from socialdesk.conversations.models import (
    Activity,
    ActivityKind,
    Conversation,
    Direction,
    Message,
    MessageType,
    Sentiment,
    Tag,
)
from socialdesk.errors import ActionError
from socialdesk.ingestion import bulk
from socialdesk.search import index as search_index
from socialdesk.triage import services as triage
from socialdesk.triage.classify import CONFIDENT, LANGUAGES, TYPE_CHOICE, TriageResult
from socialdesk.triage.models import CorrectionField, TriageCorrection, TriageSuggestion

log = logging.getLogger(__name__)

# What triage may change on a conversation it opened: written under the row lock.
TRIAGED_FIELDS = ["type", "sentiment", "language", "priority", "triage_pending", "updated_at"]


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
    suggestions, entries = [], []
    for conversation, r in opened:
        applied = [f for f in ("type", "sentiment") if getattr(conversation, f)]
        if r.language_band == CONFIDENT and conversation.language == r.language:
            applied.append("language")
        suggestions.append(
            TriageSuggestion(
                conversation=conversation,
                **_reading(r),
                **_language_reading(r),
                suggested_close_reason=r.suggested_close_reason,
                applied=applied,
            )
        )
        entries.append(
            _triaged(
                conversation,
                r,
                language=r.language,
                applied=applied,
                bands={
                    "type": r.type_band,
                    "sentiment": r.sentiment_band,
                    "language": r.language_band,
                },
            )
        )
    bulk.insert(suggestions)
    if tag_links is None:
        _add_tags(opened)
    else:
        tag_links += _tag_links(opened)
    if activity is None:
        bulk.insert(entries)
    else:
        activity += entries


# A suggestion's fields that each reading of the conversation sets (`_reading`).
READING_FIELDS = [
    "type",
    "type_confidence",
    "type_reason",
    "sentiment",
    "sentiment_confidence",
    "sentiment_reason",
    "tags",
    "signals",
]


def _reading(r: TriageResult) -> dict:
    """A suggestion's fields for what a reading found: type and sentiment with their confidence
    and reason, the tags and the signals (the language apart: a follow-up's does not route)."""
    return {
        "type": TYPE_CHOICE[r.type],
        "type_confidence": r.type_confidence,
        "type_reason": r.type_reason[:300],
        "sentiment": r.sentiment,
        "sentiment_confidence": r.sentiment_confidence,
        "sentiment_reason": r.sentiment_reason[:300],
        "tags": [asdict(t) for t in r.tags],
        "signals": [asdict(s) for s in r.signals],
    }


def _language_reading(r: TriageResult) -> dict:
    return {
        "language": r.language,
        "language_confidence": r.language_confidence,
        "language_reason": r.language_reason[:300],
    }


def _triaged(conversation: Conversation, r: TriageResult, **detail) -> Activity:
    """The `triaged` entry: what triage read, the tags it added and suggested, its signals."""
    return Activity(
        conversation=conversation,
        kind=ActivityKind.TRIAGED,
        detail={
            "type": r.type,
            "sentiment": r.sentiment,
            **detail,
            "tags": [t.tag for t in r.applied_tags],
            "suggested_tags": [t.tag for t in r.suggested_tags],
            "signals": [s.kind for s in r.signals],
        },
    )


def run_pending(ids=None, *, counts: dict | None = None, limit: int = 500) -> int:
    """Triage conversations a poll stored without triage (`triage_pending`): those of `ids`, or
    (the scheduler's sweep, after a lost task) up to `limit` of any. Returns how many.

    The same as triage inside the page: one model run, each conversation takes what triage is
    confident about (type, sentiment, detected language, the priority bump) and its suggestion,
    tags and `triaged` entry; then Play may deal it. The rows are locked (SKIP LOCKED on
    PostgreSQL), so the page's task and a sweep never triage one twice. `counts` are what the
    platform counted on each opening message ({id: {"likes": n, "reposts": n}}), which are not
    stored: a sweep triages without them. A conversation triage fails on is released without
    suggestions (triage advises; the conversation must not wait for ever)."""
    counts = {int(k): v for k, v in (counts or {}).items()}
    with transaction.atomic():
        pending = Conversation.objects.filter(triage_pending=True)
        if ids is not None:
            pending = pending.filter(pk__in=list(ids))
        locked = pending.select_for_update(
            skip_locked=connection.features.has_select_for_update_skip_locked, of=("self",)
        ).order_by("pk")[:limit]
        conversations = list(
            Conversation.objects.filter(pk__in=[c.pk for c in locked]).select_related(
                "author", "account", "respond_from"
            )
        )
        if not conversations:
            return 0
        first, context = _latest_and_context(conversations)
        items = [(c, first[c.pk], counts.get(c.pk, {})) for c in conversations if c.pk in first]
        try:
            with transaction.atomic():
                _apply(items, context)
        except Exception:  # noqa: BLE001 - one at a time, and a failure releases without suggestions
            log.exception("Triage of %d conversations failed; one at a time", len(items))
            for item in items:
                try:
                    with transaction.atomic():
                        _apply([item], context)
                except Exception:  # noqa: BLE001
                    log.exception(
                        "Triage failed on conversation #%s; it is dealt without suggestions",
                        item[0].pk,
                    )
        # Whatever happened, nothing stays held out of Play.
        Conversation.objects.filter(pk__in=[c.pk for c in conversations]).filter(
            triage_pending=True
        ).update(triage_pending=False, updated_at=timezone.now())
        # Their messages' words, which the page left to this (`search.index.later`).
        search_index.add_words([c.pk for c in conversations])
    return len(conversations)


def _inbound_by_conversation(conversations) -> dict:
    """{conversation id: its inbound messages, oldest first}, in one query."""
    found = defaultdict(list)
    for m in (
        Message.objects.filter(conversation__in=conversations, direction=Direction.INBOUND)
        .only("id", "conversation_id", "text", "language", "metadata")
        .order_by("conversation_id", "created_at", "id")
    ):
        found[m.conversation_id].append(m)
    return found


def _latest_and_context(conversations) -> tuple[dict, dict]:
    """Each conversation's newest inbound message, and the texts of the ones before it (oldest
    first): a conversation the page opened has only its first message, unless the page also
    stored the customer's follow-up, which is then read with the first as its context."""
    latest, context = {}, {}
    for cid, messages in _inbound_by_conversation(conversations).items():
        latest[cid] = messages[-1]
        if len(messages) > 1:
            context[cid] = [m.text for m in messages[:-1]]
    return latest, context


def _apply(items, context: dict | None = None) -> None:
    results = triage.classify_stored(items, context=context)
    opened = []
    for c, m, _ in items:
        r = results[c.pk]
        fields = triage.conversation_fields(
            r, respond_from=c.respond_from, platform_language=m.language
        )
        # The row is locked and was read under the lock: its priority is current.
        c.priority += fields.pop("priority", 0)
        c.language = fields.pop("language", c.language) or c.language
        for name, value in fields.items():
            setattr(c, name, value)
        c.triage_pending = False
        opened.append((c, r))
    # One UPDATE per distinct outcome (a page has a handful), not bulk_update's CASE per row.
    groups = defaultdict(list)
    for c, _ in opened:
        groups[tuple(getattr(c, f) for f in TRIAGED_FIELDS[:-1])].append(c.pk)
    now = timezone.now()
    for values, pks in groups.items():
        Conversation.objects.filter(pk__in=pks).update(
            **dict(zip(TRIAGED_FIELDS[:-1], values, strict=True)), updated_at=now
        )
    record(opened)


def run_follow_ups(ids) -> int:
    """Triage again the conversations a customer wrote in again (`ids`, given by the page's
    task or the scheduler's sweep): the newest message is read with the conversation's earlier
    ones and the author's history. Returns how many were read.

    A sentiment the new reading is confident about replaces the one triage set before (a
    "thanks, it works now" turns a negative conversation positive), and a confident type fills
    one triage left open; a value an agent chose (a correction, a sentiment marked by hand, or a
    value triage had not set) is never changed.
    The language and priority stay: they route the conversation and the customer's first
    message set them. The suggestion shows the new reading; new confident tags are added; a
    `triaged` entry says it was a follow-up. Only conversations still marked `retriage_pending`
    are read, and the mark is cleared (also when triage fails on them: it only advises), so a
    sweep after a slow task reads nothing twice. Rows another worker holds are passed over (SKIP
    LOCKED on PostgreSQL) and keep their mark: a follow-up's re-triage must not wait."""
    if not ids:
        return 0
    with transaction.atomic():
        locked = (
            Conversation.objects.filter(
                pk__in=list(ids), triage_pending=False, retriage_pending=True
            )
            .select_for_update(
                skip_locked=connection.features.has_select_for_update_skip_locked, of=("self",)
            )
            .order_by("pk")
        )
        conversations = list(
            Conversation.objects.filter(pk__in=[c.pk for c in locked]).select_related(
                "author", "account", "respond_from"
            )
        )
        if not conversations:
            return 0
        latest, context = _latest_and_context(conversations)
        items = [(c, latest[c.pk], {}) for c in conversations if c.pk in context]
        read = 0
        if items:
            try:
                with transaction.atomic():
                    _apply_follow_ups(items, context)
                read = len(items)
            except Exception:  # noqa: BLE001 - a follow-up keeps what it had; triage only advises
                log.exception("Triage of %d follow-ups failed; they keep their triage", len(items))
        Conversation.objects.filter(pk__in=[c.pk for c in conversations]).update(
            retriage_pending=False
        )
    return read


def _apply_follow_ups(items, context: dict) -> None:
    results = triage.classify_stored(items, context=context)
    ids = [c.pk for c, _, _ in items]
    suggestions = {
        s.conversation_id: s for s in TriageSuggestion.objects.filter(conversation_id__in=ids)
    }
    # What agents chose stays theirs: their corrections, and sentiments they marked by hand.
    chosen = set(
        TriageCorrection.objects.filter(
            conversation_id__in=ids, field__in=[CorrectionField.TYPE, CorrectionField.SENTIMENT]
        ).values_list("conversation_id", "field")
    ) | {
        (cid, "sentiment")
        for cid in Activity.objects.filter(
            conversation_id__in=ids, kind=ActivityKind.SENTIMENT_SET
        ).values_list("conversation_id", flat=True)
    }
    groups, new_rows, changed_rows, entries, pairs = defaultdict(list), [], [], [], []
    for c, m, _ in items:
        r = results[c.pk]
        old = suggestions.get(c.pk)
        readings = {
            "type": (TYPE_CHOICE[r.type], r.type_band),
            "sentiment": (r.sentiment, r.sentiment_band),
        }
        changes, applied = {}, []
        for name, (value, band_) in readings.items():
            current = getattr(c, name)
            by_triage = old is not None and name in old.applied and current == getattr(old, name)
            # A conversation's type is what its first messages were about ("thanks!" after a
            # support request leaves it one): a follow-up only fills a type triage left open.
            may = not current or (by_triage and name == "sentiment")
            if band_ == CONFIDENT and (c.pk, name) not in chosen and may:
                if current != value:
                    changes[name] = value
                    setattr(c, name, value)
                applied.append(name)
            elif by_triage and current == value:
                applied.append(name)
        if old is not None and "language" in old.applied and c.language == old.language:
            applied.append("language")
        if changes:
            groups[tuple(sorted(changes.items()))].append(c.pk)
        reading = _reading(r)
        if old is None:
            # The language is the conversation's: a follow-up's reading does not route it.
            new_rows.append(
                TriageSuggestion(
                    conversation=c, **reading, **_language_reading(r), applied=applied
                )
            )
        else:
            for name, value in reading.items():
                setattr(old, name, value)
            old.applied = applied
            changed_rows.append(old)
        pairs.append((c, r))
        entries.append(
            _triaged(
                c,
                r,
                follow_up=m.pk,
                changed=sorted(changes),
                bands={"type": r.type_band, "sentiment": r.sentiment_band},
            )
        )
    now = timezone.now()
    for values, pks in groups.items():
        Conversation.objects.filter(pk__in=pks).update(**dict(values), updated_at=now)
    if changed_rows:
        TriageSuggestion.objects.bulk_update(changed_rows, [*READING_FIELDS, "applied"])
    if new_rows:
        TriageSuggestion.objects.bulk_create(new_rows)
    _add_tags(pairs)
    write_entries(entries)


def _tag_links(pairs) -> list:
    """Links to the confident tags of these (conversation, result) pairs, the tags created where
    missing: unsure ones stay in the suggestion for an agent to add."""
    names = {t.tag for _, r in pairs for t in r.applied_tags}
    if not names:
        return []
    tags = {t.name: t for t in Tag.objects.filter(name__in=names)}
    for name in names - tags.keys():
        tags[name], _ = Tag.objects.get_or_create(
            name=name, defaults={"slug": slugify(name)[:100] or "tag"}
        )
    Through = Conversation.tags.through
    return [
        Through(conversation_id=c.pk, tag_id=tags[t.tag].pk)
        for c, r in pairs
        for t in r.applied_tags
    ]


def _add_tags(pairs) -> None:
    """The confident tags of these (conversation, result) pairs, created where missing, linked."""
    links = _tag_links(pairs)
    if links:
        Conversation.tags.through.objects.bulk_create(links, ignore_conflicts=True)
        refresh_tag_slugs([c for c, r in pairs if r.applied_tags])


def pending_older_than(seconds: float, *, limit: int = 500) -> list[int]:
    """Conversations still waiting for triage after `seconds` (their page's task was lost)."""
    return list(
        Conversation.objects.filter(
            triage_pending=True, created_at__lt=timezone.now() - timedelta(seconds=seconds)
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def follow_ups_older_than(seconds: float, *, limit: int = 500) -> list[int]:
    """Conversations whose follow-up still waits to be triaged again `seconds` after the page
    that stored it (which set the mark and `updated_at`): their page's task was lost."""
    return list(
        Conversation.objects.filter(
            retriage_pending=True, updated_at__lt=timezone.now() - timedelta(seconds=seconds)
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


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
