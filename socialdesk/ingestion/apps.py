from django.apps import AppConfig


class IngestionConfig(AppConfig):
    name = "socialdesk.ingestion"
    verbose_name = "Ingestion"
