import re

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from socialdesk.conversations.limits import TEXT_LIMITS

from .models import Clipping

PLACEHOLDERS = ("{name}", "{handle}")
_BRACED = re.compile(r"\{[^{}\s]{0,40}\}")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


class ClippingForm(forms.ModelForm):
    """A clipping as a community manager edits it (PE3): its text may use {name} and {handle}."""

    # A clipping becomes a reply: the same table of limits as every other text (conversations.limits).
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"}),
        max_length=TEXT_LIMITS["clipping"],
        help_text=gettext_lazy(
            "{name} becomes the customer's first name, {handle} their @handle."
        ),
    )
    language = forms.CharField(
        max_length=10,
        initial="en",
        help_text=gettext_lazy("The language it is written in: en, de, fr, es, pt-BR, tr…"),
        error_messages={
            "required": gettext_lazy("Say which language the clipping is in (en, de…).")
        },
    )

    class Meta:
        model = Clipping
        fields = ["title", "text", "language", "is_holding_reply"]
        labels = {
            "title": gettext_lazy("Title"),
            "text": gettext_lazy("Text"),
            "language": gettext_lazy("Language"),
            "is_holding_reply": gettext_lazy("A holding reply (offered when escalating)"),
        }

    def clean_title(self):
        return self.cleaned_data["title"].strip()

    def clean_text(self):
        text = self.cleaned_data["text"].strip()
        unknown = sorted({p for p in _BRACED.findall(text) if p not in PLACEHOLDERS})
        if unknown:
            raise forms.ValidationError(
                _("Unknown placeholder %(join)s: use {name} or {handle}.")
                % {"join": ", ".join(unknown)}
            )
        return text

    def clean_language(self):
        code = self.cleaned_data["language"].strip()
        if not _LANGUAGE.match(code):
            raise forms.ValidationError(_("Give a language code such as en, de or pt-BR."))
        return code
