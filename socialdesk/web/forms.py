"""Forms parse and check the shape of input; the action layer checks everything else.

Every field a page posts goes through one of these, so a letter where an id belongs, an id no
row can have, an over-long text or a NUL is a clear 400, never a 500. Text lengths come from the
action layer's table (`conversations.limits.TEXT_LIMITS`).
"""

from django import forms

from socialdesk.conversations.limits import MAX_ID, TEXT_LIMITS
from socialdesk.conversations.models import CloseReason, HoldReason


def id_field(**kwargs) -> forms.IntegerField:
    return forms.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class ReplyForm(forms.Form):
    # dir="auto": an agent answering in Arabic or Hebrew sees the text run right to left.
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"}),
        required=False,
        strip=True,
        max_length=TEXT_LIMITS["reply"],
    )
    then = forms.ChoiceField(
        choices=[("none", "Reply"), ("hold", "Reply + Hold"), ("close", "Reply + Close")],
        initial="none",
    )
    hold_reason = forms.ChoiceField(
        choices=[("", "Hold reason…"), *HoldReason.choices], required=False
    )
    close_reason = forms.ChoiceField(
        choices=[("", "Close reason…"), *CloseReason.choices], required=False
    )
    confirm = forms.BooleanField(required=False)
    clipping = id_field(required=False, widget=forms.HiddenInput)
    # One of the agent's signatures (its id), "none", or empty for their default one.
    signature = forms.CharField(required=False, max_length=20)

    def clean_signature(self) -> dict:
        value = self.cleaned_data.get("signature") or ""
        if value == "":
            return {"signature_id": None, "signed": True}
        if value == "none":
            return {"signature_id": None, "signed": False}
        if value.isdigit() and 1 <= int(value) <= MAX_ID:
            return {"signature_id": int(value), "signed": True}
        raise forms.ValidationError("Choose one of your signatures, or none.")


class NoteForm(forms.Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2, "dir": "auto"}), max_length=TEXT_LIMITS["note"]
    )


class HoldForm(forms.Form):
    reason = forms.ChoiceField(choices=[("", "Hold reason…"), *HoldReason.choices], required=False)


class CloseForm(forms.Form):
    reason = forms.ChoiceField(
        choices=[("", "Close reason…"), *CloseReason.choices], required=False
    )


class SentimentForm(forms.Form):
    sentiment = forms.CharField(max_length=20, required=False)


class TagForm(forms.Form):
    tag = forms.CharField(max_length=TEXT_LIMITS["tag"], required=False)
    remove = forms.BooleanField(required=False)


class UserTagForm(forms.Form):
    kind = forms.CharField(max_length=30, required=False)
    on = forms.BooleanField(required=False)


class ReminderForm(forms.Form):
    due_at = forms.DateTimeField(
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        error_messages={"invalid": "Enter a date and time for the reminder."},
    )
    note = forms.CharField(max_length=TEXT_LIMITS["reminder_note"], required=False)


class AssignForm(forms.Form):
    to = forms.CharField(
        max_length=100, required=False, help_text="'me', 'user:<id>' or 'queue:<slug>'"
    )
    note = forms.CharField(max_length=TEXT_LIMITS["note"], required=False)


class EscalateForm(forms.Form):
    note = forms.CharField(max_length=TEXT_LIMITS["note"], required=False)
    holding_reply = forms.CharField(max_length=TEXT_LIMITS["reply"], required=False)
    recommend_retweet = forms.BooleanField(required=False)


class RetweetDecisionForm(forms.Form):
    approve = forms.TypedChoiceField(
        choices=[("1", "Retweet"), ("0", "Decline")], coerce=lambda v: v == "1"
    )
    note = forms.CharField(max_length=TEXT_LIMITS["note"], required=False)


class MergeForm(forms.Form):
    other = id_field(
        error_messages={
            "required": "Choose the conversation to merge in.",
            "invalid": "Choose the conversation to merge in.",
        }
    )


class IdListField(forms.Field):
    """Several ids, as checkboxes post them (`ids=3&ids=8`)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "invalid": "The selection is not valid; reload the page and select again."
    }

    def to_python(self, value):
        if not value:
            return []
        if not isinstance(value, (list, tuple)):
            value = [value]
        ids = []
        for raw in value:
            try:
                number = int(str(raw).strip()) if str(raw).strip().isascii() else None
            except ValueError:
                number = None
            if number is None or not 1 <= number <= MAX_ID:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            ids.append(number)
        return ids


class BulkForm(forms.Form):
    """The bulk bar of a queue (AG13); the filter travels in the same POST and is read apart."""

    action = forms.CharField(max_length=30, required=False)
    value = forms.CharField(max_length=TEXT_LIMITS["tag"], required=False)
    scope = forms.ChoiceField(
        choices=[("selected", "Selected"), ("all", "Everything matching")], required=False
    )
    ids = IdListField(required=False)

    def clean(self):
        data = super().clean()
        action = data.get("action") or ""
        # The page has one control per kind of action, each with its own value field.
        if action and f"{action}_value" in self.data:
            try:
                data["value"] = self.fields["value"].clean(self.data.get(f"{action}_value"))
            except forms.ValidationError as exc:
                self.add_error("value", exc)
        return data


class SaveFilterForm(forms.Form):
    name = forms.CharField(
        max_length=TEXT_LIMITS["filter_name"],
        error_messages={"required": "Give the filter a name to save it."},
    )


class ApprovalDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", "Approve"), ("return", "Send back")], initial="return", required=False
    )
    text = forms.CharField(max_length=TEXT_LIMITS["reply"], required=False, strip=False)
    note = forms.CharField(max_length=TEXT_LIMITS["note"], required=False)


class AgentApprovalForm(forms.Form):
    agent = id_field(
        error_messages={"required": "Choose an agent.", "invalid": "Choose an agent."}
    )
    # The page's buttons post "1" (require approval) or "0" (let replies go out directly).
    on = forms.TypedChoiceField(
        choices=[("0", "Directly"), ("1", "After approval")],
        coerce=lambda v: v == "1",
        required=False,
        empty_value=False,
    )


class LetThroughForm(forms.Form):
    let_through = id_field(error_messages={"invalid": "Choose a filtered message to let through."})
