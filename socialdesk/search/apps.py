from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SearchConfig(AppConfig):
    name = "socialdesk.search"
    label = "search"
    verbose_name = "Search"

    def ready(self):
        from . import index

        # SQLite rebuilds a table to alter it, and its triggers go with it: after every migrate
        # the triggers that keep the FTS5 tables in sync are put back (and the tables rebuilt).
        post_migrate.connect(index.ensure_after_migrate, sender=self)
