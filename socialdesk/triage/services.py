"""Triage inside ingestion, and the writes around it: suggestions, corrections, tag rules, KB import.

Ingestion calls `classify_messages` once per page (one model run for the whole page), takes
`conversation_fields` when it creates a conversation, and calls `record` once per page to store
the suggestions, tags and activity entries in bulk. Three bands, as PRODUCT.md asks: confident →
set on the conversation; unsure → kept as a suggestion for the agent to confirm; tags from CM
rules and signals are applied, each with its reason.
"""

import csv
import io
import json
from collections import defaultdict
from dataclasses import asdict

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.text import slugify

from socialdesk.connectors.base import InboundMessage
from socialdesk.conversations.models import Activity, Conversation, MessageType, Sentiment, Tag, UserTag

from .classify import (
    LANGUAGES, TYPE_CHOICE, TagRuleSpec, TriageConfig, TriageInput, TriageResult, check_language_supported, classify_batch,
)
from .models import CorrectionField, KBArticle, TagRule, TriageCorrection, TriageSuggestion, WatchKind, WatchTerm, split_list


def load_config() -> TriageConfig:
    """The CM-edited lists and the thresholds from settings (two queries)."""
    paid, controversial = [], []
    for term in WatchTerm.objects.filter(active=True):
        entry = (term.name, split_list(term.keywords))
        (paid if term.kind == WatchKind.PAID_PRODUCT else controversial).append(entry)
    rules = tuple(rule_spec(r) for r in TagRule.objects.filter(active=True).select_related("tag"))
    return TriageConfig(
        celebrity_followers=settings.SOCIALDESK_CELEBRITY_FOLLOWERS,
        attention_threshold=getattr(settings, "SOCIALDESK_ATTENTION_THRESHOLD", 50),
        act_confidence=getattr(settings, "SOCIALDESK_TRIAGE_ACT_CONFIDENCE", 0.8),
        paid_products=tuple(paid), controversial_topics=tuple(controversial), tag_rules=rules,
    )


def rule_spec(rule: TagRule) -> TagRuleSpec:
    return TagRuleSpec(
        tag=rule.tag.name, name=rule.name, keywords=split_list(rule.keywords), regex=rule.regex,
        authors=split_list(rule.authors), account=rule.account.lstrip("@"),
        type=rule.type.replace("_", " "), language=rule.language,
    )


def _stars(msg: InboundMessage) -> int | None:
    """An app-store review's star rating, from the connector's platform-neutral metadata."""
    try:
        return int(msg.metadata["rating"]) if msg.metadata.get("rating") is not None else None
    except (TypeError, ValueError):
        return None


def input_for(msg: InboundMessage, *, account_handle: str = "", user_tags: tuple[str, ...] = ()) -> TriageInput:
    return TriageInput(
        text=msg.text, followers=msg.author.followers, verified=msg.author.verified, handle=msg.author.handle,
        account=account_handle, platform=msg.platform, language_hint=msg.language, stars=_stars(msg),
        likes=msg.likes, reposts=msg.reposts, user_tags=user_tags,
    )


def classify_messages(messages: list[InboundMessage], accounts: dict) -> dict:
    """{(platform, platform_id): TriageResult} for a page of messages, in one model run."""
    if not messages:
        return {}
    config = load_config()
    # The user tags agents set on these authors in earlier conversations (TR6): one query per page.
    user_tags = defaultdict(list)
    for platform, external_id, kind in UserTag.objects.filter(
        author__platform__in={m.platform for m in messages}, author__external_id__in={m.author.external_id for m in messages},
    ).values_list("author__platform", "author__external_id", "kind"):
        user_tags[(platform, external_id)].append(kind)
    inputs = []
    for m in messages:
        handle = next((accounts[(m.platform, i)].handle for i in m.mentioned_account_ids if (m.platform, i) in accounts), "")
        inputs.append(input_for(m, account_handle=handle, user_tags=tuple(user_tags[(m.platform, m.author.external_id)])))
    results = classify_batch(inputs, config)
    return {(m.platform, m.platform_id): r for m, r in zip(messages, results)}


def conversation_fields(result: TriageResult, *, respond_from, platform_language: str) -> dict:
    """What a new conversation takes from triage: confident type/sentiment, language, priority bump."""
    act = getattr(settings, "SOCIALDESK_TRIAGE_ACT_CONFIDENCE", 0.8)
    if respond_from is not None:
        check_language_supported(result, respond_from.supported_languages, str(respond_from))
    fields = {"priority": result.priority}
    if result.type_confidence >= act:
        fields["type"] = TYPE_CHOICE[result.type]
    if result.sentiment_confidence >= act:
        fields["sentiment"] = result.sentiment
    if result.language and (result.language_confidence >= act or not platform_language):
        fields["language"] = result.language
    return fields


def record(opened: list[tuple[Conversation, TriageResult]]) -> None:
    """Store the suggestions of a page's new conversations, apply their tags and log it, in bulk."""
    if not opened:
        return
    names = {t.tag for _, r in opened for t in r.tags}
    tags = {t.name: t for t in Tag.objects.filter(name__in=names)}
    for name in names - tags.keys():
        tags[name], _ = Tag.objects.get_or_create(name=name, defaults={"slug": slugify(name)[:100] or "tag"})
    suggestions, links, activity = [], [], []
    Through = Conversation.tags.through
    for conversation, r in opened:
        applied = [f for f in ("type", "sentiment") if getattr(conversation, f)]
        suggestions.append(TriageSuggestion(
            conversation=conversation, type=TYPE_CHOICE[r.type], type_confidence=r.type_confidence, type_reason=r.type_reason,
            language=r.language, language_confidence=r.language_confidence, language_reason=r.language_reason[:300],
            sentiment=r.sentiment, sentiment_confidence=r.sentiment_confidence, sentiment_reason=r.sentiment_reason,
            tags=[asdict(t) for t in r.tags], signals=[asdict(s) for s in r.signals],
            suggested_close_reason=r.suggested_close_reason, applied=applied,
        ))
        links += [Through(conversation_id=conversation.pk, tag_id=tags[t.tag].pk) for t in r.tags]
        activity.append(Activity(conversation=conversation, kind="triaged", detail={
            "type": r.type, "sentiment": r.sentiment, "language": r.language, "applied": applied,
            "tags": [t.tag for t in r.tags], "signals": [s.kind for s in r.signals],
        }))
    TriageSuggestion.objects.bulk_create(suggestions)
    Through.objects.bulk_create(links, ignore_conflicts=True)
    Activity.objects.bulk_create(activity)


# --- Agents' corrections ----------------------------------------------------------------------

_CHOICES = {
    CorrectionField.TYPE: MessageType.values,
    CorrectionField.SENTIMENT: Sentiment.values,
    CorrectionField.LANGUAGE: LANGUAGES,
}


def record_correction(*, actor, conversation: Conversation, field: str, chosen: str) -> TriageCorrection:
    """The agent confirms or changes a suggestion: the conversation takes the agent's choice, and
    the pair (suggested, chosen) is kept for evaluation. Called by the action layer."""
    from socialdesk.conversations.errors import ActionError

    if field not in _CHOICES:
        raise ActionError(f"Only {', '.join(_CHOICES)} can be confirmed or changed here.", field="field")
    if chosen not in _CHOICES[field]:
        raise ActionError(f"Choose one of: {', '.join(_CHOICES[field])}.", field="chosen")
    suggestion = TriageSuggestion.objects.filter(conversation=conversation).first()
    suggested = getattr(suggestion, field, "") if suggestion else ""
    confidence = getattr(suggestion, f"{field}_confidence", 0.0) if suggestion else 0.0
    with transaction.atomic():
        Conversation.objects.filter(pk=conversation.pk).update(**{field: chosen})
        setattr(conversation, field, chosen)
        correction = TriageCorrection.objects.create(
            conversation=conversation, field=field, suggested=suggested, suggested_confidence=confidence,
            chosen=chosen, actor=actor,
        )
        Activity.objects.create(conversation=conversation, actor=actor, kind="triage_confirmed" if suggested == chosen else "triage_corrected",
                                detail={"field": field, "suggested": suggested, "chosen": chosen})
    return correction


# --- Tag rule preview ------------------------------------------------------------------------

def preview_rule(spec: TagRuleSpec, *, limit: int = 50) -> list[tuple[Conversation, str]]:
    """Which open conversations the rule would tag, and why (first message, suggested type/language)."""
    from socialdesk.conversations.models import Direction, Status

    out = []
    qs = (Conversation.objects.filter(status=Status.OPEN).select_related("author", "account", "triage")
          .order_by("-last_inbound_at")[:2000])
    for c in qs:
        first = c.messages.filter(direction=Direction.INBOUND).order_by("created_at", "id").first()
        if first is None:
            continue
        s = getattr(c, "triage", None)
        inp = TriageInput(text=first.text, handle=c.author.handle, account=c.account.handle if c.account else "")
        why = spec.matches(inp, type=(c.type or (s.type if s else "")).replace("_", " "), language=c.language or (s.language if s else ""))
        if why:
            out.append((c, why))
            if len(out) >= limit:
                break
    return out


# --- KB import -------------------------------------------------------------------------------

class ImportReport:
    def __init__(self):
        self.created = 0
        self.updated = 0
        self.errors: list[str] = []


def import_kb(data: bytes, *, filename: str) -> ImportReport:
    """Import KB articles from JSON (a list of objects) or CSV (a header row) with title, url, summary,
    language. Good rows are saved; each bad row gets its own message."""
    report = ImportReport()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.errors.append("The file is not UTF-8 text.")
        return report
    if filename.lower().endswith(".json") or text.lstrip().startswith("["):
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as exc:
            report.errors.append(f"Not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}).")
            return report
        if not isinstance(rows, list):
            report.errors.append("The JSON file must hold a list of articles: [{\"title\": …, \"url\": …}, …].")
            return report
        label = "item"
    else:
        rows = list(csv.DictReader(io.StringIO(text)))
        label = "row"
        if rows and not {"title", "url"} <= set(rows[0]):
            report.errors.append("The CSV header must name at least the columns title and url.")
            return report
    validate_url = URLValidator(schemes=["http", "https"])
    for n, row in enumerate(rows, start=2 if label == "row" else 1):
        where = f"{label} {n}"
        if not isinstance(row, dict):
            report.errors.append(f"{where}: expected an object with title and url.")
            continue
        title, url = str(row.get("title") or "").strip(), str(row.get("url") or "").strip()
        if not title:
            report.errors.append(f"{where}: the title is missing.")
            continue
        try:
            validate_url(url)
        except ValidationError:
            report.errors.append(f"{where}: “{url[:80]}” is not an http(s) address.")
            continue
        _, created = KBArticle.objects.update_or_create(url=url, defaults={
            "title": title[:300], "summary": str(row.get("summary") or "").strip(),
            "language": str(row.get("language") or "en").strip()[:10],
        })
        if created:
            report.created += 1
        else:
            report.updated += 1
    return report
