"""Sessions (PE5): idle ones end after SOCIALDESK_IDLE_SECONDS, whatever their absolute age; a
person with two-factor sign-in gives a code before anything else, and the roles that require it
set it up first."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

LAST_ACTIVE = "last_active"
# The page's own timers: they keep a lease or a presence alive, but they are not the agent at work.
BACKGROUND_ROUTES = {"presence", "play_renew", "outbox_fragment"}


class IdleSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        now = int(time.time())
        last = request.session.get(LAST_ACTIVE)
        idle = settings.SOCIALDESK_IDLE_SECONDS
        if isinstance(last, int) and idle > 0 and now - last > idle:
            logout(request)
            minutes = max(1, round(idle / 60))
            messages.info(
                request,
                _(
                    "You were signed out after %(minutes)s minutes without activity. Sign in again to go on."
                )
                % {"minutes": minutes},
            )
            return None
        match = getattr(request, "resolver_match", None)
        if match is None or match.url_name not in BACKGROUND_ROUTES:
            # Saved at most once a minute, so a busy agent does not write the session on every click.
            if not isinstance(last, int) or now - last >= min(60, idle // 4):
                request.session[LAST_ACTIVE] = now
        return None

    def __call__(self, request):
        return self.get_response(request)


# What someone signed in but not yet past the second factor may still reach.
class PersonMiddleware:
    """Reads the signed-in person's profile once, first thing, in one statement with whether they
    have a second factor: the language, the time zone, the role checks and the page's header
    all ask for the profile, and `TwoFactorMiddleware` asks on every request of a session not
    yet verified whether the person has a device (a statement per kind of device). Both answers
    are read afresh on each request, never kept between requests."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            read_profile(user)
        return self.get_response(request)


def read_profile(user) -> None:
    """Reads `user.profile` with the second-factor flags (`two_factor.profile_with_second_factor`)
    and keeps it on `user` as Django's own `user.profile` would; a user without a profile is left
    alone (reading `user.profile` still raises `Profile.DoesNotExist`)."""
    from django.contrib.auth import get_user_model

    from .two_factor import profile_with_second_factor

    profile = profile_with_second_factor(user)
    if profile is not None:
        get_user_model().profile.related.set_cached_value(user, profile)


SECOND_FACTOR_ROUTES = {"two_factor_verify", "two_factor_setup", "logout", "left"}


class TwoFactorMiddleware:
    """Policy on the server: no page, fragment or session-authenticated API call is served to a
    person who has two-factor sign-in (or whose role requires it) until they gave a code in this
    session. Runs after django-otp's OTPMiddleware, which tells whether the session is verified."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        from .models import role_of
        from .two_factor import has_device

        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.is_verified():
            return None
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name in SECOND_FACTOR_ROUTES:
            return None
        if has_device(user):
            target, why = (
                "two_factor_verify",
                _("Give the code from your authenticator app to go on."),
            )
        elif role_of(user) in settings.SOCIALDESK_TWO_FACTOR_ROLES:
            target, why = (
                "two_factor_setup",
                _("Your role needs two-factor sign-in: set it up to go on."),
            )
        else:
            return None
        if request.path.startswith("/api/"):
            # The API's one error shape (api.api.error_response), without importing the API.
            return JsonResponse(
                {"status": 403, "code": "second_factor_needed", "detail": why}, status=403
            )
        url = reverse(target)
        if request.method == "GET" and not request.headers.get("HX-Request"):
            url += "?" + urlencode({"next": request.get_full_path()})
        return redirect(url)
