"""The demo's logins (username, password, role, signature); plain data, importable without Django."""

DEMO_USERS = [
    ("contributor", "demo-contributor", "contributor", "^CO"),
    ("moderator", "demo-moderator", "moderator", "^MO"),
    ("cm", "demo-cm", "cm", "^CM"),
    ("admin", "demo-admin", "admin", "^AD"),
]

ROLE_LABELS = {"contributor": "Contributor", "moderator": "Moderator", "cm": "Community manager", "admin": "Admin"}
