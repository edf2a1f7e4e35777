"""Log records carry the id of the request or task they belong to (for JSON logs)."""

import contextvars
import logging

from django.dispatch import receiver
from django_tasks.signals import task_finished, task_started

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
task_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("task_id", default=None)


class ContextFilter(logging.Filter):
    """Adds `request_id` and `task_id` (None outside a request or a task) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = getattr(record, "request_id", None) or request_id.get()
        record.task_id = getattr(record, "task_id", None) or task_id.get()
        return True


@receiver(task_started)
def _task_started(sender, task_result, **kwargs) -> None:
    task_id.set(str(task_result.id))


@receiver(task_finished)
def _task_finished(sender, task_result, **kwargs) -> None:
    task_id.set(None)
