"""Time zones (PE6): each person sees every time, and types every time, in their own zone.

The zone is an IANA name (Europe/Berlin) kept on the profile. Until a person has one, the zone
their browser reports (a cookie set by people/time-zone.js) is taken on their first page and kept;
they can change it in personal settings. Times are stored in UTC as ever: Django converts them
for display and reads form input in the zone activated for the request (TimeZoneMiddleware)."""

import functools
import zoneinfo

from django.utils import timezone
from django.utils.translation import gettext as _

from socialdesk.errors import ActionError

# The cookie people/time-zone.js sets with the browser's zone (Intl.DateTimeFormat).
BROWSER_COOKIE = "browser_tz"


@functools.cache
def zone_names() -> tuple[str, ...]:
    """The IANA zones people can choose, sorted (the legacy aliases such as "US/Pacific" too,
    since browsers may report them)."""
    return tuple(sorted(zoneinfo.available_timezones()))


def is_zone(name) -> bool:
    return isinstance(name, str) and name in _zone_set()


@functools.cache
def _zone_set() -> frozenset[str]:
    return frozenset(zone_names())


def zone_of(user) -> str:
    """The person's zone, or "" when they have none (yet)."""
    if not getattr(user, "is_authenticated", False):
        return ""
    from .models import Profile

    try:
        return user.profile.time_zone
    except Profile.DoesNotExist:
        return ""


def set_zone(*, user, name: str) -> None:
    from . import audit
    from .models import Profile

    if not is_zone(name):
        raise ActionError(
            _("Choose a time zone from the list (such as Europe/Berlin)."), field="time_zone"
        )
    before = zone_of(user)
    Profile.objects.filter(user=user).update(time_zone=name)
    if hasattr(user, "profile"):
        user.profile.time_zone = name
    if before != name:
        audit.record("time_zone_changed", actor=user, **{"from": before, "to": name})


class TimeZoneMiddleware:
    """Activates the person's zone for the request (rendering, and reading forms' dates): theirs,
    else their browser's (kept as theirs on a first visit), else UTC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = self.zone_for(request)
        if name:
            timezone.activate(zoneinfo.ZoneInfo(name))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    @staticmethod
    def zone_for(request) -> str:
        user = getattr(request, "user", None)
        mine = zone_of(user)
        if mine:
            return mine
        browser = request.COOKIES.get(BROWSER_COOKIE, "")
        if not is_zone(browser):
            return ""
        if getattr(user, "is_authenticated", False):
            from .models import Profile

            # First visit: the browser's zone becomes theirs (changed in settings if wrong).
            if Profile.objects.filter(user=user, time_zone="").update(time_zone=browser):
                user.profile.time_zone = browser
        return browser
