from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "socialdesk.outbox"
    verbose_name = "Outbox"
