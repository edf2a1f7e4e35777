"""Each platform's rules for a reply's text (AG12), checked on the server before anything is queued."""

from twitter_text import parse_tweet

from .errors import ActionError

TWITTER_LIMIT = 280


def weighted_length(platform: str, text: str) -> int:
    if platform == "twitter":
        return parse_tweet(text).weightedLength
    return len(text)


def limit_for(platform: str) -> int | None:
    return {"twitter": TWITTER_LIMIT, "google_play": 350, "mastodon": 500}.get(platform)


def check_reply_text(platform: str, text: str) -> None:
    if not text.strip():
        raise ActionError("Write a reply first: it is empty.", field="text")
    limit = limit_for(platform)
    if limit is not None:
        length = weighted_length(platform, text)
        if length > limit:
            raise ActionError(
                f"The reply is {length} characters with your signature; {limit} is the limit here. Shorten it by {length - limit}.",
                field="text",
            )
