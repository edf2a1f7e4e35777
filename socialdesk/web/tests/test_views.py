"""The pages with Django's test client: sign-in required, roles, clear messages on bad input."""

from socialdesk.conversations.models import Conversation, Status
from socialdesk.outbox.models import OutboundAction


def test_pages_need_a_sign_in(client, demo):
    r = client.get("/")
    assert r.status_code == 302 and r["Location"].startswith("/login/")


def test_an_unknown_queue_is_a_friendly_404(client, contributor):
    client.force_login(contributor)
    r = client.get("/queues/nope/")
    assert r.status_code == 404
    assert b"Back to your queues" in r.content
    assert client.post("/play/nope/start").status_code == 404


def test_a_moderator_queue_is_hidden_from_contributors(client, contributor):
    client.force_login(contributor)
    assert client.get("/queues/twitter-all/").status_code == 404
    home = client.get("/").content.decode()
    assert "Twitter conversations - Moderated" in home and "Twitter - All" not in home


def test_customer_text_is_escaped(client, contributor, demo, inbound):
    from socialdesk.actions.inbound import ingest

    ingest([inbound('<script>alert("x")</script> help')])
    client.force_login(contributor)
    page = client.get(f"/c/{Conversation.objects.get().pk}/").content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_close_without_a_reason_keeps_the_conversation_open(client, contributor, conversation):
    client.force_login(contributor)
    r = client.post(f"/c/{conversation.pk}/close", {"reason": ""}, follow=True)
    assert "Choose one of the closing reasons" in r.content.decode()
    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN


def test_reply_in_play_mode_deals_the_next_conversation(client, contributor, demo, inbound):
    from socialdesk.actions.inbound import ingest

    ingest([inbound("first"), inbound("second")])
    client.force_login(contributor)
    client.post("/play/twitter-conversations-moderated/start")
    first = client.get("/play/").context["c"]
    r = client.post(
        f"/c/{first.pk}/reply",
        {"text": "Thanks!", "then": "close", "close_reason": "acknowledged", "play": "1"},
    )
    assert r.status_code == 302 and r["Location"] == "/play/"
    second = client.get("/play/").context["c"]
    assert second.pk != first.pk
    assert OutboundAction.objects.count() == 1


def test_signature_in_personal_settings_is_used_in_replies(client, contributor, conversation):
    client.force_login(contributor)
    r = client.post("/settings/", {"signature": "x" * 41})
    assert r.status_code == 400 and "at most 40" in r.content.decode()
    client.post("/settings/", {"signature": "^AB"})
    client.post(f"/c/{conversation.pk}/reply", {"text": "Hello", "then": "none"})
    assert conversation.messages.get(direction="out").text == "Hello ^AB"


def test_due_reminders_show_in_the_header_and_can_be_dismissed(client, contributor, conversation):
    from datetime import timedelta

    from django.utils import timezone

    from socialdesk.conversations.models import Reminder

    r = Reminder.objects.create(
        conversation=conversation,
        user=contributor,
        due_at=timezone.now() - timedelta(minutes=1),
        note="call back",
    )
    client.force_login(contributor)
    page = client.get(f"/c/{conversation.pk}/").content.decode()
    assert "⏰ 1" in page
    client.post(f"/reminders/{r.pk}/done")
    assert "⏰ 1" not in client.get("/").content.decode()


def test_the_health_page_reports_bad_credentials_to_admins_only(client, agents):
    from socialdesk.brands.models import BrandAccount
    from socialdesk.ingestion.tests.worker import poll_all

    BrandAccount.objects.filter(handle="FirefoxSupport").update(credentials={})
    poll_all()  # reports, does not raise
    client.force_login(agents["cm"])
    assert client.get("/manage/health/").status_code == 403
    client.force_login(agents["admin"])
    page = client.get("/manage/health/").content.decode()
    assert "has no X credentials" in page
    assert "sim-token" not in page


def test_cms_edit_the_mute_list_and_let_a_filtered_message_through(client, agents, inbound):
    from socialdesk.actions.inbound import ingest
    from socialdesk.conversations.models import Message

    client.force_login(agents["contributor"])
    assert client.get("/manage/filters/").status_code == 403
    client.force_login(agents["cm"])
    r = client.post(
        "/manage/filters/",
        {"drop_reposts": "on", "drop_unrelated_replies": "on", "muted_words": "Boycott\n"},
    )
    assert r.status_code == 302
    ingest([inbound("join the boycott!")])
    page = client.get("/manage/filters/").content.decode()
    assert "Muted word or topic: 1" in page and "join the boycott!" in page
    from socialdesk.ingestion.models import FilteredMessage

    client.post("/manage/filters/", {"let_through": FilteredMessage.objects.get().pk})
    assert Message.objects.filter(text__endswith="join the boycott!").count() == 1


def test_dismissing_a_reminder_goes_back_only_to_this_site(client, contributor, conversation):
    from django.utils import timezone

    from socialdesk.conversations.models import Reminder

    client.force_login(contributor)
    for target, expected in [
        ("https://evil.example/phish", "/"),
        ("//evil.example", "/"),
        ("javascript:alert(1)", "/"),
        (f"/c/{conversation.pk}/", f"/c/{conversation.pk}/"),
    ]:
        r = Reminder.objects.create(
            conversation=conversation, user=contributor, due_at=timezone.now()
        )
        response = client.post(f"/reminders/{r.pk}/done", {"next": target})
        assert response.status_code == 302 and response["Location"] == expected, target


def test_someone_elses_reminder_is_not_found(client, agents, conversation):
    from django.utils import timezone

    from socialdesk.conversations.models import Reminder

    r = Reminder.objects.create(
        conversation=conversation, user=agents["moderator"], due_at=timezone.now()
    )
    client.force_login(agents["contributor"])
    assert client.post(f"/reminders/{r.pk}/done").status_code == 404
    r.refresh_from_db()
    assert not r.done


def test_a_conversation_dealt_to_another_agent_says_who_has_it(client, agents, conversation):
    from datetime import timedelta

    from django.utils import timezone

    Conversation.objects.filter(pk=conversation.pk).update(
        dealt_to=agents["moderator"], lease_expires_at=timezone.now() + timedelta(minutes=5)
    )
    client.force_login(agents["cm"])
    r = client.post(f"/c/{conversation.pk}/escalate", {"note": "mine now"})
    assert r.status_code == 409
    assert "moderator is handling this conversation" in r.content.decode()
    conversation.refresh_from_db()
    assert conversation.assigned_queue is None and conversation.dealt_to == agents["moderator"]


def test_clusters_show_and_escalate_only_what_the_agent_may_see(client, agents, inbound):
    from socialdesk.actions.inbound import ingest

    question = "Firefox crashes every time I open a PDF file since the update"
    ingest(
        [
            inbound(question + " help", mention="Firefox"),
            inbound(question + " please", mention="Firefox"),
            inbound(question + " again", mention="Firefox"),
        ]
    )
    hidden = list(Conversation.objects.values_list("pk", flat=True))
    client.force_login(agents["moderator"])
    assert "crashes every time I open a PDF" in client.get("/triage/clusters/").content.decode()
    client.force_login(agents["contributor"])
    assert (
        "crashes every time I open a PDF" not in client.get("/triage/clusters/").content.decode()
    )
    r = client.post(
        "/triage/clusters/escalate",
        {"conversations": ",".join(map(str, hidden)), "reason": "same crash"},
    )
    assert r.status_code == 404
    assert not Conversation.objects.filter(assigned_queue__isnull=False).exists()


def test_the_customers_other_conversations_list_only_what_the_agent_may_see(
    client, agents, inbound
):
    from socialdesk.actions.inbound import ingest

    ingest([inbound("bookmarks gone", author_id="42", handle="sam", mention="FirefoxSupport")])
    ingest([inbound("and to the brand", author_id="42", handle="sam", mention="Firefox")])
    shown, hidden = Conversation.objects.order_by("pk")
    client.force_login(agents["contributor"])
    r = client.get(f"/c/{shown.pk}/")
    assert f"/c/{hidden.pk}/" not in r.content.decode()
    assert hidden not in r.context["mergeable"]
    client.force_login(agents["moderator"])
    assert f"/c/{hidden.pk}/" in client.get(f"/c/{shown.pk}/").content.decode()


def test_what_the_desk_says_after_a_reply_is_true_of_its_platform_and_of_approval(
    client, agents, demo, inbound
):
    """Item 10: no "once X accepts it" on Google Play or Mastodon, no "queued" for a reply that
    waits for a moderator, and the moderator sees what the customer wrote beside the reply."""
    from socialdesk.actions.inbound import ingest
    from socialdesk.people.models import Profile

    contributor, moderator = agents["contributor"], agents["moderator"]
    ingest([inbound("my tabs vanish on restart, help")])
    c = Conversation.objects.latest("pk")
    client.force_login(contributor)
    r = client.post(
        f"/c/{c.pk}/reply", {"text": "Try the Restore button", "then": "none"}, follow=True
    )
    assert "delivered once Twitter/X has accepted it" in r.content.decode(), r.content.decode()[
        :3000
    ]

    Profile.objects.filter(user=contributor).update(replies_need_approval=True)
    ingest([inbound("and my bookmarks as well", author_id="5150", handle="lena_k")])
    other = Conversation.objects.latest("pk")
    r = client.post(
        f"/c/{other.pk}/reply",
        {"text": "Bookmarks > Import and Backup", "then": "none"},
        follow=True,
    )
    page = r.content.decode()
    assert "waits for a moderator&#x27;s approval" in page and "queued" not in page.lower()

    client.force_login(moderator)
    page = client.get("/approvals/").content.decode()
    assert "Bookmarks &gt; Import and Backup" in page and "and my bookmarks as well" in page


def test_a_reviewer_is_not_shown_with_followers_google_play_does_not_have(
    client, agents, demo, inbound
):
    import json
    from pathlib import Path

    from socialdesk.actions.inbound import ingest
    from socialdesk.connectors.google_play import normalise_review

    page = json.loads(
        (
            Path(__file__).resolve().parents[2]
            / "connectors/tests/fixtures/google_play_reviews_list.json"
        ).read_text()
    )
    ingest([normalise_review(page["reviews"][0], package="org.mozilla.firefox")])
    review = Conversation.objects.get(platform="google_play")
    ingest([inbound("bookmarks gone", handle="lena_k", followers=0)])
    tweet = Conversation.objects.get(platform="twitter")
    client.force_login(agents["cm"])
    assert (
        "follower"
        not in client.get(f"/c/{review.pk}/")
        .content.decode()
        .split('class="card author"')[1][:600]
    )
    assert "0 followers" in client.get(f"/c/{tweet.pk}/").content.decode()
