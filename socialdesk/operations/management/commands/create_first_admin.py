"""First run: create the first admin, once (docs/deploy.md)."""

import getpass
import os

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from socialdesk.people.models import Profile, Role


class Command(BaseCommand):
    help = (
        "Create the first admin (a superuser with the Admin role). Does nothing if an admin exists. "
        "Non-interactive with SOCIALDESK_ADMIN_USERNAME, SOCIALDESK_ADMIN_EMAIL and SOCIALDESK_ADMIN_PASSWORD."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default=os.environ.get("SOCIALDESK_ADMIN_USERNAME", ""))
        parser.add_argument("--email", default=os.environ.get("SOCIALDESK_ADMIN_EMAIL", ""))
        parser.add_argument(
            "--no-input", action="store_true", help="Never prompt; fail if something is missing."
        )

    def handle(self, *args, username="", email="", no_input=False, **options):
        User = get_user_model()
        if (
            User.objects.filter(is_superuser=True).exists()
            or Profile.objects.filter(role=Role.ADMIN).exists()
        ):
            self.stdout.write(
                "An admin exists already: nothing done. Admins add the other agents at /admin/."
            )
            return
        password = os.environ.get("SOCIALDESK_ADMIN_PASSWORD", "")
        if not username:
            if no_input:
                raise CommandError("Give --username (or SOCIALDESK_ADMIN_USERNAME).")
            username = input("Admin username: ").strip()
        if not password:
            if no_input:
                raise CommandError(
                    "Set SOCIALDESK_ADMIN_PASSWORD (the password is never taken on the command line)."
                )
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The two passwords differ.")
        if not username:
            raise CommandError("The username is empty.")
        if User.objects.filter(username=username).exists():
            raise CommandError(
                f"A user {username!r} exists already (not an admin): choose another username."
            )
        user = User(username=username, email=email, is_staff=True, is_superuser=True)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError("The password is refused: " + " ".join(exc.messages)) from None
        with transaction.atomic():
            user.set_password(password)
            user.save()
            Profile.objects.update_or_create(user=user, defaults={"role": Role.ADMIN})
        self.stdout.write(
            f"Admin {username!r} created: sign in, then add brand accounts at /manage/accounts/."
        )
