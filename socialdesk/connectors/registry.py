"""Which connector serves which platform, and reads its messages."""

from importlib import import_module
from urllib.parse import urlsplit

from . import messages as says
from .base import Capability, Connector, ConnectorError

# platform -> "module:class", imported when first asked for (each pulls in its platform's client).
_CONNECTORS = {
    "twitter": "socialdesk.connectors.twitter:TwitterConnector",
    "google_play": "socialdesk.connectors.google_play:GooglePlayConnector",
    "mastodon": "socialdesk.connectors.mastodon:MastodonConnector",
}


def connector_class(platform: str) -> type[Connector]:
    """The connector class of a platform: what it can do is known without an account."""
    where = _CONNECTORS.get(platform)
    if where is None:
        raise ConnectorError(says.NO_CONNECTOR % {"connector": repr(platform)}, retryable=False)
    module, name = where.split(":")
    return getattr(import_module(module), name)


def connector_for(account) -> Connector:
    return connector_class(account.platform)(account)


def can(platform: str, capability: Capability) -> bool:
    """Whether the platform's connector declares the capability; False for an unknown platform."""
    return platform in _CONNECTORS and connector_class(platform).can(capability)


def renormalise(platform: str, raw: dict, *, account=None):
    """Read a message kept raw (`InboundMessage.raw`) again with its connector's normaliser: how a
    message the connector could not read is retried once it can. None: not a customer message."""
    if platform not in _CONNECTORS:
        raise ConnectorError(says.NO_CONNECTOR % {"connector": repr(platform)}, retryable=False)
    read = import_module(_CONNECTORS[platform].split(":")[0]).renormalise
    return read(raw if isinstance(raw, dict) else {}, account=account)


def dm_link(platform: str, recipient_id: str) -> str:
    """The link that opens a private message to this account on its platform; "" where the
    platform has none (the composer then offers no such button)."""
    if not recipient_id or not can(platform, Capability.DMS):
        return ""
    return connector_class(platform).dm_link(recipient_id=recipient_id)


def has_dm_link(platform: str, text: str) -> bool:
    """Whether a reply's text carries the platform's private-message link (a DM by other means:
    the engagement policy decides whether the account may)."""
    if not can(platform, Capability.DMS):
        return False
    link = urlsplit(connector_class(platform).dm_link(recipient_id="0"))
    return f"{link.netloc}{link.path}" in (text or "")


def repost_name(platform: str) -> str:
    """What the platform calls a repost ("Retweet", "Boost"); "" where there is none."""
    if not can(platform, Capability.REPOSTS):
        return ""
    return connector_class(platform).repost_name


# Platforms whose authors have followers to show. A Google Play review names its author and
# nothing more (androidpublisher v3 `Review`: `authorName` only, no profile, no audience:
# https://developers.google.com/android-publisher/api-ref/rest/v3/reviews#Review), so "0 followers"
# there would be false, not small.
_FOLLOWERS = {"twitter": True, "mastodon": True, "google_play": False}


def authors_have_followers(platform: str) -> bool:
    return _FOLLOWERS.get(platform, False)
