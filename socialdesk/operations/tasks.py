"""Tasks of the operations app."""

from django_tasks import task

from .models import Heartbeat, beat
from .schedule import process_name


@task()
def worker_heartbeat() -> str:
    name = process_name()
    beat(Heartbeat.Kind.WORKER, name)
    return name
