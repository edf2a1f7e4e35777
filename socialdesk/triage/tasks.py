"""Triage after a poll's page is stored: one task per page, enqueued with the page."""

from django_tasks import task

from socialdesk.actions.triage import run_pending


@task()
def triage_conversations(conversation_ids: list[int], counts: dict | None = None) -> int:
    """Triage the conversations a page opened (`counts`: what the platform counted on each
    opening message, by conversation id)."""
    return run_pending(conversation_ids, counts=counts)
