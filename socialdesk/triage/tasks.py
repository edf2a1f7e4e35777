"""Triage after a poll's page is stored: one task per page, enqueued with the page."""

from django_tasks import task

from socialdesk.actions.triage import run_follow_ups, run_pending


@task()
def triage_conversations(
    conversation_ids: list[int], counts: dict | None = None, follow_ups: list[int] | None = None
) -> int:
    """Triage the conversations a page opened (`counts`: what the platform counted on each
    opening message, by conversation id), and triage again those the page added a customer's
    follow-up to (`follow_ups`), read with their earlier messages."""
    opened = run_pending(conversation_ids, counts=counts) if conversation_ids else 0
    return opened + run_follow_ups(follow_ups or [])
