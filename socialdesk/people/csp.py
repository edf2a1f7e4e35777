"""A Content Security Policy on every response (PE5): scripts and styles only from the desk's own
static files, no inline script, no inline style, no plug-ins, no framing. Customer text is escaped by the templates anyway; this is the second lock, so that a
mistake in escaping cannot run anyone's script in an agent's session.

Django 5.2 has no CSP of its own (6.0 will); the policy is one fixed header, so this is a few
lines rather than a dependency. SOCIALDESK_CSP_REPORT_ONLY=true sends it as
Content-Security-Policy-Report-Only instead (to try a change on a live desk first)."""

from django.conf import settings

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        # The favicon is a data: URL; charts are inline SVG in the page.
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        # No form-action: Chromium applies it to the redirects after a form's POST, and
        # "Connect" posts to the desk, which sends the browser on to the platform's sign-in page.
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.header = (
            "Content-Security-Policy-Report-Only"
            if getattr(settings, "SOCIALDESK_CSP_REPORT_ONLY", False)
            else "Content-Security-Policy"
        )

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault(self.header, POLICY)
        return response
