"""Conversations: authors, messages, tags, notes, reminders and the activity log."""
