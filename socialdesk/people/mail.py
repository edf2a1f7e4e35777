"""Emails leave the desk through a background task (PE5, notifications): a page or an action
enqueues the message once its transaction commits, and the worker hands it to Django's email
backend (SMTP, or the console in the demo). A slow or unreachable mail server never slows a page,
and a change rolled back sends nothing.

The task runs on the backend SOCIALDESK_EMAIL_TASKS names (the default one, which the workers run,
unless configured otherwise). A message the mail server does not take is tried again later, each
wait longer than the one before (`SOCIALDESK_EMAIL_RETRY_MINUTES`, 1, 5, 30 and 120 minutes by
default), when the backend can run a task later (the database backend and Redis can). Each try
that failed is kept as a failed task with its error, without the address or the text (the next
try carries them); the last one keeps them for the operator, and the admins are told under the
bell (not by email: the mail server is what fails) and on the health page. A sent one keeps no
address or text."""

import logging
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django_tasks import task, task_backends
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

log = logging.getLogger(__name__)

TASK_PATH = "socialdesk.people.mail.send_email"


def retry_waits() -> list[int]:
    """The minutes to wait before each new try of an email the mail server did not take."""
    return list(getattr(settings, "SOCIALDESK_EMAIL_RETRY_MINUTES", [1, 5, 30, 120]))


def _forget_arguments(context) -> None:
    # The task's row (database backend) keeps no address and no link (a password reset's) once
    # another row carries them or the email is sent; someone who left is not kept there either.
    # Other backends keep no such row here (Redis's results expire; the immediate one has none),
    # and their ids are no database keys.
    if not isinstance(task_backends[context.task_result.backend], DatabaseBackend):
        return
    DBTaskResult.objects.filter(pk=context.task_result.id).update(
        args_kwargs={"args": [], "kwargs": {}}
    )


@task(takes_context=True)
def send_email(context, subject: str, body: str, to: list[str], attempt: int = 1) -> int:
    try:
        sent = send_mail(subject, body, None, to)
    except Exception as exc:
        waits = retry_waits()
        backend = task_backends[context.task_result.backend]
        if attempt <= len(waits) and backend.supports_defer:
            at = timezone.now() + timedelta(minutes=waits[attempt - 1])
            log.warning(
                "Could not send the email “%s” to %d address(es) (try %d): %s; trying again at %s",
                subject[:80],
                len(to),
                attempt,
                exc,
                at.isoformat(timespec="seconds"),
            )
            send_email.using(backend=context.task_result.backend, run_after=at).enqueue(
                subject, body, to, attempt=attempt + 1
            )
            _forget_arguments(context)
        else:
            log.exception(
                "Could not send the email “%s” to %d address(es) after %d tries: giving up",
                subject[:80],
                len(to),
                attempt,
            )
            # cycle: people.mail <-> people.notifications (a notification may be emailed)
            from .notifications import email_failed

            email_failed(subject=subject, attempts=attempt, error=str(exc))
        raise
    _forget_arguments(context)
    return sent


def failed_emails(limit: int = 20) -> list[dict]:
    """The emails given up on (the last try of each, which keeps its arguments), newest first,
    for the admins' health page: when, the subject, how many addresses, how many tries, why."""
    rows = (
        DBTaskResult.objects.filter(task_path=TASK_PATH, status="FAILED")
        .exclude(args_kwargs={"args": [], "kwargs": {}})
        .order_by("-finished_at")[:limit]
    )
    out = []
    for row in rows:
        args = (row.args_kwargs or {}).get("args") or []
        kwargs = (row.args_kwargs or {}).get("kwargs") or {}
        lines = (row.traceback or "").strip().splitlines()
        out.append(
            {
                "at": row.finished_at,
                "subject": str(args[0]) if args else "",
                "addresses": len(args[2]) if len(args) > 2 and isinstance(args[2], list) else 0,
                "attempts": kwargs.get("attempt", 1),
                "error": lines[-1][:300] if lines else "",
            }
        )
    return out


def send_later(subject: str, body: str, to: list[str]) -> None:
    """Send this email from the worker once the current transaction commits (at once without one)."""
    # Headers take one line: a newline in a subject would make Django refuse the message.
    subject = " ".join(str(subject).split())
    sender = send_email.using(backend=settings.SOCIALDESK_EMAIL_TASKS)
    transaction.on_commit(partial(sender.enqueue, subject, str(body), list(to)))
