"""Forms for the CM's triage pages: they reject bad input with messages that say what to do."""

from django import forms
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from socialdesk.brands.models import BrandAccount
from socialdesk.conversations.models import MessageType
from socialdesk.fields import MAX_ID

from . import patterns
from .classify import LANGUAGES
from .models import KBArticle, TagRule, WatchTerm, split_list

MAX_UPLOAD = 2 * 1024 * 1024


class TagRuleForm(forms.ModelForm):
    type = forms.ChoiceField(
        choices=[("", gettext_lazy("any type"))] + list(MessageType.choices),
        required=False,
        label=gettext_lazy("Type"),
    )
    language = forms.ChoiceField(
        choices=[("", gettext_lazy("any language"))] + [(c, c) for c in LANGUAGES],
        required=False,
        label=gettext_lazy("Language"),
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
        labels = {
            "name": gettext_lazy("Name"),
            "tag": gettext_lazy("Tag"),
            "keywords": gettext_lazy("Keywords"),
            "regex": gettext_lazy("Regex"),
            "authors": gettext_lazy("Authors"),
            "account": gettext_lazy("Account"),
            "active": gettext_lazy("Active"),
        }
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


class WatchTermForm(forms.ModelForm):
    """A paid product (TR7) or a controversial topic (TR9) as a community manager keeps it; the
    kind is the page's, never the request's."""

    name = forms.CharField(
        label=_("Name"), max_length=100, error_messages={"required": _("Give it a name.")}
    )
    keywords = forms.CharField(
        label=_("Other ways to say it"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
        help_text=_("One per line or comma-separated; any one of them, as a whole word, matches."),
    )

    class Meta:
        model = WatchTerm
        fields = ["name", "keywords", "active"]
        labels = {"active": _("Watched (untick to pause it)")}

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.kind = kind

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Give it a name."))
        taken = WatchTerm.objects.filter(kind=self.instance.kind, name__iexact=name)
        if taken.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("“%(name)s” is in the list already.") % {"name": name})
        return name

    def clean_keywords(self):
        return "\n".join(split_list(self.cleaned_data["keywords"]))


class KBArticleForm(forms.ModelForm):
    """A knowledge-base article typed in, beside the import (TR8)."""

    title = forms.CharField(
        label=_("Title"), max_length=300, error_messages={"required": _("Give the title.")}
    )
    url = forms.URLField(
        label=_("Address"),
        max_length=500,
        assume_scheme="https",
        error_messages={
            "required": _("Give the article's address."),
            "invalid": _("Give a full web address, such as https://support.mozilla.org/kb/…"),
        },
    )
    summary = forms.CharField(
        label=_("Summary"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
        help_text=_("Its words are matched against the customer's to suggest it."),
    )
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("any language")), *((c, c) for c in LANGUAGES)],
        initial="en",
        required=False,
    )

    class Meta:
        model = KBArticle
        fields = ["title", "url", "summary", "language"]

    def clean_url(self):
        url = self.cleaned_data["url"]
        if not url.lower().startswith(("https://", "http://")):
            raise forms.ValidationError(_("Give an address that starts with https://."))
        if KBArticle.objects.exclude(pk=self.instance.pk).filter(url=url).exists():
            raise forms.ValidationError(_("Another article has this address."))
        return url
