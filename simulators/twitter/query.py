"""Search query language of the simulated ``GET /2/tweets/search/recent``.

A practical subset of X's search operators, enough for the connector's search
terms (people who need support without mentioning a brand account):

* ``firefox crash`` -- space-separated terms are ANDed;
* ``firefox OR mozilla`` -- ``OR`` (upper case) between terms or groups;
  AND binds tighter than OR, as on X (``a b OR c`` is ``(a b) OR c``);
* ``(sync OR bookmarks) firefox`` -- parentheses group, and may be nested;
* ``"can't find my bookmarks"`` -- a quoted phrase is a case-insensitive
  substring match;
* a bare keyword matches case-insensitively as a whole word (``crash`` matches
  "Crash!" and "#crash" but not "crashes"), like X's tokenized keyword match;
* ``-term``, ``-"phrase"``, ``-(group)``, ``-operator:value`` negate;
* ``from:user``, ``to:user`` (the tweet replies to that user), ``@user``
  (mentions), ``#tag`` (hashtag), ``lang:xx``, ``conversation_id:id``,
  ``url:text`` (a link contains it), ``is:retweet``, ``is:reply``,
  ``is:quote``, ``is:verified`` (author verified), ``has:links``,
  ``has:mentions``, ``has:hashtags``.

Anything else of the form ``name:value`` is rejected with X's 400 error, as is
an empty query, unbalanced parentheses or a query over 512 characters.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

MAX_QUERY_LENGTH = 512

_TOKEN_RE = re.compile(r'\s*(-?\(|\)|-?"[^"]*"|[^\s()"]+)')
_OPERATORS = {"from", "to", "lang", "is", "has", "conversation_id", "url"}
_IS_VALUES = {"retweet", "reply", "quote", "verified"}
_HAS_VALUES = {"links", "mentions", "hashtags"}


class QueryError(ValueError):
    """The query is not valid; the message is X's wording."""


@dataclass(frozen=True)
class TweetView:
    """What a predicate needs to know about a tweet."""

    text: str
    author_username: str
    author_verified: bool
    lang: str
    mentions: frozenset[str]  # lower-cased usernames
    hashtags: frozenset[str]  # lower-cased tags
    urls: tuple[str, ...]
    in_reply_to_username: str | None  # lower-cased
    conversation_id: str
    ref_types: frozenset[str]


Predicate = Callable[[TweetView], bool]


def _word_pred(word: str) -> Predicate:
    pattern = re.compile(r"(?<!\w)" + re.escape(word) + r"(?!\w)", re.IGNORECASE)
    return lambda t: bool(pattern.search(t.text))


def _phrase_pred(phrase: str) -> Predicate:
    needle = phrase.lower()
    return lambda t: needle in t.text.lower()


def _operator_pred(name: str, value: str, raw: str) -> Predicate:
    v = value.lower()
    if not v:
        raise QueryError(
            f"There were errors processing your request: Empty operator value for `{raw}`"
        )
    if name == "from":
        return lambda t: t.author_username.lower() == v.lstrip("@")
    if name == "to":
        return lambda t: t.in_reply_to_username == v.lstrip("@")
    if name == "lang":
        return lambda t: t.lang.lower() == v
    if name == "conversation_id":
        return lambda t: t.conversation_id == value
    if name == "url":
        return lambda t: any(v in u.lower() for u in t.urls)
    if name == "is":
        if v not in _IS_VALUES:
            raise QueryError(
                f"There were errors processing your request: Reference to invalid operator 'is:{value}'"
            )
        if v == "retweet":
            return lambda t: "retweeted" in t.ref_types
        if v == "reply":
            return lambda t: "replied_to" in t.ref_types
        if v == "quote":
            return lambda t: "quoted" in t.ref_types
        return lambda t: t.author_verified
    if name == "has":
        if v not in _HAS_VALUES:
            raise QueryError(
                f"There were errors processing your request: Reference to invalid operator 'has:{value}'"
            )
        if v == "links":
            return lambda t: bool(t.urls)
        if v == "mentions":
            return lambda t: bool(t.mentions)
        return lambda t: bool(t.hashtags)
    raise QueryError(
        f"There were errors processing your request: Reference to invalid operator '{name}'"
    )


def _term_pred(token: str) -> Predicate:
    if token.startswith('"'):
        return _phrase_pred(token.strip('"'))
    if token.startswith("@") and len(token) > 1:
        name = token[1:].lower()
        return lambda t: name in t.mentions
    if token.startswith("#") and len(token) > 1:
        tag = token[1:].lower()
        return lambda t: tag in t.hashtags
    if ":" in token and not token.startswith(("http://", "https://")):
        name, _, value = token.partition(":")
        if name.lower() in _OPERATORS:
            return _operator_pred(name.lower(), value, token)
        raise QueryError(
            f"There were errors processing your request: Reference to invalid operator '{name}'"
        )
    return _word_pred(token)


def _tokenize(query: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    query = query.strip()
    while pos < len(query):
        m = _TOKEN_RE.match(query, pos)
        if not m or not m.group(1):
            raise QueryError("There were errors processing your request: Unbalanced quotes")
        tokens.append(m.group(1))
        pos = m.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[str]):
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def parse(self) -> Predicate:
        pred = self.or_expr()
        if self.peek() is not None:
            raise QueryError("There were errors processing your request: Unbalanced parentheses")
        return pred

    def or_expr(self) -> Predicate:
        groups = [self.and_expr()]
        while self.peek() == "OR":
            self.take()
            groups.append(self.and_expr())
        if len(groups) == 1:
            return groups[0]
        return lambda t: any(g(t) for g in groups)

    def and_expr(self) -> Predicate:
        parts: list[Predicate] = []
        while True:
            tok = self.peek()
            if tok is None or tok == ")" or tok == "OR":
                break
            parts.append(self.unary())
        if not parts:
            raise QueryError(
                "There were errors processing your request: Empty group or dangling OR"
            )
        if len(parts) == 1:
            return parts[0]
        return lambda t: all(p(t) for p in parts)

    def unary(self) -> Predicate:
        tok = self.take()
        if tok in ("(", "-("):
            inner = self.or_expr()
            if self.peek() != ")":
                raise QueryError(
                    "There were errors processing your request: Unbalanced parentheses"
                )
            self.take()
            if tok == "-(":
                return lambda t: not inner(t)
            return inner
        if tok == ")":
            raise QueryError("There were errors processing your request: Unbalanced parentheses")
        if tok.startswith("-") and len(tok) > 1:
            inner = _term_pred(tok[1:])
            return lambda t: not inner(t)
        return _term_pred(tok)


def compile_query(query: str) -> Predicate:
    """Compile ``query`` into a predicate over :class:`TweetView`; raises :class:`QueryError`."""
    if not query or not query.strip():
        raise QueryError("There were errors processing your request: The query is empty")
    if len(query) > MAX_QUERY_LENGTH:
        raise QueryError(
            f"There were errors processing your request: Query length exceeds the limit of {MAX_QUERY_LENGTH} characters"
        )
    return _Parser(_tokenize(query)).parse()
