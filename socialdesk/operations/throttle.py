"""Rate limits for the public forms that send email or create work for people (applying,
asking for a password reset), counted in the database so every web process shares them and
nothing else (a cache server) is needed.

A key is hit once per request; past `limit` hits in the current fixed window of `seconds`, the
request is refused. Keys that carry personal data (an email address) are hashed first.
"""

import hashlib
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import Throttle


def hashed(value: str) -> str:
    """A stable stand-in for a personal value (an email address) in a key: the raw value is
    never stored."""
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:40]


def _window(seconds: int) -> datetime:
    now = timezone.now().timestamp()
    return datetime.fromtimestamp(now - now % seconds, tz=UTC)


def allow(key: str, *, limit: int, seconds: int = 3600) -> bool:
    """Count one request under `key`; False once the window already holds `limit` of them.

    Refused requests are counted too, so hammering does not reopen the window. A limit of 0 or
    less turns the check off. Two statements at most: the row's insert, or its increment."""
    if limit <= 0:
        return True
    key = key[:100]
    start = _window(seconds)
    try:
        with transaction.atomic():
            Throttle.objects.create(key=key, window_start=start, count=1)
        return True
    except IntegrityError:
        pass
    Throttle.objects.filter(key=key, window_start=start).update(count=F("count") + 1)
    count = (
        Throttle.objects.filter(key=key, window_start=start)
        .values_list("count", flat=True)
        .first()
    )
    return (count or 0) <= limit


def prune(older_than: timedelta = timedelta(days=1)) -> int:
    deleted, _ = Throttle.objects.filter(window_start__lt=timezone.now() - older_than).delete()
    return deleted
