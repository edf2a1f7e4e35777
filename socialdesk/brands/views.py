"""The Accounts pages (/manage/accounts/): connect brand accounts without the Django admin.

Views parse the request and call `brands.services`, which checks the role again; community
managers and admins only (403 for everyone else, as the other manage pages)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from socialdesk.actions import policy
from socialdesk.connectors import auth
from socialdesk.connectors.auth import ConnectError
from socialdesk.outbox.models import ActionState
from socialdesk.people.settings_pages import SettingsPage

from . import services
from .forms import AddAccountForm, EngagementPolicyForm
from .models import BrandAccount

MAX_ID = 2**63 - 1


_require_manager = policy.page_role(
    "cm", gettext_lazy("Only community managers and admins connect brand accounts.")
)


def _account(pk: int) -> BrandAccount:
    account = BrandAccount.objects.filter(pk=pk).first() if pk <= MAX_ID else None
    if account is None:
        raise Http404(_("No such account."))
    return account


def callback_url(request) -> str:
    """The OAuth callback URL, the one registered with the platforms' apps."""
    path = reverse("account_callback")
    public = getattr(settings, "SOCIALDESK_PUBLIC_URL", "")
    return f"{public}{path}" if public else request.build_absolute_uri(path)


@login_required
@require_GET
def account_list(request):
    _require_manager(request)
    from socialdesk.outbox.models import OutboundAction

    waiting = dict(
        OutboundAction.objects.filter(state=ActionState.WAITING_FOR_ACCOUNT)
        .values_list("account")
        .annotate(n=Count("pk"))
        .values_list("account", "n")
    )
    rows = [
        (a, auth.capabilities(a), waiting.get(a.pk, 0))
        for a in BrandAccount.objects.order_by("platform", "handle")
    ]
    return render(request, "brands/accounts.html", {"rows": rows, "now": timezone.now()})


@login_required
def account_add(request):
    _require_manager(request)
    form = AddAccountForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                account = services.add_account(actor=request.user, **form.cleaned_data)
            except ConnectError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, _("%(account)s added: connect it below.") % {"account": account}
                )
                return redirect("account", pk=account.pk)
        status = 400
    return render(request, "brands/account_add.html", {"form": form}, status=status)


def _account_page(
    request, account: BrandAccount, *, error: str = "", method: str = "", status: int = 200
):
    from socialdesk.outbox.models import OutboundAction

    capabilities = auth.capabilities(account)
    methods = auth.module_for(account.platform).methods()
    defaults = {"instance": account.api_base or settings.SOCIALDESK_MASTODON_API_BASE}
    return render(
        request,
        "brands/account.html",
        {
            "account": account,
            "capabilities": capabilities,
            "methods": methods,
            "error": error,
            "error_method": method,
            "defaults": defaults,
            "callback_url": callback_url(request),
            "now": timezone.now(),
            "waiting": OutboundAction.objects.filter(
                account=account, state=ActionState.WAITING_FOR_ACCOUNT
            ).count(),
        },
        status=status,
    )


@login_required
@require_GET
def account_detail(request, pk: int):
    _require_manager(request)
    return _account_page(request, _account(pk))


def _values(request, method: auth.Method) -> dict:
    """The method's fields from the form: text as typed, files as their bytes (size-checked by the module)."""
    values = {}
    for field in method.fields:
        if field.kind == "file":
            upload = request.FILES.get(field.name)
            values[field.name] = upload.read(64 * 1024 + 1) if upload is not None else b""
        else:
            value = request.POST.get(field.name, "")
            values[field.name] = value if "\x00" not in value else ""
    return values


@login_required
@require_POST
def account_connect(request, pk: int):
    """Connect with the method chosen: a sign-in sends the community manager to the platform;
    credentials are checked with the platform, then saved."""
    _require_manager(request)
    account = _account(pk)
    key = request.POST.get("method", "")
    method = next((m for m in auth.module_for(account.platform).methods() if m.key == key), None)
    if method is None:
        return _account_page(
            request, account, error="Choose one of the ways to connect this account.", status=400
        )
    values = _values(request, method)
    try:
        if method.oauth:
            url = services.start_sign_in(
                actor=request.user,
                account=account,
                method=key,
                values=values,
                redirect_uri=callback_url(request),
                session=request.session,
            )
            return redirect(url)
        account = services.connect_with(
            actor=request.user, account=account, method=key, values=values
        )
    except ConnectError as exc:
        return _account_page(request, account, error=str(exc), method=key, status=400)
    messages.success(request, _connected_message(account))
    return redirect("account", pk=account.pk)


@login_required
@require_GET
def account_callback(request):
    """Where the platform sends the community manager back after signing in."""
    _require_manager(request)
    try:
        account = services.finish_sign_in(
            actor=request.user,
            session=request.session,
            state=request.GET.get("state", ""),
            code=request.GET.get("code", ""),
            error=request.GET.get("error", ""),
            error_description=request.GET.get("error_description", ""),
        )
    except ConnectError as exc:
        messages.error(request, str(exc))
        return redirect("accounts")
    messages.success(request, _connected_message(account))
    return redirect("account", pk=account.pk)


@login_required
@require_POST
def account_check(request, pk: int):
    _require_manager(request)
    account = _account(pk)
    try:
        services.check_again(actor=request.user, account=account)
    except ConnectError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(account)s works again; what waited for it is being sent.") % {"account": account},
        )
    return redirect("account", pk=account.pk)


def _connected_message(account: BrandAccount) -> str:
    capabilities = auth.capabilities(account)
    allowed = [name for name, value in capabilities.as_rows() if value == auth.YES]
    words = {"read": _("read"), "reply": _("reply"), "like": _("like"), "repost": _("repost")}
    values = {
        "account": account,
        "method": capabilities.method,
        "actions": ", ".join(str(words.get(name, name)) for name in allowed),
    }
    if allowed:
        text = _("%(account)s is connected (%(method)s): it may %(actions)s.") % values
    else:
        text = _("%(account)s is connected (%(method)s).") % values
    if capabilities.reply == auth.NO:
        text += " " + _("Replies need a user connection.")
    return text


# --- PE3: the engagement policy of each account (PO2), edited by community managers ------------

engagement_page = SettingsPage(
    name="engagement_policy",
    model=BrandAccount,
    form_class=EngagementPolicyForm,
    title=gettext_lazy("Engagement policy"),
    noun=gettext_lazy("account's policy"),
    intro=gettext_lazy(
        "What agents may do from each of our accounts. The desk refuses the rest on every path "
        "(the conversation page, Play Mode, the API): a button that is not allowed is not shown."
    ),
    columns=[
        (gettext_lazy("Account"), lambda a: a),
        (gettext_lazy("Platform"), lambda a: a.get_platform_display()),
        (gettext_lazy("Reply"), lambda a: a.can_reply),
        (gettext_lazy("Like"), lambda a: a.can_like),
        (gettext_lazy("Retweet / boost"), lambda a: a.get_retweet_policy_display()),
        (gettext_lazy("Private messages"), lambda a: a.can_dm),
        (gettext_lazy("Moderated first"), lambda a: a.requires_moderation),
    ],
    can_add=False,
    can_delete=False,
    links=[
        (gettext_lazy("Connect accounts"), "accounts"),
        (gettext_lazy("Respond-from table"), "respond_from"),
    ],
)
