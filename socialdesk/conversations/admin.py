from django.contrib import admin

from .models import Activity, Author, Conversation, InternalNote, Message, Reminder, Tag, UserTag


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    fields = ["direction", "platform_id", "text", "created_at"]
    readonly_fields = fields


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "author",
        "account",
        "respond_from",
        "status",
        "moderated",
        "priority",
        "dealt_to",
    ]
    list_filter = ["platform", "status", "moderated"]
    inlines = [MessageInline]
    raw_id_fields = ["author", "assignee", "dealt_to"]


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["at", "conversation", "kind", "actor"]
    list_filter = ["kind"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(
    Author,
    list_display=["handle", "name", "followers", "verified"],
    search_fields=["handle", "name"],
)
admin.site.register(Tag, list_display=["name", "slug"], prepopulated_fields={"slug": ["name"]})
admin.site.register(UserTag, list_display=["author", "kind", "added_by"])
admin.site.register(InternalNote)
admin.site.register(Reminder)
