"""The conversation page names the conversation's platform and offers what its connector can do:
X's retweet and DM link, Mastodon's boost and no DM link, nothing to repost on Google Play."""

import pytest

from socialdesk.brands.models import BrandAccount
from socialdesk.connectors.tests.test_mastodon import toot
from socialdesk.conversations.models import Conversation
from socialdesk.ingestion.tests.worker import poll_all


@pytest.fixture
def cm(agents):
    return agents["cm"]


def _page(client, user, conversation) -> str:
    client.force_login(user)
    response = client.get(f"/c/{conversation.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_x_offers_a_retweet_and_its_dm_link_from_the_connector(client, cm, conversation):
    account = conversation.respond_from
    BrandAccount.objects.filter(pk=account.pk).update(can_dm=True, external_id="777")
    Conversation.objects.filter(pk=conversation.pk).update(retweet_recommended=True)
    page = _page(client, cm, conversation)
    assert "Recommend a retweet from" in page
    assert "Retweet from @FirefoxSupport" in page
    assert 'data-link="https://twitter.com/messages/compose?recipient_id=777"' in page


def test_without_can_dm_there_is_no_dm_button(client, cm, conversation):
    page = _page(client, cm, conversation)
    assert 'id="dm-button"' not in page


def test_mastodon_says_boost_and_has_no_dm_link(client, cm, demo, mastodon_sim):
    toot(mastodon_sim, "@firefox_support my tabs are gone", username="loud")
    poll_all()
    conversation = Conversation.objects.get(platform="mastodon")
    # Even an account allowed to DM: Mastodon has no link that opens a private message.
    BrandAccount.objects.filter(pk=conversation.respond_from_id).update(can_dm=True)
    Conversation.objects.filter(pk=conversation.pk).update(retweet_recommended=True)
    page = _page(client, cm, conversation)
    assert "Recommend a boost from" in page
    assert "Boost from @firefox_support" in page
    assert "retweet" not in page.lower().replace("recommend_retweet", "").replace(
        "retweet_decision", ""
    ).replace("/retweet", "")
    assert 'id="dm-button"' not in page and "twitter.com/messages" not in page


def test_google_play_offers_nothing_to_repost(client, cm, demo, play_sim, customer_review):
    customer_review("Crashes on start since the update")
    poll_all()
    conversation = Conversation.objects.get(platform="google_play")
    page = _page(client, cm, conversation)
    assert 'name="recommend_retweet"' not in page
    assert "Recommend a" not in page
