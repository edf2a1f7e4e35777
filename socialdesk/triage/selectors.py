"""Reads for the triage UI: the conversation's suggestion panel, KB/clipping suggestions, clusters (TR7/TR8)."""

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext

from socialdesk.clippings.models import Clipping
from socialdesk.conversations.models import (
    CloseReason,
    Conversation,
    Direction,
    MessageType,
    Sentiment,
    Status,
)
from socialdesk.conversations.selectors import first_texts

from . import reasons, topics
from .classify import CONFIDENT, LANGUAGES, band, language_name
from .models import KBArticle, TriageSuggestion
from .textmodel import normalise


def _first_inbound_text(conversation: Conversation) -> str:
    texts = list(
        conversation.messages.filter(direction=Direction.INBOUND)
        .order_by("created_at", "id")
        .values_list("text", flat=True)[:3]
    )
    return " ".join(texts)


def _vectorizer():
    # Imported here as in textmodel: not at every process's start, only when help is ranked.
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        preprocessor=normalise,
        token_pattern=r"(?u)\b\w\w\w+\b",
        stop_words="english",
        sublinear_tf=True,
    )


@dataclass
class Ranked:
    kind: str  # "kb" or "clipping"
    title: str
    url: str
    text: str
    score: float
    reason: str


def rank_suggestions(text: str, *, limit: int = 3, language: str = "") -> list[Ranked]:
    """KB articles and clippings about what the customer's message is about (topics.suggest), in
    the message's language first; none when its topic is unclear. Each with the words that
    named the topic."""
    if not text.strip():
        return []
    docs = [
        topics.Doc("kb", a.title, a.url, a.summary, a.language or "en")
        for a in KBArticle.objects.all()[:2000]
    ]
    docs += [
        topics.Doc("clipping", c.title, "", c.text, c.language or "en")
        for c in Clipping.objects.filter(is_holding_reply=False)[:500]
    ]
    threshold = getattr(settings, "SOCIALDESK_SUGGEST_CONFIDENCE", topics.SUGGEST_CONFIDENCE)
    return [
        Ranked(
            m.doc.kind,
            m.doc.title,
            m.doc.url,
            m.doc.text,
            m.confidence,
            reasons.translate(m.reason),
        )
        for m in topics.suggest(text, docs, language=language, threshold=threshold, limit=limit)
    ]


@dataclass
class FieldRow:
    """One classifier value on the panel, in a volunteer's words: "Suggested: negative — unsure"."""

    field: str  # type, sentiment, language
    label: str  # "Type"
    value: str  # as stored ("support_request")
    value_label: str  # as read ("support request", "German")
    band: str  # confident: triage acted on it; unsure: a suggestion to confirm
    reason: str
    numbers: (
        str  # the confidence against the threshold, for community managers (a title attribute)
    )
    applied: bool  # triage set it on the conversation itself
    current: str  # the conversation's value now
    current_label: str
    choices: list


@dataclass
class Panel:
    suggestion: TriageSuggestion | None
    fields: list[FieldRow]
    tags_added: list[dict]
    tags_suggested: list[dict]
    signals: list[dict]
    warnings: list[dict]
    close_reason: str = ""
    close_reason_label: str = ""
    act: float = 0.8  # at or above: triage set it itself; below: a suggestion to confirm
    corrections: list = field(default_factory=list)


# Reasons stored before they were written in words ("trained model, probability 0.42",
# "de with probability 0.97 (language identifier)"), read the way new ones are written.
_OLD_MODEL_REASON = re.compile(r"^trained model, probability [\d.]+$")
_OLD_LANGUAGE_REASON = re.compile(r"\b([a-z]{2}) with probability [\d.]+ \(language identifier\)")


def plain_reason(reason: str) -> str:
    """A stored reason in words, in the reader's language."""
    if _OLD_MODEL_REASON.match(reason):
        return gettext("the model's reading of the wording as a whole")
    return reasons.translate(
        _OLD_LANGUAGE_REASON.sub(
            lambda m: reasons.READS_AS % {"language": language_name(m.group(1))}, reason
        )
    )


def _translated(items: list[dict]) -> list[dict]:
    """Stored tags' or signals' reasons and labels, in the reader's language."""
    return [
        {
            **x,
            **{
                k: reasons.translate(x[k])
                for k in ("label", "reason")
                if isinstance(x.get(k), str)
            },
        }
        for x in items
    ]


def _numbers(confidence: float, act: float) -> str:
    return gettext("%(sure)s sure; triage acts on its own from %(act)s") % {
        # Rounded down, as classify's numbers are: 79.6% is not "80%" beside "unsure".
        "sure": f"{math.floor(confidence * 100 + 1e-9) / 100:.0%}",
        "act": f"{act:.0%}",
    }


def _rows(s: TriageSuggestion, conversation: Conversation, act: float) -> list[FieldRow]:
    types, sentiments = dict(MessageType.choices), dict(Sentiment.choices)
    rows = []
    for name, label, value_label, current_label, choices in (
        (
            "type",
            gettext("Type"),
            str(reasons.VALUE_WORDS.get(s.type, s.type.replace("_", " "))),
            types.get(conversation.type, ""),
            MessageType.choices,
        ),
        (
            "sentiment",
            gettext("Sentiment"),
            str(reasons.VALUE_WORDS.get(s.sentiment, s.sentiment)),
            sentiments.get(conversation.sentiment, ""),
            Sentiment.choices,
        ),
        (
            "language",
            gettext("Language"),
            reasons.language_label(s.language) if s.language else "",
            reasons.language_label(conversation.language) if conversation.language else "",
            [(code, f"{reasons.language_label(code)} ({code})") for code in LANGUAGES],
        ),
    ):
        confidence = getattr(s, f"{name}_confidence")
        rows.append(
            FieldRow(
                field=name,
                label=label,
                value=getattr(s, name),
                value_label=value_label,
                band=band(confidence, act),
                reason=plain_reason(getattr(s, f"{name}_reason")),
                numbers=_numbers(confidence, act),
                applied=name in (s.applied or []),
                current=getattr(conversation, name),
                current_label=current_label,
                choices=choices,
            )
        )
    return rows


# Signals the composer repeats above the reply field: they change what (or whether) to answer.
COMPOSER_SIGNALS = {
    "unsolicited",
    "controversial",
    "celebrity",
    "language_not_supported",
    "spam",
    "troll",
    "paid_product",
}


def composer(conversation: Conversation) -> dict:
    """What the reply field shows: ranked KB articles and clippings, and the warnings that matter when answering."""
    s = TriageSuggestion.objects.filter(conversation=conversation).first()
    signals = list(s.signals) if s else []
    text = _first_inbound_text(conversation)
    ranked = rank_suggestions(text, language=conversation.language or (s.language if s else ""))
    warnings = [x for x in signals if x["kind"] in COMPOSER_SIGNALS] + _warnings(
        conversation, signals, has_kb=any(r.kind == "kb" for r in ranked)
    )
    return {"ranked": ranked, "warnings": _translated(warnings)}


def _warnings(
    conversation: Conversation, signals: list[dict], *, has_kb: bool | None = None
) -> list[dict]:
    warnings = []
    kinds = {x["kind"] for x in signals}
    if "controversial" in kinds:
        outbound = conversation.messages.filter(direction=Direction.OUTBOUND).count()
        if outbound >= 2 and conversation.status == Status.OPEN and conversation.awaiting_reply:
            warnings.append(
                {
                    "kind": "moved_to_forum",
                    "label": gettext("Suggest “Moved to forum”"),
                    "reason": reasons.MOVED_TO_FORUM_WHY % {"count": outbound},
                }
            )
    if "attention" in kinds:
        if has_kb is None:
            has_kb = any(
                r.kind == "kb" for r in rank_suggestions(_first_inbound_text(conversation))
            )
        if not has_kb:
            warnings.append(
                {
                    "kind": "attention_no_kb",
                    "label": gettext("Escalate: a lot of attention and no KB answer"),
                    "reason": reasons.NO_KB
                    % {"why": next(x["reason"] for x in signals if x["kind"] == "attention")},
                }
            )
    return warnings


def panel(conversation: Conversation) -> Panel:
    s = TriageSuggestion.objects.filter(conversation=conversation).first()
    act = getattr(settings, "SOCIALDESK_TRIAGE_ACT_CONFIDENCE", 0.8)
    signals = list(s.signals) if s else []
    warnings = _warnings(conversation, signals)
    close = s.suggested_close_reason if s else ""
    tags = list(s.tags) if s else []
    on = set(conversation.tags.values_list("name", flat=True)) if tags else set()
    # Tags stored before bands existed were all added, so a missing band reads as confident.
    added = [t for t in tags if t.get("band", CONFIDENT) == CONFIDENT]
    suggested = [
        {**t, "on": t["tag"] in on} for t in tags if t.get("band", CONFIDENT) != CONFIDENT
    ]
    return Panel(
        suggestion=s,
        fields=_rows(s, conversation, act) if s else [],
        tags_added=_translated(added),
        tags_suggested=_translated(suggested),
        signals=_translated(signals),
        warnings=_translated(warnings),
        close_reason=close,
        close_reason_label=dict(CloseReason.choices).get(close, ""),
        act=act,
        corrections=list(
            conversation.triage_corrections.select_related("actor").order_by("-at")[:5]
        ),
    )


@dataclass
class Cluster:
    members: list[Conversation]
    texts: dict
    reason: str

    @property
    def ids(self) -> str:
        return ",".join(str(c.pk) for c in self.members)


def clusters(
    *,
    window_hours: float | None = None,
    threshold: float = 0.45,
    limit: int = 2000,
    now=None,
    within=None,
) -> list[Cluster]:
    """Open conversations asking the same or a similar question, from different people, within the window.

    Similarity is TF-IDF cosine of the customers' first messages (words of 3+ letters, links and
    handles left out); conversations join a cluster when one of its members is at least
    `threshold` similar. Only clusters with two or more different authors are returned.
    `within`: the conversations to look at (the agent's visible ones); all when None.
    """
    window_hours = window_hours or getattr(settings, "SOCIALDESK_CLUSTER_WINDOW_HOURS", 24)
    now = now or timezone.now()
    convs = list(
        (within if within is not None else Conversation.objects.all())
        .filter(status=Status.OPEN, last_inbound_at__gte=now - timedelta(hours=window_hours))
        .exclude(assigned_queue__is_escalation=True)
        .select_related("author")
        .order_by("-last_inbound_at")[:limit]
    )
    if len(convs) < 2:
        return []
    first = first_texts(convs)
    convs = [c for c in convs if c.pk in first]
    vec = _vectorizer()
    try:
        m = vec.fit_transform([first[c.pk] for c in convs])
    except ValueError:
        return []
    sims = (m @ m.T).tocoo()
    parent = list(range(len(convs)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j, v in zip(sims.row, sims.col, sims.data, strict=True):
        if i < j and v >= threshold and convs[i].author_id != convs[j].author_id:
            parent[find(i)] = find(j)
    groups = defaultdict(list)
    for i in range(len(convs)):
        groups[find(i)].append(i)
    vocab = np.array(vec.get_feature_names_out())
    out = []
    for idx in groups.values():
        authors = {convs[i].author_id for i in idx}
        if len(authors) < 2:
            continue
        weight = np.asarray(m[idx].sum(axis=0)).ravel()
        present = np.asarray((m[idx] > 0).sum(axis=0)).ravel()
        shared = [vocab[k] for k in np.argsort(-weight) if present[k] >= 2][:5]
        members = sorted((convs[i] for i in idx), key=lambda c: c.last_inbound_at)
        span = (members[-1].last_inbound_at - members[0].last_inbound_at).total_seconds() / 3600
        reason = gettext(
            "%(count)s open conversations from %(people)s different people within %(hours)s h "
            "ask something similar (shared words: %(words)s; similarity ≥ %(threshold)s)"
        ) % {
            "count": len(idx),
            "people": len(authors),
            "hours": f"{span:.1f}",
            "words": ", ".join(shared) or "—",
            "threshold": f"{threshold:.2f}",
        }
        out.append(
            Cluster(members=members, texts={c.pk: first[c.pk] for c in members}, reason=reason)
        )
    return sorted(out, key=lambda cl: -len(cl.members))


def correction_stats() -> list[dict]:
    """Per field: how often agents confirmed the suggestion, and how often they changed it (TR: measured)."""
    from django.db.models import Count, F, Q

    from .models import TriageCorrection

    rows = (
        TriageCorrection.objects.values("field")
        .annotate(total=Count("id"), agreed=Count("id", filter=Q(suggested=F("chosen"))))
        .order_by("field")
    )
    return [{**r, "rate": r["agreed"] / r["total"] if r["total"] else 0} for r in rows]


def correction_rows() -> list[dict]:
    """Every correction agents made, with the text it was about (the conversation's first customer
    messages), oldest first: {text, field, suggested, chosen, confidence, at}."""
    from .models import TriageCorrection

    rows = []
    for c in TriageCorrection.objects.select_related("conversation").order_by("at", "id"):
        rows.append(
            {
                "text": _first_inbound_text(c.conversation),
                "field": c.field,
                "suggested": c.suggested,
                "chosen": c.chosen,
                "confidence": round(c.suggested_confidence, 3),
                "at": c.at.isoformat(),
            }
        )
    return rows
