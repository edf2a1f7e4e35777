"""Enqueueing a background task as part of the transaction that makes it necessary.

With the database backend (the default), a task row inserted inside the transaction commits with
it or not at all: nothing is lost if the process dies right after the commit, no worker can see
the task before the rows it works on, and the reply (or the page) pays one commit instead of two.
Another backend (Redis) cannot join the transaction, so the task is enqueued once it commits;
the scheduler's sweeps pick up what a crash between the two leaves behind.
"""

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, router, transaction

DATABASE_BACKEND = "django_tasks_db.DatabaseBackend"


def _joins_transaction() -> bool:
    if settings.TASKS["default"]["BACKEND"] != DATABASE_BACKEND:
        return False
    from django_tasks_db.models import DBTaskResult

    return (router.db_for_write(DBTaskResult) or DEFAULT_DB_ALIAS) == connection.alias


def enqueue_with_transaction(task, *args, **kwargs) -> None:
    """Enqueue `task` in the current transaction if the tasks live in this database, else when it
    commits (at once outside a transaction)."""
    if connection.in_atomic_block and _joins_transaction():
        task.enqueue(*args, **kwargs)
    else:
        transaction.on_commit(lambda: task.enqueue(*args, **kwargs))
