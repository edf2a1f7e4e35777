"""The moderator's decision on a reply waiting for approval (AG11)."""

from django import forms
from django.utils.translation import gettext_lazy

from socialdesk.conversations.limits import TEXT_LIMITS


class ApprovalDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", gettext_lazy("Approve")), ("return", gettext_lazy("Send back"))],
        initial="return",
        required=False,
    )
    text = forms.CharField(max_length=TEXT_LIMITS["reply"], required=False, strip=False)
    note = forms.CharField(max_length=TEXT_LIMITS["note"], required=False)
