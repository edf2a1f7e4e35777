"""Forms parse and check the shape of input; the action layer checks everything else."""

from django import forms

from socialdesk.conversations.models import CloseReason, HoldReason


class ReplyForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, strip=True)
    then = forms.ChoiceField(choices=[("none", "Reply"), ("hold", "Reply + Hold"), ("close", "Reply + Close")], initial="none")
    hold_reason = forms.ChoiceField(choices=[("", "Hold reason…"), *HoldReason.choices], required=False)
    close_reason = forms.ChoiceField(choices=[("", "Close reason…"), *CloseReason.choices], required=False)


class NoteForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)


class HoldForm(forms.Form):
    reason = forms.ChoiceField(choices=[("", "Hold reason…"), *HoldReason.choices], required=False)


class CloseForm(forms.Form):
    reason = forms.ChoiceField(choices=[("", "Close reason…"), *CloseReason.choices], required=False)
