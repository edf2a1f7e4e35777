"""Languages (PE6): each person sees the desk in the language they chose, else their browser's.

Django's LocaleMiddleware picks the language of a request from the language cookie, else the
browser's Accept-Language (anonymous visitors choose one on the sign-in page through Django's
`set_language`). Once someone is signed in, LanguageMiddleware puts the language kept on their
profile in its place; they choose it in personal settings."""

from contextlib import contextmanager
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone, translation

from socialdesk.errors import ActionError

from .time_zones import is_zone, zone_of


def language_codes() -> tuple[str, ...]:
    return tuple(code for code, _name in settings.LANGUAGES)


def language_of(user) -> str:
    """The person's chosen language, or "" when they follow their browser."""
    if not getattr(user, "is_authenticated", False):
        return ""
    from .models import Profile

    try:
        return user.profile.language
    except Profile.DoesNotExist:
        return ""


@contextmanager
def writing_to(language: str, *, zone: str = ""):
    """Text written for someone other than whoever is acting (an email to an applicant, to the
    person an admin removed, to an invited colleague) is in *their* language, else the desk's
    default, and its times in their zone when it is known: never in the language or zone of the
    request that happens to send it."""
    code = language if language in language_codes() else settings.LANGUAGE_CODE
    with translation.override(code):
        if is_zone(zone):
            with timezone.override(ZoneInfo(zone)):
                yield
        else:
            yield


def writing_to_user(user):
    """`writing_to` the language and zone on this person's profile."""
    return writing_to(language_of(user), zone=zone_of(user))


def set_language(*, user, code: str) -> None:
    """Keep `code` as the person's language ("" for the browser's)."""
    from . import audit
    from .models import Profile

    if code and code not in language_codes():
        raise ActionError(
            translation.gettext("Choose a language from the list."), field="language"
        )
    before = language_of(user)
    Profile.objects.filter(user=user).update(language=code)
    if hasattr(user, "profile"):
        user.profile.language = code
    if before != code:
        audit.record("language_changed", actor=user, **{"from": before, "to": code})


class LanguageMiddleware:
    """After authentication: activates the signed-in person's own language for the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        code = language_of(getattr(request, "user", None))
        if code and code in language_codes():
            translation.activate(code)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
