"""Forms of the Accounts pages; what a connect method needs is described by the platform's
connection module (`connectors.auth.Method`), so its form is built from that, not written here."""

from django import forms
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from .models import AccountKind, BrandAccount, Platform


class AddAccountForm(forms.Form):
    platform = forms.ChoiceField(choices=Platform.choices)
    handle = forms.CharField(
        max_length=BrandAccount._meta.get_field("handle").max_length,
        help_text=gettext_lazy(
            "Without the @. Google Play: the app's package name, e.g. org.mozilla.firefox."
        ),
    )
    display_name = forms.CharField(
        max_length=BrandAccount._meta.get_field("display_name").max_length, required=False
    )
    kind = forms.ChoiceField(choices=AccountKind.choices, initial=AccountKind.SUPPORT)
    locale = forms.CharField(
        max_length=BrandAccount._meta.get_field("locale").max_length, initial="en"
    )
    api_base = forms.CharField(
        max_length=BrandAccount._meta.get_field("api_base").max_length,
        required=False,
        label=gettext_lazy("Instance"),
        help_text=gettext_lazy("Mastodon only: the account's server, e.g. https://mozilla.social"),
    )

    def clean(self):
        data = super().clean()
        for name, value in list(data.items()):
            if isinstance(value, str) and (
                "\x00" in value or any(0xD800 <= ord(ch) <= 0xDFFF for ch in value)
            ):
                self.add_error(name, _("This contains characters that cannot be stored."))
        return data


class EngagementPolicyForm(forms.ModelForm):
    """What agents may do from one brand account (PO2); the action layer enforces it on every path."""

    class Meta:
        model = BrandAccount
        fields = ["can_reply", "can_like", "retweet_policy", "can_dm", "requires_moderation"]
        labels = {
            "can_reply": _("Replies may be sent from it"),
            "can_like": _("Customers' messages may be liked from it"),
            "retweet_policy": _("Who may retweet or boost from it"),
            "can_dm": _("Private messages may be sent from it"),
            "requires_moderation": _("Mentions of it wait for a moderator first"),
        }
        error_messages = {
            "retweet_policy": {"invalid_choice": _("Choose one of the choices in the list.")}
        }
