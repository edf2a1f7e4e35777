"""Webhooks (AP2): subscriptions to conversation events, each delivery signed and sent through
the outbox (`actions.webhooks`)."""
