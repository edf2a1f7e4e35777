"""Small filters for the people pages."""

from django import template
from django.utils.translation import ngettext

register = template.Library()


@register.filter
def minutes(delta) -> str:
    """A timedelta as "15 minutes" / "1 minute"."""
    try:
        n = max(1, round(delta.total_seconds() / 60))
    except AttributeError:
        return ""
    return ngettext("%(count)d minute", "%(count)d minutes", n) % {"count": n}


@register.filter
def audit_details(entry) -> list[tuple[str, str]]:
    """An audit entry's detail as (label, value) pairs, in the reader's language."""
    from socialdesk.people.audit import details

    return details(entry)


@register.simple_tag
def two_factor_on(user) -> bool:
    from socialdesk.people.two_factor import is_on

    return bool(getattr(user, "is_authenticated", False)) and is_on(user)


@register.filter
def get_item(mapping, key):
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""


@register.simple_tag
def time_zone_names() -> tuple[str, ...]:
    from socialdesk.people.time_zones import zone_names

    return zone_names()


@register.simple_tag
def notification_choices(user) -> list[tuple[str, str, bool]]:
    """(kind, label, emailed) for each kind of notification the person can get."""
    from socialdesk.people.notifications import email_kinds, kinds_for

    emailed = email_kinds(user)
    return [(k.value, k.label, k.value in emailed) for k in kinds_for(user)]
