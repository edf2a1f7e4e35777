"""PE3: community managers edit the respond-from table (PO1) in the desk: which of our accounts
answers when a customer mentions which. Rules are tried in order (brands.routing)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from socialdesk.people import audit
from socialdesk.people.models import Role, has_role
from socialdesk.people.settings_pages import SettingsList, confirm_delete

from .models import BrandAccount, Platform, RoutingRule


class RuleForm(forms.ModelForm):
    mentioned = forms.ModelChoiceField(
        queryset=BrandAccount.objects.all(),
        required=False,
        empty_label=gettext_lazy("(none of our accounts: found by a search)"),
        label=gettext_lazy("When a customer mentions"),
        error_messages={"invalid_choice": gettext_lazy("Choose one of the accounts in the list.")},
    )
    respond_from = forms.ModelChoiceField(
        queryset=BrandAccount.objects.all(),
        label=gettext_lazy("Answer from"),
        error_messages={
            "required": gettext_lazy("Choose the account that answers."),
            "invalid_choice": gettext_lazy("Choose one of the accounts in the list."),
        },
    )
    position = forms.IntegerField(
        min_value=0,
        max_value=10_000,
        initial=0,
        help_text=gettext_lazy("Lower numbers are tried first."),
    )

    class Meta:
        model = RoutingRule
        fields = ["position", "platform", "mentioned", "respond_from", "note"]
        labels = {
            "position": gettext_lazy("Order"),
            "platform": gettext_lazy("Platform"),
            "note": gettext_lazy("Note"),
        }

    def clean(self):
        data = super().clean()
        platform = data.get("platform")
        for name in ("mentioned", "respond_from"):
            account = data.get(name)
            if account is not None and platform and account.platform != platform:
                self.add_error(
                    name,
                    _("%(account)s is on %(get_platform_display)s, not on this platform.")
                    % {"account": account, "get_platform_display": account.get_platform_display()},
                )
        return data


def _cm_only(request):
    if not has_role(request.user, Role.COMMUNITY_MANAGER):
        raise PermissionDenied(
            _("Only community managers and admins edit the respond-from table.")
        )


@login_required
def respond_from(request):
    _cm_only(request)
    form = RuleForm(initial={"platform": Platform.TWITTER})
    if request.method == "POST":
        form = RuleForm(request.POST)
        if form.is_valid():
            rule = form.save()
            audit.record("respond_from_changed", actor=request.user, added=str(rule))
            messages.success(request, _("Rule added: %(rule)s.") % {"rule": rule})
            return redirect("respond_from")
    rules = RoutingRule.objects.select_related("mentioned", "respond_from")
    return render(
        request,
        "brands/respond_from.html",
        {"rules": rules, "form": form},
        status=400 if form.errors else 200,
    )


RULES = SettingsList(
    name="respond_from", title=gettext_lazy("Respond from"), noun=gettext_lazy("rule")
)


@login_required
def delete_rule(request, pk):
    """GET asks first (as every settings page does); POST removes the rule."""
    _cm_only(request)
    rule = get_object_or_404(
        RoutingRule.objects.select_related("mentioned", "respond_from"), pk=pk
    )

    def delete() -> str:
        rule.delete()
        audit.record(
            "respond_from_changed", actor=request.user, request=request, removed=str(rule)
        )
        return _("Rule removed: %(rule)s.") % {"rule": rule}

    return confirm_delete(
        request,
        page=RULES,
        row=rule,
        action=reverse("delete_rule", args=[rule.pk]),
        delete=delete,
        warning=_(
            "New conversations are routed without it; conversations already open keep the account they answer from."
        ),
    )
