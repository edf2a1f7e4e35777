"""Forms of the ingestion filters' page (CH8)."""

from django import forms
from django.utils.translation import gettext_lazy

from socialdesk.fields import id_field

from .models import FilterSettings


class FilterSettingsForm(forms.ModelForm):
    class Meta:
        model = FilterSettings
        fields = [
            "drop_reposts",
            "drop_unrelated_replies",
            "drop_links",
            "allowed_hashtags",
            "banned_authors",
            "brand_words_in_handles",
            "muted_words",
        ]
        labels = {
            "drop_reposts": gettext_lazy("Drop reposts"),
            "drop_unrelated_replies": gettext_lazy("Drop unrelated replies"),
            "drop_links": gettext_lazy("Drop links"),
            "allowed_hashtags": gettext_lazy("Allowed hashtags"),
            "banned_authors": gettext_lazy("Banned authors"),
            "brand_words_in_handles": gettext_lazy("Brand words in handles"),
            "muted_words": gettext_lazy("Muted words"),
        }
        widgets = {
            name: forms.Textarea(attrs={"rows": 3})
            for name in (
                "allowed_hashtags",
                "banned_authors",
                "brand_words_in_handles",
                "muted_words",
            )
        }


class LetThroughForm(forms.Form):
    let_through = id_field(
        error_messages={"invalid": gettext_lazy("Choose a filtered message to let through.")}
    )
