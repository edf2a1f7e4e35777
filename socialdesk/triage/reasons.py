"""Every sentence triage writes about why it decided (the reasons, the signals' labels), and
their translation into the reader's language.

Triage runs in the worker, for nobody in particular, and what it writes is stored with the
suggestion (`TriageSuggestion`: the reasons, the tags' and the signals' JSON), read by the API,
the exports and the retraining as it is. So it is stored in English, from the templates below
(marked with `gettext_noop`, so the catalogues hold them), and `translate` turns a stored
sentence back into its template and values when a page shows it, in the reader's language. A
sentence that matches no template (a reason written before these templates, a rule's name) is
shown as it was stored.

`classify` and `cues` build their sentences only from these templates (`TEMPLATES` lists them);
a test checks that each one reads back."""

import re
from functools import lru_cache

from django.conf.locale import LANG_INFO
from django.utils import translation
from django.utils.translation import gettext, gettext_lazy


def gettext_noop(message: str) -> str:
    """Marks a sentence for the catalogues (makemessages reads this name) and returns it as it
    is: Django's own needs settings, and the training scripts classify without them."""
    return message


# --- What the models and rules saw ------------------------------------------------------------
WORDS_LIKE = gettext_noop("words like %(words)s")
WHOLE_WORDING = gettext_noop("the wording as a whole")
WHOLE_WORDING_NONE = gettext_noop("the wording as a whole (no single word stands out)")
GUESS_FROM = gettext_noop("a guess from %(what)s")
GUESS_WHOLE = gettext_noop("a guess from the wording as a whole (no single word stands out)")
WITH_CONTEXT = gettext_noop("read with the conversation's earlier messages: %(why)s")
WITH_CONTEXT_ALONE = gettext_noop("read with the conversation's earlier messages")
GUESS_AUTHOR_USUAL = gettext_noop(
    "a guess: the wording says little, and most of the author's earlier conversations were "
    "%(type)s"
)
WITH_CUES = gettext_noop("%(why)s; with %(cues)s")
LISTS_APPS = gettext_noop("lists %(count)s apps (%(apps)s)")
ASKS_NEW = gettext_noop("asks for something new: %(what)s")
DESCRIBES_PROBLEM = gettext_noop("describes a problem or asks for help: %(what)s")
PRAISE = gettext_noop("praise or thanks, and no problem or question: %(what)s")
# The sentiment's cues (triage.cues), joined by " and ".
CUE_EMOJI = gettext_noop("%(side)s emoji %(emoji)s")
CUE_EMOTICONS = gettext_noop("%(side)s emoticons")
CUE_WORD = gettext_noop("“%(word)s”")
CUE_STARS = gettext_noop("a %(stars)s★ review")
# --- Languages --------------------------------------------------------------------------------
TOO_LITTLE = gettext_noop("too little text to tell")
TOO_LITTLE_HINT = gettext_noop("too little text to tell; %(source)s says %(language)s")
HINT_DIFFERS = gettext_noop("%(source)s says %(language)s; the text reads more like %(detected)s")
READS_AS_AGREED = gettext_noop("the text reads as %(language)s, and %(source)s says so too")
READS_AS = gettext_noop("the text reads as %(language)s")
READS_AS_ACCOUNT = gettext_noop(
    "the text could be %(language)s, the language of the account addressed"
)
THE_PLATFORM = gettext_noop("the platform")
THE_AUTHORS_APP = gettext_noop("the author's app")
# --- Tag rules --------------------------------------------------------------------------------
RULE = gettext_noop("rule “%(rule)s”: %(conditions)s")
MENTIONS = gettext_noop("mentions “%(hit)s”")
MATCHES = gettext_noop("matches /%(pattern)s/ (“%(match)s”)")
AUTHOR = gettext_noop("author @%(handle)s")
ADDRESSED_TO = gettext_noop("addressed to @%(account)s")
TYPE_IS = gettext_noop("type is %(type)s")
LANGUAGE_IS = gettext_noop("language is %(language)s")
TYPE_GUESS = gettext_noop("%(why)s — but the type is only a guess")
LANGUAGE_GUESS = gettext_noop("%(why)s — but the language is only a guess")
TOPIC = gettext_noop("topic “%(name)s”")
# --- Signals: (label, reason) -----------------------------------------------------------------
CELEBRITY = gettext_noop("Internet celebrity: handle with care, consider escalating")
VERIFIED = gettext_noop("the author is verified")
FOLLOWERS = gettext_noop("the author has %(followers)s followers (%(threshold)s or more counts)")
PAID = gettext_noop("Paid product: %(name)s — escalate")
PAID_MENTION = gettext_noop("mentions “%(hit)s”, a paid product")
CONTROVERSIAL = gettext_noop("Controversial topic: %(name)s")
MENTIONS_REACH = gettext_noop("mentions “%(hit)s”; the author has %(followers)s followers")
UNSOLICITED = gettext_noop("Do not offer help unsolicited")
UNSOLICITED_WHY = gettext_noop(
    "a controversial topic and the message asks nothing (no question or request for help)"
)
POSSIBLE_SPAM = gettext_noop("Possible spam")
SUGGEST_SPAMMER = gettext_noop("Suggested user tag: Spammer")
SPAM_PHRASE = gettext_noop("spam phrase “%(phrase)s”")
LINKS = gettext_noop("three or more links")
HASHTAGS = gettext_noop("six or more hashtags")
REPEATS = gettext_noop("the author sent the same text %(count)s times")
SPAM_HISTORY = gettext_noop(
    "%(count)s of the author's earlier conversations were flagged as possible spam"
)
TAGGED_SPAMMER = gettext_noop("an agent tagged the author Spammer")
TROLL = gettext_noop("Troll / trouble maker")
TROLL_WHY = gettext_noop("an agent tagged the author so in an earlier conversation")
ATTENTION = gettext_noop("A lot of attention")
ATTENTION_WHY = gettext_noop(
    "%(likes)s likes and %(reposts)s reposts (%(threshold)s or more counts)"
)
NOT_SUPPORTED = gettext_noop("Language not supported — suggested close reason")
NOT_SUPPORTED_WHY = gettext_noop("written in %(language)s; %(account)s supports %(languages)s")
THE_ACCOUNT = gettext_noop("the account")
# --- A review's priority (TR10) ---------------------------------------------------------------
SEEN_EARLY = gettext_noop("Seen early: %(why)s")
LOW_STARS_PROBLEM = gettext_noop("1–2★ with a bug or help request")
HIGH_STARS_PROBLEM = gettext_noop("3–5★ with a bug or help request")
REVIEW_PROBLEM = gettext_noop("a %(stars)s★ review that reports a problem or asks for help")
NOTABLE_FEEDBACK = gettext_noop("notable feedback")
REVIEW_FEEDBACK = gettext_noop("a %(stars)s★ review with %(type)s at some length")
SHORT_NEGATIVE = gettext_noop("short negative review")
SHORT_NEGATIVE_WHY = gettext_noop("a short %(stars)s★ review, negative")
SHORT_NEGATIVE_STARS = gettext_noop("a short %(stars)s★ review, negative by its stars")
SHORT_POSITIVE = gettext_noop("short positive review")
SHORT_POSITIVE_WHY = gettext_noop("a short %(stars)s★ review, positive")
SHORT_POSITIVE_STARS = gettext_noop("a short %(stars)s★ review, positive by its stars")
# --- Why a KB article or a clipping is suggested (triage.topics) -----------------------------
TOPIC_MATCH = gettext_noop("about %(topic)s: the message says %(words)s")
TOPIC_MATCH_ELSEWHERE = gettext_noop("about %(topic)s: the message says %(words)s (in %(code)s)")
# --- Shown on the page only (triage.selectors) ------------------------------------------------
MOVED_TO_FORUM_WHY = gettext_noop(
    "a controversial topic and %(count)s replies from us without a solution"
)
NO_KB = gettext_noop("%(why)s; no KB article matches")

TEMPLATES = tuple(v for k, v in dict(globals()).items() if k.isupper() and isinstance(v, str))

# The classifier's values as words in a sentence ("type is support request").
VALUE_WORDS = {
    "support_request": gettext_lazy("support request"),
    "feedback": gettext_lazy("feedback"),
    "feature_request": gettext_lazy("feature request"),
    "compliment": gettext_lazy("compliment"),
    "app_roundup": gettext_lazy("app roundup"),
    "other": gettext_lazy("other"),
    "positive": gettext_lazy("positive"),
    "neutral": gettext_lazy("neutral"),
    "negative": gettext_lazy("negative"),
}
# Values that are themselves a sentence of ours, read back the same way.
_NESTED = {"why", "what", "source", "account"}
# Values that are lists: ", " between the items (a rule's conditions, a list of languages).
_LISTS = {"conditions": ", ", "languages": ", ", "cues": " and "}
_LANGUAGE_VALUES = {"language", "detected", "languages"}
_VALUE_WORDS = {"type", "side"}


def language_name(code: str) -> str:
    """ "German" for "de": volunteers read names, not ISO codes (stored in English)."""
    return LANG_INFO.get(code, {}).get("name") or {"zh": "Chinese"}.get(code, code)


def language_label(code: str) -> str:
    """A language's name in the reader's language ("Deutsch" for "de" to a German reader)."""
    try:
        return str(translation.get_language_info(code)["name_translated"])
    except KeyError:
        return language_name(code)


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[str, re.Pattern]]:
    out = []
    # Longer templates first: "mentions “x”, a paid product" before "mentions “x”".
    for template in sorted(set(TEMPLATES), key=len, reverse=True):
        parts = re.split(r"%\((\w+)\)s", template)
        regex = "".join(
            re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts)
        )
        out.append((template, re.compile(f"^{regex}$", re.DOTALL)))
    return out


@lru_cache(maxsize=1)
def _language_codes() -> dict[str, str]:
    codes = {info.get("name"): code for code, info in LANG_INFO.items() if info.get("name")}
    codes["Chinese"] = "zh"
    return codes


def _language(name: str) -> str:
    """A stored language name ("German") in the reader's language."""
    code = _language_codes().get(name)
    return name if code is None else language_label(code)


def _value(key: str, value: str, depth: int) -> str:
    if key in _LISTS:
        sep = _LISTS[key]
        items = value.split(sep)
        if key in _LANGUAGE_VALUES:
            items = [_language(v) for v in items]
        else:
            items = [_translate(v, depth + 1) for v in items]
        return (gettext(" and ") if sep == " and " else sep).join(items)
    if key in _LANGUAGE_VALUES:
        return _language(value)
    if key in _VALUE_WORDS:
        word = VALUE_WORDS.get(value.replace(" ", "_"))
        return str(word) if word is not None else value
    if key in _NESTED:
        return _translate(value, depth + 1)
    return value


def _translate(text: str, depth: int = 0) -> str:
    if not text or depth > 4:
        return text
    for template, pattern in _patterns():
        m = pattern.match(text)
        if m is None:
            continue
        values = {k: _value(k, v, depth) for k, v in m.groupdict().items()}
        return gettext(template) % values if values else gettext(template)
    if "; " in text:  # several reasons in one (a spam signal's)
        return "; ".join(_translate(part, depth + 1) for part in text.split("; "))
    return text


def translate(text: str) -> str:
    """A stored reason or label in the reader's language (as stored when nothing matches)."""
    if not isinstance(text, str):
        return text
    if translation.get_language() in (None, "en") or not translation.get_language():
        return text
    return _translate(text)
