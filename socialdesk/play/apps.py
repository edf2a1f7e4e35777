from django.apps import AppConfig


class PlayConfig(AppConfig):
    name = "socialdesk.play"
    verbose_name = "Play Mode"

    def ready(self):
        from . import signals  # noqa: F401 - connects the sign-out receiver
