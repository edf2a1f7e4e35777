"""Forms of the ingestion filters' page (CH8)."""

from django import forms

from socialdesk.fields import id_field

from .models import FilterSettings


class FilterSettingsForm(forms.ModelForm):
    class Meta:
        model = FilterSettings
        fields = "__all__"
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
    let_through = id_field(error_messages={"invalid": "Choose a filtered message to let through."})
