from django import forms
from django.contrib import admin

from .models import BrandAccount, RoutingRule, SearchTerm


class BrandAccountForm(forms.ModelForm):
    class Meta:
        model = BrandAccount
        exclude = ["credentials"]


@admin.register(BrandAccount)
class BrandAccountAdmin(admin.ModelAdmin):
    # Credentials are never shown back once entered.
    form = BrandAccountForm
    list_display = ["__str__", "platform", "kind", "locale", "can_reply", "can_like", "retweet_policy", "can_dm"]
    list_filter = ["platform", "kind"]


admin.site.register(RoutingRule, list_display=["position", "platform", "mentioned", "respond_from"])
admin.site.register(SearchTerm, list_display=["query", "account", "active"])
