from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "socialdesk.triage"
    label = "triage"
    verbose_name = "Triage"
