"""The outbox's background task: one action per task run."""

from django_tasks import task

from .services import perform


@task()
def send_action(action_id: int) -> str | None:
    return perform(action_id)
