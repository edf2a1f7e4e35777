"""Which connector serves which platform, and reads its messages."""

from .base import ConnectorError


def connector_for(account):
    if account.platform == "twitter":
        from .twitter import TwitterConnector

        return TwitterConnector(account)
    if account.platform == "google_play":
        from .google_play import GooglePlayConnector

        return GooglePlayConnector(account)
    if account.platform == "mastodon":
        from .mastodon import MastodonConnector

        return MastodonConnector(account)
    raise ConnectorError(f"No connector for platform {account.platform!r} yet", retryable=False)


def renormalise(platform: str, raw: dict, *, account=None):
    """Read a message kept raw (`InboundMessage.raw`) again with its connector's normaliser: how a
    message the connector could not read is retried once it can. None: not a customer message."""
    if platform == "twitter":
        from .twitter import renormalise as read
    elif platform == "google_play":
        from .google_play import renormalise as read
    elif platform == "mastodon":
        from .mastodon import renormalise as read
    else:
        raise ConnectorError(f"No connector for platform {platform!r} yet", retryable=False)
    return read(raw if isinstance(raw, dict) else {}, account=account)


# Platforms whose authors have followers to show. A Google Play review names its author and
# nothing more (androidpublisher v3 `Review`: `authorName` only, no profile, no audience:
# https://developers.google.com/android-publisher/api-ref/rest/v3/reviews#Review), so "0 followers"
# there would be false, not small.
_FOLLOWERS = {"twitter": True, "mastodon": True, "google_play": False}


def authors_have_followers(platform: str) -> bool:
    return _FOLLOWERS.get(platform, False)
