"""PO1: choose the account that answers a conversation, from the routing table as data."""

from collections.abc import Iterable

from .models import BrandAccount, RoutingRule


def routing_rules(*, platforms: Iterable[str]) -> list[RoutingRule]:
    """The rules in the order they are tried; load once per batch and pass to `respond_from_for`."""
    return list(
        RoutingRule.objects.filter(platform__in=list(platforms)).select_related("respond_from")
    )


def respond_from_for(
    *, platform: str, mentioned: Iterable[BrandAccount], rules: list[RoutingRule] | None = None
) -> BrandAccount | None:
    mentioned = list(mentioned)
    mentioned_ids = {a.id for a in mentioned}
    if rules is None:
        rules = routing_rules(platforms=[platform])
    for rule in rules:
        if rule.platform != platform:
            continue
        if rule.mentioned_id is None and not mentioned_ids:
            return rule.respond_from
        if rule.mentioned_id in mentioned_ids:
            return rule.respond_from
    # No rule: the general policy is to answer from the account that was mentioned.
    return min(mentioned, key=lambda a: a.id, default=None)
