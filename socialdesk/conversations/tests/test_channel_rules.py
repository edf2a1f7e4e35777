"""Per-platform text rules: the mention a Mastodon reply needs for the customer to be notified."""

import pytest

from socialdesk.conversations.channel_rules import (
    address_reply,
    reply_mention,
    without_leading_mention,
)


@pytest.mark.parametrize(
    "text, sent",
    [
        ("Try a new profile.", "@alex Try a new profile."),
        ("@alex try a new profile.", "@alex try a new profile."),
        ("Hi @ALEX, try a new profile.", "Hi @ALEX, try a new profile."),
        (
            "@alexandra try a new profile.",
            "@alex @alexandra try a new profile.",
        ),  # another account
        (
            "mail alex@alex.example",
            "@alex mail alex@alex.example",
        ),  # an e-mail address is no mention
    ],
)
def test_a_mastodon_reply_mentions_the_customer_once(text, sent):
    assert address_reply("mastodon", text, "alex") == sent


def test_a_remote_account_is_mentioned_with_its_instance():
    assert (
        address_reply("mastodon", "Thanks!", "kim@fosstodon.example")
        == "@kim@fosstodon.example Thanks!"
    )
    assert (
        address_reply("mastodon", "@kim Thanks!", "kim@fosstodon.example")
        == "@kim@fosstodon.example @kim Thanks!"
    )


@pytest.mark.parametrize("platform", ["twitter", "google_play"])
def test_other_platforms_reply_as_written(platform):
    assert reply_mention(platform, "alex") == ""
    assert address_reply(platform, "Try a new profile.", "alex") == "Try a new profile."


@pytest.mark.parametrize(
    "text, bare",
    [
        ("@alex Thanks for the love!", "Thanks for the love!"),
        ("@ALEX   Thanks for the love!", "Thanks for the love!"),
        (
            "@alexandra Thanks for the love!",
            "@alexandra Thanks for the love!",
        ),  # another account stays
        ("Thanks @alex!", "Thanks @alex!"),  # only a mention in front is the one we add
    ],
)
def test_the_leading_mention_is_set_aside_when_comparing_with_a_clipping(text, bare):
    assert without_leading_mention("mastodon", text, "alex") == bare
    assert without_leading_mention("twitter", text, "alex") == text
