"""The outbox sends several actions at once, within each account's concurrency and rate budget,
and still performs each action exactly once (counted by the simulator)."""

import os
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
import requests
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.utils import timezone

from socialdesk.actions import conversation as actions
from socialdesk.actions import delivery as services
from socialdesk.conversations.models import Conversation
from socialdesk.ingestion.tests.worker import poll_all
from socialdesk.outbox.models import OutboundAction
from socialdesk.settings import _rate_limits


@pytest.fixture
def replies(agents, twitter_sim, customer_tweet):
    """n replies queued, from @FirefoxSupport and @mozilla_germany alternately (one customer tweet each)."""

    def make(n):
        for i in range(n):
            if i % 2:
                customer_tweet(
                    f"@mozilla_germany meine Tabs sind weg, Nummer {i}",
                    username=f"kunde{i}",
                    lang="de",
                )
            else:
                customer_tweet(
                    f"@FirefoxSupport my tabs vanished, number {i}", username=f"customer{i}"
                )
        poll_all()
        out = []
        for c in Conversation.objects.order_by("pk"):
            msg = actions.reply(
                actor=agents["admin"],
                conversation=c,
                text=f"Here is how to get them back ({c.pk})",
            )
            out.append(msg.outbound_action)
        assert len(out) == n
        return out

    return make


@pytest.fixture
def in_flight(monkeypatch):
    """Watch the real sends: how many were in flight at once, per account and in all. Each send
    is held 0.2 s so that overlapping sends can be seen."""
    lock = threading.Lock()
    now = Counter()
    peak = Counter()
    real_call = services._call

    def watched(action):
        key = action.account.handle
        with lock:
            now[key] += 1
            now["all"] += 1
            peak[key] = max(peak[key], now[key])
            peak["all"] = max(peak["all"], now["all"])
        try:
            time.sleep(0.2)
            return real_call(action)
        finally:
            with lock:
                now[key] -= 1
                now["all"] -= 1

    monkeypatch.setattr(services, "_call", watched)
    return peak


# Threads share the database only on a real server: the SQLite test database lives in memory.
on_postgres = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").split(":")[0] not in ("postgres", "postgresql"),
    reason="needs DATABASE_URL pointing at PostgreSQL (threads cannot share the in-memory SQLite test database)",
)


def _posted_replies(sim):
    tweets = requests.get(f"{sim.base_url}/_sim/tweets", timeout=5).json()["data"]
    return Counter(
        r["id"]
        for t in tweets
        for r in t.get("referenced_tweets") or []
        if r["type"] == "replied_to"
    )


@pytest.mark.postgres
@on_postgres
@pytest.mark.django_db(transaction=True)
def test_several_actions_go_at_once_each_exactly_once(replies, in_flight, settings, twitter_sim):
    settings.SOCIALDESK_OUTBOX_THREADS = 6
    settings.SOCIALDESK_OUTBOX_ACCOUNT_CONCURRENCY = 2
    queued = replies(8)
    t0 = time.perf_counter()
    states = services.send_due(first=queued[0].pk)
    took = time.perf_counter() - t0
    assert states.count("sent") == 8
    assert set(OutboundAction.objects.values_list("state", flat=True)) == {"sent"}
    # Two accounts, two at once each: four in flight, never more than two from one account.
    assert in_flight["all"] == 4, in_flight
    assert in_flight["FirefoxSupport"] == 2 and in_flight["mozilla_germany"] == 2, in_flight
    assert took < 8 * 0.2, f"8 sends held 0.2 s each took {took:.2f} s: they did not overlap"
    # The platform got each reply once.
    posted = _posted_replies(twitter_sim)
    assert sorted(posted.values()) == [1] * 8
    # A later task for an action already sent does nothing.
    assert services.send_due(first=queued[1].pk) == [None]


@pytest.mark.postgres
@on_postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_draining_at_once_send_each_action_once(
    replies, in_flight, settings, twitter_sim
):
    settings.SOCIALDESK_OUTBOX_THREADS = 4
    settings.SOCIALDESK_OUTBOX_ACCOUNT_CONCURRENCY = 3
    queued = replies(10)
    results = []

    def worker(first):
        try:
            results.extend(services.send_due(first=first))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(queued[i].pk,)) for i in (0, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    # An action whose account already had 3 sends in flight (from either worker) was not tried:
    # it waits a second, pending, for the next task (or the scheduler's sweep).
    assert (
        results.count("sent") + OutboundAction.objects.filter(state="pending", attempts=0).count()
        == 10
    )
    deadline = time.monotonic() + 30
    while OutboundAction.objects.exclude(state="sent").exists() and time.monotonic() < deadline:
        time.sleep(0.5)
        services.send_due()
    assert set(OutboundAction.objects.values_list("state", flat=True)) == {"sent"}
    assert set(OutboundAction.objects.values_list("attempts", flat=True)) == {1}
    assert sorted(_posted_replies(twitter_sim).values()) == [1] * 10
    # The per-account cap holds across both workers.
    assert in_flight["FirefoxSupport"] <= 3 and in_flight["mozilla_germany"] <= 3, in_flight


@pytest.mark.django_db(transaction=True)
def test_an_account_over_its_rate_budget_waits_untried_until_the_window_has_room(
    replies, settings, twitter_sim
):
    settings.SOCIALDESK_OUTBOX_THREADS = 4
    settings.SOCIALDESK_OUTBOX_RATE_LIMITS = {"twitter": (2, 60)}
    replies(6)  # three from each account
    before = timezone.now()
    services.send_due()
    by_account = {}
    for a in OutboundAction.objects.select_related("account"):
        by_account.setdefault(a.account.handle, []).append(a)
    for handle, acts in by_account.items():
        sent = [a for a in acts if a.state == "sent"]
        waiting = [a for a in acts if a.state == "pending"]
        assert len(sent) == 2 and len(waiting) == 1, (
            handle,
            [(a.state, a.last_error) for a in acts],
        )
        # Not an attempt, not an error: it goes once the oldest send leaves the window.
        assert waiting[0].attempts == 0 and waiting[0].last_error == ""
        oldest = min(a.last_attempt_at for a in sent)
        assert waiting[0].next_attempt_at == oldest + timedelta(seconds=60)
        assert waiting[0].next_attempt_at > before + timedelta(seconds=59)
    assert sum(_posted_replies(twitter_sim).values()) == 4
    # Once the window has moved on, it goes.
    OutboundAction.objects.update(last_attempt_at=timezone.now() - timedelta(seconds=61))
    OutboundAction.objects.filter(state="pending").update(next_attempt_at=timezone.now())
    services.send_due()
    assert set(OutboundAction.objects.values_list("state", flat=True)) == {"sent"}
    assert sorted(_posted_replies(twitter_sim).values()) == [1] * 6


def test_the_documented_budgets_apply_unless_configured(settings):
    from socialdesk.outbox import limits

    settings.SOCIALDESK_OUTBOX_RATE_LIMITS = {}
    assert limits.budget("twitter") == (300, 10_800.0)
    assert limits.budget("mastodon") == (200, 300.0)
    assert limits.budget("google_play") == (2_000, 86_400.0)
    settings.SOCIALDESK_OUTBOX_RATE_LIMITS = _rate_limits("twitter=900/900, mastodon=300/300")
    assert limits.budget("twitter") == (900, 900.0) and limits.budget("google_play") == (
        2_000,
        86_400.0,
    )


@pytest.mark.parametrize(
    "bad", ["twitter", "twitter=abc", "twitter=10", "twitter=0/60", "twitter=5/0", "twitter=5/x"]
)
def test_a_malformed_rate_limit_setting_is_refused_with_the_expected_form(bad):
    with pytest.raises(ImproperlyConfigured, match="SOCIALDESK_OUTBOX_RATE_LIMITS"):
        _rate_limits(bad)
