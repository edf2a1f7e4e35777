"""Every periodic job of the desk, declared in one place, and the loop the scheduler runs them in.

django-tasks has no periodic tasks of its own (yet). The jobs are a handful of fixed intervals
read from the settings, each cheap and safe to run twice; a scheduling library (APScheduler,
rq-scheduler) would bring its own job store and still need the leader election below, and
rq-scheduler would tie the desk to Redis. So the table below is the schedule, and `Scheduler`
runs it in whichever scheduler process holds the lease (socialdesk/operations/leader.py).
"""

import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from socialdesk.people import audit

from . import leader, throttle
from .models import Heartbeat, beat

logger = logging.getLogger("socialdesk.scheduler")

LEASE_NAME = "scheduler"


@dataclass
class Job:
    name: str
    every: Callable[[], float]  # seconds, read when due (so a test may change the setting)
    run: Callable[["Scheduler"], None]
    last_run: float | None = field(default=None, compare=False)


# --- The jobs -------------------------------------------------------------------------------


def poll(scheduler: "Scheduler") -> None:
    """One poll of every account in flight at a time (a slow platform must not pile tasks up); a
    poll whose worker died stays RUNNING for ever, so after SOCIALDESK_POLL_LOST_SECONDS it counts
    as lost and another is enqueued (two polls at once store nothing twice)."""
    from django_tasks.exceptions import TaskResultDoesNotExist

    from socialdesk.ingestion.tasks import poll_all_accounts

    last = scheduler.last_poll
    if last is not None:
        try:
            last.refresh()
        except TaskResultDoesNotExist:
            logger.warning(
                "Poll task id=%s vanished (its row was deleted); enqueueing a new poll", last.id
            )
            last = None
    lost = (
        last is not None
        and time.monotonic() - scheduler.polled_at > settings.SOCIALDESK_POLL_LOST_SECONDS
    )
    if last is None or last.is_finished or lost:
        scheduler.last_poll = poll_all_accounts.enqueue()
        scheduler.polled_at = time.monotonic()


def outbox(scheduler: "Scheduler") -> None:
    """Sends whose worker died are tried again; actions due (retries, approvals) are enqueued,
    and so are webhook deliveries whose task was lost."""
    from socialdesk.actions import webhooks
    from socialdesk.actions.delivery import overdue_action_ids, recover_stalled
    from socialdesk.outbox.tasks import send_action, send_webhooks

    recover_stalled()
    for pk in overdue_action_ids():
        send_action.enqueue(pk)
    webhooks.recover_stalled()
    if webhooks.overdue():
        send_webhooks.enqueue()


def automation(scheduler: "Scheduler") -> None:
    """AG9's closing and flagging, and Play sessions whose browser went away."""
    from socialdesk.actions.automation import close_unresponsive, flag_old
    from socialdesk.actions.deal import end_idle_sessions

    close_unresponsive()
    flag_old()
    end_idle_sessions()


def reminders(scheduler: "Scheduler") -> None:
    """Reminders that came due notify their person (the bell, and email if they chose it)."""
    from socialdesk.people.notifications import reminders_due

    reminders_due()


def deleted_messages(scheduler: "Scheduler") -> None:
    from socialdesk.ingestion.tasks import notice_deleted_messages

    notice_deleted_messages.enqueue()


def triage(scheduler: "Scheduler") -> None:
    """Conversations a poll stored whose triage task was lost (a worker killed, a Redis queue
    emptied) are triaged: the mark on their row, not the task, is what says they wait."""
    from socialdesk.actions.triage import pending_older_than
    from socialdesk.triage.tasks import triage_conversations

    ids = pending_older_than(settings.SOCIALDESK_TRIAGE_SWEEP_SECONDS)
    if ids:
        logger.warning("%d conversations still wait for triage; enqueueing it", len(ids))
        triage_conversations.enqueue(ids)


def worker_heartbeat(scheduler: "Scheduler") -> None:
    """A task that only says "a worker ran me": /readyz knows a worker takes tasks off the queue."""
    from .tasks import worker_heartbeat as task

    task.enqueue()


def prune(scheduler: "Scheduler") -> None:
    """Finished task rows (the database backend keeps every one), heartbeats of gone processes
    the public forms' rate-limit counts of past days, and sign-in records past their keeping time."""
    cutoff = timezone.now() - timedelta(hours=settings.SOCIALDESK_TASK_RESULTS_KEEP_HOURS)
    if settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend":
        from django_tasks_db.models import DBTaskResult

        deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
        if deleted:
            logger.info(
                "Pruned %d finished task rows older than %g hours",
                deleted,
                settings.SOCIALDESK_TASK_RESULTS_KEEP_HOURS,
            )
    Heartbeat.objects.filter(seen_at__lt=timezone.now() - timedelta(days=1)).delete()
    throttle.prune()
    if settings.SOCIALDESK_SIGN_IN_LOG_KEEP_DAYS > 0:
        gone = audit.prune(timedelta(days=settings.SOCIALDESK_SIGN_IN_LOG_KEEP_DAYS))
        if gone:
            logger.info(
                "Forgot %d sign-in records older than %d days",
                gone,
                settings.SOCIALDESK_SIGN_IN_LOG_KEEP_DAYS,
            )


JOBS: list[Job] = [
    Job("poll", lambda: settings.SOCIALDESK_POLL_SECONDS, poll),
    Job("outbox", lambda: settings.SOCIALDESK_POLL_SECONDS, outbox),
    Job("automation", lambda: 60, automation),
    Job("triage", lambda: 30, triage),
    Job("reminders", lambda: 30, reminders),
    Job("deleted messages", lambda: settings.SOCIALDESK_DELETED_CHECK_SECONDS, deleted_messages),
    Job("worker heartbeat", lambda: 30, worker_heartbeat),
    Job("prune", lambda: settings.SOCIALDESK_PRUNE_SECONDS, prune),
]


def process_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Scheduler:
    """Runs the due jobs while it holds the lease; otherwise waits as a standby and keeps asking."""

    def __init__(
        self,
        *,
        name: str | None = None,
        jobs: list[Job] | None = None,
        lease_seconds: float | None = None,
    ):
        self.name = name or process_name()
        self.jobs = [Job(j.name, j.every, j.run) for j in (JOBS if jobs is None else jobs)]
        self.lease_seconds = lease_seconds or settings.SOCIALDESK_SCHEDULER_LEASE_SECONDS
        self.is_leader = False
        self.last_poll = None
        self.polled_at = 0.0

    def tick(self) -> list[str]:
        """Renew (or try to take) the lease, run the jobs that are due; the names of those run."""
        was_leader = self.is_leader
        self.is_leader = leader.acquire(LEASE_NAME, self.name, seconds=self.lease_seconds)
        beat(Heartbeat.Kind.SCHEDULER, self.name, is_leader=self.is_leader)
        if self.is_leader != was_leader:
            logger.info(
                "Scheduler %s is %s",
                self.name,
                "the leader" if self.is_leader else "standing by (another scheduler leads)",
            )
            if not self.is_leader:
                for job in self.jobs:
                    job.last_run = None
        if not self.is_leader:
            return []
        ran = []
        for job in self.jobs:
            now = time.monotonic()
            if job.last_run is not None and now - job.last_run < job.every():
                continue
            job.last_run = now
            try:
                job.run(self)
            except Exception:  # noqa: BLE001 - one job's failure must not stop the others
                logger.exception(
                    "Scheduled job %r failed; it runs again at its next turn", job.name
                )
            ran.append(job.name)
        return ran

    def stop(self) -> None:
        if self.is_leader:
            leader.release(LEASE_NAME, self.name)
            self.is_leader = False
