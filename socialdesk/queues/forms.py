"""The queue editor for community managers (AG1): rules as form fields, checked before saving."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import slugify

from socialdesk.brands.models import BrandAccount, Platform
from socialdesk.conversations.models import MessageType, Sentiment, Tag
from socialdesk.people.models import Role

from .models import Queue, QueueKind, validate_rules


class QueueForm(forms.Form):
    name = forms.CharField(max_length=100)
    kind = forms.ChoiceField(choices=QueueKind.choices, initial=QueueKind.RULES)
    visible_to = forms.ChoiceField(choices=Role.choices, initial=Role.CONTRIBUTOR, label="Lowest role that sees it")
    is_escalation = forms.BooleanField(required=False, label="Escalation queue (automation never closes what is here)")
    position = forms.IntegerField(min_value=0, initial=100)
    platforms = forms.MultipleChoiceField(choices=Platform.choices, required=False, widget=forms.CheckboxSelectMultiple)
    accounts = forms.MultipleChoiceField(choices=(), required=False, widget=forms.CheckboxSelectMultiple)
    moderated = forms.ChoiceField(choices=[("", "Either"), ("yes", "Moderated only"), ("no", "Not yet moderated only")], required=False)
    languages = forms.CharField(required=False, help_text="ISO codes separated by commas, e.g. en, de")
    tags = forms.MultipleChoiceField(choices=(), required=False, widget=forms.CheckboxSelectMultiple)
    types = forms.MultipleChoiceField(choices=MessageType.choices, required=False, widget=forms.CheckboxSelectMultiple)
    sentiments = forms.MultipleChoiceField(choices=Sentiment.choices, required=False, widget=forms.CheckboxSelectMultiple)
    min_priority = forms.IntegerField(required=False, min_value=0)

    def __init__(self, *args, instance: Queue | None = None, **kwargs):
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            rules = instance.rules or {}
            moderated = {True: "yes", False: "no"}.get(rules.get("moderated"), "")
            kwargs["initial"] = {
                "name": instance.name, "kind": instance.kind, "visible_to": instance.visible_to,
                "is_escalation": instance.is_escalation, "position": instance.position,
                "platforms": rules.get("platforms", []), "accounts": rules.get("accounts", []), "moderated": moderated,
                "languages": ", ".join(rules.get("languages", [])), "tags": rules.get("tags", []),
                "types": rules.get("types", []), "sentiments": rules.get("sentiments", []), "min_priority": rules.get("min_priority"),
            }
        super().__init__(*args, **kwargs)
        self.fields["accounts"].choices = [(a.handle, str(a)) for a in BrandAccount.objects.all()]
        self.fields["tags"].choices = [(t.slug, t.name) for t in Tag.objects.all()]

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        slug = slugify(name)
        if not slug:
            raise ValidationError("Use letters or digits in the name.")
        clash = Queue.objects.filter(slug=slug).exclude(pk=getattr(self.instance, "pk", None)).first()
        if clash:
            raise ValidationError(f"A queue called “{clash.name}” exists already.")
        return name

    def clean_languages(self):
        codes = [c.strip().lower() for c in self.cleaned_data["languages"].split(",") if c.strip()]
        bad = [c for c in codes if not (c.isalpha() and 2 <= len(c) <= 3)]
        if bad:
            raise ValidationError(f"Not a language code: {', '.join(bad)}. Use ISO codes such as en, de, pt.")
        return codes

    def rules(self) -> dict:
        d = self.cleaned_data
        rules = {k: d[k] for k in ("platforms", "accounts", "languages", "tags", "types", "sentiments") if d[k]}
        if d["moderated"]:
            rules["moderated"] = d["moderated"] == "yes"
        if d["min_priority"] is not None:
            rules["min_priority"] = d["min_priority"]
        validate_rules(rules)
        return rules

    def save(self) -> Queue:
        d = self.cleaned_data
        queue = self.instance or Queue()
        queue.name, queue.slug = d["name"], slugify(d["name"])
        queue.kind, queue.visible_to, queue.is_escalation, queue.position = d["kind"], d["visible_to"], d["is_escalation"], d["position"]
        queue.rules = self.rules() if d["kind"] == QueueKind.RULES else {}
        queue.save()
        return queue
