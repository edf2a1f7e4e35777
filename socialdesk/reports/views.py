"""The reports' pages and their CSV: each view reads the range, asks a selector, renders or writes CSV.

Who sees what is decided here, on the server: community managers and admins see everyone's
figures; contributors and moderators see their own response times, play time and recognition,
and not the team's volumes or dashboard.
"""

import csv
import itertools
import re
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from socialdesk.brands.models import BrandAccount
from socialdesk.conversations.limits import unsafe_character
from socialdesk.conversations.models import Conversation
from socialdesk.people.models import Role, has_role
from socialdesk.queues.models import Queue
from socialdesk.queues.selectors import ConversationFilter, queue_conversations
from socialdesk.queues.visibility import visible_conversations

from . import charts, selectors
from .forms import BusinessHoursForm, period_from
from .models import BusinessHours
from .templatetags.reports import duration


def _hours_links(request) -> tuple[str, str]:
    """The report's query without and with `hours=business`, for the toggle."""
    query = request.GET.copy()
    query.pop("hours", None)
    query.pop("format", None)
    plain = query.urlencode()
    query["hours"] = "business"
    return plain, query.urlencode()


def _sees_everyone(user) -> bool:
    return has_role(user, Role.COMMUNITY_MANAGER)


def _require_cm(request) -> None:
    if not _sees_everyone(request.user):
        raise PermissionDenied(
            _("Only community managers and admins see the team's volumes and dashboard.")
        )


def _wants_csv(request) -> bool:
    return request.GET.get("format") == "csv"


# A spreadsheet runs a cell that starts like a formula; customer-typed text must not (OWASP
# "CSV injection"). A plain @handle is left as it is.
_FORMULA = re.compile(r"^[=+\-\t\r]|^@(?![A-Za-z0-9_.@-]*$)")


def _cell(value):
    if isinstance(value, str) and _FORMULA.match(value):
        return "'" + value
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, float):
        return round(value, 1)
    return value


class _Echo:
    def write(self, value):
        return value


def _csv(filename: str, header: list[str], rows, *, stream: bool = False):
    """`rows` under `header` as a CSV download; `stream`: written as the rows are read (any size)."""
    writer = csv.writer(_Echo())
    lines = (writer.writerow([_cell(v) for v in row]) for row in itertools.chain([header], rows))
    if stream:
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse("".join(lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _range_page(request, template: str, context: dict, form):
    """The page with the range form's errors, when the range cannot be read: a 400, nothing computed."""
    return _render(request, template, {**context, "form": form, "invalid": True}, status=400)


def _render(request, template: str, context: dict, status: int = 200):
    """A report page; `keep` carries the report's other parameters through a change of range."""
    keep = [
        (k, v)
        for k, values in request.GET.lists()
        for v in values
        if k not in ("start", "end", "format", "table")
    ]
    return render(
        request,
        template,
        {"keep": keep, "tz": timezone.get_current_timezone_name(), **context},
        status=status,
    )


def _stem(name: str, period) -> str:
    return f"{name}-{period.first:%Y%m%d}-{period.last:%Y%m%d}.csv"


@login_required
def index(request):
    return _render(request, "reports/index.html", {"everyone": _sees_everyone(request.user)})


@login_required
def response_times(request):
    form, period = period_from(request.GET)
    everyone = _sees_everyone(request.user)
    if period is None:
        return _range_page(request, "reports/response_times.html", {"everyone": everyone}, form)
    agent = None if everyone else request.user
    if _wants_csv(request) and request.GET.get("table") == "play":
        report = selectors.play_time(period=period, agent=agent)
        return _csv(
            _stem("play-time", period),
            ["agent", "sessions", "play_seconds", "sessions_ended_idle", "conversations_dealt"],
            [(r.label, r.sessions, r.seconds, r.idle_sessions, r.dealt) for r in report],
        )
    setting, book = BusinessHours.load(), BusinessHours.book()
    hours = book if book and request.GET.get("hours") == "business" else None
    report = selectors.response_times(period=period, agent=agent, hours=hours)
    if _wants_csv(request):
        header = ["by", "value"] + [
            f"{which}_{s}"
            for which in ("first_response", "response")
            for s in ("count", "mean_seconds", "median_seconds", "p90_seconds")
        ]
        sections = [
            ("all", [report.overall]),
            ("queue", report.by_queue),
            ("account", report.by_account),
            ("agent", report.by_agent),
            ("day", report.by_day),
        ]
        rows = [
            (
                by,
                r.label,
                *(v for st in (r.first, r.all) for v in (st.count, st.mean, st.median, st.p90)),
            )
            for by, rs in sections
            for r in rs
        ]
        return _csv(_stem("response-times", period), header, rows)
    return _render(
        request,
        "reports/response_times.html",
        {
            "form": form,
            "period": period,
            "report": report,
            "everyone": everyone,
            "query": request.GET.urlencode(),
            "sections": [
                (gettext("By queue"), report.by_queue),
                (gettext("By brand account"), report.by_account),
                (gettext("By agent"), report.by_agent),
                (gettext("By day"), report.by_day),
            ],
            "lease_minutes": round(report.lease_seconds / 60),
            "business_hours": setting if setting.hours() else None,
            # Accounts with hours of their own (a team in another time zone), by name.
            "own_hours": sorted(a for a, h in book.by_account.items() if h),
            "any_hours": bool(book),
            "within_hours": hours is not None,
            "hours_links": _hours_links(request),
            "median_chart": charts.bars(
                [(r.label, r.all.median) for r in report.by_day],
                title=gettext("Median response time per day"),
                chart_id="chart-median-per-day",
                shown=duration,
            ),
        },
    )


def _report_filter(request) -> tuple[ConversationFilter, Queue | None]:
    """The queues' filters (the left panel's parameters), and a queue whose rules narrow too."""
    filter = ConversationFilter.from_query(request.GET)
    queue = None
    slug = request.GET.get("queue", "")
    if slug:
        queue = None if unsafe_character(slug) else Queue.objects.filter(slug=slug[:100]).first()
        if queue is None or not has_role(request.user, queue.visible_to):
            raise Http404(gettext("No such queue."))
    return filter, queue


@login_required
def volumes(request):
    _require_cm(request)
    form, period = period_from(request.GET)
    queues = list(Queue.objects.all())
    if period is None:
        return _range_page(request, "reports/volumes.html", {"queues": queues}, form)
    filter, queue = _report_filter(request)
    within = (
        queue_conversations(queue=queue, filter=filter)
        if queue is not None
        else (filter.apply(Conversation.objects.all()) if filter else None)
    )
    report = selectors.volumes(period=period, within=within)
    if _wants_csv(request):
        rows = [
            (dimension, c.label, c.count)
            for dimension, counts in report.by.items()
            for c in counts
        ]
        rows += [("Opened per day", d.isoformat(), o) for d, o, _c in report.per_day]
        rows += [("Closed per day", d.isoformat(), c) for d, _o, c in report.per_day]
        return _csv(_stem("volumes", period), ["by", "value", "conversations"], rows)
    charts_by = [
        (
            dimension,
            counts,
            charts.bars(
                [(c.label, c.count) for c in counts[:15]],
                title=gettext("Conversations by %(dimension)s") % {"dimension": dimension.lower()},
                chart_id=f"chart-{dimension.lower().replace(' ', '-')}",
            ),
        )
        for dimension, counts in report.by.items()
    ]
    return _render(
        request,
        "reports/volumes.html",
        {
            "form": form,
            "period": period,
            "report": report,
            "queues": queues,
            "queue": queue,
            "filter": filter,
            "panel": _panel(filter),
            "query": request.GET.urlencode(),
            "charts": charts_by,
            "per_day_chart": charts.columns(
                [(d.isoformat(), o, c) for d, o, c in report.per_day],
                title=gettext("Conversations opened and closed per day"),
                chart_id="chart-per-day",
            ),
        },
    )


def _panel(filter: ConversationFilter) -> list[tuple[str, str, list[tuple[str, str, bool]]]]:
    """The queues' left-panel filters as selects: (parameter, label, [(value, label, chosen)])."""
    from socialdesk.brands.models import Platform
    from socialdesk.conversations.models import MessageType, Sentiment, Status, Tag

    choices = [
        ("tag", "Tag", "tags", list(Tag.objects.values_list("slug", "name"))),
        ("type", "Type", "types", list(MessageType.choices)),
        ("platform", "Platform", "platforms", list(Platform.choices)),
        ("sentiment", "Sentiment", "sentiments", list(Sentiment.choices)),
        (
            "language",
            "Language",
            "languages",
            [
                (code, code)
                for code in Conversation.objects.exclude(language="")
                .order_by("language")
                .values_list("language", flat=True)
                .distinct()[:50]
            ],
        ),
        ("status", "Status now", "statuses", list(Status.choices)),
    ]
    return [
        (param, label, [(v, text, v in getattr(filter, attr)) for v, text in options])
        for param, label, attr, options in choices
    ]


@login_required
def recognition(request):
    form, period = period_from(request.GET)
    everyone = _sees_everyone(request.user)
    if period is None:
        return _range_page(request, "reports/recognition.html", {"everyone": everyone}, form)
    rows = selectors.recognition(period=period, agent=None if everyone else request.user)
    if _wants_csv(request):
        return _csv(
            _stem("recognition", period),
            [
                "agent",
                "replies",
                "conversations_seen_through_to_close",
                "escalations",
                "escalations_marked_useful",
            ],
            [
                (r.label, r.replies, r.seen_through, r.escalations, r.useful_escalations)
                for r in rows
            ],
        )
    return _render(
        request,
        "reports/recognition.html",
        {
            "form": form,
            "period": period,
            "rows": rows,
            "everyone": everyone,
            "query": request.GET.urlencode(),
        },
    )


@login_required
def dashboard(request):
    _require_cm(request)
    board = selectors.dashboard()
    if _wants_csv(request):
        rows = [
            ("Waiting for an answer", board.backlog),
            ("Oldest waiting since", board.oldest.last_inbound_at if board.oldest else ""),
            ("Opened today", board.today_opened),
            ("Answered today", board.today_answered),
            ("Closed today", board.today_closed),
            ("Deliveries failed today", board.outbox_failed_today),
        ]
        rows += [(f"On hold: {c.label}", c.count) for c in board.held]
        rows += [(f"Outbox: {c.label}", c.count) for c in board.outbox]
        return _csv(f"dashboard-{timezone.localdate():%Y%m%d}.csv", ["figure", "value"], rows)
    return _render(request, "reports/dashboard.html", {"board": board})


CONVERSATION_COLUMNS = [
    "id",
    "platform",
    "account",
    "respond_from",
    "customer",
    "status",
    "hold_reason",
    "close_reason",
    "type",
    "sentiment",
    "language",
    "tags",
    "priority",
    "moderated",
    "awaiting_reply",
    "created_at",
    "last_inbound_at",
]


@login_required
def conversations_csv(request):
    """Any filtered list of conversations as CSV: a queue (`queue=`) and the left panel's filters,
    only what the agent may see, streamed row by row."""
    filter, queue = _report_filter(request)
    if queue is not None:
        qs = queue_conversations(queue=queue, filter=filter).filter(
            pk__in=visible_conversations(user=request.user).values("pk")
        )
    else:
        qs = filter.apply(visible_conversations(user=request.user))
    qs = (
        qs.select_related("author", "account", "respond_from")
        .prefetch_related("tags")
        .order_by("pk")
    )
    rows = (
        (
            c.pk,
            c.platform,
            str(c.account or ""),
            str(c.respond_from or ""),
            str(c.author),
            c.status,
            c.hold_reason,
            c.close_reason,
            c.type,
            c.sentiment,
            c.language,
            ", ".join(t.name for t in c.tags.all()),
            c.priority,
            c.moderated,
            c.awaiting_reply,
            c.created_at,
            c.last_inbound_at,
        )
        for c in qs.iterator(chunk_size=2000)
    )
    name = f"conversations-{queue.slug if queue else 'all'}-{timezone.localdate():%Y%m%d}.csv"
    return _csv(name, CONVERSATION_COLUMNS, rows, stream=True)


@login_required
def business_hours(request):
    """RE1: community managers set the desk's business hours (or none) and, for a team that
    works other hours, a brand account's own (`?account=<id>`); "use the desk's hours" removes
    an account's own."""
    if not _sees_everyone(request.user):
        raise PermissionDenied(gettext("Only community managers and admins set business hours."))
    accounts = list(BrandAccount.objects.order_by("platform", "handle"))
    chosen = request.POST.get("account") or request.GET.get("account") or ""
    account = None
    if chosen:
        account = next((a for a in accounts if str(a.pk) == chosen), None)
        if account is None:
            raise Http404(gettext("There is no such brand account."))
    setting = BusinessHours.load(account)
    form, status = BusinessHoursForm(instance=setting), 200
    if request.method == "POST":
        if account is not None and request.POST.get("use_default"):
            BusinessHours.objects.filter(account=account).delete()
            messages.success(
                request,
                gettext("%(account)s now counts within the desk's business hours.")
                % {"account": account},
            )
            return redirect(f"{reverse('reports_business_hours')}?account={account.pk}")
        form = BusinessHoursForm(request.POST, instance=setting)
        if form.is_valid():
            form.instance.account = account
            form.save()
            messages.success(request, gettext("Business hours saved."))
            suffix = f"?account={account.pk}" if account else ""
            return redirect(reverse("reports_business_hours") + suffix)
        status = 400
    own = set(
        BusinessHours.objects.filter(account__isnull=False).values_list("account_id", flat=True)
    )
    return render(
        request,
        "reports/business_hours.html",
        {
            "form": form,
            "account": account,
            "has_own": account is not None and setting.pk is not None,
            "accounts": [(a, a.pk in own) for a in accounts],
        },
        status=status,
    )
