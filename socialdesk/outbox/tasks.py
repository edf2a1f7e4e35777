"""The outbox's background task: an action's own run also sends whatever else is due, at once."""

from django_tasks import task

from socialdesk.actions.delivery import send_due


@task()
def send_action(action_id: int) -> str | None:
    return send_due(first=action_id)[0]
