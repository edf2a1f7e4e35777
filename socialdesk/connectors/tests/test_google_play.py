"""The Google Play connector drives google-api-python-client over HTTP against the simulator."""

import pytest
import requests

from socialdesk.actions import conversation as actions
from socialdesk.actions.delivery import perform
from socialdesk.brands.models import BrandAccount
from socialdesk.connectors.base import ConnectorError, OutcomeUnknown
from socialdesk.connectors.google_play import GooglePlayConnector
from socialdesk.conversations.models import Conversation, Message
from socialdesk.errors import ActionError
from socialdesk.ingestion.models import PollState
from socialdesk.ingestion.tests.worker import poll_all
from socialdesk.outbox.models import OutboundAction
from socialdesk.queues.models import Queue
from socialdesk.queues.selectors import queue_conversations


def listing():
    return BrandAccount.objects.get(platform="google_play")


def sim_get(sim, path, **params):
    return requests.get(f"{sim.base_url}{path}", params=params, timeout=5).json()


def test_reviews_become_one_conversation_each_with_rating_device_and_version(
    demo, play_sim, customer_review
):
    customer_review(
        "Keeps crashing every time I open a new tab.",
        stars=1,
        device="oriole",
        android_os_version=34,
        app_version_name="126.0",
    )
    customer_review("Stürzt ständig ab.", stars=2, author_name="Jonas Becker", language="de")
    customer_review("Best browser on Android!", stars=5, author_name="Sam")
    assert poll_all().stored == 3
    assert poll_all().stored == 0
    assert Conversation.objects.filter(platform="google_play").count() == 3
    c = Conversation.objects.get(messages__text="Keeps crashing every time I open a new tab.")
    assert (c.rating, c.app_version, c.device, c.android_version, c.language) == (
        1,
        "126.0",
        "oriole",
        "14",
        "en",
    )
    assert str(c.account) == str(c.respond_from) == "Firefox for Android"
    assert not c.moderated  # reviews wait for a moderator
    assert c.messages.get().metadata["rating"] == 1
    assert PollState.objects.get(account=listing(), stream="reviews").last_error == ""


def test_an_edited_review_adds_a_message_to_the_same_conversation(demo, play_sim, customer_review):
    review = customer_review("Videos stop playing after a few seconds.", stars=2)
    poll_all()
    requests.post(
        f"{play_sim.base_url}/_sim/reviews/{review['review_id']}/edit",
        json={
            "text": "Videos stop playing. Update: still broken after the update.",
            "star_rating": 1,
        },
        timeout=5,
    ).raise_for_status()
    assert poll_all().stored == 1
    assert poll_all().stored == 0
    c = Conversation.objects.get()
    assert [m.text for m in c.messages.all()] == [
        "Videos stop playing after a few seconds.",
        "Videos stop playing. Update: still broken after the update.",
    ]
    assert c.rating == 1


def test_a_developer_reply_already_on_the_review_is_shown_once(demo, play_sim, customer_review):
    review = customer_review("Where did my bookmarks go?", stars=1)
    requests.post(
        f"{play_sim.base_url}/_sim/reviews/{review['review_id']}/console_reply",
        json={"text": "Hi, please see https://mzl.la/bookmarks"},
        timeout=5,
    ).raise_for_status()
    poll_all()
    c = Conversation.objects.get()
    existing = c.messages.get(direction="out")
    assert existing.metadata == {"existing": True}
    assert existing.text == "Hi, please see https://mzl.la/bookmarks"
    assert not c.awaiting_reply  # answered in the Play Console already
    requests.post(
        f"{play_sim.base_url}/_sim/reviews/{review['review_id']}/edit",
        json={"star_rating": 2},
        timeout=5,
    )
    poll_all()
    c.refresh_from_db()
    assert c.messages.filter(direction="out").count() == 1
    assert c.awaiting_reply  # the customer wrote again


def test_a_reply_reaches_google_play_once_and_is_not_read_back_as_new(
    demo, play_sim, customer_review, contributor
):
    review = customer_review("Sync doesn't work.", stars=1)
    poll_all()
    c = Conversation.objects.get()
    Conversation.objects.filter(pk=c.pk).update(moderated=True)
    actions.reply(
        actor=contributor, conversation=c, text="Hi, sign out and in again under Settings > Sync."
    )
    action = OutboundAction.objects.get()
    assert perform(action.pk) == "sent"
    replies = sim_get(play_sim, "/_sim/replies", review_id=review["review_id"])["data"]
    assert [r["text"] for r in replies] == [action.text]
    action.refresh_from_db()
    assert action.result_platform_id.startswith(review["review_id"] + ":reply:")
    poll_all()
    assert c.messages.filter(direction="out").count() == 1


def test_the_350_character_limit_is_refused_with_a_clear_message(
    demo, play_sim, customer_review, contributor
):
    customer_review("Slow and laggy.", stars=1)
    poll_all()
    Conversation.objects.update(moderated=True)  # reviews reach contributors once moderated
    c = Conversation.objects.get()
    with pytest.raises(ActionError, match="350 is the limit here"):
        actions.reply(actor=contributor, conversation=c, text="x" * 351)
    assert not Message.objects.filter(direction="out").exists()
    with pytest.raises(ConnectorError, match="at most 350 characters"):
        GooglePlayConnector(listing()).reply(
            text="y" * 351, in_reply_to_id=c.messages.get().platform_id, idempotency_key="k"
        )
    assert sim_get(play_sim, "/_sim/replies")["data"] == []


def test_queues_filter_on_star_rating(demo, play_sim, customer_review):
    for stars in (1, 2, 3, 5):
        customer_review(f"{stars} stars", stars=stars, author_name=f"Reviewer {stars}")
    poll_all()
    Conversation.objects.update(moderated=True)
    low = queue_conversations(queue=Queue.objects.get(slug="google-play-low-rating"))
    high = queue_conversations(queue=Queue.objects.get(slug="google-play-high-rating"))
    assert sorted(low.values_list("rating", flat=True)) == [1, 2]
    assert sorted(high.values_list("rating", flat=True)) == [3, 5]


def _faults(sim, **faults):
    requests.post(
        f"{sim.base_url}/_sim/config", json={"faults": faults, "seed": 1}, timeout=5
    ).raise_for_status()


def test_quota_exhaustion_makes_the_poller_wait(demo, play_sim, customer_review):
    customer_review("Crashes.", stars=1)
    _faults(play_sim, share=1.0, kinds=["429"], retry_after=120)
    poll_all()
    state = PollState.objects.get(account=listing(), stream="reviews")
    assert "quota" in state.last_error and state.wait_until is not None
    assert not Message.objects.exists()


@pytest.mark.parametrize("kind", ["500", "503", "malformed", "drop_after_commit"])
def test_a_failed_poll_keeps_the_cursor_and_the_next_one_catches_up(
    demo, play_sim, customer_review, kind
):
    customer_review("Tabs keep closing by themselves.", stars=1)
    _faults(play_sim, share=1.0, kinds=[kind])
    poll_all()
    assert not Message.objects.exists()
    assert PollState.objects.get(account=listing(), stream="reviews").last_error
    _faults(play_sim, share=0.0)
    assert poll_all().stored == 1


@pytest.mark.parametrize("kind", ["drop_after_commit", "malformed", "timeout"])
def test_a_reply_whose_answer_is_lost_is_an_unknown_outcome_and_was_performed(
    demo, play_sim, customer_review, kind, settings
):
    review = customer_review("Downloads fail halfway.", stars=1)
    poll_all()
    target = Message.objects.get().platform_id
    # The simulator holds the answer for 1 s; we stop waiting after 0.5 s.
    _faults(play_sim, share=1.0, kinds=[kind], timeout_seconds=1)
    settings.SOCIALDESK_CONNECTOR_TIMEOUT_SECONDS = 0.5
    with pytest.raises(OutcomeUnknown):
        GooglePlayConnector(listing()).reply(
            text="Sorry! Which site?", in_reply_to_id=target, idempotency_key="k"
        )
    _faults(play_sim, share=0.0)
    settings.SOCIALDESK_CONNECTOR_TIMEOUT_SECONDS = 2
    connector = GooglePlayConnector(listing())
    if kind == "timeout":
        import time

        time.sleep(0.8)  # the simulator answers (to nobody) after its delay
    assert len(sim_get(play_sim, "/_sim/replies", review_id=review["review_id"])["data"]) == 1
    # Reconciliation can tell it went through.
    assert connector.find_reply(in_reply_to_id=target, text="Sorry! Which site?").startswith(
        review["review_id"]
    )


def test_bad_credentials_are_reported_not_raised(demo, play_sim, customer_review):
    BrandAccount.objects.filter(platform="google_play").update(
        credentials={"access_token": "wrong"}
    )
    poll_all()
    assert "credentials" in PollState.objects.get(account=listing(), stream="reviews").last_error


def test_the_outbox_reconciles_a_lost_reply_instead_of_sending_it_again(
    demo, play_sim, customer_review, agents
):
    review = customer_review("Pages load blank.", stars=1)
    poll_all()
    c = Conversation.objects.get()
    actions.mark_moderated(actor=agents["moderator"], conversation=c)
    msg = actions.reply(
        actor=agents["contributor"], conversation=c, text="Sorry! Does a restart help?"
    )
    _faults(play_sim, share=1.0, kinds=["drop_after_commit"])
    assert perform(msg.outbound_action.pk) == "pending"  # performed, but we could not know
    _faults(play_sim, share=0.0)
    OutboundAction.objects.filter(pk=msg.outbound_action.pk).update(next_attempt_at=msg.created_at)
    assert perform(msg.outbound_action.pk) == "sent"  # found on the platform, not sent again
    assert len(sim_get(play_sim, "/_sim/replies", review_id=review["review_id"])["data"]) == 1


def test_a_reply_still_in_flight_when_we_gave_up_is_looked_for_only_once_it_has_settled(
    demo, play_sim, customer_review, agents, settings
):
    """Google Play has no idempotency key: a reply held past our time-out and carried out later
    would be sent twice if the outbox looked for it too soon. It waits for the platform to settle."""
    import time

    settings.SOCIALDESK_OUTBOX_SETTLE_SECONDS = 3.5
    review = customer_review("Video stutters.", stars=2)
    poll_all()
    Conversation.objects.update(moderated=True)  # reviews reach contributors once moderated
    c = Conversation.objects.get()
    msg = actions.reply(
        actor=agents["contributor"], conversation=c, text="Sorry! Which video site?"
    )
    # The simulator carries the reply out 2.5 s after it was asked; we stop waiting after 0.5 s.
    _faults(play_sim, share=1.0, kinds=["timeout"], timeout_seconds=2.5)
    settings.SOCIALDESK_CONNECTOR_TIMEOUT_SECONDS = 0.5
    before = time.time()
    assert perform(msg.outbound_action.pk) == "pending"
    _faults(play_sim, share=0.0)
    settings.SOCIALDESK_CONNECTOR_TIMEOUT_SECONDS = 2
    action = OutboundAction.objects.get()
    assert action.next_attempt_at.timestamp() >= before + 3.5
    assert perform(action.pk) is None  # not before it has settled
    assert not sim_get(play_sim, "/_sim/replies", review_id=review["review_id"])[
        "data"
    ]  # still in flight
    time.sleep(max(0.0, action.next_attempt_at.timestamp() - time.time()) + 0.1)
    assert perform(action.pk) == "sent"  # the late write landed and was found: not sent again
    assert len(sim_get(play_sim, "/_sim/replies", review_id=review["review_id"])["data"]) == 1


def test_a_backlog_larger_than_one_poll_is_read_over_several_polls_without_loss(
    demo, play_sim, customer_review, monkeypatch
):
    from socialdesk.connectors import google_play

    monkeypatch.setattr(google_play, "MAX_PAGES", 2)
    monkeypatch.setattr(google_play, "PAGE_SIZE", 20)  # 40 reviews per poll
    for i in range(95):
        customer_review(f"Backlog review {i}: tabs vanish", author_name=f"Reviewer {i}")
    polls = []
    while Message.objects.filter(platform="google_play").count() < 95 and len(polls) < 10:
        polls.append(poll_all().stored)
    assert polls == [40, 40, 15]
    state = PollState.objects.get(account=listing(), stream="reviews")
    assert "|" not in state.cursor
    customer_review("A new review after the backlog", author_name="Late")
    assert poll_all().stored == 1
    assert Message.objects.filter(platform="google_play").count() == 96


def test_a_page_token_the_platform_refuses_restarts_from_the_newest(
    demo, play_sim, customer_review
):
    customer_review("Already read", author_name="First")
    poll_all()
    state = PollState.objects.get(account=listing(), stream="reviews")
    state.cursor = f"{state.cursor}|not-a-token|{state.cursor}"
    state.save()
    customer_review("Written while the token went stale", author_name="Second")
    assert poll_all().stored == 1
    assert "|" not in PollState.objects.get(pk=state.pk).cursor


def test_a_poll_that_fails_midway_keeps_the_pages_it_read(
    demo, play_sim, customer_review, monkeypatch
):
    from socialdesk.connectors import google_play

    monkeypatch.setattr(google_play, "PAGE_SIZE", 10)
    for i in range(25):
        customer_review(f"Review {i}: it is slow", author_name=f"Reviewer {i}")
    real = google_play.GooglePlayConnector._reviews_page
    calls = {"n": 0}

    def second_page_fails(self, token):
        calls["n"] += 1
        if calls["n"] == 2:
            raise google_play.ConnectorError(
                "Google Play server error 503", retryable=True, status=503
            )
        return real(self, token)

    monkeypatch.setattr(google_play.GooglePlayConnector, "_reviews_page", second_page_fails)
    assert poll_all().stored == 10
    state = PollState.objects.get(account=listing(), stream="reviews")
    assert (
        "503" in state.last_error and "|" in state.cursor
    )  # on the health page; goes on from page 2
    assert poll_all().stored == 15
    assert Message.objects.filter(platform="google_play").count() == 25
    assert PollState.objects.get(pk=state.pk).last_error == ""


@pytest.mark.parametrize(
    "text, found",
    [
        ("<b>Please</b> update to the latest version.", "an HTML tag (“<b>”)"),
        ("Tap <Menu> then Settings.", "an HTML tag (“<Menu>”)"),
        ("Thanks &amp; sorry for the trouble.", "an HTML entity (“&amp;”)"),
        ("**Please** update to the latest version.", "Markdown bold (“**Please**”)"),
        ("See [our help page](https://support.mozilla.org/kb/sync).", "a Markdown link"),
        ("Sorry!\n# What to do\nUpdate the app.", "a Markdown heading (“# What to do”)"),
    ],
)
def test_a_reply_with_html_or_markdown_is_refused_on_every_path(
    demo, play_sim, customer_review, agents, client, text, found
):
    """Google Play shows replies as plain text (its API strips HTML tags): `<b>Please</b>` must
    not reach the reviewer, nor a reply that lost a word to the stripping."""
    from socialdesk.people.models import ApiToken

    customer_review("Sync doesn't work.", stars=1)
    poll_all()
    Conversation.objects.update(moderated=True)
    c = Conversation.objects.get()
    contributor, moderator = agents["contributor"], agents["moderator"]
    with pytest.raises(ActionError, match="Google Play shows replies as plain text") as refused:
        actions.reply(actor=contributor, conversation=c, text=text)
    assert found in str(refused.value)
    # The API says the same, as a 400 with the reason.
    token = ApiToken.issue(contributor, "test")[1]
    r = client.post(
        f"/api/v1/conversations/{c.pk}/reply",
        {"text": text},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert r.status_code == 400 and "plain text" in r.json()["detail"]
    # A moderator's edit while approving is held to it too.
    actions.set_requires_approval(actor=moderator, agent=contributor, on=True)
    contributor.profile.refresh_from_db()
    waiting = actions.reply(
        actor=contributor, conversation=c, text="Please update to the latest version."
    )
    with pytest.raises(ActionError, match="plain text"):
        actions.approve_reply(actor=moderator, action=waiting.outbound_action, text=text)
    waiting.outbound_action.refresh_from_db()
    assert waiting.outbound_action.state == "approval" and waiting.outbound_action.text.startswith(
        "Please update to the latest version."
    )
    assert sim_get(play_sim, "/_sim/replies")["data"] == []


def test_plain_text_that_only_looks_like_markup_goes_out_as_written(
    demo, play_sim, customer_review, contributor
):
    customer_review("Tabs crash.", stars=2)
    poll_all()
    Conversation.objects.update(moderated=True)
    text = "We <3 your feedback! If a < b > c, go to Settings > Tabs; R&D is on it. 5 * 3 = 15."
    actions.reply(actor=contributor, conversation=Conversation.objects.get(), text=text)
    assert perform(OutboundAction.objects.get().pk) == "sent"
    assert [r["text"] for r in sim_get(play_sim, "/_sim/replies")["data"]] == [
        OutboundAction.objects.get().text
    ]


def test_the_composer_refuses_markup_as_the_agent_types(
    demo, play_sim, customer_review, contributor, client
):
    import json

    from socialdesk.conversations.channel_rules import PLAIN_TEXT_RULES

    customer_review("Crashes on start.", stars=1)
    poll_all()
    Conversation.objects.update(moderated=True)
    client.force_login(contributor)
    page = client.get(f"/c/{Conversation.objects.get().pk}/").content.decode()
    # The composer is given the server's own patterns, so what it warns about is what is refused.
    import html

    attribute = page.split('data-plain-text="', 1)[1].split('"', 1)[0]
    assert json.loads(html.unescape(attribute)) == [
        list(rule) for rule in PLAIN_TEXT_RULES["google_play"]
    ]
    assert 'id="markup-warning"' in page
