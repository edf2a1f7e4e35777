"""The scheduler process: runs the periodic jobs (socialdesk/operations/schedule.py) for the worker."""

import logging
import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from socialdesk.operations.schedule import Scheduler

logger = logging.getLogger("socialdesk.scheduler")


class Command(BaseCommand):
    help = (
        "Run the periodic jobs (polling, the outbox sweep, automation, pruning) beside `db_worker`. "
        "Safe to run on several machines: one leads, the others stand by."
    )

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=None, help="Seconds between polls (default: SOCIALDESK_POLL_SECONDS).")
        parser.add_argument("--once", action="store_true", help="Run one round of every job (if this process gets the lead) and exit.")

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
        self.stdout.write(f"Scheduler {scheduler.name}: polling every {settings.SOCIALDESK_POLL_SECONDS:g}s")
        try:
            while running:
                close_old_connections()  # a database restart or an idle timeout, as between requests
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
                logger.exception("Could not give the scheduler lease up; it expires in %gs", scheduler.lease_seconds)
