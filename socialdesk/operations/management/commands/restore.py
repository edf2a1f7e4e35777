"""`socialdesk restore FILE`: a backup into an empty database."""

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from socialdesk.operations.backup import BackupError, restore, unreadable_credentials


class Command(BaseCommand):
    help = (
        "Restore a backup made by `socialdesk backup` into this instance's database (which must be empty) "
        "and media folder, then apply this version's migrations."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--keys-out",
            help="Write the archive's keys.env (SOCIALDESK_CREDENTIALS_KEY=…) to this file, mode 600.",
        )

    def handle(self, *args, file, keys_out=None, **options):
        try:
            manifest = restore(file, keys_out=keys_out)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Restored the backup of {manifest['created_at']} ({manifest['media_files']} media file(s))."
        )
        call_command("migrate", "--no-input", verbosity=0)
        unreadable = unreadable_credentials()
        if unreadable:
            where = (
                f"the line in {keys_out}"
                if keys_out
                else "the archive's keys.env (--keys-out FILE writes it)"
            )
            self.stderr.write(
                f"{unreadable} brand account(s) have credentials no configured key opens: set SOCIALDESK_CREDENTIALS_KEY "
                f"to {where} and restart, or reconnect those accounts."
            )
        else:
            self.stdout.write("Every brand account's credentials are readable.")
