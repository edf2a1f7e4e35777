from django.contrib import admin

from .models import KBArticle, TagRule, TriageCorrection, TriageSuggestion, WatchTerm


@admin.register(WatchTerm)
class WatchTermAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "keywords", "active"]
    list_filter = ["kind", "active"]


@admin.register(TagRule)
class TagRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "tag", "keywords", "regex", "type", "language", "active"]


@admin.register(KBArticle)
class KBArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "url", "language"]
    search_fields = ["title", "summary"]


@admin.register(TriageSuggestion)
class TriageSuggestionAdmin(admin.ModelAdmin):
    list_display = [
        "conversation",
        "type",
        "type_confidence",
        "sentiment",
        "sentiment_confidence",
        "language",
        "created_at",
    ]
    readonly_fields = [f.name for f in TriageSuggestion._meta.fields]


@admin.register(TriageCorrection)
class TriageCorrectionAdmin(admin.ModelAdmin):
    list_display = ["conversation", "field", "suggested", "chosen", "actor", "at"]
    list_filter = ["field"]
    readonly_fields = [f.name for f in TriageCorrection._meta.fields]
