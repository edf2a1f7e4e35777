"""Outbound actions seen by people: replies waiting for a moderator's approval, retrying a failed one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from socialdesk.actions import conversation as actions
from socialdesk.actions import policy
from socialdesk.actions.delivery import retry_failed
from socialdesk.conversations.forms import form_errors
from socialdesk.conversations.models import Message
from socialdesk.conversations.views import refused
from socialdesk.errors import ActionError, ActionNotFound
from socialdesk.outbox.models import OutboundAction
from socialdesk.queues.visibility import can_see, visible_conversations

from .forms import ApprovalDecisionForm

_require_moderator = policy.page_role(
    "moderator", gettext_lazy("Only moderators approve replies.")
)


def _visible_action(request, pk) -> OutboundAction:
    """An outbound action of a conversation the agent may see; 404 otherwise."""
    action = get_object_or_404(OutboundAction.objects.select_related("conversation"), pk=pk)
    if not can_see(user=request.user, conversation=action.conversation):
        raise Http404(_("No such action."))
    return action


@login_required
@require_POST
def retry_action(request, action_pk):
    action = _visible_action(request, action_pk)
    try:
        retry_failed(actor=request.user, action=action)
    except ActionError as exc:
        return refused(request, action.conversation, exc)
    return redirect("conversation", pk=action.conversation_id)


@login_required
def approvals(request):
    """Replies waiting for a moderator (AG11): approve as is, edit and approve, or send back."""
    _require_moderator(request)
    return _approvals_page(request)


def _approvals_page(request, *, status=200):
    waiting = (
        OutboundAction.objects.filter(
            state="approval",
            conversation__in=visible_conversations(user=request.user).values("pk"),
        )
        .select_related("conversation__author", "created_by", "account")
        .order_by("created_at")
    )
    waiting = list(waiting[:200])
    # The customer's message each reply answers, in one query: a moderator judges the reply by it.
    answered = {
        (m.conversation_id, m.platform_id): m
        for m in Message.objects.filter(
            direction="in",
            conversation_id__in={a.conversation_id for a in waiting},
            platform_id__in={a.target_platform_id for a in waiting},
        )
    }
    for a in waiting:
        a.answers = answered.get((a.conversation_id, a.target_platform_id))
    return render(request, "outbox/approvals.html", {"waiting": waiting}, status=status)


@login_required
@require_POST
def approval_decision(request, action_pk):
    _require_moderator(request)
    action = _visible_action(request, action_pk)
    form = ApprovalDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return _approvals_page(request, status=400)
    data = form.cleaned_data
    try:
        if data["decision"] == "approve":
            actions.approve_reply(
                actor=request.user,
                action=action,
                text=data["text"] if "text" in request.POST else None,
            )
            messages.success(request, _("Approved: the reply is on its way."))
        else:
            actions.return_reply(actor=request.user, action=action, note=data["note"])
            messages.success(request, _("Sent back with your note."))
    except ActionNotFound as exc:
        raise Http404(exc.message) from exc
    except ActionError as exc:
        messages.error(request, exc.message)
        return _approvals_page(request, status=exc.status)
    return redirect("approvals")
