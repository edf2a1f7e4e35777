"""The scheduler process: enqueues periodic work (polling, deletions, the outbox sweep) for the worker."""

import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from socialdesk.conversations.automation import close_unresponsive, flag_old
from socialdesk.ingestion.tasks import notice_deleted_messages, poll_all_accounts
from socialdesk.outbox.services import overdue_action_ids, recover_stalled
from socialdesk.outbox.tasks import send_action
from socialdesk.play.services import end_idle_sessions


class Command(BaseCommand):
    help = "Enqueue polling and outbox work every few seconds (run beside `db_worker`)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=None, help="Seconds between polls (default: SOCIALDESK_POLL_SECONDS).")
        parser.add_argument("--once", action="store_true", help="Enqueue one round and exit.")

    def handle(self, *args, interval=None, once=False, **options):
        interval = interval or settings.SOCIALDESK_POLL_SECONDS
        running = True

        def _stop(*_):
            nonlocal running
            running = False

        if not once:
            signal.signal(signal.SIGTERM, _stop)
            signal.signal(signal.SIGINT, _stop)
        last_poll = None
        polled_at = 0.0
        last_automation = None
        last_deletions = None
        self.stdout.write(f"Scheduler: polling every {interval:g}s")
        while running:
            # One poll in flight at a time: a slow platform must not pile up tasks.
            if last_poll is not None:
                last_poll.refresh()
            # A worker killed mid-poll leaves its task RUNNING for ever: after a while it counts as
            # lost and a new poll is enqueued (two polls at once store nothing twice).
            lost = last_poll is not None and time.monotonic() - polled_at > settings.SOCIALDESK_POLL_LOST_SECONDS
            if last_poll is None or last_poll.is_finished or lost:
                last_poll = poll_all_accounts.enqueue()
                polled_at = time.monotonic()
            recover_stalled()
            if last_automation is None or time.monotonic() - last_automation >= 60:
                close_unresponsive()
                flag_old()
                end_idle_sessions()  # a closed browser leaves Play Mode after the lease
                last_automation = time.monotonic()
            if last_deletions is None or time.monotonic() - last_deletions >= settings.SOCIALDESK_DELETED_CHECK_SECONDS:
                notice_deleted_messages.enqueue()
                last_deletions = time.monotonic()
            for pk in overdue_action_ids():
                send_action.enqueue(pk)
            if once:
                break
            slept = 0.0
            while running and slept < interval:
                time.sleep(0.5)
                slept += 0.5
