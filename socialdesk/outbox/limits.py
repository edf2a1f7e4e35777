"""How fast the outbox may send from one brand account: each platform's documented limits.

The budget counts every attempt (reply, like, repost) an account made within the window, across
all workers; a platform's own 429 answer (and its reset time) still wins when it comes first.

* X (Twitter): `POST /2/tweets` allows 200 requests per 15 minutes per user, and posts and
  reposts together 300 per 3 hours per user
  (https://docs.x.com/x-api/posts/manage-tweets/migrate/overview, "Default request rate limits";
  https://docs.x.com/x-api/fundamentals/rate-limits). The 3-hour cap is the binding one for a
  sustained flow: 300 per 10,800 s.
* Mastodon: 300 requests per 5 minutes per account, all endpoints together
  (https://docs.joinmastodon.org/api/rate-limits/). The same account also polls its
  notifications and looks statuses up, so the outbox takes two thirds: 200 per 300 s.
* Google Play: the Reply to Reviews API allows 2,000 POST requests (replies) per day per app
  (https://developers.google.com/android-publisher/reply-to-reviews, "Quotas"; the quota request
  form at https://support.google.com/googleplay/android-developer/contact/review_apiqr):
  2,000 per 86,400 s.

A platform with higher limits on a paid plan, or a simulator, is configured with
SOCIALDESK_OUTBOX_RATE_LIMITS (e.g. "twitter=900/900").
"""

from django.conf import settings

DOCUMENTED = {
    "twitter": (300, 10_800.0),
    "mastodon": (200, 300.0),
    "google_play": (2_000, 86_400.0),
}


def budget(platform: str) -> tuple[int, float] | None:
    """(sends, window in seconds) allowed per account on this platform; None if unlimited."""
    configured = getattr(settings, "SOCIALDESK_OUTBOX_RATE_LIMITS", {}) or {}
    return configured.get(platform, DOCUMENTED.get(platform))


def account_concurrency() -> int:
    return max(1, int(getattr(settings, "SOCIALDESK_OUTBOX_ACCOUNT_CONCURRENCY", 4)))


def threads() -> int:
    return max(1, int(getattr(settings, "SOCIALDESK_OUTBOX_THREADS", 8)))
