from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "socialdesk.people"
    verbose_name = "People and access"

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_migrate

        from . import signals  # noqa: F401 - connects the sign-in/out receivers
        from .roles import sync_after_migrate

        # The roles' groups get the permissions of models added since (the admins' are all).
        post_migrate.connect(sync_after_migrate, dispatch_uid="socialdesk.people.role_groups")
        # Every page names people by str(user): the placeholder for departed people's work reads
        # in the reader's language there ("ein ehemaliges Teammitglied"), not as its username.
        from .models import shown_name

        get_user_model().__str__ = shown_name
