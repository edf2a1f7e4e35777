from django.apps import AppConfig


class PlayConfig(AppConfig):
    name = "socialdesk.play"
    verbose_name = "Play Mode"
