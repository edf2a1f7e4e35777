from django.apps import AppConfig


class QueuesConfig(AppConfig):
    name = "socialdesk.queues"
    verbose_name = "Queues"
