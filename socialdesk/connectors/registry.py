"""Which connector serves which platform."""

from .base import ConnectorError


def connector_for(account):
    if account.platform == "twitter":
        from .twitter import TwitterConnector

        return TwitterConnector(account)
    raise ConnectorError(f"No connector for platform {account.platform!r} yet", retryable=False)
