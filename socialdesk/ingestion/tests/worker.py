"""For tests that poll and then work on what came in, as the desk does with a worker running."""

from django_tasks_db.models import DBTaskResult

from socialdesk.ingestion import polling
from socialdesk.triage.tasks import triage_conversations


def poll_all():
    """Poll every account, then run the triage tasks the pages enqueued (a worker's part: a
    poll's new conversations are dealt once they are triaged)."""
    result = polling.poll_all()
    for row in DBTaskResult.objects.filter(task_path=triage_conversations.module_path):
        triage_conversations.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])
        row.delete()
    return result
