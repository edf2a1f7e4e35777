"""The search results page, reached from the search box in every page's header."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from socialdesk.brands.models import BrandAccount, Platform
from socialdesk.conversations.models import MessageType, Sentiment, Status, Tag
from socialdesk.queues.selectors import (
    NONE,
    NONE_LABELS,
    PRIVATE_MESSAGE,
    ConversationFilter,
    languages_in_use,
)
from socialdesk.triage.classify import language_name

from .selectors import BadQuery, SearchCursor, results

TAGS_SHOWN = 100


def _options(filter: ConversationFilter) -> list[tuple[str, str, list]]:
    """The queue filters beside the results: (legend, parameter, [(value, label, checked)])."""

    def group(legend, name, choices):
        chosen = set(getattr(filter, name))
        param = ConversationFilter._param(name)
        return (legend, param, [(v, label, v in chosen) for v, label in choices])

    return [
        group(_("Status"), "statuses", Status.choices),
        group(
            _("Tag"), "tags", Tag.objects.order_by("name").values_list("slug", "name")[:TAGS_SHOWN]
        ),
        group(
            _("Type"),
            "types",
            [*MessageType.choices, (PRIVATE_MESSAGE, _("Containing private message"))],
        ),
        group(_("Platform"), "platforms", Platform.choices),
        group(
            _("Account"),
            "accounts",
            [
                (h, f"@{h}")
                for h in BrandAccount.objects.order_by("handle")
                .values_list("handle", flat=True)
                .distinct()
            ],
        ),
        group(
            _("Language"),
            "languages",
            [
                *sorted(((c, language_name(c)) for c in languages_in_use()), key=lambda x: x[1]),
                (NONE, NONE_LABELS["languages"]),
            ],
        ),
        group(_("Sentiment"), "sentiments", Sentiment.choices),
    ]


@login_required
def search(request):
    text = request.GET.get("q", "")
    filter = ConversationFilter.from_query(request.GET)
    error, status = "", 200
    after = None
    if request.GET.get("after"):
        try:
            after = SearchCursor.decode(request.GET["after"])
        except ValueError:
            error = _("That page link is not one this desk made: here is the first page.")
    found = None
    try:
        found = results(user=request.user, text=text, filter=filter, after=after)
        rows, cursor = found.rows, found.next
    except BadQuery as e:
        rows, cursor, error, status = [], None, str(e), 400
    query = urlencode([("q", text), *filter.as_query()], errors="replace")
    return render(
        request,
        "search/results.html",
        {
            "q": text if status == 200 else "",
            "searched": bool(text.strip()) and status == 200,
            "results": rows,
            "count": found.count if found else None,
            "error": error,
            "options": _options(filter),
            "filter_query": filter.as_query(),
            "next_page": f"?{query}&after={cursor.encode()}" if cursor else "",
            "paged": after is not None,
        },
        status=status,
    )
