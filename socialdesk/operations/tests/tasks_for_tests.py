"""Tasks the operations tests enqueue (tasks must live in an importable module)."""

from django_tasks import task
from django_tasks_db.models import DBTaskResult


@task(takes_context=True)
def delete_own_row(context) -> str:
    DBTaskResult.objects.filter(pk=context.task_result.id).delete()
    return "deleted"


@task()
def say(word: str) -> str:
    return word
