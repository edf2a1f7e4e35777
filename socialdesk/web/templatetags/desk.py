"""`{{ text|text_dir }}`: the writing direction of customer and agent text, for its `dir` attribute."""

import re
import unicodedata

from django import template

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
    return str(n) if hasattr(n, "cap") else f"{int(n):,}"
