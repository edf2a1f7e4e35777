from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "socialdesk.webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from socialdesk.actions import webhooks

        # Each activity entry the action layer writes schedules its event, in the same
        # transaction; the page-sized inserts of ingestion call `activities_logged` themselves.
        post_save.connect(
            webhooks.activity_saved,
            sender="conversations.Activity",
            dispatch_uid="webhooks_activity_saved",
        )
        # Each process keeps the active subscriptions a few seconds; a change forgets them.
        for signal in (post_save, post_delete):
            signal.connect(
                webhooks.forget_subscriptions,
                sender="webhooks.WebhookSubscription",
                dispatch_uid=f"webhooks_forget_subscriptions_{signal is post_save}",
            )
