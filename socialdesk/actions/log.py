"""Writing several activity entries at once.

One entry saved with `save()` announces itself to webhooks through `Activity`'s `post_save`; a
bulk insert sends no signal, so every action that writes entries in bulk does it here, and the
entries' webhook events are scheduled in the same transaction (`tests/test_action_layer.py`
fails on an `Activity` bulk insert anywhere else in the layer).
"""

from socialdesk.actions import webhooks
from socialdesk.conversations.models import Activity


def write_entries(entries: list[Activity]) -> list[Activity]:
    """Insert the entries in one statement and schedule the webhook events they ask for."""
    if not entries:
        return entries
    Activity.objects.bulk_create(entries)
    webhooks.activities_logged(entries)
    return entries
