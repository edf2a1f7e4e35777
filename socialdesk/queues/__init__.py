"""Queues: saved rules over conversations, with a visibility per role (AG1)."""
