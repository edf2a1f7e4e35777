"""Attachments (AG6): checked by their real type and size per platform, and uploaded to X."""

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile

from socialdesk.conversations import actions
from socialdesk.conversations.errors import ActionError
from socialdesk.conversations.models import Attachment, Conversation, Message
from socialdesk.ingestion.polling import poll_all
from socialdesk.outbox.services import perform



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
        ([SimpleUploadedFile("evil.png", b"MZ\x90\x00 not an image", content_type="image/png")], "not an image or video"),
        ([SimpleUploadedFile("big.png", PNG + b"\x00" * (5 * 1024 * 1024), content_type="image/png")], "at most 5 MB"),
        ([png(f"{i}.png") for i in range(5)], "At most 4 images"),
        ([SimpleUploadedFile("a.gif", GIF), png()], "goes alone"),
    ],
)
def test_bad_attachments_get_a_clear_message_and_nothing_is_saved(contributor, conversation, files, message):
    with pytest.raises(ActionError, match=message):
        actions.reply(actor=contributor, conversation=conversation, text="see the picture", attachments=files)
    assert not Message.objects.filter(direction="out").exists()
    assert not Attachment.objects.exists()


def test_an_image_goes_out_with_the_reply(contributor, demo, twitter_sim, customer_tweet, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    customer_tweet("@FirefoxSupport where is the menu?")
    poll_all()
    c = Conversation.objects.get()
    msg = actions.reply(actor=contributor, conversation=c, text="It's here", attachments=[png()])
    assert msg.attachments.get().content_type == "image/png"
    assert perform(msg.outbound_action.pk) == "sent"
    tweet = requests.get(f"{settings.SOCIALDESK_TWITTER_API_BASE}/_sim/tweets", params={"in_reply_to": msg.in_reply_to_platform_id}, timeout=5).json()["data"][0]
    assert len(tweet["attachments"]["media_keys"]) == 1


def test_a_video_is_uploaded_in_chunks(contributor, demo, twitter_sim, customer_tweet, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    customer_tweet("@FirefoxSupport how do I do it?")
    poll_all()
    c = Conversation.objects.get()
    msg = actions.reply(actor=contributor, conversation=c, text="Like this", attachments=[SimpleUploadedFile("how.mp4", MP4, content_type="video/mp4")])
    assert perform(msg.outbound_action.pk) == "sent"
