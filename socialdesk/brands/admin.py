from django import forms
from django.contrib import admin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import BrandAccount, RoutingRule, SearchTerm


class BrandAccountForm(forms.ModelForm):
    """Credentials are write-only: entered here once, stored encrypted, never shown again."""

    new_credentials = forms.JSONField(
        required=False,
        label=gettext_lazy("New credentials (JSON)"),
        help_text=gettext_lazy(
            "Leave empty to keep the current ones; never shown again once saved. Connect accounts on the Accounts page "
            "(/manage/accounts/) instead: it checks the credentials with the platform and keeps them renewed."
        ),
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
    )

    class Meta:
        model = BrandAccount
        # Named one by one, so a new column (a secret, say) is not shown until someone adds it;
        # `credentials` stays out: it is written through `new_credentials` only.
        fields = [
            "platform",
            "handle",
            "display_name",
            "external_id",
            "kind",
            "locale",
            "supported_languages",
            "connected_at",
            "connected_by",
            "token_refreshed_at",
            "credentials_failed_at",
            "credentials_error",
            "api_base",
            "active",
            "requires_moderation",
            "can_reply",
            "can_like",
            "retweet_policy",
            "can_dm",
        ]

    def clean_new_credentials(self):
        value = self.cleaned_data.get("new_credentials")
        if value not in (None, "") and not isinstance(value, dict):
            raise forms.ValidationError(
                _('Enter a JSON object, e.g. {"type": "app_only", "bearer_token": "…"}.')
            )
        return value

    def save(self, commit=True):
        account = super().save(commit=False)
        if self.cleaned_data.get("new_credentials"):
            account.credentials = self.cleaned_data["new_credentials"]
        if commit:
            account.save()
        return account


@admin.register(BrandAccount)
class BrandAccountAdmin(admin.ModelAdmin):
    form = BrandAccountForm
    list_display = [
        "__str__",
        "platform",
        "kind",
        "locale",
        "can_reply",
        "can_like",
        "retweet_policy",
        "can_dm",
    ]
    list_filter = ["platform", "kind"]
    # Set by connecting the account on /manage/accounts/ and by the token keeper, not by hand.
    readonly_fields = [
        "connected_at",
        "connected_by",
        "token_refreshed_at",
        "credentials_failed_at",
        "credentials_error",
    ]


admin.site.register(
    RoutingRule, list_display=["position", "platform", "mentioned", "respond_from"]
)
admin.site.register(SearchTerm, list_display=["query", "account", "active"])
