"""Which connector serves which platform."""

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
