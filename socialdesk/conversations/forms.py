"""Forms of the conversation page: the composer and each action's small form.

They check the shape of input (a letter where an id belongs, an over-long text, a NUL is a clear
400, never a 500); the action layer checks everything else. Text lengths come from
`conversations.limits.TEXT_LIMITS`.
"""

import re

from django import forms
from django.utils.text import slugify
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from socialdesk.brands.models import Platform
from socialdesk.conversations.limits import TEXT_LIMITS
from socialdesk.conversations.models import Author, CloseReason, HoldReason, Tag, UserTagKind
from socialdesk.fields import MAX_ID, id_field

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class ReplyForm(forms.Form):
    # dir="auto": an agent answering in Arabic or Hebrew sees the text run right to left.
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"}),
        required=False,
        strip=True,
        max_length=TEXT_LIMITS["reply"],
    )
    then = forms.ChoiceField(
        choices=[
            ("none", gettext_lazy("Reply")),
            ("hold", gettext_lazy("Reply + Hold")),
            ("close", gettext_lazy("Reply + Close")),
        ],
        initial="none",
    )
    hold_reason = forms.ChoiceField(
        choices=[("", gettext_lazy("Hold reason…")), *HoldReason.choices], required=False
    )
    close_reason = forms.ChoiceField(
        choices=[("", gettext_lazy("Close reason…")), *CloseReason.choices], required=False
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
        raise forms.ValidationError(_("Choose one of your signatures, or none."))


class NoteForm(forms.Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2, "dir": "auto"}), max_length=TEXT_LIMITS["note"]
    )


class HoldForm(forms.Form):
    reason = forms.ChoiceField(
        choices=[("", gettext_lazy("Hold reason…")), *HoldReason.choices], required=False
    )


class CloseForm(forms.Form):
    reason = forms.ChoiceField(
        choices=[("", gettext_lazy("Close reason…")), *CloseReason.choices], required=False
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
        error_messages={"invalid": gettext_lazy("Enter a date and time for the reminder.")},
    )
    note = forms.CharField(max_length=TEXT_LIMITS["reminder_note"], required=False)


class AssignForm(forms.Form):
    to = forms.CharField(
        max_length=100,
        required=False,
        help_text=gettext_lazy("'me', 'user:<id>' or 'queue:<slug>'"),
    )
    note = forms.CharField(max_length=TEXT_LIMITS["note"], required=False)


class EscalateForm(forms.Form):
    note = forms.CharField(max_length=TEXT_LIMITS["note"], required=False)
    holding_reply = forms.CharField(max_length=TEXT_LIMITS["reply"], required=False)
    recommend_retweet = forms.BooleanField(required=False)


class RetweetDecisionForm(forms.Form):
    approve = forms.TypedChoiceField(
        choices=[("1", gettext_lazy("Retweet")), ("0", gettext_lazy("Decline"))],
        coerce=lambda v: v == "1",
    )
    note = forms.CharField(max_length=TEXT_LIMITS["note"], required=False)


class MergeForm(forms.Form):
    other = id_field(
        error_messages={
            "required": gettext_lazy("Choose the conversation to merge in."),
            "invalid": gettext_lazy("Choose the conversation to merge in."),
        }
    )


def form_errors(form) -> str:
    """A form's errors in one line, for a flash message (every room's views use it)."""
    return "; ".join(e for errs in form.errors.values() for e in errs)


class TagSettingsForm(forms.ModelForm):
    """A tag as a community manager names it (PE3); agents then choose it on conversations."""

    name = forms.CharField(
        label=_("Name"),
        max_length=TEXT_LIMITS["tag"],
        error_messages={"required": _("Give the tag a name.")},
    )
    slug = forms.CharField(
        label=_("Short name"),
        max_length=100,
        required=False,
        help_text=_(
            "Used in links and in queues' rules: letters, digits and hyphens. Left empty, it is "
            "made from the name; queues that use the tag follow a change."
        ),
    )

    class Meta:
        model = Tag
        fields = ["name", "slug"]

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Give the tag a name."))
        others = Tag.objects.exclude(pk=self.instance.pk)
        if others.filter(name__iexact=name).exists():
            raise forms.ValidationError(_("There is a tag “%(name)s” already.") % {"name": name})
        return name

    def clean(self):
        data = super().clean()
        name = data.get("name")
        slug = (data.get("slug") or "").strip() or (slugify(name) if name else "")
        if name and not slug:
            self.add_error("slug", _("Give a short name of letters or digits: the name has none."))
        elif slug and not _SLUG.match(slug):
            self.add_error("slug", _("Use only lower-case letters, digits and hyphens."))
        elif slug and Tag.objects.exclude(pk=self.instance.pk).filter(slug=slug).exists():
            self.add_error(
                "slug", _("Another tag has the short name “%(slug)s”.") % {"slug": slug}
            )
        data["slug"] = slug
        return data


class AuthorTagForm(forms.Form):
    """A community manager tags a customer by their handle (the user-tags page)."""

    platform = forms.ChoiceField(label=_("Platform"), choices=Platform.choices)
    handle = forms.CharField(
        label=_("Handle"),
        max_length=200,
        help_text=_("The customer's handle as the desk shows it, with or without the @."),
        error_messages={"required": _("Give the customer's handle.")},
    )
    kind = forms.ChoiceField(
        label=_("User tag"),
        choices=UserTagKind.choices,
        error_messages={"invalid_choice": _("Choose one of the user tags in the list.")},
    )

    def clean(self):
        data = super().clean()
        handle = (data.get("handle") or "").strip().lstrip("@")
        platform = data.get("platform")
        if handle and platform:
            author = (
                Author.objects.filter(platform=platform, handle__iexact=handle)
                .order_by("pk")
                .first()
            )
            if author is None:
                self.add_error(
                    "handle",
                    _("No customer @%(handle)s has written to us on this platform.")
                    % {"handle": handle},
                )
            data["author"] = author
        return data
