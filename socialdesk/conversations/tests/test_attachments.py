"""Attachments (AG6): checked by their real type and size per platform, and uploaded to X."""

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile

from socialdesk.actions import conversation as actions
from socialdesk.actions.delivery import perform
from socialdesk.conversations.models import Attachment, Conversation, Message
from socialdesk.errors import ActionError
from socialdesk.ingestion.tests.worker import poll_all


def image_bytes(fmt: str, size=(4, 3)) -> bytes:
    """A real, tiny image made by Pillow: attachments are opened and measured before they are accepted."""
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(out, format=fmt)
    return out.getvalue()


PNG = image_bytes("PNG")
GIF = image_bytes("GIF")
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64


def png(name="shot.png", data=PNG):
    return SimpleUploadedFile(name, data, content_type="image/png")


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            [SimpleUploadedFile("evil.png", b"MZ\x90\x00 not an image", content_type="image/png")],
            "not an image or video",
        ),
        (
            [
                SimpleUploadedFile(
                    "big.png", PNG + b"\x00" * (5 * 1024 * 1024), content_type="image/png"
                )
            ],
            "at most 5 MB",
        ),
        ([png(f"{i}.png") for i in range(5)], "At most 4 images"),
        ([SimpleUploadedFile("a.gif", GIF), png()], "goes alone"),
    ],
)
def test_bad_attachments_get_a_clear_message_and_nothing_is_saved(
    contributor, conversation, files, message
):
    with pytest.raises(ActionError, match=message):
        actions.reply(
            actor=contributor, conversation=conversation, text="see the picture", attachments=files
        )
    assert not Message.objects.filter(direction="out").exists()
    assert not Attachment.objects.exists()


def test_an_image_goes_out_with_the_reply(
    contributor, demo, twitter_sim, customer_tweet, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    customer_tweet("@FirefoxSupport where is the menu?")
    poll_all()
    c = Conversation.objects.get()
    msg = actions.reply(actor=contributor, conversation=c, text="It's here", attachments=[png()])
    assert msg.attachments.get().content_type == "image/png"
    assert perform(msg.outbound_action.pk) == "sent"
    tweet = requests.get(
        f"{settings.SOCIALDESK_TWITTER_API_BASE}/_sim/tweets",
        params={"in_reply_to": msg.in_reply_to_platform_id},
        timeout=5,
    ).json()["data"][0]
    assert len(tweet["attachments"]["media_keys"]) == 1


def test_a_video_is_uploaded_in_chunks(
    contributor, demo, twitter_sim, customer_tweet, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    customer_tweet("@FirefoxSupport how do I do it?")
    poll_all()
    c = Conversation.objects.get()
    msg = actions.reply(
        actor=contributor,
        conversation=c,
        text="Like this",
        attachments=[SimpleUploadedFile("how.mp4", MP4, content_type="video/mp4")],
    )
    assert perform(msg.outbound_action.pk) == "sent"


def _png_header(width: int, height: int) -> bytes:
    """A PNG that claims `width`×`height`: the header alone, as a decompression bomb starts."""
    import struct
    import zlib

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_png_header(9000, 10), "9000×10 pixels"),  # wider than X takes
        (_png_header(8000, 8000), "8000×8000 pixels"),  # 64 million pixels from a few bytes
        (_png_header(100_000, 100_000), "too many pixels"),  # Pillow's own bomb guard
        (
            b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
            "not a readable PNG",
        ),  # the right first bytes, nothing after
        (image_bytes("JPEG")[:40], "not a readable JPEG"),  # cut short
    ],
    ids=["too wide", "too many pixels", "decompression bomb", "not an image", "truncated"],
)
def test_images_are_measured_before_they_are_accepted(contributor, conversation, data, message):
    with pytest.raises(ActionError, match=message):
        actions.reply(
            actor=contributor,
            conversation=conversation,
            text="see the picture",
            attachments=[png(data=data)],
        )
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    ("name", "shown", "download"),
    [
        ("x.html", "x.html", "x.png"),
        ("../../etc/passwd", "passwd", "passwd.png"),
        ("C:\\Users\\me\\evil.exe", "evil.exe", "evil.png"),
        ("a\r\nSet-Cookie: x=1.png", "aSet-Cookie: x=1.png", "aSet-Cookie: x=1.png"),
        ("invoice\u202egnp.exe", "invoicegnp.exe", "invoicegnp.png"),
        (" .htaccess", "htaccess", "htaccess.png"),
        ("\u200b\u2066\u2069", "attachment", "attachment.png"),
    ],
)
def test_an_upload_is_stored_under_a_generated_name_and_served_as_a_download(
    client, contributor, conversation, settings, tmp_path, name, shown, download
):
    settings.MEDIA_ROOT = tmp_path
    msg = actions.reply(
        actor=contributor,
        conversation=conversation,
        text="see the picture",
        attachments=[png(name)],
    )
    a = msg.attachments.get()
    stored = a.file.name.rsplit("/", 1)[-1]
    assert (
        stored.endswith(".png") and len(stored) == 36 and name not in a.file.name
    )  # uuid hex + ".png"
    assert a.file.path.startswith(str(tmp_path))
    assert a.original_name == shown

    client.force_login(contributor)
    r = client.get(f"/attachments/{a.pk}")
    assert r.status_code == 200
    assert r["Content-Type"] == "image/png"
    assert r["X-Content-Type-Options"] == "nosniff"
    disposition = r["Content-Disposition"]
    assert (
        disposition.startswith("attachment;")
        and "\r" not in disposition
        and "\n" not in disposition
    )
    assert download in disposition or download.replace(" ", "%20") in disposition


def test_attachments_of_a_conversation_one_may_not_see_are_not_found(
    client, agents, inbound, settings, tmp_path
):
    from socialdesk.actions.inbound import ingest

    settings.MEDIA_ROOT = tmp_path
    ingest([inbound("look at this", mention="Firefox")])
    c = Conversation.objects.get()
    msg = actions.reply(
        actor=agents["moderator"], conversation=c, text="Here", attachments=[png()]
    )
    client.force_login(agents["contributor"])
    assert client.get(f"/attachments/{msg.attachments.get().pk}").status_code == 404
    client.force_login(agents["moderator"])
    assert client.get(f"/attachments/{msg.attachments.get().pk}").status_code == 200


# On S3-compatible storage (SOCIALDESK_STORAGE=s3), against the S3 simulator (conftest.s3_storage).


def test_in_a_bucket_an_upload_is_an_object_and_its_download_a_signed_link(
    client, contributor, conversation, s3_storage, settings, tmp_path
):
    s3, bucket, _ = s3_storage
    settings.MEDIA_ROOT = tmp_path  # nothing may land here
    msg = actions.reply(
        actor=contributor,
        conversation=conversation,
        text="see",
        attachments=[png("the crash.png")],
    )
    a = msg.attachments.get()
    head = s3.head_object(Bucket=bucket, Key=a.file.name)
    assert head["ContentType"] == "image/png" and head["ContentLength"] == len(PNG)
    assert not any(tmp_path.iterdir())

    client.force_login(contributor)
    r = client.get(f"/attachments/{a.pk}")
    assert r.status_code == 302 and r["Cache-Control"] == "private, no-store"
    link = r["Location"]
    assert link.startswith(settings.STORAGES["default"]["OPTIONS"]["endpoint_url"])
    assert "X-Amz-Signature=" in link and "X-Amz-Expires=300" in link
    # What the browser then gets from the bucket: the bytes, as a download of the detected type.
    got = requests.get(link, timeout=5)
    assert got.status_code == 200 and got.content == PNG
    assert got.headers["Content-Type"] == "image/png"
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert got.headers["Content-Disposition"] == 'attachment; filename="the crash.png"'


def test_in_an_unsigned_bucket_the_desk_streams_the_download_itself(
    client, contributor, conversation, s3_storage, settings
):
    options = {**settings.STORAGES["default"]["OPTIONS"], "querystring_auth": False}
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": options},
    }
    msg = actions.reply(
        actor=contributor, conversation=conversation, text="see", attachments=[png()]
    )
    client.force_login(contributor)
    r = client.get(f"/attachments/{msg.attachments.get().pk}")
    assert r.status_code == 200 and b"".join(r.streaming_content) == PNG
    assert r["Content-Type"] == "image/png" and r["X-Content-Type-Options"] == "nosniff"


def test_an_image_in_a_bucket_goes_out_with_the_reply(
    contributor, demo, twitter_sim, customer_tweet, s3_storage, settings
):
    customer_tweet("@FirefoxSupport where is the menu?")
    poll_all()
    c = Conversation.objects.get()
    msg = actions.reply(actor=contributor, conversation=c, text="It's here", attachments=[png()])
    assert perform(msg.outbound_action.pk) == "sent"
    tweet = requests.get(
        f"{settings.SOCIALDESK_TWITTER_API_BASE}/_sim/tweets",
        params={"in_reply_to": msg.in_reply_to_platform_id},
        timeout=5,
    ).json()["data"][0]
    assert len(tweet["attachments"]["media_keys"]) == 1


def test_a_missing_object_is_not_found_not_an_error(
    client, contributor, conversation, s3_storage, settings
):
    s3, bucket, _ = s3_storage
    options = {**settings.STORAGES["default"]["OPTIONS"], "querystring_auth": False}
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": options},
    }
    msg = actions.reply(
        actor=contributor, conversation=conversation, text="see", attachments=[png()]
    )
    a = msg.attachments.get()
    s3.delete_object(Bucket=bucket, Key=a.file.name)
    client.force_login(contributor)
    assert client.get(f"/attachments/{a.pk}").status_code == 404
