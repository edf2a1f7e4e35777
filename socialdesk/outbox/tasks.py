"""The outbox's background task: an action's own run also sends whatever else is due, at once."""

from django_tasks import task

from socialdesk.actions.delivery import send_due
from socialdesk.actions.webhooks import send_due as send_due_webhooks


@task()
def send_action(action_id: int) -> str | None:
    return send_due(first=action_id)[0]


@task()
def send_webhooks() -> int:
    """Webhook deliveries that are due (`actions.webhooks`): sent one after the other."""
    return len([s for s in send_due_webhooks() if s is not None])
