"""Write the API's OpenAPI document to docs/openapi.json (a test checks it is up to date)."""

from django.core.management.base import BaseCommand

from socialdesk.api.openapi import DOC, document


class Command(BaseCommand):
    help = "Write the OpenAPI document of /api/v1/ to docs/openapi.json."

    def handle(self, *args, **options):
        DOC.write_text(document(), encoding="utf-8")
        self.stdout.write(f"Wrote {DOC}")
