"""Encrypt the stored platform credentials again with the newest key of SOCIALDESK_CREDENTIALS_KEY."""

from django.core.management.base import BaseCommand, CommandError

from socialdesk.brands.secrets import key_list, rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored platform credential with the newest key (the first of "
        "SOCIALDESK_CREDENTIALS_KEY). Afterwards the older keys can be removed from the list."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Count what would be re-encrypted; change nothing.",
        )

    def handle(self, *args, dry_run=False, **options):
        counts = rotate(dry_run=dry_run)
        verb = "would be re-encrypted" if dry_run else "re-encrypted"
        self.stdout.write(
            f"{counts['rotated']} {verb}, {counts['current']} already on the newest key, "
            f"{counts['unreadable']} unreadable with the {len(key_list())} key(s) listed."
        )
        if counts["unreadable"]:
            raise CommandError(
                f"{counts['unreadable']} stored credential(s) open with none of the keys listed: add the key "
                "they were encrypted with to SOCIALDESK_CREDENTIALS_KEY (after the newest) and run this again, "
                "or reconnect those accounts."
            )
