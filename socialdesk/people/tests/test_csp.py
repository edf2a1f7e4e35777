"""PE5: a Content Security Policy without inline script. Every main page carries the header, and
no template has an inline <script>, an on…= handler or a style attribute for it to break."""

import re
from pathlib import Path

import pytest
from django.test import Client

from socialdesk.people.csp import POLICY

ROOT = Path(__file__).resolve().parents[2]
PAGES = [
    "/",
    "/settings/",
    "/notifications/",
    "/play/",
    "/approvals/",
    "/manage/agents/",
    "/manage/queues/",
    "/manage/queues/new",
    "/manage/filters/",
    "/manage/health/",
    "/manage/set-aside/",
    "/manage/accounts/",
    "/manage/applications/",
    "/manage/people/",
    "/manage/audit/",
    "/settings/password/",
    "/settings/two-factor/",
    "/settings/leave",
    "/triage/clusters/",
    "/triage/rules/",
    "/triage/kb/",
    "/reports/",
    "/reports/response-times/",
    "/reports/volumes/",
    "/reports/recognition/",
    "/reports/dashboard/",
    "/admin/",
    "/no-such-page/",
]
PUBLIC = ["/login/", "/apply/", "/password-reset/", "/left"]


def test_the_policy_allows_no_inline_script_or_style():
    directives = dict(d.split(" ", 1) for d in POLICY.split("; "))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert "unsafe" not in POLICY and directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"


@pytest.mark.django_db
def test_every_main_page_carries_the_policy(agents, conversation):
    admin = Client()
    admin.force_login(agents["admin"])
    queue = conversation.assigned_queue.slug if conversation.assigned_queue else None
    pages = [*PAGES, f"/c/{conversation.pk}/"] + ([f"/queues/{queue}/"] if queue else [])
    from socialdesk.queues.models import Queue

    pages.append(f"/queues/{Queue.objects.first().slug}/")
    for path in pages:
        r = admin.get(path)
        assert r.status_code in (200, 302, 404), (path, r.status_code)
        assert r["Content-Security-Policy"] == POLICY, path
    for path in PUBLIC:
        r = Client().get(path)
        assert r.status_code == 200 and r["Content-Security-Policy"] == POLICY, path


@pytest.mark.django_db
def test_report_only_is_a_setting(settings, client):
    from socialdesk.people.csp import ContentSecurityPolicyMiddleware

    settings.SOCIALDESK_CSP_REPORT_ONLY = True
    # The header's name is read when the middleware is made (at start-up).
    mw = ContentSecurityPolicyMiddleware(lambda request: client.get("/login/"))
    response = mw(None)
    assert response["Content-Security-Policy-Report-Only"] == POLICY


INLINE = [
    (
        re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I),
        "inline <script>",
    ),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an on…= handler"),
    (re.compile(r"\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"<style[\s>]", re.I), "a <style> element"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


def test_no_template_has_inline_script_or_style():
    found = []
    for template in sorted(ROOT.glob("*/templates/**/*.html")):
        text = template.read_text()
        for pattern, what in INLINE:
            for m in pattern.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                found.append(f"{template.relative_to(ROOT)}:{line}: {what}")
    assert not found, "\n".join(found)


def test_the_check_would_catch_one():
    assert any(p.search('<li onclick="x()">') for p, _ in INLINE)
    assert any(p.search('<p style="color:red">') for p, _ in INLINE)
    assert any(p.search("<script>alert(1)</script>") for p, _ in INLINE)
    assert not any(p.search('<script src="/static/a.js" defer></script>') for p, _ in INLINE)
