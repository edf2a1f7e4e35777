from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "socialdesk.conversations"
    verbose_name = "Conversations"

    def ready(self):
        from socialdesk.actions import tagging  # noqa: F401  (a tag renamed or deleted refreshes its conversations)
