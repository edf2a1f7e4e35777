"""Set-aside messages (issue 9): community managers see what ingestion could not store and retry
or dismiss it. Views parse the request and call `set_aside`, which checks the role again."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from socialdesk.people.models import has_role

from . import set_aside
from .models import SetAsideMessage

# The largest id a BigAutoField holds: a larger one in the URL is no message (and no database error).
MAX_ID = 2**63 - 1
PAGE = 100


def _require_cm(request) -> None:
    if not has_role(request.user, "cm"):
        raise PermissionDenied("Only community managers see and handle set-aside messages.")


def _item_id(pk: int) -> int:
    if pk > MAX_ID or not SetAsideMessage.objects.filter(pk=pk).exists():
        raise Http404("No such set-aside message.")
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
            f"Stored: the message is in conversation #{outcome.conversation_id} (linked below).",
        )
    elif outcome.resolution:
        messages.success(request, f"Handled: {outcome.item.get_resolution_display().lower()}.")
    else:
        messages.error(request, f"It could not be stored this time either: {outcome.error}")
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
    messages.success(request, "Dismissed; the reason is kept with the message.")
    return redirect("set_aside")
