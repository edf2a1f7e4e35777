"""Polling as background tasks, enqueued by the scheduler."""

from django_tasks import task

from .deletions import notice_deleted
from .polling import poll_all


@task()
def poll_all_accounts() -> dict:
    r = poll_all()
    return {
        "stored": r.stored,
        "duplicates": r.duplicates,
        "skipped": r.skipped,
        "set_aside": r.set_aside,
    }


@task()
def notice_deleted_messages() -> dict:
    return {"deleted": notice_deleted()}
