from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "socialdesk.conversations"
    verbose_name = "Conversations"
