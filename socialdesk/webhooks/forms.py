from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Event


class SubscriptionForm(forms.Form):
    name = forms.CharField(
        max_length=100, label=_("Name"), help_text=_("To recognise it by: what receives it.")
    )
    url = forms.CharField(
        max_length=500,
        label=_("URL"),
        help_text=_(
            "An https:// address on the internet (private and local addresses are refused)."
        ),
    )
    events = forms.MultipleChoiceField(
        choices=Event.choices, widget=forms.CheckboxSelectMultiple, label=_("Events")
    )
    active = forms.BooleanField(
        required=False, initial=True, label=_("Active (paused: nothing is sent)")
    )
