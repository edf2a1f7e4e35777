"""The report figures against values worked out by hand on a fixed history (see history.py):
held, reopened, merged, deleted and unanswered conversations, a reply that waited for approval,
a Play session stopped mid-way and one left open until the idle sweep ended it."""

import pytest

from conftest import make_inbound
from socialdesk.reports import selectors
from socialdesk.reports.selectors import DateRange, Stats

from .history import DAY1, DAY2, MODERATED, build

BOTH = DateRange(first=DAY1, last=DAY2)


@pytest.fixture
def history(agents):
    return build(agents, make_inbound)


def stats(*seconds):
    return Stats.of(list(seconds))


def rows(rs):
    return {r.label: (r.first, r.all) for r in rs}


def test_nearest_rank_statistics():
    s = Stats.of([300, 1200, 1800, 1800, 2100, 3000])
    assert (s.count, s.mean, s.median, s.p90) == (6, 1700, 1800, 3000)
    assert Stats.of([]) == Stats()
    assert Stats.of([5]).p90 == 5


def test_each_answer_is_timed_from_the_first_message_it_answered(history):
    found = sorted(
        (r.conversation_id, r.seconds, r.first) for r in selectors.responses(period=BOTH)
    )
    c = history
    assert found == sorted(
        [
            (
                c["A"].pk,
                1200,
                True,
            ),  # dealt 09:10, answered 09:20 while held... the hold changes nothing
            (c["A"].pk, 1800, False),  # reopened 09:40, answered 10:10
            (c["F"].pk, 2100, True),  # dealt to the contributor who stopped: the wait counts
            (c["B1"].pk, 300, True),
            (c["B1"].pk, 1800, False),  # the merged conversation's wait, from 10:30
            (
                c["E"].pk,
                3000,
                True,
            ),  # closed unanswered on day 1; timed from day 2's message, to the approval
        ]
    )
    # D (deleted), B2 (merged away) and E's day 1 close have no response at all.
    assert not {c["D"].pk, c["B2"].pk} & {
        r.conversation_id for r in selectors.responses(period=BOTH)
    }


def test_response_times_per_queue_account_agent_and_day(history):
    report = selectors.response_times(period=BOTH)
    assert report.overall.first == stats(1200, 2100, 300, 3000)
    assert (report.overall.first.mean, report.overall.first.median, report.overall.first.p90) == (
        1650,
        1650,
        3000,
    )
    assert report.overall.all == stats(1200, 1800, 2100, 300, 1800, 3000)
    assert (report.overall.all.mean, report.overall.all.median, report.overall.all.p90) == (
        1700,
        1800,
        3000,
    )
    assert rows(report.by_agent) == {
        "contributor": (stats(1200, 3000), stats(1200, 1800, 3000)),
        "moderator": (stats(2100, 300), stats(2100, 300)),
        "cm": (stats(), stats(1800)),
    }
    assert rows(report.by_queue) == {
        MODERATED: (stats(1200, 2100), stats(1200, 2100)),
        selectors.NOT_DEALT: (stats(300, 3000), stats(1800, 300, 1800, 3000)),
    }
    assert rows(report.by_account) == {
        "@FirefoxSupport": (stats(1200, 2100, 300, 3000), stats(1200, 1800, 2100, 300, 1800, 3000))
    }
    assert rows(report.by_day) == {
        "2026-03-02": (stats(1200, 2100, 300), stats(1200, 1800, 2100, 300, 1800)),
        "2026-03-03": (stats(3000), stats(3000)),
    }


def test_a_range_counts_the_answers_given_in_it(history):
    day2 = selectors.response_times(period=DateRange(first=DAY2, last=DAY2))
    assert day2.overall.all == stats(3000)
    day1 = selectors.response_times(period=DateRange(first=DAY1, last=DAY1))
    assert day1.overall.all == stats(1200, 1800, 2100, 300, 1800)


def test_play_time_counts_each_session_up_to_its_end_or_last_sign_of_life(history):
    play = {
        r.label: (r.sessions, r.seconds, r.idle_sessions, r.dealt)
        for r in selectors.play_time(period=BOTH)
    }
    assert play == {"contributor": (1, 1200, 0, 2), "moderator": (1, 300, 1, 0)}
    assert selectors.play_time(period=DateRange(first=DAY2, last=DAY2)) == []


def test_an_agent_sees_only_their_own_figures(history, agents):
    mine = selectors.response_times(period=BOTH, agent=agents["contributor"])
    assert [r.label for r in mine.by_agent] == ["contributor"]
    assert mine.overall.all == stats(1200, 1800, 3000)
    assert [r.label for r in mine.play] == ["contributor"]
    assert [r.label for r in selectors.recognition(period=BOTH, agent=agents["contributor"])] == [
        "contributor"
    ]


def test_recognition_counts_replies_follow_through_and_escalations(history):
    got = {
        r.label: (r.replies, r.seen_through, r.escalations)
        for r in selectors.recognition(period=BOTH)
    }
    # The contributor: A twice and E once (approved on day 2); A closed after their reply; F escalated.
    # E's day 1 close had no reply before it, D was closed by the deletion with none: no follow-through.
    assert got == {"contributor": (3, 1, 1), "moderator": (2, 0, 0), "cm": (1, 0, 0)}


def test_volumes_by_dimension_and_day(history):
    v = selectors.volumes(period=BOTH)
    assert (v.opened, v.closed) == (6, 3)
    assert [(d.isoformat(), o, c) for d, o, c in v.per_day] == [
        ("2026-03-02", 6, 3),
        ("2026-03-03", 0, 0),
    ]
    assert {c.label: c.count for c in v.by["Close reason"]} == {
        "Resolved": 1,
        "Deleted": 1,
        "No Need to Reply": 1,
    }
    assert {c.label: c.count for c in v.by["Channel"]} == {"X @FirefoxSupport": 6}
    assert sum(c.count for c in v.by["Language"]) == 6


def test_volumes_take_the_queue_filters(history):
    from socialdesk.conversations.models import Conversation
    from socialdesk.queues.selectors import ConversationFilter

    v = selectors.volumes(
        period=BOTH,
        within=ConversationFilter(statuses=("closed",)).apply(Conversation.objects.all()),
    )
    # Closed now: A, D, E? (E reopened on day 2 and is open), B2 (merged away) -> A, D, B2.
    assert v.opened == 3
    assert {c.label: c.count for c in v.by["Close reason"]} == {"Resolved": 1, "Deleted": 1}


def test_a_contributor_who_left_stays_in_the_figures_as_a_former_contributor(history, agents):
    agents["contributor"].delete()  # PE4: the account goes, what they did stays
    report = selectors.response_times(period=BOTH)
    assert rows(report.by_agent)[selectors.FORMER] == (stats(1200, 3000), stats(1200, 1800, 3000))
    assert selectors.FORMER in {r.label for r in report.play}
    assert {r.label: r.replies for r in selectors.recognition(period=BOTH)}[selectors.FORMER] == 3


def test_a_conversation_split_off_starts_with_the_customers_running_wait(agents):
    from freezegun import freeze_time

    from socialdesk.actions import conversation as actions
    from socialdesk.actions.inbound import ingest
    from socialdesk.conversations.models import Message

    from .history import at

    cm = agents["cm"]
    with freeze_time(at(DAY1, 9, 0)) as clock:
        first = make_inbound("Sync is broken", author_id="601", created_at=at(DAY1, 9, 0))
        ingest([first])
        clock.move_to(at(DAY1, 9, 5))
        second = make_inbound(
            "And a question about themes",
            author_id="601",
            created_at=at(DAY1, 9, 5),
            in_reply_to=first.platform_id,
            thread_id=first.thread_id,
        )
        ingest([second])
        original = Message.objects.get(platform_id=first.platform_id).conversation
        clock.move_to(at(DAY1, 9, 10))
        split_off = actions.split(
            actor=cm,
            conversation=original,
            message=Message.objects.get(platform_id=second.platform_id),
        )
        clock.move_to(at(DAY1, 9, 20))
        actions.reply(actor=cm, conversation=split_off, text="Themes are under Add-ons")
        clock.move_to(at(DAY1, 9, 30))
        actions.reply(actor=cm, conversation=original, text="Sign in to sync again")
    found = {r.conversation_id: (r.seconds, r.first) for r in selectors.responses(period=BOTH)}
    # Both parts of what the customer asked waited since 09:00.
    assert found == {split_off.pk: (1200, True), original.pk: (1800, True)}


def test_escalations_marked_useful_count_for_whoever_escalated(history, agents, client):
    """RE4 on the fixed history: the contributor escalated F on day 1 (10:05); a community
    manager marks it useful on day 2 at 10:00. Counted on the day it was marked, for the
    contributor; an escalation nobody marked still counts as one, and nothing goes down."""
    from freezegun import freeze_time

    from socialdesk.actions.escalate import mark_useful
    from socialdesk.errors import ActionConflict, ActionError, ActionRefused

    from .history import at

    cm, contributor = agents["cm"], agents["contributor"]
    f = history["F"]
    before = {r.label: r for r in selectors.recognition(period=BOTH)}
    with pytest.raises(ActionRefused):
        mark_useful(actor=contributor, conversation=f)
    with pytest.raises(ActionError):  # nothing escalated there
        mark_useful(actor=cm, conversation=history["A"])
    with freeze_time(at(DAY2, 10, 0)):
        mark_useful(actor=cm, conversation=f)
    with pytest.raises(ActionConflict):  # once per escalation
        mark_useful(actor=cm, conversation=f)

    def got(period):
        return {
            r.label: (r.replies, r.seen_through, r.escalations, r.useful_escalations)
            for r in selectors.recognition(period=period)
        }

    assert got(BOTH) == {
        "contributor": (3, 1, 1, 1),
        "moderator": (2, 0, 0, 0),
        "cm": (1, 0, 0, 0),
    }
    # Day 1 holds the escalation, day 2 the mark.
    assert got(DateRange(first=DAY1, last=DAY1))["contributor"][2:] == (1, 0)
    assert got(DateRange(first=DAY2, last=DAY2))["contributor"][2:] == (0, 1)
    # Nothing anyone had went down.
    for label, row in before.items():
        after = got(BOTH)[label]
        assert after[:3] == (row.replies, row.seen_through, row.escalations)
    # The contributor sees their own figure, and only theirs.
    mine = selectors.recognition(period=BOTH, agent=contributor)
    assert [(r.label, r.useful_escalations) for r in mine] == [("contributor", 1)]
    client.force_login(contributor)
    page = client.get("/reports/recognition/", {"start": "2026-03-02", "end": "2026-03-03"})
    assert page.status_code == 200 and "Marked useful" in page.content.decode()
    assert "moderator" not in page.content.decode().split("<tbody>")[1].split("</tbody>")[0]


def test_a_community_manager_marks_an_escalation_useful_from_the_page_and_the_api(
    history, agents, client
):
    from socialdesk.conversations.models import Activity
    from socialdesk.people.models import ApiToken

    f = history["F"]
    client.force_login(agents["cm"])
    page = client.get(f"/c/{f.pk}/").content.decode()
    assert "Mark escalation useful" in page and "Escalated by contributor" in page
    r = client.post(f"/c/{f.pk}/escalation-useful")
    assert r.status_code == 302
    assert Activity.objects.filter(conversation=f, kind="escalation_useful").count() == 1
    assert "Mark escalation useful" not in client.get(f"/c/{f.pk}/").content.decode()
    # A contributor is not offered the button.
    client.force_login(agents["contributor"])
    assert "Mark escalation useful" not in client.get(f"/c/{f.pk}/").content.decode()

    token = ApiToken.issue(agents["admin"], "t", scope="act")[1]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    r = client.post(f"/api/v1/conversations/{f.pk}/escalation-useful", **headers)
    assert r.status_code == 409 and r.json()["status"] == 409, r.content
    r = client.post(f"/api/v1/conversations/{history['A'].pk}/escalation-useful", **headers)
    assert r.status_code == 400
