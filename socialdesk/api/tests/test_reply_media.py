"""AP1: a reply with images through the API (multipart/form-data), under the same rules as the
conversation page's composer: the files' real types and sizes, the platform's counts."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from socialdesk.conversations.models import Attachment, Message
from socialdesk.conversations.tests.test_attachments import GIF, PNG
from socialdesk.outbox.models import OutboundAction
from socialdesk.people.models import ApiToken


def poster(client, user):
    token = ApiToken.issue(user, "test")[1]

    def call(conversation, data, **extra):
        return client.post(
            f"/api/v1/conversations/{conversation.pk}/reply-with-media",
            data,
            HTTP_AUTHORIZATION=f"Bearer {token}",
            **extra,
        )

    return call


@pytest.fixture
def post(client, contributor):
    return poster(client, contributor)


def test_a_reply_with_two_images_is_stored_with_them_and_queued_once(
    post, conversation, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    r = post(
        conversation,
        {
            "text": "Here is where the menu is",
            "then": "close",
            "close_reason": "resolved",
            "attachments": [
                SimpleUploadedFile("menu.png", PNG, content_type="image/png"),
                SimpleUploadedFile("step2.png", PNG, content_type="image/png"),
            ],
        },
    )
    assert r.status_code == 201, r.content
    message = Message.objects.get(pk=r.json()["message_id"])
    assert sorted(a.content_type for a in message.attachments.all()) == ["image/png"] * 2
    action = OutboundAction.objects.get()
    assert action.pk == r.json()["action_id"] and action.text.startswith("Here is where the menu")
    conversation.refresh_from_db()
    assert conversation.status == "closed"


@pytest.mark.parametrize(
    ("files", "phrase"),
    [
        ([SimpleUploadedFile("evil.png", b"MZ\x90\x00 not an image")], "not an image or video"),
        ([SimpleUploadedFile(f"{i}.png", PNG) for i in range(5)], "At most 4 images"),
        ([SimpleUploadedFile("a.gif", GIF), SimpleUploadedFile("b.png", PNG)], "goes alone"),
    ],
)
def test_refused_files_are_a_clear_json_error_and_nothing_is_saved(
    post, conversation, settings, tmp_path, files, phrase
):
    settings.MEDIA_ROOT = tmp_path
    r = post(conversation, {"text": "see the picture", "attachments": files})
    assert r.status_code == 400
    assert phrase in r.json()["detail"]
    assert not Message.objects.filter(direction="out").exists()
    assert not Attachment.objects.exists() and not OutboundAction.objects.exists()


def test_a_form_without_files_or_text_or_sent_as_json_gets_the_one_error_shape(post, conversation):
    for data, extra in (
        ({"text": "no files"}, {}),
        ({"attachments": [SimpleUploadedFile("a.png", PNG)]}, {}),
        ('{"text": "json"}', {"content_type": "application/json"}),
    ):
        r = post(conversation, data, **extra)
        assert r.status_code in (400, 422), r.content
        assert "detail" in r.json()
    assert not Message.objects.filter(direction="out").exists()


def test_a_google_play_review_takes_text_only(client, agents, conversation, settings, tmp_path):
    from socialdesk.brands.models import BrandAccount
    from tests import factories

    settings.MEDIA_ROOT = tmp_path
    account = BrandAccount.objects.filter(platform="google_play").first()
    review = factories.conversation(account, text="Crashes on start")
    post = poster(client, agents["cm"])
    r = post(review, {"text": "Sorry!", "attachments": [SimpleUploadedFile("a.png", PNG)]})
    assert r.status_code == 400, r.content
    assert "text only" in r.json()["detail"]
    assert "detail" in r.json()
    assert not Attachment.objects.exists()


BAD_FIELDS = ["", "x" * 100_000, "\x00", "-1", "NaN", "99999999999999999999999", "[]", "{}"]


def test_no_form_field_gets_a_500(client, contributor, conversation, settings, tmp_path):
    """Whatever each form field holds, the answer is an error in the one shape (or a reply),
    never a server error; a file part where a field goes and a field where a file goes too."""
    from django.test import Client

    settings.MEDIA_ROOT = tmp_path
    post = poster(Client(raise_request_exception=False), contributor)
    fields = {"text": "Try this", "then": "none", "signature_id": "", "signed": "true"}
    failures = []
    for name in [*fields, "hold_reason", "close_reason"]:
        for bad in BAD_FIELDS:
            data = {**fields, name: bad, "attachments": [SimpleUploadedFile("a.png", PNG)]}
            r = post(conversation, data)
            if r.status_code >= 500 or "detail" not in r.json() and r.status_code != 201:
                failures.append((name, bad[:20], r.status_code))
    for data in (
        {**fields, "attachments": "not a file"},
        {**fields, "text": SimpleUploadedFile("t.txt", b"text as a file")},
        {**fields, "attachments": [SimpleUploadedFile("empty.png", b"")]},
    ):
        r = post(conversation, data)
        if r.status_code >= 500:
            failures.append((str(data)[:40], r.status_code))
    assert not failures
