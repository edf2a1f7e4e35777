"""The scheduler process: runs the periodic jobs (socialdesk/operations/schedule.py) for the worker."""

import logging
import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from socialdesk.operations import gc_tuning
from socialdesk.operations.schedule import Scheduler

logger = logging.getLogger("socialdesk.scheduler")


def close_old_connections() -> None:
    """Drop broken or expired connections before a round, as Django does between requests, so a
    database restart or an idle timeout costs one failed round. A connection inside a transaction
    the caller holds open (the command called from code already in `atomic()`, as a test is) is
    left alone: Django's check would close it for not being in autocommit mode, and take the
    caller's transaction with it."""
    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:
            conn.close_if_unusable_or_obsolete()


class Command(BaseCommand):
    help = (
        "Run the periodic jobs (polling, the outbox sweep, automation, pruning) beside `db_worker`. "
        "Safe to run on several machines: one leads, the others stand by."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="Seconds between polls (default: SOCIALDESK_POLL_SECONDS).",
        )
        parser.add_argument(
            "--once",
            action="store_true",
            help="Run one round of every job (if this process gets the lead) and exit.",
        )

    def handle(self, *args, interval=None, once=False, **options):
        if interval is not None:
            if not interval > 0:
                raise CommandError("--interval must be more than 0 seconds.")
            settings.SOCIALDESK_POLL_SECONDS = interval
        scheduler = Scheduler()
        running = True

        def _stop(*_):
            nonlocal running
            running = False

        if not once:
            signal.signal(signal.SIGTERM, _stop)
            signal.signal(signal.SIGINT, _stop)
            # A long-running process: its loaded application set aside from the collector.
            gc_tuning.settle()
        self.stdout.write(
            f"Scheduler {scheduler.name}: polling every {settings.SOCIALDESK_POLL_SECONDS:g}s"
        )
        try:
            while running:
                close_old_connections()
                try:
                    scheduler.tick()
                except Exception:  # noqa: BLE001 - e.g. the database restarting: try again shortly
                    logger.exception("Scheduler round failed; trying again")
                if once:
                    break
                slept = 0.0
                while running and slept < 1.0:
                    time.sleep(0.25)
                    slept += 0.25
        finally:
            try:
                scheduler.stop()
            except Exception:  # noqa: BLE001 - the lease then expires on its own
                logger.exception(
                    "Could not give the scheduler lease up; it expires in %gs",
                    scheduler.lease_seconds,
                )
