"""Each platform's rules for a reply's text (AG12), checked on the server before anything is queued."""

import re

from django.utils.translation import gettext, gettext_lazy
from twitter_text import parse_tweet

from socialdesk.errors import ActionError

TWITTER_LIMIT = 280


def weighted_length(platform: str, text: str) -> int:
    if platform == "twitter":
        return parse_tweet(text).weightedLength
    return len(text)


def limit_for(platform: str) -> int | None:
    return {"twitter": TWITTER_LIMIT, "google_play": 350, "mastodon": 500}.get(platform)


def reply_mention(platform: str, handle: str) -> str:
    """What a reply must start with for the customer to be told of it, or "".

    Mastodon notifies only the accounts a status mentions (a reply without the @ reaches nobody's
    notifications), so its apps start every reply with the @acct of the person answered. X
    threads a reply by its in_reply_to id; Google Play's reply sits under the review.
    """
    if platform == "mastodon" and handle:
        return "@" + handle.lstrip("@")
    return ""


# Who sees a reply on Mastodon, when it is not everyone: the reply keeps the visibility of the
# status it answers (the connector posts it so), and the agent should know before writing.
_AUDIENCE = {
    "direct": (
        "Private reply",
        "The customer wrote a private (direct) message: this reply is private too, "
        "seen only by the accounts it mentions.",
    ),
    "private": (
        "Followers-only reply",
        "The customer wrote to their followers only: this reply is followers-only too, "
        "seen by our followers and the accounts it mentions.",
    ),
    "unlisted": (
        "Unlisted reply",
        "The customer's status is unlisted: this reply is unlisted too "
        "(public, but kept out of public timelines).",
    ),
}


def reply_audience(platform: str, metadata: dict | None) -> tuple[str, str]:
    """(label, sentence): what the composer says about who will see the reply; ("", "") when it
    is everyone, or not known here (the connector still looks it up before posting)."""
    if (
        platform != "mastodon"
        or not isinstance(metadata, dict)
        or not metadata.get("visibility")
        or metadata["visibility"] == "public"
    ):
        return "", ""
    # A visibility we do not know is answered as the narrowest (see connectors.mastodon).
    return _AUDIENCE.get(metadata["visibility"], _AUDIENCE["direct"])


def _mention_pattern(mention: str) -> re.Pattern:
    # The @acct on its own: not part of a longer handle or of an e-mail address.
    return re.compile(rf"(?<![\w@]){re.escape(mention)}(?![\w@])", re.IGNORECASE)


def address_reply(platform: str, text: str, handle: str) -> str:
    """The reply with the customer's mention in front, unless the agent already wrote it."""
    mention = reply_mention(platform, handle)
    if not mention or _mention_pattern(mention).search(text):
        return text
    return f"{mention} {text}"


def without_leading_mention(platform: str, text: str, handle: str) -> str:
    """The reply as the agent wrote it, without the customer's mention in front (if any)."""
    mention = reply_mention(platform, handle)
    if mention and _mention_pattern(mention).match(text):
        return text[len(mention) :].strip()
    return text


# Google Play shows a developer reply as plain text, and its API strips HTML tags from it ("HTML
# tags will be stripped", https://developers.google.com/android-publisher/api-ref/rest/v3/reviews/reply):
# "<b>Please</b>" would read "Please" at best, and "Tap <Menu>" would lose the word. Markdown is
# not rendered either, its asterisks and brackets would show. Such a reply is refused, not
# stripped: only the agent can tell a tag from a placeholder like "<your e-mail>", or **bold**
# from asterisks meant as such, and the reviewer must read what the agent wrote and saw counted.
# (pattern, what it is): the patterns are also run by the composer (composer.js), so they keep to
# the syntax Python's `re` and JavaScript's RegExp share.
PLAIN_TEXT_RULES = {
    "google_play": [
        (r"<[A-Za-z/!][^<>]*>", gettext_lazy("an HTML tag")),
        (
            r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});",
            gettext_lazy("an HTML entity"),
        ),
        (r"\*\*[^*\n]+\*\*|__[^_\n]+__", gettext_lazy("Markdown bold")),
        (r"~~[^~\n]+~~", gettext_lazy("Markdown strikethrough")),
        (r"\[[^\]\n]+\]\([^()\s]+\)", gettext_lazy("a Markdown link")),
        (r"`[^`\n]+`", gettext_lazy("Markdown code")),
        (r"(?:^|\n)#{1,6} [^\n]*", gettext_lazy("a Markdown heading")),
    ],
}


def markup_in(platform: str, text: str) -> str | None:
    """The first markup a plain-text platform would not show as written, described; or None."""
    for pattern, what in PLAIN_TEXT_RULES.get(platform, ()):
        found = re.search(pattern, text)
        if found:
            return f"{what} (“{found.group(0).strip()[:40]}”)"
    return None


def check_reply_text(platform: str, text: str) -> None:
    if not text.strip():
        raise ActionError(gettext("Write a reply first: it is empty."), field="text")
    markup = markup_in(platform, text)
    if markup:
        raise ActionError(
            gettext(
                "Google Play shows replies as plain text: remove %(markup)s from the reply or your signature and write it as plain words (Google strips HTML tags, and Markdown would show as typed)."
            )
            % {"markup": markup},
            field="text",
        )
    limit = limit_for(platform)
    if limit is not None:
        length = weighted_length(platform, text)
        if length > limit:
            raise ActionError(
                gettext(
                    "The reply is %(length)s characters with your signature; %(limit)s is the limit here. Shorten it by %(over)s."
                )
                % {"length": length, "limit": limit, "over": length - limit},
                field="text",
            )


MB = 1024 * 1024
# What each platform accepts with a reply: content type -> largest size, and how many at once.
# Platforms not listed take text only here (Google Play by design; Mastodon until its connector
# uploads media).
ATTACHMENT_RULES = {
    "twitter": {
        "types": {
            "image/jpeg": 5 * MB,
            "image/png": 5 * MB,
            "image/webp": 5 * MB,
            "image/gif": 15 * MB,
            "video/mp4": 512 * MB,
        },
        "max_images": 4,
        "max_videos": 1,  # a GIF or a video goes alone
    },
}


def sniff_type(head: bytes) -> str | None:
    """The file's real type from its first bytes; the name and the browser's word are not trusted."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        return "video/mp4"
    return None


# The extension a stored file gets, from its detected type: never the name the browser sent.
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "video/mp4": "mp4",
}
# What an image may measure. X takes up to 8192 px a side; the pixel count is the guard against
# a small file that decompresses into gigabytes (a "decompression bomb"), checked from the header
# before anything is decoded.
MAX_IMAGE_SIDE = 8192
MAX_IMAGE_PIXELS = 40_000_000


def display_name(name: str) -> str:
    """The uploaded file's name made safe to show and to offer as a download name: no folders,
    no control or invisible formatting characters (CR/LF, right-to-left override), no leading dot."""
    import unicodedata

    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        " " if unicodedata.category(ch).startswith("Z") else ch
        for ch in name
        if not unicodedata.category(ch).startswith("C")
    )
    name = " ".join(name.split()).strip(". ")
    return name[:100] or "attachment"


def download_name(name: str, content_type: str) -> str:
    """A download name whose extension says what the file really is (`x.html` that is a PNG → `x.png`)."""
    from pathlib import PurePath

    stem = PurePath(display_name(name)).stem.strip(". ") or "attachment"
    return f"{stem}.{EXTENSIONS.get(content_type, 'bin')}"


def _check_image(f, ctype: str) -> None:
    """Pillow reads the header only: a file that is not a readable image of the type its first
    bytes claim, or that would be too large once decoded, is refused before it is stored."""
    import warnings

    from PIL import Image, UnidentifiedImageError

    shown = display_name(f.name)
    formats = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/webp": "WEBP"}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(f, formats=[formats[ctype]]) as img:
                width, height = img.size
            f.seek(0)
            with Image.open(f, formats=[formats[ctype]]) as img:
                img.verify()  # the structure and checksums, without decoding the pixels
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ActionError(
            gettext("“%(shown)s” has too many pixels to be a safe image.") % {"shown": shown},
            field="attachments",
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise ActionError(
            gettext("“%(shown)s” is not a readable %(formats)s image.")
            % {"shown": shown, "formats": formats[ctype]},
            field="attachments",
        ) from None
    finally:
        f.seek(0)
    if width > MAX_IMAGE_SIDE or height > MAX_IMAGE_SIDE or width * height > MAX_IMAGE_PIXELS:
        raise ActionError(
            gettext(
                "“%(shown)s” is %(width)s×%(height)s pixels; at most %(MAX_IMAGE_SIDE)s a side and %(millions)s million in all."
            )
            % {
                "shown": shown,
                "width": width,
                "height": height,
                "MAX_IMAGE_SIDE": MAX_IMAGE_SIDE,
                "millions": MAX_IMAGE_PIXELS // 1_000_000,
            },
            field="attachments",
        )


def check_attachments(platform: str, files) -> list[tuple[object, str]]:
    """Return (file, content type) for each upload, or raise a clear error."""
    if not files:
        return []
    rules = ATTACHMENT_RULES.get(platform)
    if rules is None:
        raise ActionError(
            gettext("Replies on this platform are text only: remove the attachment."),
            field="attachments",
        )
    checked = []
    for f in files:
        head = f.read(16)
        f.seek(0)
        ctype = sniff_type(head)
        if ctype is None or ctype not in rules["types"]:
            allowed = ", ".join(sorted(t.split("/")[1].upper() for t in rules["types"]))
            raise ActionError(
                gettext(
                    "“%(display_name)s” is not an image or video this platform takes (%(allowed)s)."
                )
                % {"display_name": display_name(f.name), "allowed": allowed},
                field="attachments",
            )
        if f.size > rules["types"][ctype]:
            raise ActionError(
                gettext(
                    "“%(display_name)s” is %(size)s MB; %(ctype)s may be at most %(limit)s MB here."
                )
                % {
                    "display_name": display_name(f.name),
                    "size": format(f.size / MB, ".1f"),
                    "ctype": ctype,
                    "limit": rules["types"][ctype] // MB,
                },
                field="attachments",
            )
        if ctype.startswith("image/"):
            _check_image(f, ctype)
        checked.append((f, ctype))
    videos = sum(1 for _, t in checked if t in ("video/mp4", "image/gif"))
    if videos > rules["max_videos"] or (videos and len(checked) > 1):
        raise ActionError(
            gettext("A GIF or a video goes alone: attach just that one."), field="attachments"
        )
    if len(checked) > rules["max_images"]:
        raise ActionError(
            gettext("At most %(rules)s images per reply.") % {"rules": rules["max_images"]},
            field="attachments",
        )
    return checked
