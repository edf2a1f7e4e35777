"""Running the desk in production: health, metrics, logs, the scheduler, backups."""

from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "socialdesk.operations"
    label = "operations"
    verbose_name = "Operations"

    def ready(self) -> None:
        from . import checks, logging  # noqa: F401 - registers the deploy checks and task-id signals
