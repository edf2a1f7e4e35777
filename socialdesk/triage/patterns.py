"""Regular expressions that people write (tag rules), on an engine whose time is linear in the text.

Python's `re` backtracks: a pattern such as `(a+)+$` takes hours on a few dozen characters, and a
tag rule runs on every new message and in every preview. RE2 never backtracks, so no pattern can
hang a worker; the price is that it refuses what needs backtracking (backreferences, lookarounds,
atomic groups). `check` turns its refusals into messages a community manager can act on, and
`compile_pattern` / `search` are the one way the rest of triage runs a person-written pattern.
"""

import re
from functools import lru_cache

import re2
from django.utils.translation import gettext, gettext_lazy

# Stated to the person writing a rule (form help and errors), so it lives beside the engine.
# No angle brackets: Django renders a field's help text as HTML.
SYNTAX_HELP = gettext_lazy(
    "Regular expression in RE2 syntax, any case. Not supported: backreferences (\\1) and lookaheads or lookbehinds (?=…). "
    "\\w and \\b know only a–z, 0–9 and _; \\p{L} is a letter in any alphabet. For whole words in any language, use Keywords."
)


class PatternError(ValueError):
    """A pattern the engine will not run, with a message that says what to write instead."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _options() -> re2.Options:
    options = re2.Options()
    options.case_sensitive = False
    # Refusals are reported to the person who wrote the pattern, not to the server's log.
    options.log_errors = False
    return options


_OPTIONS = _options()

# What RE2's refusals mean, in the words of someone writing a rule (in their language: the
# sentences are translated when the message is made, never cached). First match wins.
_EXPLAINED = [
    (
        re.compile(
            r"invalid escape sequence: \\[1-9]|invalid perl operator: \(\?P=|invalid escape sequence: \\k"
        ),
        gettext_lazy(
            "This pattern uses a backreference (%(what)s), which is not supported; rules run on an engine that never backtracks, "
            "so a pattern cannot refer back to what an earlier group matched. Spell out the alternatives instead, e.g. (crash|crashes)."
        ),
    ),
    (
        re.compile(r"invalid perl operator: \(\?<?[=!]"),
        gettext_lazy(
            "This pattern uses a lookahead or lookbehind (%(what)s), which is not supported; rules run on an engine that never backtracks. "
            "For whole words in any language use the Keywords field; a rule's conditions must all hold, so a keyword and a pattern can be combined."
        ),
    ),
    (
        re.compile(r"invalid perl operator: \(\?>|bad repetition operator: (\*|\+|\?|\})\+"),
        gettext_lazy(
            "This pattern uses an atomic group or possessive repetition (%(what)s), which is not supported (and not needed: no pattern can backtrack here). "
            "Write the group or repetition without it."
        ),
    ),
    (
        re.compile(r"invalid perl operator: \(\?\("),
        gettext_lazy(
            "This pattern uses a conditional group (%(what)s), which is not supported; write the two cases as alternatives (a|b)."
        ),
    ),
    (
        re.compile(r"invalid perl operator: \(\?#"),
        gettext_lazy(
            "This pattern uses a comment group (%(what)s), which is not supported; leave the comment out."
        ),
    ),
    (
        re.compile(r"invalid perl operator: \(\?[a-zA-Z]"),
        gettext_lazy(
            "This pattern uses an inline flag (%(what)s) that is not supported; only (?i), (?m), (?s) and (?U) are. Rules already ignore case."
        ),
    ),
    (
        re.compile(r"invalid escape sequence: \\[uUN]"),
        gettext_lazy(
            "This pattern uses a character escape (%(what)s) that is not supported; type the character itself, or write it as \\x{00e9}."
        ),
    ),
    (
        re.compile(r"invalid escape sequence: \\Z"),
        gettext_lazy(
            "This pattern uses \\Z, which is not supported; use $ (or \\z) for the end of the text."
        ),
    ),
    (
        re.compile(r"invalid escape sequence"),
        gettext_lazy(
            "This pattern uses an escape sequence (%(what)s) that is not supported; escape only punctuation, or use \\d, \\s, \\w, \\b, \\p{L}."
        ),
    ),
    (
        re.compile(r"invalid repetition size|bad repetition operator|pattern too large"),
        gettext_lazy(
            "This pattern uses a repetition that is too large or malformed (%(what)s): counts go up to 1000, also when repetitions are nested. "
            "Use + or * instead of a large count."
        ),
    ),
]
# Not a refusal of RE2's: the text itself cannot be given to it.
_NOT_TEXT = "not text"


def _explain(error: str) -> str:
    """RE2's refusal (its own words, in English) as a sentence in the reader's language."""
    if error == _NOT_TEXT:
        return gettext(
            "This pattern holds a character that is not valid text (a lone surrogate); type it again."
        )
    what = error.split(": ", 1)[1] if ": " in error else error
    for found, message in _EXPLAINED:
        if found.search(error):
            return str(message) % {"what": what}
    # The engine's own words, labelled as its.
    return gettext("This regular expression does not compile (the engine says: %(error)s).") % {
        "error": error
    }


def _ascii_boundary_beside_a_letter(pattern: str) -> str | None:
    """The letter a \\b or \\B sits beside, when that letter is outside a–z: RE2's word boundary
    knows only ASCII, so `\\bçöküyor` would silently never match where the person meant it to."""
    for m in re.finditer(r"(?<!\\)(?:\\\\)*\\[bB]", pattern):
        before = pattern[m.start() - 1] if m.start() else ""
        after = pattern[m.end()] if m.end() < len(pattern) else ""
        for ch in (before, after):
            if ch and not ch.isascii() and ch.isalpha():
                return ch
    return None


@lru_cache(maxsize=1024)
def _compile(pattern: str):
    """(compiled, None) or (None, the engine's refusal): cached both ways, since a rule runs on
    every new message. The refusal is explained when it is raised, in the reader's language."""
    try:
        return re2.compile(pattern, _OPTIONS), None
    except UnicodeEncodeError:
        return None, _NOT_TEXT
    except re2.error as exc:
        detail = exc.args[0] if exc.args else str(exc)
        detail = detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)
        return None, detail


def compile_pattern(pattern: str):
    """The compiled pattern (case-insensitive; `.search(text)` like `re`), or PatternError."""
    compiled, refusal = _compile(pattern)
    if compiled is None:
        raise PatternError(_explain(refusal))
    return compiled


def search(pattern: str, text: str):
    """`compile_pattern(pattern).search(text)`, on any text a platform may send: RE2 reads UTF-8,
    and a lone surrogate (valid in a JSON string, not in UTF-8) is read as U+FFFD instead of failing."""
    compiled = compile_pattern(pattern)
    try:
        return compiled.search(text)
    except UnicodeEncodeError:
        return compiled.search(text.encode("utf-8", "replace").decode("utf-8"))


def check(pattern: str) -> None:
    """Raise PatternError if the pattern cannot be saved: the engine refuses it, or a \\b beside a
    non-ASCII letter would quietly never match. Forms and the model's validator both call this."""
    compile_pattern(pattern)
    letter = _ascii_boundary_beside_a_letter(pattern)
    if letter:
        raise PatternError(
            gettext(
                "This pattern puts \\b beside “%(letter)s”, which the engine does not count as a word letter (its \\b knows only "
                "a–z, 0–9 and _), so it would not match whole words there. Put the word in Keywords (whole words in any "
                "language), or leave the \\b out."
            )
            % {"letter": letter}
        )
