"""`db_worker` (django-tasks' database worker) that carries on when a task's row vanishes.

A task row deleted while its task runs (pruned, or removed by hand) made the worker's final
UPDATE match nothing; the stock worker then exited, and nothing restarted it. This one logs it
and takes the next task.
"""

import logging

from django.db import DatabaseError
from django_tasks_db.management.commands import db_worker as stock
from django_tasks_db.models import DBTaskResult

from socialdesk.operations import gc_tuning

logger = logging.getLogger("socialdesk.worker")


class Worker(stock.Worker):
    def run_task(self, db_task_result: DBTaskResult) -> None:
        try:
            super().run_task(db_task_result)
        except DatabaseError:
            try:
                gone = not DBTaskResult.objects.filter(pk=db_task_result.pk).exists()
            except DatabaseError:
                gone = False
            if not gone:
                raise
            self.running_task = False
            logger.warning(
                "Task id=%s vanished while it ran (its row was deleted); carrying on",
                db_task_result.pk,
            )


class Command(stock.Command):
    help = stock.Command.help + " (carries on when a task's row vanishes)"

    def handle(self, *args, **options):
        stock.Worker = Worker
        if not options.get("batch"):
            # A long-running process: its loaded application set aside from the collector.
            gc_tuning.settle()
        return super().handle(*args, **options)
