"""The agents' pages. Views parse input and call the action layer; nothing more."""

import json
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    QueryDict,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from socialdesk.actions import conversation as actions
from socialdesk.actions import deal as play_services
from socialdesk.actions import escalate as escalation
from socialdesk.actions.delivery import retry_failed
from socialdesk.brands.models import Platform
from socialdesk.clippings.models import Clipping
from socialdesk.connectors.registry import authors_have_followers
from socialdesk.conversations.channel_rules import (
    ATTACHMENT_RULES,
    PLAIN_TEXT_RULES,
    download_name,
    limit_for,
    reply_audience,
    reply_mention,
)
from socialdesk.conversations.limits import MAX_ID
from socialdesk.conversations.models import (
    CloseReason,
    Conversation,
    HoldReason,
    Message,
    Reminder,
    Sentiment,
    Tag,
    UserTagKind,
)
from socialdesk.conversations.selectors import record_presence
from socialdesk.errors import ActionError, ActionNotFound
from socialdesk.outbox.models import OutboundAction
from socialdesk.people.models import has_role, role_of, signatures_of
from socialdesk.play.forms import PlayConversationForm
from socialdesk.play.models import EndedBy
from socialdesk.queues.forms import QueueForm
from socialdesk.queues.models import Queue, QueueKind, SavedFilter
from socialdesk.queues.selectors import (
    LIST_ORDER,
    PAGE_SIZE,
    ConversationFilter,
    Cursor,
    capped_count,
    count_cap,
    dealable,
    facet_cap,
    facet_counts,
    is_capped,
    page_of,
    queue_conversations,
    queue_filter,
    visible_queues,
)
from socialdesk.queues.visibility import can_see, visible_conversation, visible_conversations

from .context import draft_sent
from .forms import (
    AgentApprovalForm,
    ApprovalDecisionForm,
    AssignForm,
    BulkForm,
    CloseForm,
    EscalateForm,
    HoldForm,
    LetThroughForm,
    MergeForm,
    NoteForm,
    ReminderForm,
    ReplyForm,
    RetweetDecisionForm,
    SaveFilterForm,
    SentimentForm,
    TagForm,
    UserTagForm,
)


def _visible_conversation(request, pk) -> Conversation:
    """The conversation, if this agent may see it; 404 otherwise — also when it exists."""
    conversation = visible_conversation(user=request.user, pk=pk)
    if conversation is None:
        raise Http404("No such conversation.")
    return conversation


def _form_errors(form) -> str:
    return "; ".join(e for errs in form.errors.values() for e in errs)


# The composer's emoji, each one whole grapheme (❤️ is U+2764 U+FE0F) with a name for screen readers.
EMOJI = [
    ("\U0001f642", "slightly smiling face"),
    ("\U0001f64f", "folded hands"),
    ("\U0001f44d", "thumbs up"),
    ("\U0001f389", "party popper"),
    ("\u2764\ufe0f", "red heart"),
    ("\U0001f98a", "fox"),
    ("\U0001f4a1", "light bulb"),
    ("\U0001f527", "wrench"),
]


def _visible_queue(request, slug: str) -> Queue:
    queue = get_object_or_404(Queue, slug=slug)
    if not has_role(request.user, queue.visible_to):
        raise Http404("No such queue.")
    return queue


@login_required
def home(request):
    queues = [
        {
            "queue": q,
            "open": capped_count(queue_conversations(queue=q).filter(status="open")),
            "to_answer": capped_count(dealable(queue=q)),
        }
        for q in visible_queues(user=request.user)
    ]
    reminders = Reminder.objects.filter(
        user=request.user,
        done=False,
        due_at__lte=timezone.now(),
        conversation__in=visible_conversations(user=request.user).values("pk"),
    ).select_related("conversation")
    return render(
        request,
        "web/home.html",
        {
            "queues": queues,
            "reminders": reminders,
            "session": play_services.current_session(agent=request.user),
            "role": role_of(request.user),
        },
    )


@login_required
def queue_list(request, slug):
    queue = _visible_queue(request, slug)
    filter = ConversationFilter.from_query(request.GET)
    if not filter.statuses and "status" not in request.GET:
        filter = ConversationFilter(**{**filter.as_dict(), "statuses": ("open",)})
    after = None
    if request.GET.get("after"):
        try:
            after = Cursor.decode(request.GET["after"])
        except ValueError:
            messages.error(
                request, "That page link is not one this desk made: here is the first page."
            )
    qs = queue_conversations(queue=queue, filter=filter)
    # The list shows what the customer wrote last: its first line.
    latest_text = (
        Message.objects.filter(conversation=OuterRef("pk"), direction="in")
        .order_by("-created_at", "-pk")
        .values("text")[:1]
    )
    conversations, next_cursor = page_of(
        qs.select_related("author", "account", "dealt_to")
        .prefetch_related("tags")
        .annotate(customer_text=Subquery(latest_text)),
        after=after,
    )
    for c in conversations:
        c.first_line = next(
            (line.strip() for line in (c.customer_text or "").splitlines() if line.strip()), ""
        )
    query = urlencode(filter.as_query())
    total = capped_count(qs)
    to_answer = capped_count(dealable(queue=queue, filter=filter))
    facets = facet_counts(queue=queue, filter=filter)
    return render(
        request,
        "web/queue.html",
        {
            "queue": queue,
            "conversations": conversations,
            # Counted up to the cap ("1,000+"): a whole COUNT(*) would read the queue on every view.
            "total": total,
            "total_capped": is_capped(total),
            "counts_capped": is_capped(total)
            or is_capped(to_answer)
            or any(is_capped(n) for rows in facets.values() for _, _, n in rows),
            "count_cap": count_cap(),
            "facet_cap": facet_cap(),
            "page_size": PAGE_SIZE,
            "filter": filter,
            "query": query,
            "paged": after is not None,
            "next_page": f"?{query}&after={next_cursor.encode()}" if next_cursor else "",
            "facets": facets,
            "saved": [
                (
                    f.name,
                    urlencode(
                        ConversationFilter(**{k: tuple(v) for k, v in f.params.items()}).as_query()
                    ),
                )
                for f in SavedFilter.objects.filter(user=request.user, queue=queue)
            ],
            "to_answer": to_answer,
            "bulk_tags": Tag.objects.all(),
            "bulk_queues": Queue.objects.filter(kind="assignment"),
            "hold_reasons": HoldReason.choices,
            "close_reasons": CloseReason.choices,
        },
    )


@login_required
@require_POST
def save_filter(request, slug):
    queue = _visible_queue(request, slug)
    form = SaveFilterForm(request.POST)
    filter = ConversationFilter.from_query(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
    elif not filter:
        messages.error(request, "Choose at least one filter to save.")
    else:
        name = form.cleaned_data["name"]
        SavedFilter.objects.update_or_create(
            user=request.user, queue=queue, name=name, defaults={"params": filter.as_dict()}
        )
        messages.success(request, f"Saved “{name}”.")
    return redirect(f"{reverse('queue', args=[queue.slug])}?{urlencode(filter.as_query())}")


@login_required
@require_POST
def play_start(request, slug):
    queue = _visible_queue(request, slug)
    try:
        # Play deals within the queue and the filter the agent chose on the left panel.
        play_services.start(
            agent=request.user,
            queue=queue,
            filter=ConversationFilter.from_query(request.POST) or None,
        )
        play_services.deal_next(agent=request.user)
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
        messages.info(request, "Choose a queue and press Play.")


def _play_page(request, session, *, status=200):
    held = play_services.current_deal(agent=request.user)
    if held is not None:
        return _conversation_page(request, held, play_session=session, status=status)
    return render(
        request,
        "web/play_empty.html",
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


def _agents_for_assignment(user):
    from django.contrib.auth import get_user_model

    if not has_role(user, "moderator"):
        return []
    return list(
        get_user_model()
        .objects.filter(is_active=True, profile__isnull=False)
        .exclude(pk=user.pk)
        .order_by("username")
    )


def _conversation_page(request, conversation, *, play_session=None, reply_form=None, status=200):
    reply_form = reply_form or _stashed_reply_form(request, conversation.pk)
    conversation = (
        Conversation.objects.select_related(
            "author", "account", "respond_from", "dealt_to", "assigned_queue"
        )
        .prefetch_related("tags", "author__user_tags")
        .get(pk=conversation.pk)
    )
    msgs = list(
        conversation.messages.select_related(
            "author", "account", "sent_by", "outbound_action"
        ).prefetch_related("attachments")
    )
    notes = list(conversation.notes.select_related("author"))
    thread = sorted(
        [("message", m.created_at, m) for m in msgs] + [("note", n.created_at, n) for n in notes],
        key=lambda item: item[1],
    )
    # The customer's other conversations, as far as this agent may see them (no link to a 404).
    theirs = (
        visible_conversations(user=request.user)
        .filter(author_id=conversation.author_id)
        .exclude(pk=conversation.pk)
    )
    earlier = theirs.order_by("-last_inbound_at")[:5]
    mention = reply_mention(conversation.platform, conversation.author.handle)
    signatures = signatures_of(request.user)
    signature = next((s.text for s in signatures if s.is_default), "")
    clippings = [
        (clip, clip.render(author=conversation.author)) for clip in Clipping.objects.all()
    ]
    holding = next((text for clip, text in clippings if clip.is_holding_reply), "")
    user_tags = {ut.kind for ut in conversation.author.user_tags.all()}
    # The customer message a reply answers (as actions.reply picks it): who sees the reply follows it.
    answered = max(
        (m for m in msgs if m.direction == "in" and m.platform_id),
        key=lambda m: (m.created_at, m.pk),
        default=None,
    )
    audience = reply_audience(conversation.platform, answered.metadata if answered else None)
    return render(
        request,
        "web/conversation.html",
        {
            "tags": Tag.objects.all(),
            "emoji": EMOJI,
            "clippings": [(clip, text) for clip, text in clippings if not clip.is_holding_reply],
            "holding_reply": holding,
            "user_tag_kinds": [
                (value, label, value in user_tags) for value, label in UserTagKind.choices
            ],
            "assign_queues": [
                q
                for q in Queue.objects.filter(kind="assignment")
                if has_role(request.user, q.visible_to)
            ],
            "assign_agents": _agents_for_assignment(request.user),
            "my_reminders": conversation.reminders.filter(user=request.user, done=False),
            "can_dm": bool(conversation.respond_from and conversation.respond_from.can_dm),
            "is_cm": has_role(request.user, "cm"),
            "sentiments": Sentiment.choices,
            "attachment_types": ",".join(
                ATTACHMENT_RULES.get(conversation.platform, {}).get("types", {})
            ),
            "mergeable": theirs.exclude(status="closed").filter(platform=conversation.platform),
            "c": conversation,
            "thread": thread,
            "earlier": earlier,
            "activity": conversation.activity.select_related("actor").order_by("-at", "-id")[:50],
            # Mastodon: the reply starts with the customer's @, as Mastodon's apps write it.
            "reply_form": reply_form
            or ReplyForm(initial={"text": f"{mention} " if mention else ""}),
            "reply_mention": mention,
            "reply_label": audience[0],
            "reply_audience": audience[1],
            "note_form": NoteForm(auto_id="note_%s"),
            "hold_reasons": HoldReason.choices,
            "close_reasons": CloseReason.choices,
            "play_session": play_session,
            "signature": signature,
            "signatures": signatures,
            "author_followers": authors_have_followers(conversation.platform),
            "limit": limit_for(conversation.platform),
            # The composer runs the server's plain-text rules as the agent types (Google Play).
            "plain_text_rules": json.dumps(PLAIN_TEXT_RULES.get(conversation.platform, [])),
            "can_moderate": has_role(request.user, "moderator") and not conversation.moderated,
            # Dealt to someone else right now: the page says who, and a CM may take it over.
            "held_by_other": conversation.dealt_to
            if (
                conversation.dealt_to_id
                and conversation.dealt_to_id != request.user.id
                and conversation.lease_expires_at
                and conversation.lease_expires_at > timezone.now()
            )
            else None,
            "likes": set(
                OutboundAction.objects.filter(conversation=conversation, kind="like").values_list(
                    "target_platform_id", flat=True
                )
            ),
        },
        status=status,
    )


@login_required
def conversation(request, pk):
    c = _visible_conversation(request, pk)
    return _conversation_page(request, c, play_session=_my_session(request, c))


def _my_session(request, c):
    return (
        play_services.current_session(agent=request.user)
        if c.dealt_to_id == request.user.id
        else None
    )


def _refused(request, c, exc: ActionError):
    """The conversation page again with what went wrong, under the status that says it: 400 bad
    input, 403 not allowed, 409 someone else has it; 404 when it is not the agent's to see."""
    if isinstance(exc, ActionNotFound):
        raise Http404(exc.message)
    messages.error(request, exc.message)
    return _conversation_page(request, c, play_session=_my_session(request, c), status=exc.status)


def _after_action(request, conversation):
    """In Play Mode the next conversation is dealt here, in the POST, and the Play page shows it;
    otherwise back to the conversation."""
    if request.POST.get("play") and play_services.current_session(agent=request.user):
        try:
            play_services.deal_next(agent=request.user)
        except ActionError as exc:
            messages.error(request, exc.message)
        return redirect("play")
    return redirect("conversation", pk=conversation.pk)


@login_required
@require_POST
def reply(request, pk):
    c = _visible_conversation(request, pk)
    form = ReplyForm(request.POST)
    in_play = bool(request.POST.get("play"))
    session = play_services.current_session(agent=request.user) if in_play else None
    status = 400
    if form.is_valid():
        data = dict(form.cleaned_data)
        clipping_id = data.pop("clipping", None)
        data.update(data.pop("signature"))
        clipping = Clipping.objects.filter(pk=clipping_id).first() if clipping_id else None
        try:
            message = actions.reply(
                actor=request.user,
                conversation=c,
                clipping_text=clipping.render(author=c.author) if clipping else "",
                attachments=request.FILES.getlist("attachments"),
                **data,
            )
        except ActionNotFound as exc:
            raise Http404(exc.message)
        except ActionError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            status = exc.status
        else:
            draft_sent(request, c.pk)
            messages.success(request, _reply_sent_message(c, message))
            return _after_action(request, c)
    if status in (403, 409):
        # Refused, not mistyped: the status says so (404 is raised above). Nothing changed, so
        # a reload only asks again.
        return _conversation_page(request, c, play_session=session, reply_form=form, status=status)
    # Post/Redirect/Get: the agent stays on the conversation's (or Play's) URL, where a reload
    # does not post again; the form comes back with its text, choices and errors.
    _stash_reply_form(request, c.pk, form)
    if session is not None and c.dealt_to_id == request.user.id:
        return redirect("play")
    return redirect("conversation", pk=c.pk)


def _reply_sent_message(c: Conversation, message: Message) -> str:
    """What happens to the reply now, in words true of its platform and of approval (AG11)."""
    if message.outbound_action.state == "approval":
        return "Your reply waits for a moderator's approval before it goes out; this conversation shows when it is approved or sent back."
    platform = Platform(c.platform).label if c.platform in Platform.values else c.platform
    return f"Reply on its way from {c.respond_from}; it shows as delivered once {platform} has accepted it."


def _stash_reply_form(request, pk: int, form) -> None:
    data = {k: form.data.getlist(k) for k in form.data if k != "csrfmiddlewaretoken"}
    errors = [
        (field if field != "__all__" else None, e["message"])
        for field, errs in form.errors.get_json_data().items()
        for e in errs
    ]
    if request.FILES:
        errors.append(
            (None, "Attach your files again: a browser cannot keep them across a failed send.")
        )
    request.session[f"reply_form:{pk}"] = {"data": data, "errors": errors}


def _stashed_reply_form(request, pk: int):
    """The reply form that failed on this conversation, once, with its text and errors."""
    stashed = request.session.pop(f"reply_form:{pk}", None)
    if not isinstance(stashed, dict):
        return None
    data = QueryDict(mutable=True)
    for key, values in (stashed.get("data") or {}).items():
        data.setlist(key, values)
    form = ReplyForm(data)
    form.is_valid()
    for field, message in stashed.get("errors") or []:
        if message not in form.errors.get(field or "__all__", []):
            form.add_error(field if field in form.fields else None, message)
    return form


def _simple_action(
    request, pk, fn, success: str, form_class=None, *, advance: bool = True, convert=None
):
    """Parse a small form, call one action, say what happened.

    `advance`: in Play Mode, a finishing action (hold, close, escalate) deals the next one.
    `convert`: turns the form's cleaned data into the action's keyword arguments.
    """
    c = _visible_conversation(request, pk)
    kwargs = {}
    if form_class is not None:
        form = form_class(request.POST)
        if not form.is_valid():
            return _refused(request, c, ActionError(_form_errors(form)))
        kwargs = form.cleaned_data
    try:
        if convert is not None:
            kwargs = convert(request, c, kwargs)
        fn(actor=request.user, conversation=c, **kwargs)
    except ActionError as exc:
        return _refused(request, c, exc)
    messages.success(request, success)
    return _after_action(request, c) if advance else redirect("conversation", pk=c.pk)


@login_required
@require_POST
def note(request, pk):
    return _simple_action(request, pk, actions.add_note, "Internal note added.", NoteForm)


@login_required
@require_POST
def hold(request, pk):
    return _simple_action(request, pk, actions.hold, "Conversation on hold.", HoldForm)


@login_required
@require_POST
def close(request, pk):
    return _simple_action(request, pk, actions.close, "Conversation closed.", CloseForm)


@login_required
@require_POST
def moderate(request, pk):
    return _simple_action(
        request,
        pk,
        actions.mark_moderated,
        "Marked moderated: it is now in the contributors' queue.",
    )


@login_required
@require_POST
def like(request, pk, message_pk):
    c = _visible_conversation(request, pk)
    message = get_object_or_404(Message, pk=message_pk, conversation=c)
    try:
        actions.like(actor=request.user, conversation=c, message=message)
    except ActionError as exc:
        return _refused(request, c, exc)
    messages.success(request, f"Like queued from {c.account}.")
    return redirect("conversation", pk=c.pk)


@login_required
def outbox_fragment(request, pk):
    c = _visible_conversation(request, pk)
    return render(
        request,
        "web/_outbox.html",
        {"c": c, "actions": c.outbound_actions.select_related("account")},
    )


@login_required
@require_POST
def retry_action(request, action_pk):
    action = _visible_action(request, action_pk)
    try:
        retry_failed(actor=request.user, action=action)
    except ActionError as exc:
        return _refused(request, action.conversation, exc)
    return redirect("conversation", pk=action.conversation_id)


@login_required
@require_POST
def sentiment(request, pk):
    return _simple_action(
        request, pk, actions.set_sentiment, "Sentiment marked.", SentimentForm, advance=False
    )


@login_required
@require_POST
def tag(request, pk):
    def convert(request, c, data):
        return {"tag": data["tag"]}

    fn = actions.remove_tag if request.POST.get("remove") else actions.add_tag
    return _simple_action(
        request, pk, fn, "Tags updated.", TagForm, advance=False, convert=convert
    )


@login_required
@require_POST
def user_tag(request, pk):
    def toggle(request, c, data):
        # The buttons toggle: a tag the author has is taken off, one they lack is put on.
        return {
            "kind": data["kind"],
            "on": not c.author.user_tags.filter(kind=data["kind"]).exists(),
        }

    return _simple_action(
        request,
        pk,
        actions.set_user_tag,
        "User tag updated.",
        UserTagForm,
        advance=False,
        convert=toggle,
    )


@login_required
@require_POST
def reminder(request, pk):
    return _simple_action(
        request, pk, actions.set_reminder, "Reminder set.", ReminderForm, advance=False
    )


@login_required
@require_POST
def dismiss_reminder(request, reminder_pk):
    r = get_object_or_404(Reminder, pk=reminder_pk, user=request.user)
    actions.dismiss_reminder(actor=request.user, reminder=r)
    target = _safe_next(request)
    return HttpResponseRedirect(target) if target else redirect("home")


def _safe_next(request) -> str | None:
    """The `next` the request asks to go to, if it stays on this site; None otherwise."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def _assign_target(request, c, data):
    from django.contrib.auth import get_user_model

    to = (data.get("to") or "").strip()
    if to == "me":
        return {"to_user": request.user, "note": data["note"]}
    if to.startswith("user:"):
        number = to[5:]
        valid = number.isascii() and number.isdigit() and 1 <= int(number) <= MAX_ID
        user = (
            get_user_model().objects.filter(pk=int(number), is_active=True).first()
            if valid
            else None
        )
        if user is None:
            raise ActionError("That agent does not exist.")
        return {"to_user": user, "note": data["note"]}
    if to.startswith("queue:"):
        queue = Queue.objects.filter(slug=to[6:]).first()
        if queue is None:
            raise ActionError("That queue does not exist.")
        return {"to_queue": queue, "note": data["note"]}
    raise ActionError("Choose an agent or a queue to assign to.")


@login_required
@require_POST
def assign(request, pk):
    advance = (request.POST.get("to") or "").startswith("queue:")
    return _simple_action(
        request,
        pk,
        actions.assign,
        "Assigned.",
        AssignForm,
        advance=advance,
        convert=_assign_target,
    )


@login_required
@require_POST
def escalate(request, pk):
    return _simple_action(
        request,
        pk,
        escalation.escalate,
        "Escalated to the community managers. Thank you!",
        EscalateForm,
    )


@login_required
@require_POST
def retweet_decision(request, pk):
    return _simple_action(
        request,
        pk,
        actions.decide_retweet,
        "Decision recorded.",
        RetweetDecisionForm,
        advance=False,
    )


@login_required
@require_POST
def take_over(request, pk):
    return _simple_action(
        request,
        pk,
        actions.take_over,
        "It is yours now; the agent who had it has been told at their next heartbeat.",
        advance=False,
    )


@login_required
@require_POST
def presence(request, pk):
    """Record that this agent has the conversation open; list who else does (AG7)."""
    c = _visible_conversation(request, pk)
    others = record_presence(conversation=c, user=request.user)
    return render(request, "web/_presence.html", {"others": others})


def _require_cm(request):
    if not has_role(request.user, "cm"):
        raise PermissionDenied("Only community managers edit queues.")


@login_required
def manage_queues(request):
    _require_cm(request)
    queues = list(Queue.objects.all())
    tag_names = dict(Tag.objects.values_list("slug", "name"))
    rows = []
    for q in queues:
        rules = queue_filter(q)
        if q.kind == QueueKind.ASSIGNMENT:
            rows.append((q, "What is assigned to it", False))
        elif rules is None:
            rows.append(
                (q, "Rules that cannot be read: it shows nothing until they are fixed", True)
            )
        else:
            rows.append((q, rules.describe(tag_names=tag_names), False))
    return render(request, "web/manage_queues.html", {"rows": rows})


@login_required
def edit_queue(request, pk=None):
    """Create (pk None) or edit a queue; CMs only."""
    _require_cm(request)
    instance = get_object_or_404(Queue, pk=pk) if pk else None
    form = QueueForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        queue = form.save()
        messages.success(request, f"Queue “{queue}” saved.")
        return redirect("manage_queues")
    preview = None
    if instance is not None:
        preview = queue_conversations(queue=instance).filter(status="open").count()
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "web/edit_queue.html",
        {"form": form, "queue": instance, "preview": preview},
        status=status,
    )


@login_required
@require_POST
def bulk_action(request, slug):
    """Bulk actions on the selection, or on everything the current filter matches (AG13)."""
    queue = _visible_queue(request, slug)
    filter = ConversationFilter.from_query(request.POST)
    back = f"{reverse('queue', args=[queue.slug])}?{urlencode(filter.as_query())}"
    form = BulkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect(back)
    qs = queue_conversations(queue=queue, filter=filter)
    if form.cleaned_data["scope"] != "all":
        ids = form.cleaned_data["ids"]
        if not ids:
            messages.error(
                request, "Select conversations first, or choose “everything matching this filter”."
            )
            return redirect(back)
        qs = qs.filter(pk__in=ids)
    try:
        done, problems = actions.bulk(
            actor=request.user,
            conversations=list(qs.order_by(*LIST_ORDER)[: count_cap()]),
            action=form.cleaned_data["action"],
            value=form.cleaned_data["value"],
        )
    except ActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Done for {done} conversation{'s' if done != 1 else ''}.")
        for problem in problems[:10]:
            messages.error(request, problem)
    return redirect(f"{reverse('queue', args=[queue.slug])}?{urlencode(filter.as_query())}")


@login_required
@require_POST
def merge(request, pk):
    c = _visible_conversation(request, pk)
    form = MergeForm(request.POST)
    if not form.is_valid():
        return _refused(request, c, ActionError(_form_errors(form)))
    # Both sides must be the agent's to see: an unknown or hidden one is the same 404.
    other = _visible_conversation(request, form.cleaned_data["other"])
    try:
        actions.merge(actor=request.user, conversation=c, other=other)
    except ActionError as exc:
        return _refused(request, c, exc)
    messages.success(request, f"Conversation #{other.pk} merged into this one.")
    return redirect("conversation", pk=c.pk)


@login_required
@require_POST
def split(request, pk, message_pk):
    c = _visible_conversation(request, pk)
    message = get_object_or_404(Message, pk=message_pk, conversation=c)
    try:
        new = actions.split(actor=request.user, conversation=c, message=message)
    except ActionError as exc:
        return _refused(request, c, exc)
    messages.success(request, f"Split into conversation #{new.pk}.")
    return redirect("conversation", pk=new.pk)


def _visible_action(request, pk) -> OutboundAction:
    """An outbound action of a conversation the agent may see; 404 otherwise."""
    action = get_object_or_404(OutboundAction.objects.select_related("conversation"), pk=pk)
    if not can_see(user=request.user, conversation=action.conversation):
        raise Http404("No such action.")
    return action


def _require_moderator(request):
    if not has_role(request.user, "moderator"):
        raise PermissionDenied("Only moderators approve replies.")


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
    return render(request, "web/approvals.html", {"waiting": waiting}, status=status)


@login_required
@require_POST
def approval_decision(request, action_pk):
    _require_moderator(request)
    action = _visible_action(request, action_pk)
    form = ApprovalDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _approvals_page(request, status=400)
    data = form.cleaned_data
    try:
        if data["decision"] == "approve":
            actions.approve_reply(
                actor=request.user,
                action=action,
                text=data["text"] if "text" in request.POST else None,
            )
            messages.success(request, "Approved: the reply is on its way.")
        else:
            actions.return_reply(actor=request.user, action=action, note=data["note"])
            messages.success(request, "Sent back with your note.")
    except ActionNotFound as exc:
        raise Http404(exc.message)
    except ActionError as exc:
        messages.error(request, exc.message)
        return _approvals_page(request, status=exc.status)
    return redirect("approvals")


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
                messages.success(request, f"Saved for {agent}.")
                return redirect("manage_agents")
        else:
            messages.error(request, _form_errors(form))
            status = 400
    agents = (
        get_user_model()
        .objects.filter(profile__isnull=False)
        .select_related("profile")
        .order_by("username")
    )
    return render(request, "web/manage_agents.html", {"agents": agents}, status=status)


@login_required
def attachment(request, pk):
    """An attachment, to the agents who may see its conversation.

    Always a download (`Content-Disposition: attachment`) under a name made safe and ending in the
    extension of its detected type, with `nosniff`: whatever an upload contains, the browser does
    not render it as a page of this site.
    """
    from django.http import FileResponse

    from socialdesk.conversations.models import Attachment

    a = get_object_or_404(Attachment.objects.select_related("message__conversation"), pk=pk)
    if not can_see(user=request.user, conversation=a.message.conversation):
        raise Http404("No such attachment.")
    try:
        f = a.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file of this attachment is gone.")
    response = FileResponse(
        f,
        content_type=a.content_type or "application/octet-stream",
        as_attachment=True,
        filename=download_name(a.original_name or a.file.name, a.content_type),
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


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
                    messages.success(request, "Signature saved.")
                    return redirect("personal_settings")
            elif op in ("default", "remove"):
                choice = ChooseSignatureForm(request.POST)
                if not choice.is_valid():
                    raise ActionError("Choose one of your signatures.")
                if op == "default":
                    chosen = people.set_default_signature(
                        user=request.user, signature_id=choice.cleaned_data["id"]
                    )
                    messages.success(
                        request,
                        f"“{chosen}” is now your default signature."
                        if chosen
                        else "Your replies go out without a signature unless you pick one.",
                    )
                else:
                    if choice.cleaned_data["id"] is None:
                        raise ActionError("Choose one of your signatures.")
                    people.remove_signature(
                        user=request.user, signature_id=choice.cleaned_data["id"]
                    )
                    messages.success(request, "Signature removed.")
                return redirect("personal_settings")
            elif op == "keyboard":
                shortcuts = ShortcutsForm(request.POST)
                if profile is not None and shortcuts.is_valid():
                    Profile.objects.filter(pk=profile.pk).update(
                        keyboard_shortcuts=shortcuts.cleaned_data["keyboard_shortcuts"]
                    )
                messages.success(request, "Settings saved.")
                return redirect("personal_settings")
            else:
                raise ActionError("Unknown setting.")
        except ActionError as exc:
            if op == "add":
                add_form.add_error("signature", exc.message)
            else:
                messages.error(request, exc.message)
                return redirect("personal_settings")
    return render(
        request,
        "web/settings.html",
        {
            "signatures": signatures_of(request.user),
            "add_form": add_form,
            "profile": profile,
            "max_signatures": people.Signature.MAX_PER_AGENT,
        },
        status=400 if add_form.errors else 200,
    )


@login_required
def health(request):
    """Connectors' health for admins: each stream's last poll, error and rate-limit wait, and the
    outbox's failed and waiting actions. A connector with bad credentials shows here, it does not
    crash the poller."""
    if not has_role(request.user, "admin"):
        raise PermissionDenied("Only admins see the connectors' health.")
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
        "web/health.html",
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
        },
    )


@login_required
def ingestion_filters(request):
    """CM page for the ingestion filters (CH8): settings, a counter per reason, what was kept out."""
    _require_cm(request)
    from django import forms as dj_forms
    from django.db.models import Count

    from socialdesk.actions.inbound import let_through
    from socialdesk.ingestion.models import FilteredMessage, FilterReason, FilterSettings

    class FilterForm(dj_forms.ModelForm):
        class Meta:
            model = FilterSettings
            fields = "__all__"
            widgets = {
                name: dj_forms.Textarea(attrs={"rows": 3})
                for name in (
                    "allowed_hashtags",
                    "banned_authors",
                    "brand_words_in_handles",
                    "muted_words",
                )
            }

    current = FilterSettings.current()
    letting_through = request.method == "POST" and "let_through" in request.POST
    form = FilterForm(
        request.POST if request.method == "POST" and not letting_through else None,
        instance=current,
    )
    status = 200
    if letting_through:
        choice = LetThroughForm(request.POST)
        if choice.is_valid():
            kept = get_object_or_404(FilteredMessage, pk=choice.cleaned_data["let_through"])
            let_through(kept)
            messages.success(request, "Let through: it is in the queues now.")
            return redirect("ingestion_filters")
        messages.error(request, _form_errors(choice))
        status = 400
    elif request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, "Filters saved; they apply from the next poll.")
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
        "web/filters.html",
        {
            "form": form,
            "counts": [(v, label, counts.get(v, 0)) for v, label in FilterReason.choices],
            "kept": kept[:100],
            "reason": reason,
        },
        status=status,
    )
