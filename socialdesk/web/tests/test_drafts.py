"""A reply is never lost: not to a session that ended, a reload, nor a validation error (issue:
"An expired session loses the reply"). And the agent's signatures: several, one per reply."""

import pytest

from socialdesk.conversations.models import Conversation, Message
from socialdesk.people.models import Signature

from .test_browser import browser, desk, page, sign_in  # noqa: F401 - shared fixtures


def test_a_post_after_the_session_ended_signs_in_back_to_the_page_it_came_from(
    client, conversation
):
    r = client.post(
        f"/c/{conversation.pk}/reply",
        {"text": "hello", "then": "none"},
        HTTP_REFERER=f"http://testserver/c/{conversation.pk}/",
    )
    assert r.status_code == 302 and r["Location"] == f"/login/?next=%2Fc%2F{conversation.pk}%2F"
    # Not back to the POST-only URL, which answers a GET with 405.
    assert "reply" not in r["Location"]
    # A Referer from elsewhere is not followed: home instead.
    r = client.post(
        f"/c/{conversation.pk}/reply", {"text": "hello"}, HTTP_REFERER="https://evil.example/c/1/"
    )
    assert r["Location"] == "/login/?next=%2F"
    assert not Message.objects.filter(direction="out").exists()


def test_a_get_after_the_session_ended_still_comes_back_to_itself(client, conversation):
    r = client.get(f"/c/{conversation.pk}/")
    assert r.status_code == 302 and r["Location"] == f"/login/?next=/c/{conversation.pk}/"


def test_the_heartbeat_after_the_session_ended_shows_a_notice_instead_of_the_sign_in_page(
    client, conversation
):
    r = client.post(
        "/play/renew",
        {"conversation": conversation.pk},
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=f"http://testserver/c/{conversation.pk}/",
    )
    assert r.status_code == 200 and r["HX-Retarget"] == "#session-notice"
    body = r.content.decode()
    assert "Your session has ended" in body and f"/login/?next=%2Fc%2F{conversation.pk}%2F" in body
    assert "<form" not in body  # not the sign-in page swapped into a fragment


def test_a_reply_refused_comes_back_on_the_conversations_url_with_its_text_and_reason(
    client, contributor, conversation
):
    client.force_login(contributor)
    r = client.post(
        f"/c/{conversation.pk}/reply",
        {"text": "Try a new profile, Lena", "then": "close", "close_reason": ""},
    )
    assert r.status_code == 302 and r["Location"] == f"/c/{conversation.pk}/"
    page = client.get(r["Location"]).content.decode()
    assert "Try a new profile, Lena</textarea>" in page
    assert "Choose one of the closing reasons" in page
    assert 'id="close-ask" hidden' not in page  # the reasons are open, where the agent chooses one
    # Shown once: a reload is the plain page again.
    assert "Choose one of the closing reasons" not in client.get(r["Location"]).content.decode()
    assert not Message.objects.filter(direction="out").exists()


def test_a_reply_accepted_tells_the_browser_to_forget_its_draft(client, contributor, conversation):
    client.force_login(contributor)
    r = client.post(f"/c/{conversation.pk}/reply", {"text": "Hello there", "then": "none"})
    assert r.status_code == 302
    page = client.get(r["Location"]).content.decode()
    assert f'data-sent-drafts="{conversation.pk}"' in page
    assert 'data-sent-drafts=""' in client.get(r["Location"]).content.decode()  # told once


def test_an_agent_keeps_several_signatures_and_one_is_the_default(
    client, contributor, conversation
):
    client.force_login(contributor)
    Signature.objects.filter(user=contributor).delete()
    client.post("/settings/", {"op": "add", "signature": "^RK"})
    client.post("/settings/", {"op": "add", "signature": "— Rosa, Firefox Support"})
    mine = {s.text: s for s in Signature.objects.filter(user=contributor)}
    assert (
        mine["^RK"].is_default and not mine["— Rosa, Firefox Support"].is_default
    )  # the first is the default
    client.post("/settings/", {"op": "default", "id": mine["— Rosa, Firefox Support"].pk})
    assert (
        Signature.objects.get(user=contributor, is_default=True).text == "— Rosa, Firefox Support"
    )
    r = client.post("/settings/", {"op": "add", "signature": "x" * 41})
    assert r.status_code == 400 and "at most 40" in r.content.decode()
    # Another agent's signature cannot be chosen or removed.
    other = Signature.objects.create(
        user=contributor.__class__.objects.get(username="moderator"), text="^MO"
    )
    r = client.post("/settings/", {"op": "remove", "id": other.pk}, follow=True)
    assert (
        "not one of yours" in r.content.decode() and Signature.objects.filter(pk=other.pk).exists()
    )
    for bad in (
        {"op": "remove", "id": "abc"},
        {"op": "default", "id": "9" * 20},
        {"op": "nonsense"},
    ):
        assert client.post("/settings/", bad).status_code in (302, 400)
    # Removing the default makes the next one the default.
    client.post("/settings/", {"op": "remove", "id": mine["— Rosa, Firefox Support"].pk})
    assert Signature.objects.get(user=contributor, is_default=True).text == "^RK"


@pytest.mark.browser
def test_a_reply_typed_before_the_session_ended_is_there_after_signing_in_again(desk, page):  # noqa: F811
    from conftest import make_inbound
    from socialdesk.actions.inbound import ingest

    ingest([make_inbound("my bookmarks are gone", handle="lena_k")])
    c = Conversation.objects.latest("pk")
    sign_in(page, desk)
    page.goto(f"{desk}/c/{c.pk}/")
    text = "Hi Lena, you can restore them from a backup: Bookmarks > Manage > Import and Backup."
    page.fill("#composer textarea[name=text]", text)
    page.context.clear_cookies(name="sessionid")  # the session ends (it expired)
    page.click("#composer button[name=then][value=none]")
    page.wait_for_url(f"{desk}/login/?next=%2Fc%2F{c.pk}%2F")
    page.fill("input[name=username]", "contributor")
    page.fill("input[name=password]", "fxhelp-volunteer-2026")
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{desk}/c/{c.pk}/")
    assert page.locator("#composer textarea[name=text]").input_value() == text
    assert page.locator(".draft-restored").is_visible()
    assert not Message.objects.filter(direction="out").exists()
    # A reload keeps it too; once sent, it is forgotten.
    page.reload()
    assert page.locator("#composer textarea[name=text]").input_value() == text
    page.click("#composer button[name=then][value=none]")
    page.wait_for_selector(".flash.success")
    page.goto(f"{desk}/c/{c.pk}/")
    assert page.locator("#composer textarea[name=text]").input_value().strip() == ""


def test_a_form_whose_session_changed_says_so_and_leads_back(client, contributor, conversation):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(contributor)
    r = strict.post(
        f"/c/{conversation.pk}/reply",
        {"text": "hello"},
        HTTP_REFERER=f"http://testserver/c/{conversation.pk}/",
    )
    assert r.status_code == 403
    body = r.content.decode()
    assert "The form expired" in body and f'href="/c/{conversation.pk}/"' in body


def test_a_reply_is_signed_with_the_signature_chosen_for_it(
    client, contributor, conversation, inbound
):
    from socialdesk.actions.inbound import ingest

    Signature.objects.filter(user=contributor).delete()
    client.force_login(contributor)
    client.post("/settings/", {"op": "add", "signature": "^RK"})
    client.post("/settings/", {"op": "add", "signature": "— Rosa"})
    formal = Signature.objects.get(text="— Rosa")
    page = client.get(f"/c/{conversation.pk}/").content.decode()
    assert f'<option value="{formal.pk}" data-text="— Rosa">' in page and "No signature" in page
    client.post(
        f"/c/{conversation.pk}/reply",
        {"text": "Hello", "then": "none", "signature": str(formal.pk)},
    )
    assert conversation.messages.get(direction="out").text == "Hello — Rosa"
    # Unsigned, then the default one when none is chosen (the API and older pages send none).
    for text, signature, expected in (("Second", "none", "Second"), ("Third", "", "Third ^RK")):
        ingest(
            [
                inbound(
                    f"and another thing {text}",
                    author_id=conversation.author.external_id,
                    handle=conversation.author.handle,
                    thread_id=conversation.thread_key.split(":")[0],
                )
            ]
        )
        client.post(
            f"/c/{conversation.pk}/reply",
            {"text": text, "then": "none", "signature": signature, "confirm": "on"},
        )
        assert (
            conversation.messages.filter(direction="out").order_by("-pk").first().text == expected
        )
    # Another agent's signature is refused, and nothing goes out.
    theirs = Signature.objects.create(
        user=contributor.__class__.objects.get(username="moderator"), text="^MO"
    )
    before = conversation.messages.filter(direction="out").count()
    client.post(
        f"/c/{conversation.pk}/reply",
        {"text": "Fourth", "then": "none", "signature": str(theirs.pk), "confirm": "on"},
    )
    assert conversation.messages.filter(direction="out").count() == before
    assert "not one of yours" in client.get(f"/c/{conversation.pk}/").content.decode()


def test_signing_out_lands_on_the_plain_sign_in_page(client, contributor):
    client.force_login(contributor)
    r = client.post("/logout/", HTTP_REFERER="http://testserver/c/1/")
    assert r.status_code == 302 and r["Location"] == "/login/"
