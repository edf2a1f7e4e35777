"""The report pages and their CSV: who sees whose figures (decided on the server), ranges that
cannot be read, and CSV that a spreadsheet opens safely."""

import csv
import io

import pytest

from conftest import make_inbound

from .history import build

RANGE = {"start": "2026-03-02", "end": "2026-03-03"}


@pytest.fixture
def history(agents):
    return build(agents, make_inbound)


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode())))


def _login(client, agents, role):
    client.force_login(agents[role])
    return client


def test_a_community_manager_sees_every_agent(client, agents, history):
    r = _login(client, agents, "cm").get("/reports/response-times/", RANGE)
    assert r.status_code == 200
    page = r.content.decode()
    for name in (
        "contributor",
        "moderator",
        "cm",
        "Twitter conversations - Moderated",
        "27 min 30 s",
    ):
        assert name in page  # 27 min 30 s: the overall first response mean, 1650 s
    assert "Sessions left open" in page
    assert (
        "Median response time per day: 2026-03-02 30 min, 2026-03-03 50 min" in page
    )  # the chart's text


def test_a_contributor_sees_only_their_own_figures(client, agents, history):
    client = _login(client, agents, "contributor")
    page = client.get("/reports/response-times/", RANGE).content.decode()
    assert ">contributor<" in page and ">moderator<" not in page and ">cm<" not in page
    rows = _csv(client.get("/reports/response-times/", {**RANGE, "format": "csv"}))
    agents_in_csv = {row[1] for row in rows if row[0] == "agent"}
    assert agents_in_csv == {"contributor"}
    assert [
        row[0] for row in _csv(client.get("/reports/recognition/", {**RANGE, "format": "csv"}))[1:]
    ] == ["contributor"]
    assert [
        row[0]
        for row in _csv(
            client.get("/reports/response-times/", {**RANGE, "format": "csv", "table": "play"})
        )[1:]
    ] == ["contributor"]
    # The team's figures are not theirs to read.
    assert client.get("/reports/volumes/", RANGE).status_code == 403
    assert client.get("/reports/dashboard/").status_code == 403


def test_response_times_csv_has_the_hand_worked_figures(client, agents, history):
    rows = _csv(
        _login(client, agents, "cm").get("/reports/response-times/", {**RANGE, "format": "csv"})
    )
    header, data = rows[0], {(r[0], r[1]): r for r in rows[1:]}
    assert header[:6] == [
        "by",
        "value",
        "first_response_count",
        "first_response_mean_seconds",
        "first_response_median_seconds",
        "first_response_p90_seconds",
    ]
    assert data[("all", "All")][2:] == [
        "4",
        "1650.0",
        "1650.0",
        "3000.0",
        "6",
        "1700.0",
        "1800.0",
        "3000.0",
    ]
    assert data[("agent", "cm")][2:] == ["0", "", "", "", "1", "1800.0", "1800.0", "1800.0"]


def test_volumes_and_recognition_csv(client, agents, history):
    client = _login(client, agents, "cm")
    r = client.get("/reports/volumes/", {**RANGE, "format": "csv"})
    assert (
        r["Content-Type"].startswith("text/csv")
        and "volumes-20260302-20260303.csv" in r["Content-Disposition"]
    )
    rows = {(row[0], row[1]): row[2] for row in _csv(r)[1:]}
    assert (
        rows[("Close reason", "Resolved")] == "1" and rows[("Opened per day", "2026-03-02")] == "6"
    )
    page = client.get("/reports/volumes/", RANGE).content.decode()
    assert (
        page.count('<svg class="chart"') == 7 and "Conversations opened and closed per day" in page
    )
    rec = {
        row[0]: row[1:]
        for row in _csv(client.get("/reports/recognition/", {**RANGE, "format": "csv"}))[1:]
    }
    assert rec["contributor"] == ["3", "1", "1", "0"]
    assert "Marked useful" in client.get("/reports/recognition/", RANGE).content.decode()


def test_a_range_that_cannot_be_read_is_explained_not_computed(client, agents):
    client = _login(client, agents, "cm")
    for query, words in (
        ({"start": "2026-03-05", "end": "2026-03-01"}, "ends before it starts"),
        ({"start": "2020-01-01", "end": "2026-03-01"}, "at most 366 days"),
        ({"start": "yesterday"}, "Enter a valid date"),
        ({"start": "1000-01-01"}, "between 2000 and 2999"),
    ):
        for path in ("/reports/response-times/", "/reports/volumes/", "/reports/recognition/"):
            r = client.get(path, query)
            assert r.status_code == 400 and words in r.content.decode(), (path, query)


def test_customer_typed_text_cannot_become_a_spreadsheet_formula(client, agents, demo):
    from socialdesk.actions import conversation as actions
    from socialdesk.actions.inbound import ingest
    from socialdesk.conversations.models import Conversation, Tag

    Tag.objects.create(name="+SUM(1)", slug="sum-1")
    ingest([make_inbound("help", handle="=cmd|' /C calc'!A0")])
    c = Conversation.objects.latest("pk")
    actions.add_tag(actor=agents["cm"], conversation=c, tag="+SUM(1)")
    rows = _csv(_login(client, agents, "cm").get("/reports/conversations.csv"))
    row = next(r for r in rows[1:] if r[0] == str(c.pk))
    assert row[2] == "@FirefoxSupport"  # a plain handle stays as it is
    assert row[4].startswith("'@=cmd") and row[11] == "'+SUM(1)"


def test_the_conversation_list_csv_holds_only_what_the_agent_may_see(client, agents, demo):
    from socialdesk.actions.inbound import ingest
    from socialdesk.conversations.models import Conversation

    ingest(
        [make_inbound("moderated one"), make_inbound("waits for a moderator", mention="Firefox")]
    )
    unmoderated = Conversation.objects.get(moderated=False)
    seen = {
        r[0]
        for r in _csv(_login(client, agents, "contributor").get("/reports/conversations.csv"))[1:]
    }
    assert str(unmoderated.pk) not in seen and len(seen) == 1
    queue = {
        r[0]
        for r in _csv(
            client.get(
                "/reports/conversations.csv",
                {"queue": "twitter-conversations-moderated", "status": "open"},
            )
        )[1:]
    }
    assert queue == seen
    assert client.get("/reports/conversations.csv", {"queue": "no-such-queue"}).status_code == 404


def test_volumes_take_the_queues_filters_from_the_page(client, agents, history):
    client = _login(client, agents, "cm")
    page = client.get("/reports/volumes/", {**RANGE, "status": "closed"}).content.decode()
    assert (
        "3 conversations opened and 2 closed (filtered)" in page
    )  # A, D and B2 are closed now; E reopened
    assert '<option value="closed" selected>' in page
    page = client.get("/reports/volumes/", {**RANGE, "queue": "escalation"}).content.decode()
    assert "1 conversation opened and 0 closed in Escalation" in page
