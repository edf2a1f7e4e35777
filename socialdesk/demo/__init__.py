"""The demo: seeded configuration and the one-command launcher."""
