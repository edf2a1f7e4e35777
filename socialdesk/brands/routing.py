"""PO1: choose the account that answers a conversation, from the routing table as data."""

from collections.abc import Iterable

from .models import BrandAccount, RoutingRule


def respond_from_for(*, platform: str, mentioned: Iterable[BrandAccount]) -> BrandAccount | None:
    mentioned_ids = {a.id for a in mentioned}
    for rule in RoutingRule.objects.filter(platform=platform).select_related("respond_from"):
        if rule.mentioned_id is None and not mentioned_ids:
            return rule.respond_from
        if rule.mentioned_id in mentioned_ids:
            return rule.respond_from
    # No rule: the general policy is to answer from the account that was mentioned.
    return next(iter(sorted(mentioned, key=lambda a: a.id)), None)
