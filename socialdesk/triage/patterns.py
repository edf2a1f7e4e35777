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

# Stated to the person writing a rule (form help and errors), so it lives beside the engine.
# No angle brackets: Django renders a field's help text as HTML.
SYNTAX_HELP = (
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

# What RE2's refusals mean, in the words of someone writing a rule. First match wins.
_EXPLAINED = [
    (
        re.compile(
            r"invalid escape sequence: \\[1-9]|invalid perl operator: \(\?P=|invalid escape sequence: \\k"
        ),
        "a backreference ({what}), which is not supported; rules run on an engine that never backtracks, "
        "so a pattern cannot refer back to what an earlier group matched. Spell out the alternatives instead, e.g. (crash|crashes)",
    ),
    (
        re.compile(r"invalid perl operator: \(\?<?[=!]"),
        "a lookahead or lookbehind ({what}), which is not supported; rules run on an engine that never backtracks. "
        "For whole words in any language use the Keywords field; a rule's conditions must all hold, so a keyword and a pattern can be combined",
    ),
    (
        re.compile(r"invalid perl operator: \(\?>|bad repetition operator: (\*|\+|\?|\})\+"),
        "an atomic group or possessive repetition ({what}), which is not supported (and not needed: no pattern can backtrack here). "
        "Write the group or repetition without it",
    ),
    (
        re.compile(r"invalid perl operator: \(\?\("),
        "a conditional group ({what}), which is not supported; write the two cases as alternatives (a|b)",
    ),
    (
        re.compile(r"invalid perl operator: \(\?#"),
        "a comment group ({what}), which is not supported; leave the comment out",
    ),
    (
        re.compile(r"invalid perl operator: \(\?[a-zA-Z]"),
        "an inline flag ({what}) that is not supported; only (?i), (?m), (?s) and (?U) are. Rules already ignore case",
    ),
    (
        re.compile(r"invalid escape sequence: \\[uUN]"),
        "a character escape ({what}) that is not supported; type the character itself, or write it as \\x{{00e9}}",
    ),
    (
        re.compile(r"invalid escape sequence: \\Z"),
        "\\Z, which is not supported; use $ (or \\z) for the end of the text",
    ),
    (
        re.compile(r"invalid escape sequence"),
        "an escape sequence ({what}) that is not supported; escape only punctuation, or use \\d, \\s, \\w, \\b, \\p{{L}}",
    ),
    (
        re.compile(r"invalid repetition size|bad repetition operator|pattern too large"),
        "a repetition that is too large or malformed ({what}): counts go up to 1000, also when repetitions are nested. "
        "Use + or * instead of a large count",
    ),
]


def _explain(error: str) -> str:
    what = error.split(": ", 1)[1] if ": " in error else error
    for found, message in _EXPLAINED:
        if found.search(error):
            return "This pattern uses " + message.format(what=what) + "."
    return f"This regular expression does not compile: {error}."


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
    """(compiled, None) or (None, message): cached both ways, since a rule runs on every new message."""
    try:
        return re2.compile(pattern, _OPTIONS), None
    except UnicodeEncodeError:
        return (
            None,
            "This pattern holds a character that is not valid text (a lone surrogate); type it again.",
        )
    except re2.error as exc:
        detail = exc.args[0] if exc.args else str(exc)
        detail = detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)
        return None, _explain(detail)


def compile_pattern(pattern: str):
    """The compiled pattern (case-insensitive; `.search(text)` like `re`), or PatternError."""
    compiled, message = _compile(pattern)
    if compiled is None:
        raise PatternError(message)
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
            f"This pattern puts \\b beside “{letter}”, which the engine does not count as a word letter (its \\b knows only "
            "a–z, 0–9 and _), so it would not match whole words there. Put the word in Keywords (whole words in any "
            "language), or leave the \\b out."
        )
