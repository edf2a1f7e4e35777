"""The scheduler: one leader among several processes, jobs declared in one table, old rows pruned,
and the scheduler and the worker carrying on when a task row vanishes."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from socialdesk.operations import leader, schedule
from socialdesk.operations.management.commands.db_worker import Worker
from socialdesk.operations.models import Heartbeat, Lease
from socialdesk.operations.schedule import JOBS, Job, Scheduler

from .tasks_for_tests import delete_own_row, say


def recording_jobs(log: list, who: str) -> list[Job]:
    return [
        Job("a", lambda: 0, lambda s: log.append((who, "a"))),
        Job("b", lambda: 3600, lambda s: log.append((who, "b"))),
    ]


def test_two_schedulers_run_the_jobs_once_one_leads_at_a_time(db):
    log = []
    one = Scheduler(name="host-1:1", jobs=recording_jobs(log, "one"))
    two = Scheduler(name="host-2:2", jobs=recording_jobs(log, "two"))
    for _ in range(3):
        one.tick()
        two.tick()
    assert one.is_leader and not two.is_leader
    assert log == [("one", "a"), ("one", "b"), ("one", "a"), ("one", "a")]  # b only every hour
    assert set(Heartbeat.objects.values_list("name", "is_leader")) == {
        ("host-1:1", True),
        ("host-2:2", False),
    }
    # A clean stop hands the lead over at once.
    one.stop()
    log.clear()
    two.tick()
    one.tick()
    assert two.is_leader and not one.is_leader and log == [("two", "a"), ("two", "b")]


def test_a_leader_that_stops_renewing_loses_the_lead_after_the_lease(db):
    log = []
    one = Scheduler(name="host-1:1", jobs=recording_jobs(log, "one"), lease_seconds=30)
    two = Scheduler(name="host-2:2", jobs=recording_jobs(log, "two"), lease_seconds=30)
    one.tick()
    two.tick()
    assert not two.is_leader
    Lease.objects.filter(name="scheduler").update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )  # one hung
    two.tick()
    assert two.is_leader
    one.tick()
    assert not one.is_leader, "the old leader stands by once it sees the lease taken"


def test_the_lease_is_never_held_twice(db):
    assert leader.acquire("x", "a", seconds=60)
    assert not leader.acquire("x", "b", seconds=60)
    assert leader.acquire("x", "a", seconds=60)  # renewal
    leader.release("x", "b")  # not b's to give up
    assert not leader.acquire("x", "b", seconds=60)


def test_every_periodic_job_is_in_the_one_table():
    assert [j.name for j in JOBS] == [
        "poll",
        "outbox",
        "automation",
        "triage",
        "reminders",
        "deleted messages",
        "worker heartbeat",
        "prune",
    ]


def test_a_failing_job_does_not_stop_the_others(db, caplog):
    log = []

    def boom(s):
        raise RuntimeError("broken")

    s = Scheduler(
        name="h:1",
        jobs=[Job("boom", lambda: 0, boom), Job("ok", lambda: 0, lambda s: log.append(1))],
    )
    assert s.tick() == ["boom", "ok"] and log == [1]
    assert "Scheduled job 'boom' failed" in caplog.text


def test_old_finished_task_rows_are_pruned(db, settings):
    settings.SOCIALDESK_TASK_RESULTS_KEEP_HOURS = 24
    old_done, new_done, old_waiting = say.enqueue("a"), say.enqueue("b"), say.enqueue("c")
    DBTaskResult.objects.filter(pk__in=[old_done.id, new_done.id]).update(
        status="SUCCESSFUL", finished_at=timezone.now()
    )
    DBTaskResult.objects.filter(pk=old_done.id).update(
        finished_at=timezone.now() - timedelta(hours=25)
    )
    DBTaskResult.objects.filter(pk=old_waiting.id).update(
        enqueued_at=timezone.now() - timedelta(days=3)
    )
    schedule.prune(Scheduler(name="h:1", jobs=[]))
    assert {str(pk) for pk in DBTaskResult.objects.values_list("pk", flat=True)} == {
        new_done.id,
        old_waiting.id,
    }


def test_sign_in_records_are_forgotten_after_their_keeping_time_and_decisions_stay(db, settings):
    from axes.models import AccessLog

    from socialdesk.people import audit
    from socialdesk.people.models import AuditEntry

    settings.SOCIALDESK_SIGN_IN_LOG_KEEP_DAYS = 180
    old = timezone.now() - timedelta(days=181)
    for kind in ("signed_in", "sign_in_failed", "role_changed"):
        audit.record(kind, ip="203.0.113.7")
    audit.record("signed_in", ip="198.51.100.2")  # recent: kept
    AuditEntry.objects.exclude(detail__ip="198.51.100.2").update(at=old)
    AccessLog.objects.create(username="lena", ip_address="203.0.113.7", user_agent="x")
    AccessLog.objects.create(username="lena", ip_address="198.51.100.2", user_agent="x")
    AccessLog.objects.filter(ip_address="203.0.113.7").update(attempt_time=old)
    schedule.prune(Scheduler(name="h:1", jobs=[]))
    assert sorted(AuditEntry.objects.values_list("kind", "detail__ip")) == [
        ("role_changed", "203.0.113.7"),
        ("signed_in", "198.51.100.2"),
    ]
    assert list(AccessLog.objects.values_list("ip_address", flat=True)) == ["198.51.100.2"]
    settings.SOCIALDESK_SIGN_IN_LOG_KEEP_DAYS = 0
    AuditEntry.objects.update(at=old)
    schedule.prune(Scheduler(name="h:1", jobs=[]))
    assert AuditEntry.objects.count() == 2, "0 keeps them for ever"


def test_prune_is_scheduled(db):
    s = Scheduler(name="h:1")
    ran = s.tick()
    assert "prune" in ran and "poll" in ran


def test_the_scheduler_carries_on_when_its_poll_row_vanishes(db, caplog):
    s = Scheduler(name="h:1", jobs=[Job("poll", lambda: 0, schedule.poll)])
    s.tick()
    first = s.last_poll.id
    DBTaskResult.objects.all().delete()  # e.g. pruned, or deleted by hand
    caplog.set_level(logging.WARNING)
    s.tick()
    assert s.last_poll.id != first and DBTaskResult.objects.filter(pk=s.last_poll.id).exists()
    assert f"Poll task id={first} vanished" in caplog.text


def run_worker(worker_class) -> None:
    worker_class(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    ).run()


@pytest.mark.django_db(transaction=True)
def test_the_worker_carries_on_when_a_task_row_vanishes(caplog):
    from django_tasks_db.management.commands.db_worker import Worker as StockWorker

    vanishing, after = delete_own_row.enqueue(), say.enqueue("still here")
    caplog.set_level(logging.WARNING)
    run_worker(Worker)
    assert f"Task id={vanishing.id} vanished" in caplog.text
    after.refresh()
    assert after.return_value == "still here"
    # The stock worker stops there (what happened in production): the next task never runs.
    delete_own_row.enqueue()
    waiting = say.enqueue("never")
    with pytest.raises(Exception, match="did not affect any rows"):
        run_worker(StockWorker if StockWorker is not Worker else StockWorker.__bases__[0])
    waiting.refresh()
    assert waiting.status == "READY"
