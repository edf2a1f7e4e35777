"""Pages about one's own access: passwords (reset by email, change), signing out everywhere."""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from socialdesk.actions import conversation as actions
from socialdesk.actions import policy
from socialdesk.actions.leaving import FORMER_CONTRIBUTOR, check_may_leave, stop_contributing
from socialdesk.conversations.forms import form_errors
from socialdesk.errors import ActionError
from socialdesk.operations import throttle

from . import audit, services
from .forms import AgentApprovalForm, ResetPasswordForm
from .languages import set_language
from .models import Role, has_role, signatures_of

logger = logging.getLogger(__name__)


def _email_context() -> dict:
    # Links in emails point at the public address when one is configured, else at the request's host.
    return {"base_url": settings.SOCIALDESK_PUBLIC_URL}


def _too_many(form, request) -> None:
    """A public form asked for too often: say so, keep what was typed, 429."""
    form.add_error(
        None,
        _("Too many requests in the last hour. Please try again in an hour."),
    )
    logger.warning(
        "Rate limit reached on %s from %s", request.path, request.META.get("REMOTE_ADDR")
    )


class PasswordResetView(auth_views.PasswordResetView):
    """Reset by email, rate-limited per email address (so nobody can fill someone's mailbox with
    links) and per client address; the answer is the same whether an account has the address."""

    template_name = "people/password_reset.html"
    form_class = ResetPasswordForm
    email_template_name = "people/emails/password_reset.txt"
    subject_template_name = "people/emails/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    # Django reads this attribute, not a method.
    @property
    def extra_email_context(self):
        return _email_context()

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        by_email = throttle.allow(
            f"reset:{throttle.hashed(email)}", limit=settings.SOCIALDESK_RESET_LIMIT_PER_HOUR
        )
        by_address = throttle.allow(
            f"reset-from:{self.request.META.get('REMOTE_ADDR', '')}",
            limit=settings.SOCIALDESK_RESET_ADDRESS_LIMIT_PER_HOUR,
        )
        if not (by_email and by_address):
            _too_many(form, self.request)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)


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
        audit.record("password_reset", actor=form.user, request=self.request)
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
        audit.record("password_changed", actor=self.request.user, request=self.request)
        messages.success(
            self.request, _("Your password is changed. Your other sessions are signed out.")
        )
        return response


@login_required
@require_POST
def sign_out_everywhere(request):
    """End every session of the agent, this one too (a lost phone, a shared computer)."""
    user = request.user
    count = services.end_all_sessions(user=user)
    audit.record("signed_out_everywhere", actor=user, request=request, sessions=count)
    logout(request)
    messages.success(
        request,
        ngettext(
            "Signed out everywhere (%(count)s session). Sign in again to go on.",
            "Signed out everywhere (%(count)s sessions). Sign in again to go on.",
            count,
        )
        % {"count": count},
    )
    return redirect(settings.LOGIN_URL)


def _base_url(request) -> str:
    return settings.SOCIALDESK_PUBLIC_URL or request.build_absolute_uri("/").rstrip("/")


def apply(request):
    """The public application form (PE1)."""
    from .applications import submit
    from .forms import ApplicationForm

    form = ApplicationForm(request.POST or None)
    # Only complete applications count (a typo corrected does not): they are what sends email
    # and gives the community managers work.
    if (
        request.method == "POST"
        and form.is_valid()
        and not throttle.allow(
            f"apply:{request.META.get('REMOTE_ADDR', '')}",
            limit=settings.SOCIALDESK_APPLY_LIMIT_PER_HOUR,
        )
    ):
        _too_many(form, request)
        return render(request, "people/apply.html", {"form": form}, status=429)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            submit(
                name=data["name"],
                email=data["email"],
                handle=data["handle"],
                started_on=data["started_on"],
                confirmed=[
                    f.name.removeprefix("criterion_") for f in form.criteria if data.get(f.name)
                ],
                base_url=_base_url(request),
            )
        except ActionError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("apply_sent")
    return render(request, "people/apply.html", {"form": form}, status=400 if form.errors else 200)


def apply_sent(request):
    return render(request, "people/apply_sent.html")


def _cm_only(request):
    if not has_role(request.user, Role.COMMUNITY_MANAGER):
        raise PermissionDenied(_("Only community managers and admins review applications."))


@login_required
def applications(request, invite_form=None, status=200):
    """Community managers' review (PE2): waiting applications, the overdue first, and invitations."""
    from . import applications as apps
    from .forms import InviteForm
    from .models import Application, ApplicationStatus

    _cm_only(request)
    decided = (
        Application.objects.exclude(status=ApplicationStatus.PENDING)
        .select_related("decided_by")
        .order_by("-decided_at")[:20]
    )
    return render(
        request,
        "people/applications.html",
        {
            "pending": apps.pending(),
            "decided": decided,
            "criteria": apps.criteria(),
            "experience_days": apps.EXPERIENCE_DAYS,
            "invite_form": invite_form or InviteForm(actor=request.user),
            "hashtag": apps.hashtag(),
        },
        status=status,
    )


@login_required
@require_POST
def application_decision(request, pk: int):
    from . import applications as apps
    from .forms import DecisionForm

    _cm_only(request)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or reject."))
        return redirect("applications")
    data = form.cleaned_data
    try:
        if data["decision"] == "approve":
            user = apps.approve(
                actor=request.user,
                application_id=pk,
                base_url=_base_url(request),
                role=data["role"] or Role.CONTRIBUTOR,
            )
            messages.success(
                request,
                _(
                    "Approved: %(get_username)s can set a password from the email sent to %(email)s."
                )
                % {"get_username": user.get_username(), "email": user.email},
            )
        else:
            application = apps.reject(actor=request.user, application_id=pk, reason=data["reason"])
            messages.success(
                request,
                _("Rejected; %(name)s was emailed the reason.") % {"name": application.name},
            )
    except ActionError as exc:
        messages.error(request, exc.message)
    return redirect("applications")


@login_required
@require_POST
def invite(request):
    """Invite someone the community manager already knows: an account and an email to set a password."""
    from . import applications as apps
    from .forms import InviteForm

    _cm_only(request)
    form = InviteForm(request.POST, actor=request.user)
    if form.is_valid():
        try:
            user = apps.invite(
                actor=request.user,
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                base_url=_base_url(request),
            )
        except ActionError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request,
                _("Invitation sent to %(email)s (%(get_username)s).")
                % {"email": user.email, "get_username": user.get_username()},
            )
            return redirect("applications")
    return applications(request, invite_form=form, status=400)


@login_required
def leave(request):
    """Stop contributing (PE4): confirm with the password, then the account and personal data go."""
    from .forms import LeaveForm

    form = LeaveForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        user = request.user
        try:
            check_may_leave(actor=user, user=user)
        except ActionError as exc:
            form.add_error(None, exc.message)
        else:
            logout(request)  # first: signing out ends their Play Mode as usual
            stop_contributing(actor=user, user=user)
            return redirect("left")
    return render(request, "people/leave.html", {"form": form}, status=400 if form.errors else 200)


def left(request):
    return render(request, "people/left.html")


def _safe_next(request, default: str = "home") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    # Only a path on this site: a bare word would be read as a URL name, anything else as elsewhere.
    if (
        target.startswith("/")
        and target.isprintable()
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return reverse(default)


@login_required
def two_factor_verify(request):
    """The second step of signing in: the code from the authenticator app, or a recovery code."""
    import django_otp

    from . import two_factor
    from .forms import CodeForm

    if request.user.is_verified() or not django_otp.user_has_device(request.user):
        return HttpResponseRedirect(_safe_next(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = two_factor.verify(user=request.user, code=form.cleaned_data["code"])
        if device is None:
            form.add_error(
                "code",
                _(
                    "This code does not match (or too many tries: wait a little). A recovery code works too."
                ),
            )
        else:
            django_otp.login(request, device)
            if device.__class__.__name__ == "StaticDevice":
                left_codes = device.token_set.count()
                messages.warning(
                    request,
                    _(
                        "You used a recovery code; %(left_codes)s left. Make new ones in My settings if you lost your phone."
                    )
                    % {"left_codes": left_codes},
                )
            return HttpResponseRedirect(_safe_next(request))
    return render(
        request,
        "people/two_factor_verify.html",
        {"form": form, "next": _safe_next(request)},
        status=400 if form.errors else 200,
    )


@login_required
def two_factor_setup(request):
    """Turn two-factor sign-in on (scan, type the first code), make new recovery codes, or turn it off."""
    import django_otp

    from . import two_factor
    from .forms import CodeForm

    form = CodeForm(request.POST or None)
    codes = None
    if request.method == "POST":
        op = request.POST.get("op", "")
        on = two_factor.is_on(request.user)
        try:
            if op == "confirm" and not on:
                if form.is_valid():
                    device, codes = two_factor.confirm(
                        user=request.user, code=form.cleaned_data["code"]
                    )
                    django_otp.login(request, device)
                    audit.record("two_factor_on", actor=request.user, request=request)
                    messages.success(
                        request,
                        _(
                            "Two-factor sign-in is on. Keep the recovery codes below somewhere safe."
                        ),
                    )
            elif op == "codes" and on and request.user.is_verified():
                codes = two_factor.new_recovery_codes(user=request.user)
                audit.record("recovery_codes", actor=request.user, request=request)
                messages.success(request, _("New recovery codes; the old ones no longer work."))
            elif op == "off" and on and request.user.is_verified():
                two_factor.turn_off(user=request.user)
                audit.record("two_factor_off", actor=request.user, request=request)
                messages.success(request, _("Two-factor sign-in is off."))
                return redirect("personal_settings")
            else:
                raise ActionError(_("Nothing to do: reload the page."))
        except ActionError as exc:
            if exc.field == "code":
                form.add_error("code", exc.message)
            else:
                messages.error(request, exc.message)
                return redirect("two_factor_setup")
    on = two_factor.is_on(request.user)
    device = None if on else two_factor.pending_device(request.user)
    return render(
        request,
        "people/two_factor_setup.html",
        {
            "on": on,
            "form": form,
            "codes": codes,
            "required": two_factor.required_for(request.user),
            "qr": two_factor.qr_svg(device) if device else "",
            "secret": two_factor.secret_of(device) if device else "",
            "next": _safe_next(request, "personal_settings"),
        },
        status=400 if form.errors else 200,
    )


@login_required
def audit_log(request):
    """The access audit log, searchable by community managers and admins (PE5)."""
    from django.core.paginator import Paginator

    if not has_role(request.user, Role.COMMUNITY_MANAGER):
        raise PermissionDenied(_("Only community managers and admins read the audit log."))
    q = request.GET.get("q", "")
    kind = request.GET.get("kind", "")
    q = q if q.isprintable() else ""
    page = Paginator(audit.search(q, kind), 50).get_page(request.GET.get("page"))
    return render(
        request, "people/audit.html", {"page": page, "q": q, "kind": kind, "labels": audit.LABELS}
    )


@login_required
def people(request):
    """Everyone with an account (community managers and admins): role, two-factor sign-in, last
    sign-in; promote or demote (PE3); an admin deletes an account for someone who asked (PE4)."""
    from django.contrib.auth import get_user_model

    from .models import Role as R

    _cm_only(request)
    User = get_user_model()
    if request.method == "POST":
        op = request.POST.get("op", "")
        try:
            target_id = int(request.POST.get("user", ""))
        except ValueError:
            target_id = 0
        target = (
            User.objects.filter(pk=target_id).exclude(username=FORMER_CONTRIBUTOR).first()
            if 0 < target_id < 2**63
            else None
        )
        try:
            if target is None:
                raise ActionError(
                    _("There is no such person (the account may have been deleted).")
                )
            if op == "role":
                services.set_role(
                    actor=request.user, user=target, role=request.POST.get("role", "")
                )
                messages.success(
                    request,
                    _("%(get_username)s is now %(R)s.")
                    % {
                        "get_username": target.get_username(),
                        "R": R(request.POST["role"]).label.lower(),
                    },
                )
            elif op == "delete":
                if request.POST.get("confirm") != target.get_username():
                    raise ActionError(
                        _(
                            "To delete the account, type its username (%(get_username)s) in the box."
                        )
                        % {"get_username": target.get_username()}
                    )
                check_may_leave(actor=request.user, user=target)
                stop_contributing(actor=request.user, user=target)
                messages.success(
                    request,
                    _("The account and its personal data are deleted; an email told them."),
                )
            else:
                raise ActionError(_("Unknown action."))
        except ActionError as exc:
            messages.error(request, exc.message)
            if exc.status == 403:
                return render(request, "people/people.html", _people_context(request), status=403)
        return redirect("people")
    return render(request, "people/people.html", _people_context(request))


def _people_context(request) -> dict:
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from .models import Role as R

    users = list(
        get_user_model()
        .objects.exclude(username=FORMER_CONTRIBUTOR)
        .select_related("profile")
        .order_by("username")
    )
    with_2fa = set(TOTPDevice.objects.filter(confirmed=True).values_list("user_id", flat=True))
    is_admin = has_role(request.user, R.ADMIN)
    roles = (
        [(r.value, r.label) for r in R]
        if is_admin
        else [(R.CONTRIBUTOR.value, R.CONTRIBUTOR.label), (R.MODERATOR.value, R.MODERATOR.label)]
    )
    for u in users:
        u.role = getattr(getattr(u, "profile", None), "role", "")
        u.two_factor = u.pk in with_2fa
        u.editable = is_admin or u.role in (R.CONTRIBUTOR, R.MODERATOR)
    return {"people": users, "roles": roles, "is_admin": is_admin}


_require_moderator = policy.page_role(
    "moderator", gettext_lazy("Only moderators approve replies.")
)


@login_required
def manage_agents(request):
    _require_moderator(request)
    from django.contrib.auth import get_user_model

    status = 200
    if request.method == "POST":
        form = AgentApprovalForm(request.POST)
        if form.is_valid():
            agent = get_object_or_404(get_user_model(), pk=form.cleaned_data["agent"])
            try:
                actions.set_requires_approval(
                    actor=request.user, agent=agent, on=form.cleaned_data["on"]
                )
            except ActionError as exc:
                messages.error(request, exc.message)
                status = exc.status
            else:
                messages.success(request, _("Saved for %(agent)s.") % {"agent": agent})
                return redirect("manage_agents")
        else:
            messages.error(request, form_errors(form))
            status = 400
    agents = (
        get_user_model()
        .objects.filter(profile__isnull=False)
        .select_related("profile")
        .order_by("username")
    )
    return render(request, "people/manage_agents.html", {"agents": agents}, status=status)


@login_required
def personal_settings(request):
    """Personal settings (PE6): the agent's signatures (several; the default one is chosen for
    each reply) and whether single-key shortcuts are on (WCAG 2.1.4: they can be turned off)."""
    from socialdesk.people import services as people
    from socialdesk.people.forms import AddSignatureForm, ChooseSignatureForm, ShortcutsForm
    from socialdesk.people.models import Profile

    profile = Profile.objects.filter(user=request.user).first()
    add_form = AddSignatureForm()
    if request.method == "POST":
        # Forms of old sent no `op`: a signature, or the keyboard switch with its marker field.
        op = request.POST.get("op") or (
            "add"
            if "signature" in request.POST
            else "keyboard"
            if "keyboard_shortcuts_shown" in request.POST
            else ""
        )
        try:
            if op == "add":
                add_form = AddSignatureForm(request.POST)
                if add_form.is_valid():
                    # The settings page of old sent one signature: it became the default.
                    make_default = (
                        add_form.cleaned_data["make_default"] or "op" not in request.POST
                    )
                    people.add_signature(
                        user=request.user,
                        text=add_form.cleaned_data["signature"],
                        make_default=make_default,
                    )
                    messages.success(request, _("Signature saved."))
                    return redirect("personal_settings")
            elif op in ("default", "remove"):
                choice = ChooseSignatureForm(request.POST)
                if not choice.is_valid():
                    raise ActionError(_("Choose one of your signatures."))
                if op == "default":
                    chosen = people.set_default_signature(
                        user=request.user, signature_id=choice.cleaned_data["id"]
                    )
                    messages.success(
                        request,
                        _("“%(signature)s” is now your default signature.") % {"signature": chosen}
                        if chosen
                        else _("Your replies go out without a signature unless you pick one."),
                    )
                else:
                    if choice.cleaned_data["id"] is None:
                        raise ActionError(_("Choose one of your signatures."))
                    people.remove_signature(
                        user=request.user, signature_id=choice.cleaned_data["id"]
                    )
                    messages.success(request, _("Signature removed."))
                return redirect("personal_settings")
            elif op == "keyboard":
                shortcuts = ShortcutsForm(request.POST)
                if profile is not None and shortcuts.is_valid():
                    Profile.objects.filter(pk=profile.pk).update(
                        keyboard_shortcuts=shortcuts.cleaned_data["keyboard_shortcuts"]
                    )
                messages.success(request, _("Settings saved."))
                return redirect("personal_settings")
            else:
                raise ActionError(_("Unknown setting."))
        except ActionError as exc:
            if op == "add":
                add_form.add_error("signature", exc.message)
            else:
                messages.error(request, exc.message)
                return redirect("personal_settings")
    return render(
        request,
        "people/settings.html",
        {
            "signatures": signatures_of(request.user),
            "add_form": add_form,
            "profile": profile,
            "max_signatures": people.Signature.MAX_PER_AGENT,
        },
        status=400 if add_form.errors else 200,
    )


@login_required
@require_POST
def time_zone_settings(request):
    """PE6: the zone every time is shown and typed in (personal settings' form posts here)."""
    from .time_zones import set_zone

    name = request.POST.get("time_zone", "")
    try:
        set_zone(user=request.user, name=name)
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Times are now shown in %(name)s.") % {"name": name})
    return redirect("personal_settings")


@login_required
@require_POST
def language_settings(request):
    """PE6: the language of the desk for this person ("" follows the browser)."""
    code = request.POST.get("language", "")
    try:
        set_language(user=request.user, code=code)
    except ActionError as exc:
        messages.error(request, exc.message)
        return redirect("personal_settings")
    if code:
        translation.activate(code)
    else:
        translation.activate(translation.get_language_from_request(request))
    messages.success(request, _("The desk is now shown in your language."))
    response = redirect("personal_settings")
    if code:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite="Lax",
        )
    else:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
    return response


@login_required
def notifications_page(request):
    """The bell's page: the person's notifications, newest first, unread ones marked."""
    from django.core.paginator import Paginator

    from .models import Notification

    rows = Notification.objects.filter(user=request.user)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "people/notifications.html", {"page": page})


@login_required
@require_POST
def notifications_read(request):
    """Mark one notification read (and follow its link), or all of them."""
    from .models import Notification
    from .notifications import mark_read

    raw = request.POST.get("id", "")
    if raw == "all":
        mark_read(user=request.user)
        messages.success(request, _("All notifications marked read."))
        return redirect("notifications")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        messages.error(request, _("Choose one of your notifications."))
        return redirect("notifications")
    note = Notification.objects.filter(user=request.user, pk=int(raw)).first()
    if note is None:
        messages.error(request, _("That notification is not yours or no longer exists."))
        return redirect("notifications")
    mark_read(user=request.user, ids=[note.pk])
    if request.POST.get("open") and note.url.startswith("/") and not note.url.startswith("//"):
        return HttpResponseRedirect(note.url)
    return redirect("notifications")


@login_required
@require_POST
def notification_settings(request):
    """Personal settings: which kinds of notification also come by email."""
    from . import audit
    from .notifications import kinds_for, set_email_kinds

    offered = {k.value for k in kinds_for(request.user)}
    chosen = [k for k in request.POST.getlist("email") if k in offered]
    set_email_kinds(user=request.user, kinds=chosen)
    audit.record("notifications_changed", actor=request.user, email=sorted(chosen))
    messages.success(request, _("Notification settings saved."))
    return redirect("personal_settings")
