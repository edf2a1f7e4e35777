"""Queues in a real Chromium: a search find in a moderator's queue; editing a Google Play queue."""

import pytest

from socialdesk.conversations.models import Conversation
from socialdesk.ingestion.tests.worker import poll_all
from socialdesk.queues.models import Queue
from socialdesk.web.tests.browser import sign_in

pytestmark = pytest.mark.browser


def test_twitter_all_loads_with_a_search_find_beside_a_mention(desk, page, customer_tweet):
    customer_tweet("firefox keeps freezing on my laptop", username="nomention")
    customer_tweet("@Firefox where did my tabs go", username="mentioner")
    poll_all()
    assert Conversation.objects.filter(account__isnull=True).exists()  # the search find
    sign_in(page, desk, "moderator", "triage-every-mention")
    for slug in ("twitter-all", "priority-moderation"):
        response = page.goto(f"{desk}/queues/{slug}/")
        assert response.status == 200
    page.goto(f"{desk}/queues/twitter-all/")
    page.check("label:has-text('No account (search)') input")
    page.wait_for_url("**account=%28none%29**")
    assert page.locator("table.list tbody tr").count() == 1
    assert "nomention" in page.locator("table.list tbody").inner_text()


def test_editing_a_google_play_queue_keeps_its_stars(desk, page):
    queue = Queue.objects.get(slug="google-play-low-rating")
    rules = dict(queue.rules)
    sign_in(page, desk, "cm", "escalations-welcome")
    page.goto(f"{desk}/manage/queues/")
    assert "Google Play · moderated · 1–2★" in page.locator("table.list").inner_text()
    page.click("a:has-text('Google Play - Low rating')")
    assert page.locator("select[name=max_rating]").input_value() == "2"
    page.fill("input[name=position]", "13")
    page.click("button:has-text('Save')")
    page.wait_for_url(f"{desk}/manage/queues/")
    queue.refresh_from_db()
    assert (queue.rules, queue.position) == (rules, 13)
    assert "Google Play · moderated · 1–2★" in page.locator("table.list").inner_text()
