"""Forms parse and check the shape of input; the action layer checks everything else."""

from django import forms

from socialdesk.conversations.models import CloseReason, HoldReason


class ReplyForm(forms.Form):
    # dir="auto": an agent answering in Arabic or Hebrew sees the text run right to left.
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"}), required=False, strip=True)
    then = forms.ChoiceField(choices=[("none", "Reply"), ("hold", "Reply + Hold"), ("close", "Reply + Close")], initial="none")
    hold_reason = forms.ChoiceField(choices=[("", "Hold reason…"), *HoldReason.choices], required=False)
    close_reason = forms.ChoiceField(choices=[("", "Close reason…"), *CloseReason.choices], required=False)
    confirm = forms.BooleanField(required=False)
    clipping = forms.IntegerField(required=False, widget=forms.HiddenInput)


class NoteForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 2, "dir": "auto"}), max_length=5000)


class HoldForm(forms.Form):
    reason = forms.ChoiceField(choices=[("", "Hold reason…"), *HoldReason.choices], required=False)


class CloseForm(forms.Form):
    reason = forms.ChoiceField(choices=[("", "Close reason…"), *CloseReason.choices], required=False)


class SentimentForm(forms.Form):
    sentiment = forms.CharField(max_length=20, required=False)


class TagForm(forms.Form):
    tag = forms.CharField(max_length=100, required=False)
    remove = forms.BooleanField(required=False)


class UserTagForm(forms.Form):
    kind = forms.CharField(max_length=30, required=False)
    on = forms.BooleanField(required=False)


class ReminderForm(forms.Form):
    due_at = forms.DateTimeField(
        required=False, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        error_messages={"invalid": "Enter a date and time for the reminder."},
    )
    note = forms.CharField(max_length=500, required=False)


class AssignForm(forms.Form):
    to = forms.CharField(max_length=100, required=False, help_text="'me', 'user:<id>' or 'queue:<slug>'")
    note = forms.CharField(max_length=5000, required=False)


class EscalateForm(forms.Form):
    note = forms.CharField(max_length=5000, required=False)
    holding_reply = forms.CharField(max_length=2000, required=False)
    recommend_retweet = forms.BooleanField(required=False)


class RetweetDecisionForm(forms.Form):
    approve = forms.TypedChoiceField(choices=[("1", "Retweet"), ("0", "Decline")], coerce=lambda v: v == "1")
    note = forms.CharField(max_length=5000, required=False)
