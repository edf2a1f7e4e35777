"""`{{ text|text_dir }}`: the writing direction of customer and agent text, for its `dir` attribute."""

import re
import unicodedata

from django import template
from django.utils.dateformat import format as date_format
from django.utils.formats import number_format
from django.utils.translation import pgettext

from socialdesk.connectors import messages

register = template.Library()

# What a post often starts with that says nothing about its language: @mentions, #tags, links.
_LEADING_TOKENS = re.compile(r"^(?:\s*(?:[@#][\w.@-]+|https?://\S+)[\s:,]*)+")


@register.filter
def text_dir(text) -> str:
    """ "rtl" when the text, past its leading @mentions, starts in a right-to-left script; else
    "auto", which lets the browser decide from the first strong character.

    `dir="auto"` alone reads "@FirefoxSupport لا يمكنني…" as left to right, because the mention
    comes first; the customer's words decide here.
    """
    rest = _LEADING_TOKENS.sub("", str(text or ""), count=1)
    for ch in rest:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "auto"
    return "auto"


@register.filter
def capped(n) -> str:
    """A count, "1,000+" when it is a `CappedCount` above its cap (`queues.selectors`)."""
    if n is None or n == "":
        return ""
    if hasattr(n, "cap"):
        if n > n.cap:
            return f"{_grouped(n.cap)}+"
        if n.at_least:
            return f"{_grouped(n)}+" if n else "?"
    return _grouped(n)


def _grouped(n) -> str:
    """A whole number with the active language's thousands separator (1,000 · 1.000 · 1 000)."""
    return number_format(int(n), force_grouping=True)


@register.filter(expects_localtime=True, is_safe=False)
def desk_time(value) -> str:
    """A time as the desk shows it in lists and threads ("Dec 1, 09:00" in English, "1. Dez.,
    09:00" in German): the format is the translators' (each language orders day and month its
    own way), in the person's zone."""
    if not value:
        return ""
    # Translators: a date and time in a list, PHP date() letters as Django's `date` filter reads them.
    return date_format(value, pgettext("date format", "M j, H:i"))


@register.filter(expects_localtime=True, is_safe=False)
def desk_time_s(value) -> str:
    """`desk_time` with the seconds (a conversation's history)."""
    if not value:
        return ""
    # Translators: as "M j, H:i" with the seconds.
    return date_format(value, pgettext("date format", "M j, H:i:s"))


@register.filter
def platform_message(text) -> str:
    """A platform call's failure, stored in English (`connectors.messages`), in the reader's
    language; what the platform said itself stays as it came."""
    return messages.translate(text)
