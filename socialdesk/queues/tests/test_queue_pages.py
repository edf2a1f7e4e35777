"""Queue pages whose cost does not grow with the queue: keyset pages and capped counts."""

import datetime
import re

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from socialdesk.brands.models import BrandAccount
from socialdesk.conversations.models import Author, Conversation, Message
from socialdesk.queues.models import Queue
from socialdesk.queues.selectors import (
    NONE,
    ConversationFilter,
    Cursor,
    capped_count,
    capped_counts,
    facet_counts,
    forget_facet_counts,
    page_of,
    queue_conversations,
)

QUEUE = "twitter-conversations-moderated"
T0 = timezone.now().replace(microsecond=0) - datetime.timedelta(days=1)


def _make(n, *, start=0, priority=lambda i: 0, language=lambda i: "en", minutes=lambda i: i):
    """`n` open, moderated Twitter conversations, each with one customer message."""
    account = BrandAccount.objects.get(platform="twitter", handle="FirefoxSupport")
    author, _ = Author.objects.get_or_create(
        platform="twitter", external_id="pages", defaults={"handle": "pages"}
    )
    rows = Conversation.objects.bulk_create(
        Conversation(
            platform="twitter",
            thread_key=f"pages-{start + i}",
            author=author,
            account=account,
            respond_from=account,
            status="open",
            moderated=True,
            awaiting_reply=True,
            priority=priority(start + i),
            language=language(start + i),
            last_inbound_at=T0 + datetime.timedelta(minutes=minutes(start + i)),
        )
        for i in range(n)
    )
    Message.objects.bulk_create(
        Message(
            conversation=c,
            direction="in",
            platform="twitter",
            platform_id=f"pages-m-{c.thread_key}",
            author=author,
            text=f"message {c.thread_key}",
            created_at=c.last_inbound_at,
        )
        for c in rows
    )
    return rows


def _ids_on_page(client, url):
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    ids = [int(i) for i in re.findall(r'name="ids" value="(\d+)"', html)]
    nxt = re.search(r'href="([^"]*after=[^"]*)" rel="next"', html)
    return ids, (nxt.group(1).replace("&amp;", "&") if nxt else None), html


def test_pages_in_the_queue_order_without_a_row_missed_or_twice_while_rows_change(
    client, contributor
):
    # Three priority bands, and rows that share a time (the id breaks the tie).
    _make(120, priority=lambda i: (50, 10, 0)[i % 3], minutes=lambda i: i // 4)
    queue = Queue.objects.get(slug=QUEUE)
    client.force_login(contributor)
    expected = list(
        queue_conversations(queue=queue)
        .filter(status="open")
        .order_by("-priority", "last_inbound_at", "id")
        .values_list("pk", flat=True)
    )

    seen, url, pages = [], f"/queues/{QUEUE}/", 0
    closed, added = set(), []
    while url:
        ids, url, _ = _ids_on_page(
            client, url if url.startswith("/") else f"/queues/{QUEUE}/{url}"
        )
        assert len(ids) <= 50
        seen += ids
        pages += 1
        # Between two pages, agents work: rows already shown are closed (they leave the list) and
        # new conversations arrive at the top of the queue. An OFFSET would now skip as many rows.
        Conversation.objects.filter(pk__in=ids[:7]).update(status="closed")
        closed.update(ids[:7])
        added += [c.pk for c in _make(5, start=1000 + pages * 10, priority=lambda i: 99)]
    assert pages == 3
    assert len(seen) == len(set(seen)), "a row was shown twice"
    assert seen == expected, "every row that was there from the start is shown once, in order"
    assert not set(added) & set(seen), (
        "rows added above the pages already read stay on the first page"
    )


def test_a_page_starts_right_after_the_cursor_in_each_priority_band(contributor):
    rows = _make(30, priority=lambda i: 10 if i < 12 else 0, minutes=lambda i: i // 5)
    qs = queue_conversations(queue=Queue.objects.get(slug=QUEUE)).order_by()
    order = list(qs.order_by("-priority", "last_inbound_at", "id"))
    walked, after = [], None
    while True:
        page, after = page_of(qs, after=after, size=7)
        walked += page
        if after is None:
            break
    assert walked == order and len(rows) == 30


def test_a_cursor_survives_the_url_and_a_bad_one_is_refused_clearly(client, contributor):
    row = _make(1)[0]
    cursor = Cursor.of(row)
    assert Cursor.decode(cursor.encode()) == cursor
    for bad in [
        "",
        "abc",
        "1_2",
        "1_2_3_4",
        "x_1_1",
        "1_1_0",
        "1_-5_1",
        "1_1_99999999999999999999",
        "9" * 100,
    ]:
        with pytest.raises(ValueError):
            Cursor.decode(bad)
    client.force_login(contributor)
    page = client.get(f"/queues/{QUEUE}/?after=not-a-cursor")
    assert page.status_code == 200
    assert "That page link is not one this desk made" in page.content.decode()


def test_counts_stop_at_the_cap_and_the_page_says_so(client, contributor, settings):
    settings.SOCIALDESK_COUNT_CAP = settings.SOCIALDESK_FACET_COUNT_CAP = 5
    _make(9, language=lambda i: "en" if i < 7 else "fr")
    queue = Queue.objects.get(slug=QUEUE)
    assert capped_count(queue_conversations(queue=queue)) == 6  # cap + 1: "more than 5"
    assert capped_count(queue_conversations(queue=queue), cap=100) == 9
    facets = facet_counts(queue=queue, filter=ConversationFilter(statuses=("open",)))
    languages = {v: n for v, _, n in facets["language"]}
    assert languages == {"en": 6, "fr": 2}  # en is above the cap; fr is exact
    assert {v: n for v, _, n in facets["sentiment"]} == {
        "positive": 0,
        "neutral": 0,
        "negative": 0,
        NONE: 6,
    }
    assert {v: n for v, _, n in facets["tag"]} == {NONE: 6}
    assert {v: n for v, _, n in facets["account"]} == {"FirefoxSupport": 6}
    assert {v: n for v, _, n in facets["status"]} == {"open": 6}

    client.force_login(contributor)
    html = _fragments(client, "")
    assert "5+ conversations match" in html
    assert "Counts stop at 5" in html and "each stops at 5" in html
    assert '<span class="count">5+</span>' in html and '<span class="count">2</span>' in html
    # Narrowed below the cap, the total is exact (the language counts still ignore "fr": one is capped).
    html = _fragments(client, "?language=fr")
    assert "2 conversations match" in html and "each stops at 5" in html
    settings.SOCIALDESK_COUNT_CAP = settings.SOCIALDESK_FACET_COUNT_CAP = 100
    forget_facet_counts()  # the panel's counts of the first view are kept a minute otherwise
    html = _fragments(client, "")
    assert "9 conversations match" in html and "stop" not in html


def _fragments(client, query):
    """The totals and the left panel of the queue page, which htmx fetches apart from the list."""
    page = client.get(f"/queues/{QUEUE}/{query}").content.decode()
    assert f'hx-get="/queues/{QUEUE}/summary{query or "?status=open"}' in page.replace(
        "&amp;", "&"
    )
    assert "conversations match" not in page and 'class="count"' not in page  # not in the list
    summary = client.get(f"/queues/{QUEUE}/summary{query}")
    panel = client.get(f"/queues/{QUEUE}/panel{query}")
    assert summary.status_code == panel.status_code == 200
    return summary.content.decode() + panel.content.decode()


def test_the_panel_counts_are_kept_a_while_and_say_as_of_when(client, contributor, settings):
    settings.SOCIALDESK_FACET_COUNTS_SECONDS = 60
    _make(3, language=lambda i: "de")
    client.force_login(contributor)
    panel = client.get(f"/queues/{QUEUE}/panel?language=de").content.decode()
    assert "Counts as of" in panel and '<span class="count">3</span>' in panel
    _make(2, start=10, language=lambda i: "de")
    # Kept: the same counts until they expire (the time beside them says so) ...
    assert (
        '<span class="count">3</span>'
        in client.get(f"/queues/{QUEUE}/panel?language=de").content.decode()
    )
    # ... while the totals are counted on each view.
    assert (
        "5 conversations match"
        in client.get(f"/queues/{QUEUE}/summary?language=de").content.decode()
    )
    # A bulk action counts every panel again on its next view.
    forget_facet_counts()
    assert (
        '<span class="count">5</span>'
        in client.get(f"/queues/{QUEUE}/panel?language=de").content.decode()
    )
    settings.SOCIALDESK_FACET_COUNTS_SECONDS = 0  # never kept: counted on each view
    _make(1, start=20, language=lambda i: "de")
    assert (
        '<span class="count">6</span>'
        in client.get(f"/queues/{QUEUE}/panel?language=de").content.decode()
    )


def test_capped_counts_agree_with_exact_counts_below_the_cap(contributor, settings):
    settings.SOCIALDESK_COUNT_CAP = settings.SOCIALDESK_FACET_COUNT_CAP = 3
    _make(10, language=lambda i: ("en", "fr", "de", "")[i % 4])
    queue = Queue.objects.get(slug=QUEUE)
    above = {
        v: n for v, _, n in facet_counts(queue=queue, filter=ConversationFilter())["language"]
    }
    settings.SOCIALDESK_COUNT_CAP = settings.SOCIALDESK_FACET_COUNT_CAP = 1000
    exact = {
        v: n for v, _, n in facet_counts(queue=queue, filter=ConversationFilter())["language"]
    }
    assert exact == {"en": 3, "fr": 3, "de": 2, NONE: 2}
    assert above == {v: min(n, 4) for v, n in exact.items()}
    qs = queue_conversations(queue=queue)
    assert capped_counts(
        {"all": qs, "de": qs.filter(language="de"), "none": qs.filter(language="xx")}, cap=2
    ) == {"all": 3, "de": 2, "none": 0}


def test_a_queue_rule_keeps_other_platforms_out_of_the_counts(contributor, settings):
    settings.SOCIALDESK_COUNT_CAP = settings.SOCIALDESK_FACET_COUNT_CAP = 2
    _make(4)
    facets = facet_counts(queue=Queue.objects.get(slug=QUEUE), filter=ConversationFilter())
    assert {v for v, _, _ in facets["platform"]} == {"twitter"}
    assert all(v in {"FirefoxSupport", NONE} for v, _, _ in facets["account"])


def test_a_tag_common_elsewhere_is_counted_in_its_newest_links_and_says_there_may_be_more(
    contributor, settings
):
    from socialdesk.conversations.models import Tag

    settings.SOCIALDESK_COUNT_CAP = 5
    settings.SOCIALDESK_FACET_COUNT_CAP = 2  # a tag's window: its newest 20 links
    rows = _make(40)
    sync = Tag.objects.get(slug="sync")
    crash = Tag.objects.get(slug="crash")
    for c in rows:
        c.tags.add(sync)
    for c in rows[:25]:  # the oldest 25 crash; of them only the 3 oldest are still open
        c.tags.add(crash)
    Conversation.objects.filter(pk__in=[c.pk for c in rows[3:]]).update(status="closed")
    Conversation.objects.filter(pk__in=[c.pk for c in rows[30:]]).update(status="open")
    queue = Queue.objects.get(slug=QUEUE)
    tags = {
        v: n
        for v, _, n in facet_counts(queue=queue, filter=ConversationFilter(statuses=("open",)))[
            "tag"
        ]
    }
    # sync: 10 open among its newest 20 links: "2+" (the cap); crash: none of its newest 20 are open.
    assert str(tags["sync"]) == "2+" and tags["sync"].capped
    assert str(tags["crash"]) == "?" and tags["crash"].capped
    # The window covers a tag with few links: its count is exact.
    settings.SOCIALDESK_FACET_COUNT_CAP = 100
    tags = {
        v: n
        for v, _, n in facet_counts(queue=queue, filter=ConversationFilter(statuses=("open",)))[
            "tag"
        ]
    }
    assert (str(tags["sync"]), str(tags["crash"])) == ("13", "3")


@pytest.mark.parametrize("window", [1000, 6, 2])
def test_a_filtered_page_walks_the_order_or_asks_the_filters_index_with_the_same_rows(
    contributor, monkeypatch, window
):
    # A window that holds every match, one that holds some (the rest of the page comes from the
    # filter's own index), one that holds fewer than a page.
    from socialdesk.queues import selectors

    monkeypatch.setattr(selectors, "WINDOW", window)
    _make(40, priority=lambda i: (10, 0)[i % 2], language=lambda i: "de" if i % 3 == 0 else "en")
    queue = Queue.objects.get(slug=QUEUE)
    filter = ConversationFilter(languages=("de",), statuses=("open",))
    expected = list(
        queue_conversations(queue=queue, filter=filter)
        .order_by("-priority", "last_inbound_at", "id")
        .values_list("pk", flat=True)
    )
    assert len(expected) == 14
    qs = queue_conversations(queue=queue, filter=ConversationFilter(statuses=("open",)))
    walked, after = [], None
    while True:
        page, after = page_of(qs, after=after, size=4, narrow=filter.narrowing())
        walked += [c.pk for c in page]
        if after is None:
            break
    assert walked == expected


def test_the_list_reads_the_same_statements_for_five_rows_as_for_fifty(client, contributor):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from socialdesk.conversations.models import Tag

    client.force_login(contributor)
    sync, crash = Tag.objects.get(slug="sync"), Tag.objects.get(slug="crash")
    counted = []
    for n in (5, 45):
        for c in _make(n, start=len(counted) * 100):
            c.tags.add(sync, crash)  # shown by name, from the row's own slugs
        Conversation.objects.update(dealt_to=contributor)
        with CaptureQueriesContext(connection) as ctx:
            html = client.get(f"/queues/{QUEUE}/?tag=crash").content.decode()
        assert html.count('name="ids"') == min(50, 5 if n == 5 else 50)
        assert html.count('<span class="tag" dir="auto">Crash</span>') == html.count('name="ids"')
        counted.append(len(ctx.captured_queries))
    assert counted[0] == counted[1], "a statement per row"


def test_a_row_says_in_the_persons_language_and_zone_what_it_said_through_template_tags(
    client, contributor
):
    """The rows are worked out in the view (`queues.views.list_rows`): each says what Django's
    own filters and the catalogue say for it, and customer text stays escaped."""
    import zoneinfo

    from django.template.defaultfilters import date as date_filter
    from django.template.defaultfilters import timesince_filter
    from django.utils import translation

    from socialdesk.conversations.models import Sentiment, Status
    from socialdesk.web.templatetags.desk import desk_time

    (c,) = _make(1)
    Author.objects.filter(pk=c.author_id).update(name="<b>Ana</b>", verified=True)
    Conversation.objects.filter(pk=c.pk).update(rating=2, sentiment="negative", language="de")
    Message.objects.filter(conversation=c).update(text="\n  <script>x</script> first line\nmore")
    contributor.profile.language, contributor.profile.time_zone = "de", "Europe/Berlin"
    contributor.profile.save()
    client.force_login(contributor)
    html = client.get(f"/queues/{QUEUE}/").content.decode()

    at = Conversation.objects.get(pk=c.pk).last_inbound_at
    with translation.override("de"), timezone.override(zoneinfo.ZoneInfo("Europe/Berlin")):
        local = timezone.localtime(at)
        expected = [
            'aria-label="Unterhaltung mit @pages auswählen"',
            '<strong dir="auto">&lt;b&gt;Ana&lt;/b&gt;</strong> <span class="handle" dir="auto">@pages</span>',
            f'<span class="badge">{translation.gettext("verified")}</span>',
            f'<a href="/c/{c.pk}/"><span class="stars" aria-label="2 von 5 Sternen"'
            ' title="2 von 5 Sternen">★★☆☆☆</span>',
            '<span class="first-line" dir="auto">&lt;script&gt;x&lt;/script&gt; first line</span>',
            f'<span class="hint">{Status.OPEN.label} · {Sentiment.NEGATIVE.label} · de</span>',
            '<td data-label="Konto" class="account">@FirefoxSupport</td>',
            f'<time datetime="{date_filter(local, "c")}" title="{desk_time(local)}">'
            f"vor {timesince_filter(at)}</time>",
        ]
    for part in expected:
        assert part in html, part
    assert "<script>x" not in html


def test_the_signed_in_shell_reads_the_person_once_and_the_header_only_where_shown(
    client, contributor
):
    """The profile and whether the person has a second factor are one statement; the header's
    reminders and notifications one more, and only on a page that shows the header."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _make(3)
    client.force_login(contributor)

    def tables(url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return [q["sql"] for q in ctx.captured_queries]

    page = tables(f"/queues/{QUEUE}/")
    for table in ("people_profile", "otp_totp_totpdevice", "conversations_reminder"):
        assert sum(table in sql for sql in page) == 1, (table, page)
    header = [sql for sql in page if "conversations_reminder" in sql]
    assert "people_notification" in header[0]
    for fragment in (f"/queues/{QUEUE}/summary", f"/queues/{QUEUE}/panel"):
        sent = tables(fragment)
        assert not any("conversations_reminder" in s or "people_notification" in s for s in sent)
        assert sum("people_profile" in s for s in sent) == 1, sent


@given(st.text(max_size=260), st.integers(min_value=1, max_value=220))
def test_the_rows_shortened_first_line_is_the_truncatechars_filters(text, length):
    from django.utils.text import Truncator

    from socialdesk.queues.views import _truncated

    assert _truncated(text, length) == Truncator(text).chars(length)


def test_a_row_waiting_for_triage_says_so_instead_of_a_sentiment(client, contributor):
    (c,) = _make(1)
    Conversation.objects.filter(pk=c.pk).update(triage_pending=True, sentiment="negative")
    client.force_login(contributor)
    html = client.get(f"/queues/{QUEUE}/").content.decode()
    assert '<span class="hint">Open · triage pending · ' in html
    Conversation.objects.filter(pk=c.pk).update(triage_pending=False)
    html = client.get(f"/queues/{QUEUE}/").content.decode()
    assert "triage pending" not in html and "Open · Negative" in html
