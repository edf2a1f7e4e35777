"""How long each text an agent writes may be: one table for the action layer, the forms and the API.

A reply's real limit is the platform's (`channel_rules.limit_for`, X's weighted count); the
`reply` entry here is a cap on the raw text, checked before the platform's count is worked out,
so a megabyte pasted into the composer or sent to the API is refused at once instead of costing
seconds of counting. It is generous: a URL counts 23 on X whatever its length.
"""

import re

from django.utils.translation import gettext as _

from socialdesk.errors import ActionError

TEXT_LIMITS = {
    "reply": 5000,
    "note": 5000,  # internal notes, and the notes that come with assign, escalate, return and retweet
    "reminder_note": 500,
    "tag": 100,  # a tag's name or slug (Tag.name)
    "clipping": 2000,
    "signature": 40,  # Signature.text; it counts against the platform's limit
    "cluster_reason": 2000,
    "filter_name": 100,  # SavedFilter.name
}


# NUL (PostgreSQL cannot store it) and lone UTF-16 surrogates (they cannot be encoded at all;
# JSON can still spell one as "\ud800").
UNSAFE = re.compile("[\x00\ud800-\udfff]")


def unsafe_character(text: str) -> str | None:
    """A character no text may carry, or None."""
    found = UNSAFE.search(text)
    return found.group() if found else None


def check_text(text: str, *, kind: str, field: str = "text", label: str = "The text") -> str:
    """`text` if it fits `TEXT_LIMITS[kind]` and carries no unstorable character; a clear error otherwise."""
    limit = TEXT_LIMITS[kind]
    if len(text) > limit:
        raise ActionError(
            _("%(label)s is %(length)s characters; %(limit)s is the limit. Shorten it.")
            % {"label": label, "length": format(len(text), ","), "limit": format(limit, ",")},
            field=field,
        )
    if unsafe_character(text) is not None:
        raise ActionError(
            _(
                "%(label)s contains a character that cannot be stored (a NUL or a broken Unicode surrogate): remove it."
            )
            % {"label": label},
            field=field,
        )
    return text
