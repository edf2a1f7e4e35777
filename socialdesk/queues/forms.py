"""The queue editor for community managers (AG1): every rule a queue can have as a form field.

The editor must show exactly what it saves. A stored rule it could not show (a value that is not
among the choices is offered as one, so this is rare: rules that are not valid at all, a language
code written differently) makes the form refuse to save, instead of dropping the rule unseen.
"""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import slugify
from django.utils.translation import gettext, gettext_lazy, ngettext

from socialdesk.brands.models import BrandAccount, Platform
from socialdesk.conversations.limits import TEXT_LIMITS
from socialdesk.conversations.models import MessageType, Sentiment, Tag
from socialdesk.fields import MAX_ID
from socialdesk.people.models import Role

from .models import Queue, QueueKind
from .selectors import NONE, NONE_LABELS, PRIVATE_MESSAGE, ConversationFilter

STARS = [("", gettext_lazy("Any"))] + [(str(n), "★" * n) for n in range(1, 6)]
LIST_RULES = ("platforms", "accounts", "languages", "tags", "types", "sentiments")
RULE_FIELDS = (*LIST_RULES, "moderated", "min_priority", "min_rating", "max_rating")
LANGUAGE = re.compile(r"^[a-z]{2,3}$")


def language_codes(text: str, *, code: re.Pattern = LANGUAGE) -> list[str]:
    """Language codes typed separated by commas (a queue's rule, a saved filter): lower case,
    each once, "(none)" kept for "not detected"; a ValidationError names what is not a `code`."""
    codes = [c.strip() for c in text.split(",") if c.strip()]
    codes = [c if c == NONE else c.lower() for c in codes]
    bad = [c for c in codes if c != NONE and not code.match(c)]
    if bad:
        raise ValidationError(
            gettext("Not a language code: %(join)s. Use ISO codes such as en, de, pt.")
            % {"join": ", ".join(bad)}
        )
    return list(dict.fromkeys(codes))


def _stars(value):
    return int(value) if value not in (None, "") else None


class QueueForm(forms.Form):
    name = forms.CharField(max_length=100)
    kind = forms.ChoiceField(choices=QueueKind.choices, initial=QueueKind.RULES)
    visible_to = forms.ChoiceField(
        choices=Role.choices,
        initial=Role.CONTRIBUTOR,
        label=gettext_lazy("Lowest role that sees it"),
    )
    is_escalation = forms.BooleanField(
        required=False,
        label=gettext_lazy("Escalation queue (automation never closes what is here)"),
    )
    position = forms.IntegerField(min_value=0, initial=100)
    platforms = forms.MultipleChoiceField(
        choices=(), required=False, widget=forms.CheckboxSelectMultiple
    )
    accounts = forms.MultipleChoiceField(
        choices=(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Brand accounts"),
    )
    moderated = forms.ChoiceField(
        choices=[
            ("", gettext_lazy("Either")),
            ("yes", gettext_lazy("Moderated only")),
            ("no", gettext_lazy("Not yet moderated only")),
        ],
        required=False,
    )
    languages = forms.CharField(
        required=False,
        help_text=gettext_lazy(
            "ISO codes separated by commas, e.g. en, de; (none) for “not detected”"
        ),
    )
    tags = forms.MultipleChoiceField(
        choices=(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Any of these"),
    )
    types = forms.MultipleChoiceField(
        choices=(), required=False, widget=forms.CheckboxSelectMultiple
    )
    sentiments = forms.MultipleChoiceField(
        choices=(), required=False, widget=forms.CheckboxSelectMultiple
    )
    min_priority = forms.IntegerField(
        required=False,
        label=gettext_lazy("Priority at least"),
        help_text=gettext_lazy("Empty: any priority"),
    )
    min_rating = forms.TypedChoiceField(
        choices=STARS,
        coerce=int,
        empty_value=None,
        required=False,
        label=gettext_lazy("Stars from"),
    )
    max_rating = forms.TypedChoiceField(
        choices=STARS,
        coerce=int,
        empty_value=None,
        required=False,
        label=gettext_lazy("Stars up to"),
        help_text=gettext_lazy(
            "App-store reviews; a conversation without stars never matches a star rule"
        ),
    )

    def __init__(self, *args, instance: Queue | None = None, **kwargs):
        self.instance = instance
        stored = (instance.rules if instance is not None else None) or {}
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": instance.name,
                "kind": instance.kind,
                "visible_to": instance.visible_to,
                "is_escalation": instance.is_escalation,
                "position": instance.position,
                **self.initial_rules(stored),
            }
        super().__init__(*args, **kwargs)
        unknown = {
            key: [v for v in stored.get(key, []) if isinstance(v, str)]
            if isinstance(stored.get(key), list)
            else []
            for key in LIST_RULES
        }
        self._set_choices("platforms", list(Platform.choices), unknown)
        self._set_choices(
            "accounts",
            [(a.handle, str(a)) for a in BrandAccount.objects.order_by("platform", "handle")]
            + [(NONE, gettext("%(none)s finds") % {"none": NONE_LABELS["accounts"]})],
            unknown,
        )
        self._set_choices(
            "tags",
            [(t.slug, t.name) for t in Tag.objects.all()] + [(NONE, NONE_LABELS["tags"])],
            unknown,
        )
        self._set_choices(
            "types",
            [
                *MessageType.choices,
                (PRIVATE_MESSAGE, gettext("Containing private message")),
                (NONE, NONE_LABELS["types"]),
            ],
            unknown,
        )
        self._set_choices(
            "sentiments", [*Sentiment.choices, (NONE, NONE_LABELS["sentiments"])], unknown
        )
        self.unrepresentable = self._unrepresentable(stored) if instance is not None else ""

    def _set_choices(self, name: str, choices: list[tuple[str, str]], unknown: dict) -> None:
        # A stored value that is no longer a choice (an account disconnected, a tag renamed) is
        # offered as one, ticked, so saving keeps it unless the community manager unticks it.
        known = {v for v, _ in choices}
        self.fields[name].choices = choices + [
            (v, gettext("%(value)s (no longer exists)") % {"value": v})
            for v in unknown[name]
            if v not in known
        ]

    @staticmethod
    def initial_rules(rules: dict) -> dict:
        """The stored rules as the fields' initial values (whatever their shape: the comparison
        in `_unrepresentable` catches what does not survive)."""

        def listed(key):
            value = rules.get(key, [])
            return value if isinstance(value, list) else []

        def number(key):
            value = rules.get(key)
            return value if isinstance(value, int) and not isinstance(value, bool) else None

        return {
            **{
                key: listed(key)
                for key in ("platforms", "accounts", "tags", "types", "sentiments")
            },
            "moderated": {True: "yes", False: "no"}.get(rules.get("moderated"), ""),
            "languages": ", ".join(v for v in listed("languages") if isinstance(v, str)),
            "min_priority": number("min_priority"),
            "min_rating": "" if number("min_rating") is None else str(number("min_rating")),
            "max_rating": "" if number("max_rating") is None else str(number("max_rating")),
        }

    def _unrepresentable(self, stored: dict) -> str:
        """Why saving the form unchanged would not keep the stored rules ("" if it would)."""
        try:
            wanted = ConversationFilter.from_rules(stored).as_rules()
        except ValidationError as exc:
            return gettext("The stored rules cannot be read: %(reasons)s") % {
                "reasons": " ".join(exc.messages)
            }
        # The form the browser would send back unchanged, read by the same cleaning as a save.
        echo = QueueForm(
            {
                "name": "echo",
                "kind": QueueKind.RULES,
                "visible_to": Role.CONTRIBUTOR,
                "position": 0,
                **self.initial_rules(stored),
            }
        )
        for name in LIST_RULES:
            if name != "languages":
                echo.fields[name].choices = self.fields[name].choices
        echo.is_valid()
        problems = [
            e for name, errors in echo.errors.items() if name in RULE_FIELDS for e in errors
        ]
        if problems:
            return gettext("Some stored rules cannot be shown here (%(problems)s).") % {
                "problems": "; ".join(problems)
            }
        lost = [
            key
            for key in sorted(set(wanted) | set(echo.rules()))
            if _normal(wanted.get(key)) != _normal(echo.rules().get(key))
        ]
        if lost:
            return ngettext(
                "The stored rule %(rules)s cannot be shown here exactly.",
                "The stored rules %(rules)s cannot be shown here exactly.",
                len(lost),
            ) % {"rules": ", ".join(lost)}
        return ""

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        slug = slugify(name)
        if not slug:
            raise ValidationError(gettext("Use letters or digits in the name."))
        clash = (
            Queue.objects.filter(slug=slug).exclude(pk=getattr(self.instance, "pk", None)).first()
        )
        if clash:
            raise ValidationError(
                gettext("A queue called “%(name)s” exists already.") % {"name": clash.name}
            )
        return name

    def clean_languages(self):
        return language_codes(self.cleaned_data["languages"])

    def clean(self):
        data = super().clean()
        if self.unrepresentable:
            raise ValidationError(
                gettext(
                    "%(unrepresentable)s Saving here would change them without you seeing it: fix the rules in the admin (Queues) first, then edit the queue here."
                )
                % {"unrepresentable": self.unrepresentable}
            )
        low, high = data.get("min_rating"), data.get("max_rating")
        if low is not None and high is not None and low > high:
            self.add_error(
                "max_rating",
                gettext("“Stars up to” (%(high)s) is below “Stars from” (%(low)s).")
                % {"high": high, "low": low},
            )
        if data.get("kind") == QueueKind.ASSIGNMENT and self._rules_from(data):
            raise ValidationError(
                gettext(
                    "An assignment queue (such as Escalation) holds what is assigned to it and has no rules: "
                    "clear the rules, or choose “Saved rules”."
                )
            )
        return data

    @staticmethod
    def _rules_from(d: dict) -> dict:
        rules = {k: d[k] for k in LIST_RULES if d.get(k)}
        if d.get("moderated"):
            rules["moderated"] = d["moderated"] == "yes"
        for key in ("min_priority", "min_rating", "max_rating"):
            if d.get(key) is not None:
                rules[key] = d[key]
        return rules

    def rules(self) -> dict:
        """The rules as saved: checked by the same reader that applies them."""
        return ConversationFilter.from_rules(self._rules_from(self.cleaned_data)).as_rules()

    def save(self) -> Queue:
        d = self.cleaned_data
        queue = self.instance or Queue()
        queue.name, queue.slug = d["name"], slugify(d["name"])
        queue.kind, queue.visible_to, queue.is_escalation, queue.position = (
            d["kind"],
            d["visible_to"],
            d["is_escalation"],
            d["position"],
        )
        queue.rules = self.rules() if d["kind"] == QueueKind.RULES else {}
        queue.full_clean(exclude=["name", "slug"])
        queue.save()
        return queue


def _normal(value):
    return sorted(value) if isinstance(value, list) else value


class IdListField(forms.Field):
    """Several ids, as checkboxes post them (`ids=3&ids=8`)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "invalid": gettext_lazy("The selection is not valid; reload the page and select again.")
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
        choices=[
            ("selected", gettext_lazy("Selected")),
            ("all", gettext_lazy("Everything matching")),
        ],
        required=False,
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
        error_messages={"required": gettext_lazy("Give the filter a name to save it.")},
    )
