from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from socialdesk.people.models import TokenScope

EXPIRIES = [("7", "in 7 days"), ("30", "in 30 days"), ("90", "in 90 days"), ("365", "in a year")]
MAX_TOKENS = 20


class NewTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        label=gettext_lazy("Name"),
        help_text=gettext_lazy("To recognise it by: the script that uses it."),
    )
    scope = forms.ChoiceField(choices=TokenScope.choices, initial=TokenScope.READ)
    days = forms.TypedChoiceField(
        choices=EXPIRIES, coerce=int, initial="30", label=gettext_lazy("Expires")
    )

    def clean_name(self):
        from socialdesk.conversations.limits import unsafe_character

        name = self.cleaned_data["name"].strip()
        if unsafe_character(name) is not None:
            raise forms.ValidationError(_("The name contains a character that cannot be stored."))
        return name


class RevokeTokenForm(forms.Form):
    token = forms.IntegerField(min_value=1, max_value=2**63 - 1)
