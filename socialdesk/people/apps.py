from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "socialdesk.people"
    verbose_name = "People and access"

    def ready(self):
        from . import signals  # noqa: F401 - connects the sign-in/out receivers
