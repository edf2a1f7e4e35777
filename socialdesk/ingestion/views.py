"""Set-aside messages (issue 9): community managers see what ingestion could not store and retry
or dismiss it. Views parse the request and call `set_aside`, which checks the role again."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from socialdesk.actions import policy
from socialdesk.conversations.forms import form_errors
from socialdesk.outbox.models import OutboundAction
from socialdesk.people.mail import failed_emails
from socialdesk.people.models import has_role

from . import set_aside
from .forms import FilterSettingsForm, LetThroughForm
from .models import SetAsideMessage

# The largest id a BigAutoField holds: a larger one in the URL is no message (and no database error).
MAX_ID = 2**63 - 1
PAGE = 100


_require_cm = policy.page_role(
    "cm", gettext_lazy("Only community managers see and handle set-aside messages.")
)


def _item_id(pk: int) -> int:
    if pk > MAX_ID or not SetAsideMessage.objects.filter(pk=pk).exists():
        raise Http404(_("No such set-aside message."))
    return pk


def _page(request, *, errors=None, reasons=None, status=200):
    waiting = SetAsideMessage.objects.filter(resolved_at__isnull=True).select_related("account")
    handled = (
        SetAsideMessage.objects.filter(resolved_at__isnull=False)
        .select_related("account", "resolved_by", "message")
        .order_by("-resolved_at")[:20]
    )
    items = list(waiting[:PAGE])
    for item in items:
        item.form_error = (errors or {}).get(item.pk, "")
        item.typed_reason = (reasons or {}).get(item.pk, "")
    return render(
        request,
        "ingestion/set_aside.html",
        {
            "items": items,
            "count": waiting.count(),
            "page": PAGE,
            "handled": handled,
            "reason_length": set_aside.REASON_LENGTH,
        },
        status=status,
    )


@login_required
@require_GET
def set_aside_list(request):
    _require_cm(request)
    return _page(request)


@login_required
@require_POST
def retry(request, pk: int):
    _require_cm(request)
    try:
        outcome = set_aside.retry(_item_id(pk), actor=request.user)
    except set_aside.SetAsideError as exc:
        messages.error(request, str(exc))
        return redirect("set_aside")
    if outcome.conversation_id:
        messages.success(
            request,
            _("Stored: the message is in conversation #%(conversation_id)s (linked below).")
            % {"conversation_id": outcome.conversation_id},
        )
    elif outcome.resolution:
        messages.success(
            request,
            _("Handled: %(get_resolution_display)s.")
            % {"get_resolution_display": outcome.item.get_resolution_display().lower()},
        )
    else:
        messages.error(
            request,
            _("It could not be stored this time either: %(error)s") % {"error": outcome.error},
        )
    return redirect("set_aside")


@login_required
@require_POST
def dismiss(request, pk: int):
    _require_cm(request)
    reason = request.POST.get("reason", "")
    try:
        set_aside.dismiss(_item_id(pk), actor=request.user, reason=reason)
    except set_aside.SetAsideError as exc:
        if SetAsideMessage.objects.filter(pk=pk, resolved_at__isnull=False).exists():
            messages.error(request, str(exc))
            return redirect("set_aside")
        return _page(
            request,
            errors={pk: str(exc)},
            reasons={pk: reason[: set_aside.REASON_LENGTH * 2]},
            status=400,
        )
    messages.success(request, _("Dismissed; the reason is kept with the message."))
    return redirect("set_aside")


_require_cm_for_filters = policy.page_role(
    "cm", gettext_lazy("Only community managers edit queues.")
)


@login_required
def health(request):
    """Connectors' health for admins: each stream's last poll, error and rate-limit wait, and the
    outbox's failed and waiting actions. A connector with bad credentials shows here, it does not
    crash the poller."""
    if not has_role(request.user, "admin"):
        raise PermissionDenied(_("Only admins see the connectors' health."))
    from django.db.models import Count

    from socialdesk.brands.models import BrandAccount
    from socialdesk.ingestion.models import PollState, SetAsideMessage

    accounts = BrandAccount.objects.prefetch_related("poll_states").order_by("platform", "handle")
    outbox = dict(
        OutboundAction.objects.values_list("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    # Accounts whose connection stopped working: their sending is paused until they are reconnected.
    waiting = dict(
        OutboundAction.objects.filter(state="account")
        .values_list("account")
        .annotate(n=Count("pk"))
        .values_list("account", "n")
    )
    paused = [(a, waiting.get(a.pk, 0)) for a in accounts if a.credentials_failed_at is not None]
    return render(
        request,
        "ingestion/health.html",
        {
            "paused": paused,
            "accounts": accounts,
            "outbox": outbox,
            "now": timezone.now(),
            "failing": PollState.objects.exclude(last_error="").count(),
            "set_aside": SetAsideMessage.objects.filter(resolved_at__isnull=True).count(),
            "failed_actions": OutboundAction.objects.filter(state="failed")
            .select_related("account")
            .order_by("-updated_at")[:20],
            "failed_emails": failed_emails(),
        },
    )


@login_required
def ingestion_filters(request):
    """CM page for the ingestion filters (CH8): settings, a counter per reason, what was kept out."""
    _require_cm_for_filters(request)
    from django.db.models import Count

    from socialdesk.actions.inbound import let_through
    from socialdesk.ingestion.models import FilteredMessage, FilterReason, FilterSettings

    current = FilterSettings.current()
    letting_through = request.method == "POST" and "let_through" in request.POST
    form = FilterSettingsForm(
        request.POST if request.method == "POST" and not letting_through else None,
        instance=current,
    )
    status = 200
    if letting_through:
        choice = LetThroughForm(request.POST)
        if choice.is_valid():
            kept = get_object_or_404(FilteredMessage, pk=choice.cleaned_data["let_through"])
            let_through(kept)
            messages.success(request, _("Let through: it is in the queues now."))
            return redirect("ingestion_filters")
        messages.error(request, form_errors(choice))
        status = 400
    elif request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, _("Filters saved; they apply from the next poll."))
            return redirect("ingestion_filters")
        status = 400
    counts = dict(
        FilteredMessage.objects.values_list("reason")
        .annotate(n=Count("pk"))
        .values_list("reason", "n")
    )
    reason = request.GET.get("reason", "")
    reason = reason if reason in FilterReason.values else ""
    kept = FilteredMessage.objects.filter(let_through_at__isnull=True)
    if reason:
        kept = kept.filter(reason=reason)
    return render(
        request,
        "ingestion/filters.html",
        {
            "form": form,
            "counts": [(v, label, counts.get(v, 0)) for v, label in FilterReason.choices],
            "kept": kept[:100],
            "reason": reason,
        },
        status=status,
    )
