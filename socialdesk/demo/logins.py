"""The demo's logins (username, password, role, signature); plain data, importable without Django."""

# The passwords pass the desk's own password policy (settings.AUTH_PASSWORD_VALIDATORS).
DEMO_USERS = [
    ("contributor", "fxhelp-volunteer-2026", "contributor", "^CO"),
    ("moderator", "triage-every-mention", "moderator", "^MO"),
    ("cm", "escalations-welcome", "cm", "^CM"),
    ("admin", "connect-the-accounts", "admin", "^AD"),
]

# Earlier demos' passwords, too weak for the policy: a demo database that still has one gets the new one.
OLD_DEMO_PASSWORDS = {
    "contributor": "demo-contributor",
    "moderator": "demo-moderator",
    "cm": "demo-cm",
    "admin": "demo-admin",
}

ROLE_LABELS = {
    "contributor": "Contributor",
    "moderator": "Moderator",
    "cm": "Community manager",
    "admin": "Admin",
}
