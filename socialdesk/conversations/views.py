"""The conversation page and its actions: parse the input, call the action layer, say what happened."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.db.models import Count
from django.http import Http404, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from socialdesk.actions import conversation as actions
from socialdesk.actions import deal as play_services
from socialdesk.actions import escalate as escalation
from socialdesk.brands.models import Platform
from socialdesk.clippings.models import Clipping
from socialdesk.connectors import registry as connectors
from socialdesk.connectors.registry import authors_have_followers
from socialdesk.conversations.channel_rules import (
    ATTACHMENT_RULES,
    PLAIN_TEXT_RULES,
    download_name,
    limit_for,
    reply_audience,
    reply_mention,
)
from socialdesk.conversations.drafts import draft_sent
from socialdesk.conversations.models import (
    CloseReason,
    Conversation,
    HoldReason,
    Message,
    Reminder,
    Sentiment,
    Tag,
    UserTag,
    UserTagKind,
)
from socialdesk.conversations.selectors import record_presence
from socialdesk.conversations.storage import signed_download_url
from socialdesk.errors import ActionError, ActionNotFound
from socialdesk.fields import MAX_ID
from socialdesk.outbox.models import OutboundAction
from socialdesk.people import audit
from socialdesk.people.models import has_role, signatures_of
from socialdesk.people.settings_pages import SettingsPage, require_cm
from socialdesk.queues.models import Queue
from socialdesk.queues.visibility import can_see, visible_conversation, visible_conversations

from .forms import (
    AssignForm,
    AuthorTagForm,
    CloseForm,
    EscalateForm,
    HoldForm,
    MergeForm,
    NoteForm,
    ReminderForm,
    ReplyForm,
    RetweetDecisionForm,
    SentimentForm,
    TagForm,
    TagSettingsForm,
    UserTagForm,
    form_errors,
)


def visible_conversation_or_404(request, pk) -> Conversation:
    """The conversation, if this agent may see it; 404 otherwise — also when it exists."""
    conversation = visible_conversation(user=request.user, pk=pk)
    if conversation is None:
        raise Http404(_("No such conversation."))
    return conversation


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


def conversation_page(request, conversation, *, play_session=None, reply_form=None, status=200):
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
    dm_link = (
        connectors.dm_link(conversation.platform, conversation.respond_from.external_id)
        if conversation.respond_from
        else ""
    )
    return render(
        request,
        "conversations/conversation.html",
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
            # The platform's own link for a private message, where it has one (its connector's).
            "can_dm": bool(dm_link and conversation.respond_from.can_dm),
            "dm_link": dm_link,
            "repost_name": connectors.repost_name(conversation.platform),
            "is_cm": has_role(request.user, "cm"),
            # Escalated above this agent: they see it and add notes, the CMs answer (policy).
            "escalated_to_cms": conversation.assigned_queue is not None
            and not has_role(request.user, conversation.assigned_queue.play_role),
            "useful_escalation": (
                next(iter(escalation.useful_candidates(conversation, actor=request.user)), None)
                if has_role(request.user, "cm")
                else None
            ),
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
            "plain_text_rules": json.dumps(
                [
                    (pattern, str(what))
                    for pattern, what in PLAIN_TEXT_RULES.get(conversation.platform, [])
                ]
            ),
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
    c = visible_conversation_or_404(request, pk)
    return conversation_page(request, c, play_session=_my_session(request, c))


def _my_session(request, c):
    return (
        play_services.current_session(agent=request.user)
        if c.dealt_to_id == request.user.id
        else None
    )


def refused(request, c, exc: ActionError):
    """The conversation page again with what went wrong, under the status that says it: 400 bad
    input, 403 not allowed, 409 someone else has it; 404 when it is not the agent's to see."""
    if isinstance(exc, ActionNotFound):
        raise Http404(exc.message)
    messages.error(request, exc.message)
    return conversation_page(request, c, play_session=_my_session(request, c), status=exc.status)


def _after_action(request, conversation, session=None):
    """In Play Mode the next conversation is dealt here, in the POST, and the Play page shows it;
    otherwise back to the conversation. `session`: the play session the view read already."""
    if request.POST.get("play") and (
        session := session or play_services.current_session(agent=request.user)
    ):
        try:
            play_services.deal_next(agent=request.user, session=session)
        except ActionError as exc:
            messages.error(request, exc.message)
        return redirect("play")
    return redirect("conversation", pk=conversation.pk)


@login_required
@require_POST
def reply(request, pk):
    c = visible_conversation_or_404(request, pk)
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
            raise Http404(exc.message) from exc
        except ActionError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            status = exc.status
        else:
            draft_sent(request, c.pk)
            messages.success(request, _reply_sent_message(c, message))
            return _after_action(request, c, session)
    if status in (403, 409):
        # Refused, not mistyped: the status says so (404 is raised above). Nothing changed, so
        # a reload only asks again.
        return conversation_page(request, c, play_session=session, reply_form=form, status=status)
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
    request, pk, fn, success, form_class=None, *, advance: bool = True, convert=None
):
    """Parse a small form, call one action, say what happened.

    `success`: what to say, or `success(result)` says it from what the action returned.
    `advance`: in Play Mode, a finishing action (hold, close, escalate) deals the next one.
    `convert`: turns the form's cleaned data into the action's keyword arguments.
    """
    c = visible_conversation_or_404(request, pk)
    kwargs = {}
    if form_class is not None:
        form = form_class(request.POST)
        if not form.is_valid():
            return refused(request, c, ActionError(form_errors(form)))
        kwargs = form.cleaned_data
    try:
        if convert is not None:
            kwargs = convert(request, c, kwargs)
        result = fn(actor=request.user, conversation=c, **kwargs)
    except ActionError as exc:
        return refused(request, c, exc)
    # A lazy text is said in the language of this request.
    messages.success(request, str(success(result) if callable(success) else success))
    return _after_action(request, c) if advance else redirect("conversation", pk=c.pk)


def conversation_action(fn, success, form_class=None, *, advance=True, convert=None):
    """The view of a small POST on one conversation the agent may see: the form parsed, the
    action `fn` called, what happened said, then back to the conversation (or, in Play Mode and
    when `advance` says so, on to the next one). A refusal shows the conversation again with why.
    `advance` may be `advance(request)`; the rest is as for `_simple_action`."""

    @login_required
    @require_POST
    def view(request, pk):
        return _simple_action(
            request,
            pk,
            fn,
            success,
            form_class,
            advance=advance(request) if callable(advance) else advance,
            convert=convert,
        )

    view.__doc__ = fn.__doc__
    return view


note = conversation_action(actions.add_note, gettext_lazy("Internal note added."), NoteForm)
hold = conversation_action(actions.hold, gettext_lazy("Conversation on hold."), HoldForm)
close = conversation_action(actions.close, gettext_lazy("Conversation closed."), CloseForm)
moderate = conversation_action(
    actions.mark_moderated, gettext_lazy("Marked moderated: it is now in the contributors' queue.")
)


@login_required
@require_POST
def like(request, pk, message_pk):
    return _message_action(
        request,
        pk,
        message_pk,
        actions.like,
        lambda c, _: (gettext("Like queued from %(account)s.") % {"account": c.account}, c),
    )


def _message_action(request, pk, message_pk, fn, done):
    """An action on one message of a conversation the agent may see (a message of another
    conversation is a 404); `done(conversation, result)` says what happened and which
    conversation to show next."""
    c = visible_conversation_or_404(request, pk)
    message = get_object_or_404(Message, pk=message_pk, conversation=c)
    try:
        result = fn(actor=request.user, conversation=c, message=message)
    except ActionError as exc:
        return refused(request, c, exc)
    text, shown = done(c, result)
    messages.success(request, text)
    return redirect("conversation", pk=shown.pk)


@login_required
def outbox_fragment(request, pk):
    c = visible_conversation_or_404(request, pk)
    return render(
        request,
        "conversations/_outbox.html",
        {"c": c, "actions": c.outbound_actions.select_related("account")},
    )


sentiment = conversation_action(
    actions.set_sentiment, gettext_lazy("Sentiment marked."), SentimentForm, advance=False
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
        _("User tag updated."),
        UserTagForm,
        advance=False,
        convert=toggle,
    )


reminder = conversation_action(
    actions.set_reminder, gettext_lazy("Reminder set."), ReminderForm, advance=False
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
            raise ActionError(_("That agent does not exist."))
        return {"to_user": user, "note": data["note"]}
    if to.startswith("queue:"):
        queue = Queue.objects.filter(slug=to[6:]).first()
        if queue is None:
            raise ActionError(_("That queue does not exist."))
        return {"to_queue": queue, "note": data["note"]}
    raise ActionError(_("Choose an agent or a queue to assign to."))


# Assigning to a queue finishes with the conversation (Play Mode deals the next); to an agent not.
assign = conversation_action(
    actions.assign,
    gettext_lazy("Assigned."),
    AssignForm,
    advance=lambda request: (request.POST.get("to") or "").startswith("queue:"),
    convert=_assign_target,
)
escalate = conversation_action(
    escalation.escalate,
    gettext_lazy("Escalated to the community managers. Thank you!"),
    EscalateForm,
)
retweet_decision = conversation_action(
    actions.decide_retweet, gettext_lazy("Decision recorded."), RetweetDecisionForm, advance=False
)
# RE4: a community manager marks the conversation's escalation useful.
escalation_useful = conversation_action(
    escalation.mark_useful,
    gettext_lazy("Marked useful: it counts in their recognition."),
    advance=False,
)
take_over = conversation_action(
    actions.take_over,
    gettext_lazy("It is yours now; the agent who had it has been told at their next heartbeat."),
    advance=False,
)


@login_required
@require_POST
def presence(request, pk):
    """Record that this agent has the conversation open; list who else does (AG7)."""
    c = visible_conversation_or_404(request, pk)
    others = record_presence(conversation=c, user=request.user)
    return render(request, "conversations/_presence.html", {"others": others})


@login_required
@require_POST
def merge(request, pk):
    c = visible_conversation_or_404(request, pk)
    form = MergeForm(request.POST)
    if not form.is_valid():
        return refused(request, c, ActionError(form_errors(form)))
    # Both sides must be the agent's to see: an unknown or hidden one is the same 404.
    other = visible_conversation_or_404(request, form.cleaned_data["other"])
    try:
        actions.merge(actor=request.user, conversation=c, other=other)
    except ActionError as exc:
        return refused(request, c, exc)
    messages.success(request, _("Conversation #%(pk)s merged into this one.") % {"pk": other.pk})
    return redirect("conversation", pk=c.pk)


@login_required
@require_POST
def split(request, pk, message_pk):
    return _message_action(
        request,
        pk,
        message_pk,
        actions.split,
        lambda _, new: (gettext("Split into conversation #%(pk)s.") % {"pk": new.pk}, new),
    )


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
        raise Http404(_("No such attachment."))
    filename = download_name(a.original_name or a.file.name, a.content_type)
    # In a bucket that signs its links: a link of a few minutes, checked here first, with the
    # download's name and type carried in its signature (conversations/storage.py).
    if url := signed_download_url(a.file.name, content_type=a.content_type, filename=filename):
        response = HttpResponseRedirect(url)
        response["Cache-Control"] = "private, no-store"
        return response
    try:
        f = default_storage.open(a.file.name, "rb")
    except FileNotFoundError:
        raise Http404(_("The file of this attachment is gone.")) from None
    response = FileResponse(
        f,
        content_type=a.content_type or "application/octet-stream",
        as_attachment=True,
        filename=filename,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- PE3: the tags and user tags community managers keep ---------------------------------------


def _tag_renamed(form, tag, before) -> None:
    """A tag's short name changed: the queues whose rules name it follow it."""
    old = form.initial.get("slug")
    if before is None or not old or old == tag.slug:
        return
    for queue in Queue.objects.all():
        tags = (queue.rules or {}).get("tags") if isinstance(queue.rules, dict) else None
        if isinstance(tags, list) and old in tags:
            queue.rules = {**queue.rules, "tags": [tag.slug if t == old else t for t in tags]}
            queue.save(update_fields=["rules"])


tags_page = SettingsPage(
    name="manage_tags",
    model=Tag,
    form_class=TagSettingsForm,
    title=gettext_lazy("Tags"),
    noun=gettext_lazy("tag"),
    intro=gettext_lazy(
        "The tags agents put on conversations (Sync, Crash, Internet celebrity…). Agents choose "
        "from this list; a renamed tag is renamed on every conversation that has it."
    ),
    columns=[
        (gettext_lazy("Name"), lambda t: t.name),
        (gettext_lazy("Short name"), lambda t: t.slug),
        (gettext_lazy("Conversations"), lambda t: t.conversations_count),
    ],
    queryset=lambda: Tag.objects.annotate(conversations_count=Count("conversations")),
    delete_warning=lambda t: (
        ngettext(
            "%(count)d conversation has this tag; it will lose it.",
            "%(count)d conversations have this tag; they will lose it.",
            t.conversations_count,
        )
        % {"count": t.conversations_count}
    ),
    links=[(gettext_lazy("Rules that add tags"), "triage_rules")],
    after_save=_tag_renamed,
)


@login_required
def user_tags(request):
    """Customers tagged as community members, influencers, spammers, trolls, trouble makers (TR6)."""
    require_cm(request)
    form = AuthorTagForm()
    if request.method == "POST":
        form = AuthorTagForm(request.POST)
        if form.is_valid():
            author, kind = form.cleaned_data["author"], form.cleaned_data["kind"]
            if actions.set_author_tag(actor=request.user, author=author, kind=kind):
                audit.record(
                    "setting_added",
                    actor=request.user,
                    request=request,
                    setting="user tag",
                    name=f"{author}: {UserTagKind(kind).label}",
                )
            messages.success(
                request,
                _("%(author)s is tagged “%(tag)s”.")
                % {"author": author, "tag": UserTagKind(kind).label},
            )
            return redirect("manage_user_tags")
    kind = request.GET.get("kind", "")
    rows = UserTag.objects.select_related("author", "added_by").order_by("kind", "-added_at")
    if kind in UserTagKind.values:
        rows = rows.filter(kind=kind)
    return render(
        request,
        "conversations/user_tags.html",
        {"rows": rows[:500], "form": form, "kinds": UserTagKind.choices, "kind": kind},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def remove_user_tag(request, pk):
    require_cm(request)
    row = get_object_or_404(UserTag.objects.select_related("author"), pk=pk)
    actions.set_author_tag(actor=request.user, author=row.author, kind=row.kind, on=False)
    audit.record(
        "setting_deleted",
        actor=request.user,
        request=request,
        setting="user tag",
        name=f"{row.author}: {row.get_kind_display()}",
    )
    messages.success(
        request,
        _("%(author)s is no longer tagged “%(tag)s”.")
        % {"author": row.author, "tag": row.get_kind_display()},
    )
    return redirect("manage_user_tags")
