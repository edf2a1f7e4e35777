"""Emails leave the desk through a background task (PE5, notifications): a page or an action
enqueues the message once its transaction commits, and the worker hands it to Django's email
backend (SMTP, or the console in the demo). A slow or unreachable mail server never slows a page,
and a change rolled back sends nothing.

The task runs on the backend SOCIALDESK_EMAIL_TASKS names (the default one, which the workers run,
unless configured otherwise); a message that cannot be sent fails its task, which the worker logs
and keeps as failed; a sent one keeps no address or text."""

import logging
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django_tasks import task
from django_tasks_db.models import DBTaskResult

log = logging.getLogger(__name__)


@task(takes_context=True)
def send_email(context, subject: str, body: str, to: list[str]) -> int:
    try:
        sent = send_mail(subject, body, None, to)
    except Exception:
        log.exception("Could not send the email “%s” to %d address(es)", subject[:80], len(to))
        raise
    # Sent: the task's row (database backend) keeps no address and no link (a password reset's)
    # until it is pruned; someone who left is not kept there either. A failed one keeps them
    # for the operator to see why.
    DBTaskResult.objects.filter(pk=context.task_result.id).update(
        args_kwargs={"args": [], "kwargs": {}}
    )
    return sent


def send_later(subject: str, body: str, to: list[str]) -> None:
    """Send this email from the worker once the current transaction commits (at once without one)."""
    # Headers take one line: a newline in a subject would make Django refuse the message.
    subject = " ".join(str(subject).split())
    sender = send_email.using(backend=settings.SOCIALDESK_EMAIL_TASKS)
    transaction.on_commit(partial(sender.enqueue, subject, str(body), list(to)))
