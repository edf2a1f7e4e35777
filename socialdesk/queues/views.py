"""The queues: a queue's list with its filters and bulk actions, and the CMs' queue editor."""

import html
import unicodedata
from types import SimpleNamespace
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.timesince import timesince
from django.utils.translation import gettext, gettext_lazy, ngettext, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from socialdesk.actions import conversation as actions
from socialdesk.actions import policy
from socialdesk.conversations.forms import form_errors
from socialdesk.conversations.models import (
    CloseReason,
    Conversation,
    HoldReason,
    Message,
    Sentiment,
    Status,
    Tag,
)
from socialdesk.errors import ActionError
from socialdesk.people import audit
from socialdesk.people.models import has_role
from socialdesk.queues.forms import QueueForm
from socialdesk.queues.models import Queue, QueueKind, SavedFilter
from socialdesk.queues.selectors import (
    LIST_ORDER,
    PAGE_SIZE,
    ConversationFilter,
    Cursor,
    cached_facet_counts,
    capped_count,
    count_cap,
    dealable,
    facet_cap,
    forget_facet_counts,
    is_capped,
    page_of,
    queue_conversations,
    queue_filter,
)
from socialdesk.web.templatetags.desk import text_dir

from .forms import BulkForm, SaveFilterForm

_require_cm = policy.page_role("cm", gettext_lazy("Only community managers edit queues."))


def visible_queue_or_404(request, slug: str) -> Queue:
    queue = get_object_or_404(Queue, slug=slug)
    if not has_role(request.user, queue.visible_to):
        raise Http404(_("No such queue."))
    return queue


def _queue_and_filter(request, slug):
    """The queue the URL names (404 if not the user's) and the panel's filter from the query."""
    queue = visible_queue_or_404(request, slug)
    filter = ConversationFilter.from_query(request.GET)
    if not filter.statuses and "status" not in request.GET:
        filter = ConversationFilter(**{**filter.as_dict(), "statuses": ("open",)})
    return queue, filter


# What the list shows of each row, and no more: the rest of a conversation's columns (its
# reservation, lease, device details, …) stay in the database.
LIST_COLUMNS = (
    "id",
    "status",
    "sentiment",
    "language",
    "priority",
    "last_inbound_at",
    "rating",
    "tag_slugs",
    "triage_pending",
    "author__id",
    "author__handle",
    "author__name",
    "author__verified",
    "author__external_id",
    "account__id",
    "account__handle",
    "account__platform",
    "account__display_name",
    "dealt_to__id",
    "dealt_to__username",
)


def _url_pattern(name: str) -> tuple[str, str]:
    """The URL of `name` for any id, as (before, after) the id: reversed once per page, not once
    per row."""
    marker = 987654321
    before, after = reverse(name, args=[marker]).split(str(marker))
    return before, after


def _truncated(text: str, length: int) -> str:
    """`Truncator(text).chars(length)` (the `truncatechars` filter), which walks every character
    of a text of any length; one no longer than `length` comes back whole, normalised."""
    if len(text) <= length:
        return unicodedata.normalize("NFC", text)
    return Truncator(text).chars(length)


# One row of the list. Every value put in is escaped first (`list_rows`), customer text included.
ROW = """<tr>
          <td class="pick"><input type="checkbox" name="ids" value="{pk}" aria-label="{select}"></td>
          <td class="customer">{name}<span class="handle" dir="auto">{handle}</span>{verified}</td>
          <td class="snippet"><a href="{url}">{stars}<span class="first-line" dir="{dir}">{first_line}</span></a>
            <span class="hint">{status_line}</span></td>
          <td data-label="{account_label}" class="account">{account}</td>
          <td data-label="{tags_label}">{tags}</td>
          <td class="age"><time datetime="{iso}" title="{when}">{ago}</time></td>
          <td data-label="{with_label}" class="with">{dealt_to}</td>
        </tr>
"""


def list_rows(conversations, *, tag_names: dict[str, str]) -> list[SafeString]:
    """The list's rows, as HTML (`ROW`).

    Everything a row says is worked out here once per page: labels translated once, the
    conversation's URL reversed once, each value escaped once. Rendered by the template's tags,
    filters and `{% blocktranslate %}`, fifty rows took some 35 ms of Python, most of the page;
    here about 3 ms. Every value is escaped (`html.escape`, as the template does): author names,
    handles and the customer's words are the customer's text."""
    e = html.escape
    statuses = {v: str(label) for v, label in Status.choices}
    sentiments = {v: str(label) for v, label in Sentiment.choices}
    select = gettext("Select the conversation with %(author)s")
    stars_label = gettext("%(n)s of 5 stars")
    ago = gettext("%(since)s ago")
    # Translators: a date and time in a list, PHP date() letters as Django's `date` filter reads them.
    when_format = pgettext("date format", "M j, H:i")
    labels = {
        "account_label": e(gettext("Account")),
        "tags_label": e(gettext("Tags")),
        "with_label": e(gettext("With")),
    }
    verified = f' <span class="badge">{e(gettext("verified"))}</span>'
    no_text, no_account = e(gettext("(no text)")), e(gettext("(search)"))
    # A new conversation's sentiment and type come from its triage task, a moment after it is
    # stored: until then the row says so rather than looking as if triage found nothing.
    pending = gettext("triage pending")
    url_before, url_after = _url_pattern("conversation")
    now = timezone.now()
    zone = timezone.get_current_timezone()
    rows = []
    for c in conversations:
        first_line = next(
            (line.strip() for line in (c.customer_text or "").splitlines() if line.strip()), ""
        )
        author = c.author
        status_line = [statuses.get(c.status, c.status)]
        if c.triage_pending:
            status_line.append(pending)
        elif c.sentiment:
            status_line.append(sentiments.get(c.sentiment, c.sentiment))
        if c.language:
            status_line.append(c.language)
        stars = ""
        if c.rating:
            label = e(stars_label % {"n": c.rating})
            stars = (
                f'<span class="stars" aria-label="{label}" title="{label}">'
                f"{'★' * c.rating}{'☆' * (5 - c.rating)}</span> "
            )
        at = c.last_inbound_at
        local = timezone.localtime(at, zone) if at else None
        rows.append(
            SafeString(
                ROW.format(
                    pk=c.pk,
                    select=e(select % {"author": author}),
                    name=f'<strong dir="auto">{e(author.name)}</strong> ' if author.name else "",
                    handle=e(str(author)),
                    verified=verified if author.verified else "",
                    url=e(f"{url_before}{c.pk}{url_after}"),
                    stars=stars,
                    dir=text_dir(first_line),
                    first_line=e(_truncated(first_line, 200)) if first_line else no_text,
                    status_line=e(" · ".join(status_line)),
                    account=e(str(c.account)) if c.account else no_account,
                    # From the row's own copy of its tag slugs: no query for the rows' tags.
                    tags="".join(
                        f'<span class="tag" dir="auto">{e(name)}</span>'
                        for name in sorted(tag_names.get(slug, slug) for slug in c.tag_slugs or ())
                    ),
                    iso=local.isoformat() if local else "",
                    when=e(date_format(local, when_format)) if local else "",
                    ago=e(ago % {"since": timesince(at, now)}) if at else "",
                    dealt_to=f'<span dir="auto">{e(str(c.dealt_to))}</span>' if c.dealt_to else "",
                    **labels,
                )
            )
        )
    return rows


@login_required
def queue_list(request, slug):
    """One page of the queue's list: its rows only. The totals and the left panel's counts come
    apart (`queue_summary`, `queue_panel`, fetched by htmx), so the list never waits for them."""
    queue, filter = _queue_and_filter(request, slug)
    after = None
    if request.GET.get("after"):
        try:
            after = Cursor.decode(request.GET["after"])
        except ValueError:
            messages.error(
                request,
                _("That page link is not one this desk made: here is the first page."),
            )
    # The queue and the status are the order index's range; the other filters are tested while
    # walking it (`page_of`).
    qs = queue_conversations(queue=queue, filter=ConversationFilter(statuses=filter.statuses))
    # The list shows what the customer wrote last: its first line.
    latest_text = (
        Message.objects.filter(conversation=OuterRef("pk"), direction="in")
        .order_by("-created_at", "-pk")
        .values("text")[:1]
    )
    conversations, next_cursor = page_of(
        qs,
        after=after,
        narrow=filter.narrowing(),
        rows=Conversation.objects.select_related("author", "account", "dealt_to")
        .only(*LIST_COLUMNS)
        .annotate(customer_text=Subquery(latest_text)),
    )
    tags = list(Tag.objects.all())
    query = urlencode(filter.as_query())
    return render(
        request,
        "queues/queue.html",
        {
            "queue": queue,
            "rows": list_rows(conversations, tag_names={t.slug: t.name for t in tags}),
            "count_cap": count_cap(),
            "page_size": PAGE_SIZE,
            "filter": filter,
            "query": query,
            "filtered": bool(query and query != "status=open"),
            "paged": after is not None,
            "next_page": f"?{query}&after={next_cursor.encode()}" if next_cursor else "",
            "bulk_tags": tags,
            "bulk_queues": Queue.objects.filter(kind="assignment"),
            "hold_reasons": HoldReason.choices,
            "may_play": has_role(request.user, queue.play_role),
            "close_reasons": CloseReason.choices,
        },
    )


@login_required
def queue_summary(request, slug):
    """The queue's totals (an htmx fragment of the queue page): how many conversations match and
    how many wait for an answer, each counted up to the cap ("1,000+")."""
    queue, filter = _queue_and_filter(request, slug)
    total = capped_count(queue_conversations(queue=queue, filter=filter))
    to_answer = capped_count(dealable(queue=queue, filter=filter))
    return render(
        request,
        "queues/_summary.html",
        {
            "queue": queue,
            "total": total,
            "to_answer": to_answer,
            "capped": is_capped(total) or is_capped(to_answer),
            "count_cap": count_cap(),
        },
    )


@login_required
def queue_panel(request, slug):
    """The left panel (an htmx fragment of the queue page): the filters with a count beside each
    value, and the user's saved filters. The counts are capped and kept for a short while
    (`queues.selectors.cached_facet_counts`); the panel says as of when."""
    queue, filter = _queue_and_filter(request, slug)
    facets, as_of = cached_facet_counts(queue=queue, filter=filter)
    return render(
        request,
        "queues/_panel.html",
        {
            "queue": queue,
            "facets": facets,
            "as_of": as_of,
            "counts_capped": any(is_capped(n) for rows in facets.values() for _, _, n in rows),
            "facet_cap": facet_cap(),
            "filter": filter,
            "query": urlencode(filter.as_query()),
            "filtered": bool(filter.as_query() and filter.as_query() != [("status", "open")]),
            "saved": [
                (
                    f.name,
                    urlencode(
                        ConversationFilter(**{k: tuple(v) for k, v in f.params.items()}).as_query()
                    ),
                )
                for f in SavedFilter.objects.filter(user=request.user, queue=queue)
            ],
        },
    )


@login_required
@require_POST
def save_filter(request, slug):
    queue = visible_queue_or_404(request, slug)
    form = SaveFilterForm(request.POST)
    filter = ConversationFilter.from_query(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
    elif not filter:
        messages.error(request, gettext("Choose at least one filter to save."))
    else:
        name = form.cleaned_data["name"]
        SavedFilter.objects.update_or_create(
            user=request.user, queue=queue, name=name, defaults={"params": filter.as_dict()}
        )
        messages.success(request, gettext("Saved “%(name)s”.") % {"name": name})
    return redirect(f"{reverse('queue', args=[queue.slug])}?{urlencode(filter.as_query())}")


@login_required
def manage_queues(request):
    _require_cm(request)
    queues = list(Queue.objects.all())
    tag_names = dict(Tag.objects.values_list("slug", "name"))
    rows = []
    for q in queues:
        rules = queue_filter(q)
        if q.kind == QueueKind.ASSIGNMENT:
            rows.append((q, _("What is assigned to it"), False))
        elif rules is None:
            rows.append(
                (q, _("Rules that cannot be read: it shows nothing until they are fixed"), True)
            )
        else:
            rows.append((q, rules.describe(tag_names=tag_names), False))
    return render(request, "queues/manage_queues.html", {"rows": rows})


@login_required
def edit_queue(request, pk=None):
    """Create (pk None) or edit a queue; CMs only."""
    _require_cm(request)
    instance = get_object_or_404(Queue, pk=pk) if pk else None
    form = QueueForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        queue = form.save()
        audit.record(
            "setting_added" if instance is None else "setting_changed",
            actor=request.user,
            request=request,
            setting="queue",
            name=queue.name,
            changed={k: str(form.cleaned_data.get(k))[:200] for k in form.changed_data}
            if instance is not None
            else {},
        )
        messages.success(request, gettext("Queue “%(queue)s” saved.") % {"queue": queue})
        return redirect("manage_queues")
    preview = None
    if instance is not None:
        preview = queue_conversations(queue=instance).filter(status="open").count()
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "queues/edit_queue.html",
        {"form": form, "queue": instance, "preview": preview},
        status=status,
    )


@login_required
@require_POST
def bulk_action(request, slug):
    """Bulk actions on the selection, or on everything the current filter matches (AG13)."""
    queue = visible_queue_or_404(request, slug)
    filter = ConversationFilter.from_query(request.POST)
    back = f"{reverse('queue', args=[queue.slug])}?{urlencode(filter.as_query())}"
    form = BulkForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect(back)
    qs = queue_conversations(queue=queue, filter=filter)
    if form.cleaned_data["scope"] != "all":
        ids = form.cleaned_data["ids"]
        if not ids:
            messages.error(
                request,
                gettext(
                    "Select conversations first, or choose “everything matching this filter”."
                ),
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
        # The panel's kept counts no longer hold for what was just changed.
        forget_facet_counts()
        messages.success(
            request,
            ngettext("Done for %(done)s conversation.", "Done for %(done)s conversations.", done)
            % {"done": done},
        )
        for problem in problems[:10]:
            messages.error(request, problem)
    return redirect(f"{reverse('queue', args=[queue.slug])}?{urlencode(filter.as_query())}")


@login_required
def delete_queue(request, pk):
    """Delete a queue after asking (CMs only); the Escalation queue and a queue that conversations
    are assigned to stay, so that nothing assigned is lost from sight."""
    _require_cm(request)
    queue = get_object_or_404(Queue, pk=pk)
    assigned = Conversation.objects.filter(assigned_queue=queue).count()
    refusal = ""
    if queue.is_escalation:
        refusal = _("The escalation queue stays: the desk escalates into it.")
    elif assigned:
        refusal = ngettext(
            "%(count)d conversation is assigned to this queue: assign it elsewhere first.",
            "%(count)d conversations are assigned to this queue: assign them elsewhere first.",
            assigned,
        ) % {"count": assigned}
    if request.method == "POST" and not refusal:
        name = queue.name
        with transaction.atomic():
            queue.delete()
            audit.record(
                "setting_deleted", actor=request.user, request=request, setting="queue", name=name
            )
        messages.success(request, _("Deleted the queue “%(name)s”.") % {"name": name})
        return redirect("manage_queues")
    page = SimpleNamespace(title=_("Edit queues"), noun=_("queue"), name="manage_queues")
    return render(
        request,
        "people/settings_delete.html" if not refusal else "queues/cannot_delete.html",
        {
            "page": page,
            "row": queue,
            "warning": _(
                "Its play sessions and the filters agents saved on it go; the conversations stay."
            ),
            "refusal": refusal,
            "action": reverse("delete_queue", args=[queue.pk]),
        },
        status=409 if refusal and request.method == "POST" else 200,
    )
