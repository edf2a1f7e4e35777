"""Triage inside ingestion, and the writes around it: suggestions, corrections, tag rules, KB import.

Ingestion calls `classify_messages` once per page (one model run for the whole page), takes
`conversation_fields` when it creates a conversation, and calls `record` once per page to store
the suggestions, tags and activity entries in bulk. The bands, as PRODUCT.md asks: confident →
set on the conversation (type, sentiment, language, tags of rules keyed on them, priority);
unsure → kept as a suggestion for the agent to confirm, nothing done. Tags from keyword, pattern,
author and account rules and from signals are certain by nature and applied, each with its reason.
"""

import csv
import io
import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db.models import F, Window
from django.db.models.functions import RowNumber

from socialdesk.connectors.base import InboundMessage
from socialdesk.conversations.models import (
    Conversation,
    Direction,
    Message,
    Status,
    UserTag,
)
from socialdesk.conversations.selectors import first_texts

from . import patterns
from .classify import (
    CONFIDENT,
    TYPE_CHOICE,
    TagRuleSpec,
    TriageConfig,
    TriageInput,
    TriageResult,
    check_language_supported,
    classify_batch,
)
from .models import (
    KBArticle,
    TagRule,
    WatchKind,
    WatchTerm,
    split_list,
)

log = logging.getLogger(__name__)


def act_confidence() -> float:
    """The act threshold: at or above it triage acts on a classifier's value; below it only suggests."""
    return getattr(settings, "SOCIALDESK_TRIAGE_ACT_CONFIDENCE", 0.8)


def rule_problem(rule: TagRule) -> str:
    """Why a saved rule cannot run ("" when it can): its pattern no longer compiles, e.g. one saved
    before patterns ran on RE2 that uses a backreference."""
    if not rule.regex:
        return ""
    try:
        patterns.compile_pattern(rule.regex)
    except patterns.PatternError as exc:
        return exc.message
    return ""


@lru_cache(maxsize=256)
def _report_skipped(name: str, pattern: str, problem: str) -> None:
    # Once per process and pattern: the configuration is read on every page.
    log.warning(
        "Tag rule %r is skipped (pattern /%s/): %s Edit it on the tag rules page.",
        name,
        pattern,
        problem,
    )


def load_config() -> TriageConfig:
    """The CM-edited lists and the thresholds from settings (two queries).

    A saved rule whose pattern no longer compiles is left out and reported (log, tag rules page,
    the triage command), so one bad rule never stops ingestion or the other rules.
    """
    paid, controversial = [], []
    for term in WatchTerm.objects.filter(active=True):
        entry = (term.name, split_list(term.keywords))
        (paid if term.kind == WatchKind.PAID_PRODUCT else controversial).append(entry)
    rules, skipped = [], []
    for rule in TagRule.objects.filter(active=True).select_related("tag"):
        if problem := rule_problem(rule):
            _report_skipped(rule.name, rule.regex, problem)
            skipped.append((rule.name, problem))
            continue
        rules.append(rule_spec(rule))
    return TriageConfig(
        celebrity_followers=settings.SOCIALDESK_CELEBRITY_FOLLOWERS,
        attention_threshold=getattr(settings, "SOCIALDESK_ATTENTION_THRESHOLD", 50),
        act_confidence=act_confidence(),
        paid_products=tuple(paid),
        controversial_topics=tuple(controversial),
        tag_rules=tuple(rules),
        skipped_rules=tuple(skipped),
    )


def rule_spec(rule: TagRule) -> TagRuleSpec:
    return TagRuleSpec(
        tag=rule.tag.name,
        name=rule.name,
        keywords=split_list(rule.keywords),
        regex=rule.regex,
        authors=split_list(rule.authors),
        account=rule.account.lstrip("@"),
        type=rule.type.replace("_", " "),
        language=rule.language,
    )


def _stars(msg: InboundMessage) -> int | None:
    """An app-store review's star rating, from the connector's platform-neutral metadata."""
    try:
        return int(msg.metadata["rating"]) if msg.metadata.get("rating") is not None else None
    except (TypeError, ValueError):
        return None


def locale_language(locale: str) -> str:
    """ "pt" for an account's locale "pt-BR"."""
    return (locale or "").replace("_", "-").split("-")[0].lower()


def input_for(
    msg: InboundMessage,
    *,
    account_handle: str = "",
    user_tags: tuple[str, ...] = (),
    account_language: str = "",
) -> TriageInput:
    return TriageInput(
        text=msg.text,
        followers=msg.author.followers,
        verified=msg.author.verified,
        handle=msg.author.handle,
        account=account_handle,
        account_language=account_language,
        platform=msg.platform,
        language_hint=msg.language,
        stars=_stars(msg),
        language_claim=str(msg.metadata.get("language_hint") or "")[:10],
        likes=msg.likes,
        reposts=msg.reposts,
        user_tags=user_tags,
    )


def classify_messages(messages: list[InboundMessage], accounts: dict) -> dict:
    """{(platform, platform_id): TriageResult} for a page of messages, in one model run."""
    if not messages:
        return {}
    config = load_config()
    # The user tags agents set on these authors in earlier conversations (TR6): one query per page.
    user_tags = defaultdict(list)
    for platform, external_id, kind in UserTag.objects.filter(
        author__platform__in={m.platform for m in messages},
        author__external_id__in={m.author.external_id for m in messages},
    ).values_list("author__platform", "author__external_id", "kind"):
        user_tags[(platform, external_id)].append(kind)
    inputs = []
    for m in messages:
        account = next(
            (
                accounts[(m.platform, i)]
                for i in m.mentioned_account_ids
                if (m.platform, i) in accounts
            ),
            None,
        )
        inputs.append(
            input_for(
                m,
                account_handle=account.handle if account else "",
                account_language=locale_language(account.locale) if account else "",
                user_tags=tuple(user_tags[(m.platform, m.author.external_id)]),
            )
        )
    results = classify_batch(inputs, config)
    return {(m.platform, m.platform_id): r for m, r in zip(messages, results, strict=True)}


# How much of an author's past triage reads: their last conversations and inbound messages.
HISTORY_CONVERSATIONS = 10
HISTORY_MESSAGES = 20
# How many of a conversation's earlier inbound messages a follow-up is read with.
CONTEXT_MESSAGES = 3


@dataclass
class AuthorHistory:
    """What the desk knows of an author from their other conversations (newest first)."""

    sentiments: list = field(default_factory=list)
    types: list = field(default_factory=list)
    spam: int = 0
    # (conversation id, text) of their recent inbound messages, for repeated texts.
    texts: list = field(default_factory=list)


def author_histories(author_ids, *, exclude) -> dict:
    """{author id: AuthorHistory} from the authors' other conversations than `exclude` (ids),
    in two queries whatever the number of authors: each author's last HISTORY_CONVERSATIONS
    conversations (sentiment, type, whether triage flagged spam) and last HISTORY_MESSAGES
    inbound messages, ranked per author by a window function."""
    author_ids, exclude = set(author_ids), set(exclude)
    out = defaultdict(AuthorHistory)
    if not author_ids:
        return out
    ranked = Window(RowNumber(), partition_by=F("author_id"), order_by=F("id").desc())
    for author_id, sentiment, type_, signals in (
        Conversation.objects.filter(author_id__in=author_ids)
        .exclude(pk__in=exclude)
        .annotate(rank=ranked)
        .filter(rank__lte=HISTORY_CONVERSATIONS)
        .order_by("author_id", "-id")
        .values_list("author_id", "sentiment", "type", "triage__signals")
    ):
        h = out[author_id]
        h.sentiments.append(sentiment or "")
        h.types.append((type_ or "").replace("_", " "))
        if any(isinstance(s, dict) and s.get("kind") == "spam" for s in signals or ()):
            h.spam += 1
    for author_id, conversation_id, text in (
        Message.objects.filter(author_id__in=author_ids, direction=Direction.INBOUND)
        .annotate(rank=ranked)
        .filter(rank__lte=HISTORY_MESSAGES)
        .order_by("author_id", "-id")
        .values_list("author_id", "conversation_id", "text")
    ):
        out[author_id].texts.append((conversation_id, text))
    return out


def classify_stored(
    items: list[tuple[Conversation, Message, dict]], *, context: dict | None = None
) -> dict:
    """{conversation id: TriageResult} for conversations already stored, each with the message
    to read (the one that opened it, or a follow-up) and what the platform counted on it
    (`likes`, `reposts`), in one model run: the inputs `classify_messages` reads from a page,
    read back from the rows, and what only the stored rows know: `context`, the conversation's
    earlier inbound texts by conversation id (oldest first), and the author's history (their
    other conversations' sentiment, type and spam flags, their recent texts, their user tags)."""
    if not items:
        return {}
    context = context or {}
    config = load_config()
    user_tags = defaultdict(list)
    for author_id, kind in UserTag.objects.filter(
        author_id__in={c.author_id for c, _, _ in items}
    ).values_list("author_id", "kind"):
        user_tags[author_id].append(kind)
    histories = author_histories(
        {c.author_id for c, _, _ in items}, exclude={c.pk for c, _, _ in items}
    )
    inputs = []
    for c, m, counts in items:
        history = histories.get(c.author_id) or AuthorHistory()
        metadata = m.metadata if isinstance(m.metadata, dict) else {}
        try:
            stars = int(metadata["rating"]) if metadata.get("rating") is not None else None
        except (TypeError, ValueError):
            stars = None
        inputs.append(
            TriageInput(
                text=m.text,
                followers=c.author.followers,
                verified=c.author.verified,
                handle=c.author.handle,
                account=c.account.handle if c.account else "",
                account_language=locale_language(c.account.locale) if c.account else "",
                platform=c.platform,
                language_hint=m.language,
                stars=stars,
                language_claim=str(metadata.get("language_hint") or "")[:10],
                likes=counts.get("likes", 0),
                reposts=counts.get("reposts", 0),
                user_tags=tuple(user_tags[c.author_id]),
                context=tuple(context.get(c.pk, ()))[-CONTEXT_MESSAGES:],
                # Repeats in the same conversation ("still broken") are no bot's mark.
                author_history=tuple(t for cid, t in history.texts if cid != c.pk),
                author_sentiments=tuple(history.sentiments),
                author_types=tuple(history.types),
                author_spam=history.spam,
            )
        )
    results = classify_batch(inputs, config)
    return {c.pk: r for (c, _, _), r in zip(items, results, strict=True)}


def conversation_fields(result: TriageResult, *, respond_from, platform_language: str) -> dict:
    """What a new conversation takes from triage: its confident type, sentiment and language, and
    the priority bump. A guess sets nothing (queues route on these fields): the conversation keeps
    the platform's language, or none, and the agent confirms the suggestion."""
    if respond_from is not None:
        check_language_supported(result, respond_from.supported_languages, str(respond_from))
    fields = {"priority": result.priority}
    if result.settled_type:
        fields["type"] = TYPE_CHOICE[result.settled_type]
    if result.settled_sentiment:
        fields["sentiment"] = result.settled_sentiment
    fields["language"] = (
        result.language
        if result.language_band == CONFIDENT and result.language
        else platform_language
    )
    return fields


# --- Tag rule preview ------------------------------------------------------------------------


def preview_rule(spec: TagRuleSpec, *, limit: int = 50) -> list[tuple[Conversation, str]]:
    """Which open conversations the rule would tag, and why (first message; the conversation's own
    type and language, which triage set only when confident or an agent chose).

    The pattern runs on RE2 like at ingestion, so a preview over two thousand conversations takes
    linear time whatever a person typed.
    """

    out = []
    convs = list(
        Conversation.objects.filter(status=Status.OPEN)
        .select_related("author", "account")
        .order_by("-last_inbound_at")[:2000]
    )
    first = first_texts(convs)
    for c in convs:
        if c.pk not in first:
            continue
        inp = TriageInput(
            text=first[c.pk], handle=c.author.handle, account=c.account.handle if c.account else ""
        )
        why = spec.matches(inp, type=(c.type or "").replace("_", " "), language=c.language or "")
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
            report.errors.append(
                f"Not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
            )
            return report
        if not isinstance(rows, list):
            report.errors.append(
                'The JSON file must hold a list of articles: [{"title": …, "url": …}, …].'
            )
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
        _, created = KBArticle.objects.update_or_create(
            url=url,
            defaults={
                "title": title[:300],
                "summary": str(row.get("summary") or "").strip(),
                "language": str(row.get("language") or "en").strip()[:10],
            },
        )
        if created:
            report.created += 1
        else:
            report.updated += 1
    return report
