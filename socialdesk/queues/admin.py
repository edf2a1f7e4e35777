from django.contrib import admin

from .models import Queue

admin.site.register(
    Queue,
    list_display=["name", "kind", "visible_to", "is_escalation", "position"],
    prepopulated_fields={"slug": ["name"]},
)
