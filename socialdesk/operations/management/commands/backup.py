"""`socialdesk backup FILE`: the database, the media and the credentials keys in one archive."""

from django.core.management.base import BaseCommand, CommandError

from socialdesk.operations.backup import BackupError, create


class Command(BaseCommand):
    help = "Back up the database, the uploaded media and the credentials keys into one .tar.gz (readable by its owner only)."

    def add_arguments(self, parser):
        parser.add_argument(
            "file",
            help="Where to write the archive, e.g. /var/backups/socialdesk/$(date +%%F).tar.gz",
        )
        parser.add_argument(
            "--without-keys",
            action="store_true",
            help="Leave the credentials keys out (keep them apart yourself).",
        )

    def handle(self, *args, file, without_keys=False, **options):
        try:
            manifest = create(file, with_keys=not without_keys)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        keys = (
            "with the credentials keys (keep it safe)"
            if manifest["keys"]
            else "without the credentials keys"
        )
        self.stdout.write(
            f"Backed up the {manifest['engine']} database and {manifest['media_files']} media file(s) to {file}, {keys}."
        )
