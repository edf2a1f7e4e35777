"""Play Mode's pages: start, the dealt conversation, deal next, skip, stop, the heartbeat."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from socialdesk.actions import deal as play_services
from socialdesk.conversations.models import Conversation
from socialdesk.conversations.views import conversation_page
from socialdesk.errors import ActionError, ActionRefused
from socialdesk.play.forms import PlayConversationForm
from socialdesk.play.models import EndedBy
from socialdesk.queues.selectors import ConversationFilter
from socialdesk.queues.views import visible_queue_or_404


@login_required
@require_POST
def play_start(request, slug):
    queue = visible_queue_or_404(request, slug)
    try:
        # Play deals within the queue and the filter the agent chose on the left panel.
        session = play_services.start(
            agent=request.user,
            queue=queue,
            filter=ConversationFilter.from_query(request.POST) or None,
        )
        play_services.deal_next(agent=request.user, session=session)
    except ActionRefused as exc:
        # Not this role's queue to play (the escalation queue below a CM): a 403, with why.
        raise PermissionDenied(exc.message) from exc
    except ActionError as exc:
        messages.error(request, exc.message)
        return redirect("home")
    return redirect("play")


def _how_play_ended(request) -> None:
    """Tell an agent whose play session ended without them (idle, another tab signed out) so."""
    last = play_services.last_session(agent=request.user)
    if last is not None and last.ended_by in (EndedBy.IDLE, EndedBy.SIGN_OUT):
        minutes = last.play_time.total_seconds() / 60
        why = (
            "nothing happened for longer than the lease, so it counts until your last activity"
            if last.ended_by == EndedBy.IDLE
            else "you signed out"
        )
        messages.info(
            request,
            f"Your Play Mode on {last.queue} ended at {timezone.localtime(last.ended_at):%H:%M} after {minutes:.0f} min: {why}.",
        )
    else:
        messages.info(request, _("Choose a queue and press Play."))


def _play_page(request, session, *, status=200):
    held = play_services.current_deal(agent=request.user)
    if held is not None:
        return conversation_page(request, held, play_session=session, status=status)
    return render(
        request,
        "play/play_empty.html",
        {"state": play_services.state(agent=request.user, session=session)},
        status=status,
    )


@login_required
def play(request):
    """The conversation dealt to this agent, or what is left to deal. A GET never deals:
    Play, Deal next, Skip and the finishing actions deal in their POST and come back here."""
    session = play_services.current_session(agent=request.user)
    if session is None:
        _how_play_ended(request)
        return redirect("home")
    return _play_page(request, session)


@login_required
@require_POST
def play_next(request):
    try:
        if request.POST.get("start_over"):
            play_services.start_over(agent=request.user)
        else:
            play_services.deal_next(agent=request.user)
    except ActionError as exc:
        messages.error(request, exc.message)
        return redirect("home")
    return redirect("play")


@login_required
@require_POST
def play_skip(request):
    form = PlayConversationForm(request.POST)
    session = play_services.current_session(agent=request.user)
    if not form.is_valid():
        if session is None:
            return HttpResponseBadRequest(
                form.error_text(), content_type="text/plain; charset=utf-8"
            )
        messages.error(request, form.error_text())
        return _play_page(request, session, status=400)
    conversation = get_object_or_404(Conversation, pk=form.cleaned_data["conversation"])
    try:
        play_services.skip(agent=request.user, conversation=conversation)
    except ActionError as exc:
        messages.error(request, exc.message)
        return redirect("home")
    return redirect("play")


@login_required
@require_POST
def play_stop(request):
    session = play_services.stop(agent=request.user)
    if session is not None:
        minutes = session.play_time.total_seconds() / 60
        messages.success(
            request,
            f"Play Mode stopped after {minutes:.0f} min. Thanks! Remember to sign out when you are done.",
        )
    else:
        _how_play_ended(request)
    return redirect("home")


@login_required
@require_POST
def play_renew(request):
    """The Play pages' heartbeat: keeps the lease (with a conversation) and the session alive."""
    form = PlayConversationForm(request.POST, require_conversation=False)
    if not form.is_valid():
        return HttpResponse(
            f'<div class="flash error">{escape(form.error_text())}</div>', status=400
        )
    pk = form.cleaned_data["conversation"]
    conversation = get_object_or_404(Conversation, pk=pk) if pk else None
    if play_services.renew(agent=request.user, conversation=conversation):
        return HttpResponse(status=204)
    if conversation is None:
        return HttpResponse(
            '<div class="flash error">Play Mode has ended: press Play on a queue to start again.</div>'
        )
    return HttpResponse(
        '<div class="flash error">This conversation is no longer dealt to you: someone else may pick it up.</div>'
    )
