"""Print a new random key for SOCIALDESK_CREDENTIALS_KEY."""

from cryptography.fernet import Fernet
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Print a new Fernet key: put it first in SOCIALDESK_CREDENTIALS_KEY, then run rotate_credentials_key."

    def handle(self, *args, **options):
        self.stdout.write(Fernet.generate_key().decode())
