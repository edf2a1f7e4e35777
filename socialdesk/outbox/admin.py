from django.contrib import admin

from .models import OutboundAction

admin.site.register(
    OutboundAction,
    list_display=["id", "kind", "account", "state", "attempts", "next_attempt_at", "last_error"],
    list_filter=["state", "kind"],
)
