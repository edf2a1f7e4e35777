"""Issue an API token for a user; the token is printed once and only its hash is kept."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from socialdesk.people.models import ApiToken


class Command(BaseCommand):
    help = "Issue an HTTP API token for USERNAME (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="cli", help="A label to recognise the token by.")

    def handle(self, *args, username, name, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user called {username!r}.")
        _, key = ApiToken.issue(user, name)
        self.stdout.write(key)
