"""The public forms' rate limits (applying, password reset) and the client's address behind
the proxy, which those limits, the audit log and sign-in throttling all key on."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client, override_settings
from django.utils import timezone

from socialdesk.operations import throttle
from socialdesk.operations.models import Throttle
from socialdesk.people.models import Application, Profile, Role
from socialdesk.people.tests.test_applications import form


@pytest.fixture
def lena(db):
    user = get_user_model().objects.create_user("lena", email="lena@example.org", password="x")
    Profile.objects.create(user=user, role=Role.CONTRIBUTOR)
    return user


def test_a_key_is_allowed_up_to_its_limit_in_a_window_then_refused(db):
    assert [throttle.allow("k", limit=3) for _ in range(5)] == [True, True, True, False, False]
    assert throttle.allow("other", limit=3)
    assert throttle.allow("k", limit=0), "a limit of 0 turns the check off"


def test_a_new_window_starts_afresh_and_old_windows_are_pruned(db):
    for _ in range(4):
        throttle.allow("k", limit=3)
    Throttle.objects.update(window_start=timezone.now() - timedelta(days=2))
    assert throttle.allow("k", limit=3)
    assert throttle.prune() == 1
    assert Throttle.objects.count() == 1


def test_an_email_address_is_never_stored_in_a_key(db):
    throttle.allow(f"reset:{throttle.hashed('Lena@Example.org ')}", limit=3)
    assert throttle.hashed("lena@example.org") in Throttle.objects.get().key
    assert "example" not in Throttle.objects.get().key


@override_settings(SOCIALDESK_RESET_LIMIT_PER_HOUR=3, SOCIALDESK_RESET_ADDRESS_LIMIT_PER_HOUR=20)
def test_reset_links_for_one_address_stop_after_the_limit_with_a_clear_message(
    lena, django_capture_on_commit_callbacks
):
    client = Client()
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):  # the email's task, on commit
            r = client.post("/password-reset/", {"email": "lena@example.org"})
        assert r.status_code == 302
    sent = len(mail.outbox)
    assert sent == 3
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post("/password-reset/", {"email": "LENA@example.org"})
    assert r.status_code == 429
    assert "Too many requests" in r.content.decode()
    assert 'value="LENA@example.org"' in r.content.decode(), "what was typed is kept"
    assert len(mail.outbox) == sent, "no fourth email"
    # The same for an address without an account: the answer tells nothing about accounts.
    for _ in range(3):
        assert client.post("/password-reset/", {"email": "nobody@example.org"}).status_code == 302
    assert client.post("/password-reset/", {"email": "nobody@example.org"}).status_code == 429


@override_settings(SOCIALDESK_RESET_LIMIT_PER_HOUR=50, SOCIALDESK_RESET_ADDRESS_LIMIT_PER_HOUR=2)
def test_reset_requests_from_one_client_address_are_limited_too(lena):
    client = Client(REMOTE_ADDR="203.0.113.7")
    assert client.post("/password-reset/", {"email": "a@example.org"}).status_code == 302
    assert client.post("/password-reset/", {"email": "b@example.org"}).status_code == 302
    assert client.post("/password-reset/", {"email": "c@example.org"}).status_code == 429
    other = Client(REMOTE_ADDR="198.51.100.2")
    assert other.post("/password-reset/", {"email": "c@example.org"}).status_code == 302


@override_settings(SOCIALDESK_APPLY_LIMIT_PER_HOUR=2)
def test_applications_from_one_address_stop_after_the_limit_and_keep_what_was_typed(db):
    client = Client(REMOTE_ADDR="203.0.113.7")
    for n in range(2):
        r = client.post("/apply/", form(email=f"p{n}@example.org"))
        assert r.status_code == 302, r.content.decode()[:500]
    r = client.post("/apply/", form(email="p9@example.org", name="Ninth Person"))
    assert r.status_code == 429
    page = r.content.decode()
    assert "Too many requests" in page and 'value="Ninth Person"' in page
    assert Application.objects.count() == 2
    # Incomplete ones are not counted: a second address corrects its typos as often as needed.
    other = Client(REMOTE_ADDR="198.51.100.2")
    for _ in range(3):
        assert other.post("/apply/", form(email="q@example.org", privacy=None)).status_code == 400
    assert (
        Client(REMOTE_ADDR="198.51.100.2").post("/apply/", form(email="q@example.org")).status_code
        == 302
    )


@override_settings(SOCIALDESK_APPLY_LIMIT_PER_HOUR=1, SOCIALDESK_CLIENT_ADDRESS_HEADER="")
def test_without_a_proxy_setting_a_forwarded_header_is_not_believed(db):
    client = Client(REMOTE_ADDR="203.0.113.7")
    assert client.post("/apply/", form(email="a@example.org")).status_code == 302
    r = client.post("/apply/", form(email="b@example.org"), HTTP_X_FORWARDED_FOR="198.51.100.9")
    assert r.status_code == 429, "a client cannot escape the limit by writing the header"


@override_settings(
    SOCIALDESK_APPLY_LIMIT_PER_HOUR=1, SOCIALDESK_CLIENT_ADDRESS_HEADER="X-Forwarded-For"
)
def test_behind_the_proxy_each_client_is_counted_by_its_own_address(db):
    proxy = Client(REMOTE_ADDR="127.0.0.1")
    a = {"HTTP_X_FORWARDED_FOR": "203.0.113.7"}
    b = {"HTTP_X_FORWARDED_FOR": "spoofed, 198.51.100.2"}  # the proxy's value is the last one
    assert proxy.post("/apply/", form(email="a@example.org"), **a).status_code == 302
    assert proxy.post("/apply/", form(email="b@example.org"), **b).status_code == 302
    assert proxy.post("/apply/", form(email="c@example.org"), **a).status_code == 429
    # Not an address: the connection's own is kept.
    r = proxy.post("/apply/", form(email="d@example.org"), HTTP_X_FORWARDED_FOR="<script>")
    assert r.status_code == 302
    assert set(Throttle.objects.values_list("key", flat=True)) == {
        "apply:203.0.113.7",
        "apply:198.51.100.2",
        "apply:127.0.0.1",
    }


@override_settings(SOCIALDESK_CLIENT_ADDRESS_HEADER="X-Forwarded-For")
def test_the_audit_log_records_the_clients_address_behind_the_proxy(lena):
    from socialdesk.people.models import AuditEntry

    Client(REMOTE_ADDR="127.0.0.1").post(
        "/login/", {"username": "lena", "password": "x"}, HTTP_X_FORWARDED_FOR="203.0.113.7"
    )
    entry = AuditEntry.objects.order_by("-pk").first()
    assert entry is not None and entry.detail.get("ip") == "203.0.113.7"
