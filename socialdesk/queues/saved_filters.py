"""PE3: community managers keep the filters agents saved on the queues (`/manage/saved-filters/`),
without the Django admin: rename one, move it to another queue, change its conditions, delete one
after asking, or save one for someone. The conditions are the left panel's (tags, types,
platforms, accounts, languages, sentiments, statuses), read by the same `ConversationFilter` the
queue page uses, so what is saved here is exactly what the panel link opens."""

import re

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext, gettext_lazy

from socialdesk.brands.models import BrandAccount, Platform
from socialdesk.conversations.limits import TEXT_LIMITS
from socialdesk.conversations.models import MessageType, Sentiment, Status, Tag
from socialdesk.people.settings_pages import SettingsPage

from .forms import language_codes
from .models import Queue, SavedFilter
from .selectors import NONE, NONE_LABELS, PRIVATE_MESSAGE, ConversationFilter

# The left panel's languages: a region may follow (pt-br).
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z]{2})?$")
# The multiple-choice conditions (the left panel's, languages apart: typed as codes).
CHOICE_FIELDS = ("tags", "types", "sentiments", "platforms", "accounts", "statuses")


def _choices(name: str) -> list[tuple[str, str]]:
    if name == "tags":
        return [(t.slug, t.name) for t in Tag.objects.all()] + [(NONE, NONE_LABELS["tags"])]
    if name == "types":
        return [
            *MessageType.choices,
            (PRIVATE_MESSAGE, gettext("Containing private message")),
            (NONE, NONE_LABELS["types"]),
        ]
    if name == "sentiments":
        return [*Sentiment.choices, (NONE, NONE_LABELS["sentiments"])]
    if name == "platforms":
        return list(Platform.choices)
    if name == "accounts":
        return [
            (a.handle, str(a)) for a in BrandAccount.objects.order_by("platform", "handle")
        ] + [(NONE, NONE_LABELS["accounts"])]
    return list(Status.choices)


def _condition(label) -> forms.MultipleChoiceField:
    """One of the left panel's multiple-choice conditions, ticked as there (choices set per form)."""
    return forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label=label
    )


class SavedFilterForm(forms.ModelForm):
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_active=True, profile__isnull=False),
        label=gettext_lazy("Whose filter"),
        help_text=gettext_lazy("It shows in this person's left panel on the queue."),
        error_messages={"invalid_choice": gettext_lazy("Choose one of the people in the list.")},
    )
    queue = forms.ModelChoiceField(
        queryset=Queue.objects.all(),
        label=gettext_lazy("Queue"),
        error_messages={"invalid_choice": gettext_lazy("Choose one of the queues in the list.")},
    )
    name = forms.CharField(
        max_length=TEXT_LIMITS["filter_name"],
        label=gettext_lazy("Name"),
        error_messages={"required": gettext_lazy("Give the filter a name to save it.")},
    )
    tags = _condition(gettext_lazy("Tags"))
    types = _condition(gettext_lazy("Types"))
    sentiments = _condition(gettext_lazy("Sentiments"))
    platforms = _condition(gettext_lazy("Platforms"))
    accounts = _condition(gettext_lazy("Brand accounts"))
    statuses = _condition(gettext_lazy("Statuses"))
    languages = forms.CharField(
        required=False,
        max_length=200,
        label=gettext_lazy("Languages"),
        help_text=gettext_lazy(
            "Language codes separated by commas, e.g. en, de; (none) for “not detected”."
        ),
    )

    class Meta:
        model = SavedFilter
        fields = ["user", "queue", "name"]

    def __init__(self, *args, instance=None, **kwargs):
        stored = ConversationFilter.from_dict(
            instance.params if instance is not None and isinstance(instance.params, dict) else {}
        )
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                **{name: list(getattr(stored, name)) for name in CHOICE_FIELDS},
                "languages": ", ".join(stored.languages),
            }
        super().__init__(*args, instance=instance, **kwargs)
        self.fields["user"].label_from_instance = lambda u: u.get_username()
        for name in CHOICE_FIELDS:
            choices = _choices(name)
            known = {v for v, _label in choices}
            # A stored value that is no longer a choice (a tag renamed, an account removed) is
            # offered, ticked, so that saving keeps it unless it is unticked.
            self.fields[name].choices = choices + [
                (v, gettext("%(value)s (no longer exists)") % {"value": v})
                for v in getattr(stored, name)
                if v not in known
            ]
        if instance is None:
            self.fields["statuses"].initial = [Status.OPEN]

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(gettext("Give the filter a name to save it."))
        return name

    def clean_languages(self):
        return language_codes(self.cleaned_data["languages"], code=LANGUAGE)

    def conditions(self) -> ConversationFilter:
        return ConversationFilter(
            **{
                name: tuple(self.cleaned_data.get(name) or ())
                for name in (*CHOICE_FIELDS, "languages")
            }
        )

    def clean(self):
        data = super().clean()
        user, queue, name = data.get("user"), data.get("queue"), data.get("name")
        if user and queue and name:
            clash = SavedFilter.objects.filter(user=user, queue=queue, name=name)
            if self.instance.pk:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error(
                    "name",
                    gettext("%(user)s already has a filter called “%(name)s” on %(queue)s.")
                    % {"user": user.get_username(), "name": name, "queue": queue.name},
                )
        if not self.errors and not self.conditions():
            raise forms.ValidationError(gettext("Choose at least one filter to save."))
        return data

    def validate_unique(self):
        # The clash is told on the name field above, in words, rather than again by the model.
        if "name" not in self.errors:
            super().validate_unique()

    def save(self, commit: bool = True) -> SavedFilter:
        saved = super().save(commit=False)
        saved.params = self.conditions().as_dict()
        if commit:
            saved.save()
        return saved


def _conditions(saved: SavedFilter) -> str:
    params = saved.params if isinstance(saved.params, dict) else {}
    return ConversationFilter.from_dict(params).describe()


saved_filters_page = SettingsPage(
    name="manage_saved_filters",
    model=SavedFilter,
    form_class=SavedFilterForm,
    title=gettext_lazy("Saved filters"),
    noun=gettext_lazy("saved filter"),
    intro=gettext_lazy(
        "Filters agents saved on a queue's left panel, one click away there. Rename them, move "
        "them to another queue, change what they narrow to, or save one for someone."
    ),
    columns=[
        (gettext_lazy("Name"), lambda f: f.name),
        (gettext_lazy("Whose"), lambda f: f.user.get_username()),
        (gettext_lazy("Queue"), lambda f: f.queue.name),
        (gettext_lazy("Conditions"), _conditions),
    ],
    queryset=lambda: SavedFilter.objects.select_related("user", "queue").order_by(
        "queue__position", "queue__name", "user__username", "name"
    ),
    delete_warning=lambda f: (
        gettext(
            "It goes from %(user)s's left panel on %(queue)s; the conversations are not touched."
        )
        % {"user": f.user.get_username(), "queue": f.queue.name}
    ),
    links=[(gettext_lazy("Queues"), "manage_queues")],
)
