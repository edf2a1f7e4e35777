"""What happens to a request that arrives after the agent's session ended.

Django's `login_required` answers every signed-out request with a redirect to the sign-in page,
`next` pointing back at the URL asked for. For two kinds of request that loses work:

- a form POST (a reply typed before the session ended): after signing in, `next` would be the
  POST-only URL, which answers a GET with 405; we send the agent back to the page the form was
  on instead, where the browser still has the draft (composer.js keeps it);
- an htmx request (the lease heartbeat, presence, delivery state): htmx would swap the whole
  sign-in page into a fragment of the page; the agent gets a notice instead, on the page they are
  working on, with a link to sign in again.
"""

from urllib.parse import parse_qs, urlencode, urlsplit

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect, resolve_url
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def _page_they_were_on(request) -> str:
    """The page the request came from, if it is one of ours; else home."""
    for candidate in (request.headers.get("HX-Current-URL"), request.headers.get("Referer")):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            parts = urlsplit(candidate)
            return parts.path + (f"?{parts.query}" if parts.query else "")
    return reverse("home")


class SessionEndedMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code != 302
            or getattr(request, "user", None) is None
            or request.user.is_authenticated
        ):
            return response
        login = resolve_url(settings.LOGIN_URL)
        location = urlsplit(response.get("Location", ""))
        # Only `login_required`'s redirect (it names the page asked for); not signing out's.
        if location.path != login or "next" not in parse_qs(location.query):
            return response
        sign_in = f"{login}?{urlencode({'next': _page_they_were_on(request)})}"
        if request.headers.get("HX-Request"):
            notice = HttpResponse(
                render_to_string("web/_session_ended.html", {"sign_in": sign_in}, request=request)
            )
            # htmx 2 response headers: put the notice in the page's notice area, whatever the
            # fragment's own target was.
            notice["HX-Retarget"] = "#session-notice"
            notice["HX-Reswap"] = "innerHTML"
            return notice
        if request.method != "GET":
            return redirect(sign_in)
        return response


def csrf_failure(request, reason=""):
    """A form refused because its CSRF token no longer matches (the session ended or changed in
    another tab): say what happened and lead back to the page, where the draft is kept."""
    from django.shortcuts import render

    return render(
        request, "web/form_expired.html", {"back": _page_they_were_on(request)}, status=403
    )
