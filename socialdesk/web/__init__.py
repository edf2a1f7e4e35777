"""The agents' web UI: templates and htmx fragments over the action layer."""
