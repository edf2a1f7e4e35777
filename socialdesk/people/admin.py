from django.contrib import admin

from .models import ApiToken, Profile, Signature

admin.site.register(Profile, list_display=["user", "role"], list_filter=["role"])
admin.site.register(Signature, list_display=["user", "text", "is_default"])
admin.site.register(
    ApiToken, list_display=["user", "name", "created_at", "last_used_at"], exclude=["key_hash"]
)
