"""Two-factor sign-in (PE5): required for community managers and admins, optional for the others;
a code from the app or a single-use recovery code; enforced on every page and API call."""

import time

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from socialdesk.people import two_factor

PASSWORDS = {
    "contributor": "fxhelp-volunteer-2026",
    "cm": "escalations-welcome",
    "admin": "connect-the-accounts",
}


@pytest.fixture(autouse=True)
def required(settings):
    settings.SOCIALDESK_TWO_FACTOR_ROLES = ["cm", "admin"]


def sign_in(username) -> Client:
    client = Client()
    assert (
        client.post("/login/", {"username": username, "password": PASSWORDS[username]}).status_code
        == 302
    )
    return client


def code_for(device: TOTPDevice, drift: int = 0) -> str:
    device.refresh_from_db()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift):06d}"


def test_a_community_manager_must_set_up_two_factor_before_anything_else(agents):
    cm = sign_in("cm")
    for path in ("/", "/manage/applications/", "/settings/", "/c/1/"):
        r = cm.get(path)
        assert r.status_code == 302 and r["Location"].startswith("/settings/two-factor/"), path
    assert cm.get("/api/v1/queues").status_code == 403
    page = cm.get("/settings/two-factor/")
    assert (
        page.status_code == 200
        and 'class="segno"' in page.content.decode()  # the QR code, not the header's bell
        and "Key:" in page.content.decode()
    )
    device = TOTPDevice.objects.get(user=agents["cm"], confirmed=False)
    assert (
        cm.get("/settings/two-factor/").context["secret"] == page.context["secret"]
    )  # a reload keeps the same key

    r = cm.post(
        "/settings/two-factor/",
        {"op": "confirm", "code": "000000" if code_for(device) != "000000" else "111111"},
    )
    assert r.status_code == 400 and "does not match" in r.content.decode()
    time.sleep(1.1)
    r = cm.post("/settings/two-factor/", {"op": "confirm", "code": code_for(device)})
    assert r.status_code == 200 and len(r.context["codes"]) == 10
    assert cm.get("/manage/applications/").status_code == 200

    # Next time: password, then the code.
    again = sign_in("cm")
    r = again.get("/manage/applications/")
    assert r.status_code == 302 and r["Location"] == "/login/code?next=%2Fmanage%2Fapplications%2F"
    r = again.post("/login/code", {"code": "12", "next": "/manage/applications/"})
    assert r.status_code == 400
    time.sleep(1.1)  # a wrong code makes the next try wait a second (then 2, 4…)
    r = again.post(
        "/login/code", {"code": code_for(device, drift=1), "next": "/manage/applications/"}
    )
    assert r.status_code == 302 and r["Location"] == "/manage/applications/"
    assert again.get("/manage/applications/").status_code == 200


def test_a_recovery_code_works_once(agents):
    cm = sign_in("cm")
    cm.get("/settings/two-factor/")
    device = TOTPDevice.objects.get(user=agents["cm"])
    codes = cm.post("/settings/two-factor/", {"op": "confirm", "code": code_for(device)}).context[
        "codes"
    ]
    first = sign_in("cm")
    assert first.post("/login/code", {"code": codes[0]}).status_code == 302
    assert first.get("/").status_code == 200
    second = sign_in("cm")
    assert second.post("/login/code", {"code": codes[0]}).status_code == 400
    assert second.get("/").status_code == 302


def test_a_contributor_may_turn_it_on_and_off_a_cm_may_not_turn_it_off(agents):
    contributor = sign_in("contributor")
    assert contributor.get("/").status_code == 200  # not required for contributors
    contributor.get("/settings/two-factor/")
    device = TOTPDevice.objects.get(user=agents["contributor"])
    contributor.post("/settings/two-factor/", {"op": "confirm", "code": code_for(device)})
    assert sign_in("contributor").get("/").status_code == 302  # now asked for a code
    contributor.post("/settings/two-factor/", {"op": "off"})
    assert not two_factor.is_on(agents["contributor"])
    assert sign_in("contributor").get("/").status_code == 200

    cm = sign_in("cm")
    cm.get("/settings/two-factor/")
    cm.post(
        "/settings/two-factor/",
        {"op": "confirm", "code": code_for(TOTPDevice.objects.get(user=agents["cm"]))},
    )
    r = cm.post("/settings/two-factor/", {"op": "off"}, follow=True)
    assert "cannot be turned off" in r.content.decode() and two_factor.is_on(agents["cm"])


def test_guessing_codes_is_slowed_down(agents):
    cm = sign_in("cm")
    cm.get("/settings/two-factor/")
    device = TOTPDevice.objects.get(user=agents["cm"])
    cm.post("/settings/two-factor/", {"op": "confirm", "code": code_for(device)})
    other = sign_in("cm")
    wrong = "000000" if code_for(device) != "000000" else "111111"
    other.post("/login/code", {"code": wrong})
    # Right after a wrong code, even the right one waits (django-otp's throttling).
    r = other.post("/login/code", {"code": code_for(device)})
    assert r.status_code == 400 and "too many tries" in r.content.decode()
