"""Forms for the CM's triage pages: they reject bad input with messages that say what to do."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from socialdesk.brands.models import BrandAccount
from socialdesk.conversations.models import MessageType
from socialdesk.fields import MAX_ID

from . import patterns
from .classify import LANGUAGES
from .models import TagRule, split_list

MAX_UPLOAD = 2 * 1024 * 1024


class TagRuleForm(forms.ModelForm):
    type = forms.ChoiceField(
        choices=[("", gettext_lazy("any type"))] + list(MessageType.choices), required=False
    )
    language = forms.ChoiceField(
        choices=[("", gettext_lazy("any language"))] + [(c, c) for c in LANGUAGES], required=False
    )

    class Meta:
        model = TagRule
        fields = [
            "name",
            "tag",
            "keywords",
            "regex",
            "authors",
            "account",
            "type",
            "language",
            "active",
        ]
        widgets = {
            "keywords": forms.Textarea(attrs={"rows": 3}),
            "authors": forms.Textarea(attrs={"rows": 2}),
        }

    def clean_account(self):
        handle = self.cleaned_data["account"].strip().lstrip("@")
        if handle and not BrandAccount.objects.filter(handle__iexact=handle).exists():
            raise forms.ValidationError(
                _(
                    "No brand account @%(handle)s: use the handle of a connected account, without @."
                )
                % {"handle": handle}
            )
        return handle

    def clean_regex(self):
        # Checked on RE2, the engine rules run on; the model's validator says the same for the admin.
        value = self.cleaned_data["regex"].strip()
        if value:
            try:
                patterns.check(value)
            except patterns.PatternError as exc:
                raise forms.ValidationError(exc.message) from exc
        return value

    def clean_keywords(self):
        words = split_list(self.cleaned_data["keywords"])
        if any(len(w) < 2 for w in words):
            raise forms.ValidationError(_("Each keyword needs at least two characters."))
        return "\n".join(words)

    def clean(self):
        data = super().clean()
        conditions = ("keywords", "regex", "authors", "account", "type", "language")
        if any(f in self.errors for f in conditions):
            return data  # a condition was given but refused: its own message says why
        if not any(data.get(f) for f in conditions):
            raise forms.ValidationError(
                _(
                    "Give at least one condition (keywords, regex, authors, account, type or language): "
                    "a rule without conditions would tag everything."
                )
            )
        return data


class KBImportForm(forms.Form):
    file = forms.FileField(
        help_text=gettext_lazy(
            "JSON (a list of {title, url, summary, language}) or CSV with a header row title,url,summary,language."
        )
    )

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > MAX_UPLOAD:
            raise forms.ValidationError(
                _("The file is %(size)s KiB; the limit is %(limit)s KiB.")
                % {"size": f.size // 1024, "limit": MAX_UPLOAD // 1024}
            )
        if not f.name.lower().endswith((".json", ".csv")):
            raise forms.ValidationError(_("Upload a .json or .csv file."))
        return f


class EscalateClusterForm(forms.Form):
    conversations = forms.CharField()
    reason = forms.CharField(max_length=2000)

    def clean_conversations(self):
        raw = self.cleaned_data["conversations"]
        try:
            ids = [int(x) for x in raw.split(",") if x.strip()]
        except ValueError:
            ids = None
        # An id no row can have (20 digits) is as invalid as letters: the database would choke on it.
        if ids is None or not all(1 <= i <= MAX_ID for i in ids):
            raise forms.ValidationError(
                _("The cluster's conversation list is not valid; reload the clusters page.")
            )
        if len(ids) < 2:
            raise forms.ValidationError(_("A cluster needs at least two conversations."))
        return ids
