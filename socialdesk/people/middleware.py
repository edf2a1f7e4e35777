"""Idle sessions end (PE5): a session with no request of the agent's own for
SOCIALDESK_IDLE_SECONDS is signed out, whatever its absolute age."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout

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
            messages.info(request, f"You were signed out after {minutes} minutes without activity. Sign in again to go on.")
            return None
        match = getattr(request, "resolver_match", None)
        if match is None or match.url_name not in BACKGROUND_ROUTES:
            # Saved at most once a minute, so a busy agent does not write the session on every click.
            if not isinstance(last, int) or now - last >= min(60, idle // 4):
                request.session[LAST_ACTIVE] = now
        return None

    def __call__(self, request):
        return self.get_response(request)
