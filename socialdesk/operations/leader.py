"""One leader at a time among processes that share the database: a lease row, renewed while held.

A lease row (not a PostgreSQL advisory lock) works the same on SQLite, survives a connection
drop, and shows who leads. Taking it is one conditional UPDATE (free or expired or already ours),
so two processes can never both get it; a leader that stops renewing loses it after `seconds`.
"""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from .models import Lease


def acquire(name: str, holder: str, *, seconds: float) -> bool:
    """Take or renew the lease `name` for `holder`; False while another holder's lease runs."""
    now = timezone.now()
    expires = now + timedelta(seconds=seconds)
    if (
        Lease.objects.filter(name=name)
        .filter(Q(holder=holder) | Q(expires_at__lt=now))
        .update(holder=holder, expires_at=expires)
    ):
        return True
    try:
        with transaction.atomic():
            Lease.objects.create(name=name, holder=holder, expires_at=expires)
    except IntegrityError:
        return False
    return True


def release(name: str, holder: str) -> None:
    """Give the lease up at once (a clean stop), so another process takes over without waiting."""
    Lease.objects.filter(name=name, holder=holder).delete()
