from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "socialdesk.people"
    verbose_name = "People and access"
