from django.apps import AppConfig


class ClippingsConfig(AppConfig):
    name = "socialdesk.clippings"
    verbose_name = "Clippings"
