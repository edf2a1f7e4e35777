"""Forms of the agent's own settings page."""

from django import forms

from .models import Signature


class AddSignatureForm(forms.Form):
    signature = forms.CharField(max_length=Signature.MAX_LENGTH, strip=True, error_messages={
        "required": "Write the signature first: it is empty.",
        "max_length": f"Keep the signature short: at most {Signature.MAX_LENGTH} characters (it counts against the platform's limit).",
    })
    make_default = forms.BooleanField(required=False)


class ChooseSignatureForm(forms.Form):
    # Empty: no default signature (replies go out unsigned unless one is picked).
    id = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)


class ShortcutsForm(forms.Form):
    keyboard_shortcuts = forms.BooleanField(required=False)
