"""Pages about one's own access: passwords (reset by email, change), signing out everywhere."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.views.decorators.http import require_POST

from . import services


def _email_context() -> dict:
    # Links in emails point at the public address when one is configured, else at the request's host.
    return {"base_url": settings.SOCIALDESK_PUBLIC_URL}


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "people/password_reset.html"
    email_template_name = "people/emails/password_reset.txt"
    subject_template_name = "people/emails/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    # Django reads this attribute, not a method.
    @property
    def extra_email_context(self):
        return _email_context()


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "people/password_reset_sent.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "people/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form):
        from axes.utils import reset

        response = super().form_valid(form)
        # Whoever proved they own the mailbox may sign in at once, even if sign-in was paused.
        reset(username=form.user.get_username())
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "people/password_reset_complete.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    """Everyone may change their password (not only staff, in the Django admin). The session it
    is changed in stays signed in; every other one ends, as the password they knew is gone."""

    template_name = "people/password_change.html"
    success_url = reverse_lazy("personal_settings")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "Your password is changed. Your other sessions are signed out.")
        return response


@login_required
@require_POST
def sign_out_everywhere(request):
    """End every session of the agent, this one too (a lost phone, a shared computer)."""
    user = request.user
    count = services.end_all_sessions(user=user)
    logout(request)
    messages.success(request, f"Signed out everywhere ({count} session{'s' if count != 1 else ''}). Sign in again to go on.")
    return redirect(settings.LOGIN_URL)
