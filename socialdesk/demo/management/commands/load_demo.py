"""Load the seeded demo configuration and the demo logins."""

from django.core.management.base import BaseCommand

from socialdesk.demo.logins import DEMO_USERS, ROLE_LABELS
from socialdesk.demo.seed import load_demo_configuration


class Command(BaseCommand):
    help = "Create the demo's brand accounts, policy, routing table, queues, tags, clippings and logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-users", action="store_true", help="Do not create the demo logins."
        )

    def handle(self, *args, no_users=False, **options):
        load_demo_configuration(with_users=not no_users)
        self.stdout.write("Demo configuration loaded.")
        if not no_users:
            for username, password, role, _ in DEMO_USERS:
                self.stdout.write(f"  {ROLE_LABELS[role]:<18} {username} / {password}")
