"""Forms of the agent's own settings page."""

from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from socialdesk.fields import id_field

from .languages import language_of, writing_to
from .mail import send_later
from .models import Signature
from .time_zones import zone_of


class AddSignatureForm(forms.Form):
    signature = forms.CharField(
        max_length=Signature.MAX_LENGTH,
        strip=True,
        error_messages={
            "required": gettext_lazy("Write the signature first: it is empty."),
            "max_length": gettext_lazy(
                "Keep the signature short: at most %(limit_value)d characters (it counts against the platform's limit)."
            ),
        },
    )
    make_default = forms.BooleanField(required=False)


class ChooseSignatureForm(forms.Form):
    # Empty: no default signature (replies go out unsigned unless one is picked).
    id = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)


class ShortcutsForm(forms.Form):
    keyboard_shortcuts = forms.BooleanField(required=False)


class ApplicationForm(forms.Form):
    """The seed's application form (PE1). Every criterion, the privacy terms and being emailed
    must be confirmed; what was typed comes back with the errors."""

    name = forms.CharField(
        max_length=100,
        label=gettext_lazy("Your name"),
        error_messages={"required": gettext_lazy("Give your name.")},
    )
    email = forms.EmailField(
        max_length=254,
        label=gettext_lazy("Email address"),
        error_messages={
            "required": gettext_lazy("Give an email address: the team answers there."),
            "invalid": gettext_lazy("This is not an email address (name@example.org)."),
        },
    )
    handle = forms.CharField(
        max_length=50,
        label=gettext_lazy("Your social media handle"),
        help_text=gettext_lazy("The account you answer from, e.g. @lena_k."),
        error_messages={"required": gettext_lazy("Give the handle you answer with.")},
    )
    started_on = forms.DateField(
        label=gettext_lazy("When did you start answering?"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": gettext_lazy("Give the day you first answered."),
            "invalid": gettext_lazy("Give a date, e.g. 2026-03-14."),
        },
    )
    privacy = forms.BooleanField(
        label="", error_messages={"required": gettext_lazy("Accept the privacy terms to apply.")}
    )
    contact = forms.BooleanField(
        label="",
        error_messages={
            "required": gettext_lazy("The team answers by email: agree to be contacted to apply.")
        },
    )

    def __init__(self, *args, **kwargs):
        from . import applications

        super().__init__(*args, **kwargs)
        self.hashtag = applications.hashtag()
        self.fields["started_on"].help_text = _(
            "The first day you answered people with %(hashtag)s."
        ) % {"hashtag": self.hashtag}
        self.criteria = []
        for key, statement in applications.criteria():
            name = f"criterion_{key}"
            self.fields[name] = forms.BooleanField(
                label=statement, error_messages={"required": _("Confirm this criterion to apply.")}
            )
            self.criteria.append(self[name])

    def clean_handle(self):
        handle = self.cleaned_data["handle"].strip().lstrip("@")
        if not handle or any(ch.isspace() for ch in handle):
            raise forms.ValidationError(_("A handle is one word, e.g. @lena_k."))
        return handle

    def clean_email(self):
        from . import applications

        email = self.cleaned_data["email"]
        reason = applications.already_applied(email)
        if reason:
            raise forms.ValidationError(reason)
        return email

    def clean_started_on(self):
        from datetime import date

        from django.utils import timezone

        from . import applications

        day = self.cleaned_data["started_on"]
        today = timezone.localdate()
        if day > today:
            raise forms.ValidationError(
                _("This date is in the future: give the day you first answered.")
            )
        if day < date(2006, 1, 1):
            raise forms.ValidationError(_("Give the day you first answered (after 2006)."))
        if (today - day).days < applications.EXPERIENCE_DAYS:
            ready = day.toordinal() + applications.EXPERIENCE_DAYS
            raise forms.ValidationError(
                _(
                    "Access needs two weeks of answering with %(hashtag)s: you can apply from %(day)s."
                )
                % {"hashtag": self.hashtag, "day": date_format(date.fromordinal(ready), "j F Y")}
            )
        return day


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", gettext_lazy("Approve")), ("reject", gettext_lazy("Reject"))]
    )
    role = forms.ChoiceField(
        choices=[
            ("contributor", gettext_lazy("Contributor")),
            ("moderator", gettext_lazy("Moderator")),
        ],
        required=False,
    )
    reason = forms.CharField(max_length=2000, required=False, strip=True)


class InviteForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        label=gettext_lazy("Name"),
        error_messages={"required": gettext_lazy("Give their name.")},
    )
    email = forms.EmailField(
        max_length=254,
        label=gettext_lazy("Email address"),
        error_messages={
            "required": gettext_lazy("Give their email address: the invitation goes there."),
            "invalid": gettext_lazy("This is not an email address (name@example.org)."),
        },
    )
    role = forms.ChoiceField(choices=[], label=gettext_lazy("Role"))
    # Theirs, not the inviter's: the invitation is written in it and their desk starts in it.
    language = forms.ChoiceField(
        choices=[],
        required=False,
        label=gettext_lazy("Their language"),
        help_text=gettext_lazy("The invitation is written in it; they can change it later."),
        error_messages={"invalid_choice": gettext_lazy("Choose a language from the list.")},
    )

    def __init__(self, *args, actor, **kwargs):
        from . import applications

        super().__init__(*args, **kwargs)
        self.fields["role"].choices = applications.invitable_roles(actor)
        self.fields["role"].initial = "contributor"
        self.fields["language"].choices = [
            ("", _("Not known (the invitation in English)"))
        ] + list(settings.LANGUAGES)


class LeaveForm(forms.Form):
    """Stop contributing: the password again (a borrowed, signed-in laptop must not be enough)."""

    password = forms.CharField(
        label=gettext_lazy("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": gettext_lazy("Type your password to confirm it is you.")},
    )
    confirm = forms.BooleanField(
        error_messages={
            "required": gettext_lazy("Tick the box to confirm: this cannot be undone.")
        }
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("This is not your password."))
        return password


class CodeForm(forms.Form):
    code = forms.CharField(
        max_length=40,
        strip=True,
        label=gettext_lazy("Code"),
        error_messages={"required": gettext_lazy("Type the code first.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class AgentApprovalForm(forms.Form):
    agent = id_field(
        error_messages={
            "required": gettext_lazy("Choose an agent."),
            "invalid": gettext_lazy("Choose an agent."),
        }
    )
    # The page's buttons post "1" (require approval) or "0" (let replies go out directly).
    on = forms.TypedChoiceField(
        choices=[("0", gettext_lazy("Directly")), ("1", gettext_lazy("After approval"))],
        coerce=lambda v: v == "1",
        required=False,
        empty_value=False,
    )


class ResetPasswordForm(PasswordResetForm):
    """Django's password-reset form, its email sent by the worker (people.mail) rather than while
    the page waits for the mail server."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        # In the language on their profile; else the page's, since whoever asks is (we hope)
        # the person who reads it.
        user = context.get("user")
        with writing_to(language_of(user) or translation.get_language(), zone=zone_of(user)):
            subject = render_to_string(subject_template_name, context)
            body = render_to_string(email_template_name, context)
        send_later(subject, body, [to_email])
