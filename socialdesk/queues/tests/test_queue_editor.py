from socialdesk.queues.models import Queue
from socialdesk.queues.selectors import queue_conversations


def test_a_cm_creates_a_queue_from_rules_and_bad_input_is_explained(client, agents, inbound):
    from socialdesk.actions.inbound import ingest

    ingest([inbound("hallo", mention="mozilla_germany", lang="de"), inbound("hello")])
    client.force_login(agents["cm"])
    r = client.post(
        "/manage/queues/new",
        {
            "name": "German",
            "kind": "rules",
            "visible_to": "contributor",
            "position": 5,
            "languages": "de, x1",
            "moderated": "yes",
        },
    )
    assert r.status_code == 400 and "Not a language code: x1" in r.content.decode()
    r = client.post(
        "/manage/queues/new",
        {"name": "Escalation", "kind": "rules", "visible_to": "contributor", "position": 5},
    )
    assert "exists already" in r.content.decode()
    r = client.post(
        "/manage/queues/new",
        {
            "name": "German",
            "kind": "rules",
            "visible_to": "contributor",
            "position": 5,
            "languages": "de",
            "moderated": "yes",
        },
    )
    assert r.status_code == 302
    queue = Queue.objects.get(slug="german")
    assert queue.rules == {"languages": ["de"], "moderated": True}
    assert [c.language for c in queue_conversations(queue=queue)] == ["de"]
    r = client.post(
        f"/manage/queues/{queue.pk}/",
        {
            "name": "German speakers",
            "kind": "rules",
            "visible_to": "moderator",
            "position": 5,
            "languages": "de",
        },
    )
    queue.refresh_from_db()
    assert (queue.name, queue.visible_to) == ("German speakers", "moderator")


def test_only_community_managers_edit_queues(client, agents):
    for name in ("contributor", "moderator"):
        client.force_login(agents[name])
        assert client.get("/manage/queues/").status_code == 403
        assert (
            client.post(
                "/manage/queues/new",
                {"name": "Mine", "kind": "rules", "visible_to": "contributor", "position": 1},
            ).status_code
            == 403
        )
    assert not Queue.objects.filter(slug="mine").exists()


def _as_sent_back(form) -> dict:
    """What a browser sends when the editor is saved without touching anything."""
    data = {}
    for bound in form:
        value = bound.value()
        if value is None or value is False or value == []:
            continue
        data[bound.name] = "on" if value is True else value
    return data


def test_saving_any_queue_unchanged_keeps_every_rule(client, agents):
    """The Google Play queues lost their star ratings: the editor had no field for them."""
    client.force_login(agents["cm"])
    before = {q.pk: q.rules for q in Queue.objects.all()}
    assert before[Queue.objects.get(slug="google-play-low-rating").pk]["max_rating"] == 2
    for pk, rules in before.items():
        page = client.get(f"/manage/queues/{pk}/")
        assert page.status_code == 200
        r = client.post(f"/manage/queues/{pk}/", _as_sent_back(page.context["form"]))
        assert r.status_code == 302, r.context["form"].errors
        assert Queue.objects.get(pk=pk).rules == rules


def test_the_editor_has_a_field_for_every_rule_and_edits_stars_and_priority(client, agents):
    from socialdesk.queues.forms import QueueForm
    from socialdesk.queues.models import RULE_KEYS

    assert RULE_KEYS <= set(QueueForm().fields)
    client.force_login(agents["cm"])
    queue = Queue.objects.get(slug="google-play-high-rating")
    data = _as_sent_back(client.get(f"/manage/queues/{queue.pk}/").context["form"])
    r = client.post(f"/manage/queues/{queue.pk}/", {**data, "min_rating": "4", "max_rating": "3"})
    assert r.status_code == 400 and "is below" in r.content.decode()
    client.post(
        f"/manage/queues/{queue.pk}/",
        {
            **data,
            "min_rating": "4",
            "max_rating": "5",
            "min_priority": "10",
            "sentiments": ["negative"],
        },
    )
    queue.refresh_from_db()
    assert queue.rules == {
        "platforms": ["google_play"],
        "moderated": True,
        "min_rating": 4,
        "max_rating": 5,
        "min_priority": 10,
        "sentiments": ["negative"],
    }


def test_the_queue_list_reads_as_conditions(client, agents):
    client.force_login(agents["cm"])
    page = client.get("/manage/queues/").content.decode()
    assert "Google Play · moderated · 1–2★" in page
    assert "Google Play · moderated · 3–5★" in page
    assert "Google Play · not yet moderated · language en · 1–2★" in page
    assert "Twitter/X · not yet moderated · priority ≥ 50" in page
    assert "{" not in page.split("<tbody>")[1].split("</tbody>")[0]  # no Python dicts


def test_a_value_that_is_no_longer_a_choice_is_shown_and_kept(client, agents):
    queue = Queue.objects.create(
        name="Old account",
        slug="old-account",
        rules={"accounts": ["gone_account", "FirefoxSupport"], "tags": ["no-such-tag"]},
    )
    client.force_login(agents["cm"])
    page = client.get(f"/manage/queues/{queue.pk}/")
    assert "gone_account (no longer exists)" in page.content.decode()
    assert (
        client.post(f"/manage/queues/{queue.pk}/", _as_sent_back(page.context["form"])).status_code
        == 302
    )
    queue.refresh_from_db()
    assert queue.rules == {"accounts": ["gone_account", "FirefoxSupport"], "tags": ["no-such-tag"]}


def test_rules_the_editor_cannot_show_are_refused_not_dropped(client, agents):
    client.force_login(agents["cm"])
    for rules, why in (
        ({"languages": ["pt-BR"]}, "languages"),  # the editor writes language codes in lower case
        ({"platforms": ["twitter"], "colour": "red"}, "Unknown queue rule"),
    ):
        queue = Queue.objects.create(name=f"Odd {why}", slug=f"odd-{len(why)}")
        Queue.objects.filter(pk=queue.pk).update(
            rules=rules
        )  # as an import or an old version left it
        page = client.get(f"/manage/queues/{queue.pk}/")
        assert (
            page.status_code == 200
            and why in page.content.decode()
            and "will not save" in page.content.decode()
        )
        r = client.post(
            f"/manage/queues/{queue.pk}/",
            {**_as_sent_back(page.context["form"]), "name": "Renamed"},
        )
        assert r.status_code == 400 and "fix the rules in the admin" in r.content.decode()
        queue.refresh_from_db()
        assert (queue.name, queue.rules) == (f"Odd {why}", rules)
    page = client.get("/manage/queues/").content.decode()
    assert "Rules that cannot be read" in page  # the unknown rule; the list still loads


def test_an_assignment_queue_with_rules_is_refused(client, agents):
    client.force_login(agents["cm"])
    r = client.post(
        "/manage/queues/new",
        {
            "name": "Billing",
            "kind": "assignment",
            "visible_to": "cm",
            "position": 5,
            "platforms": ["twitter"],
        },
    )
    assert r.status_code == 400 and "has no rules" in r.content.decode()
    r = client.post(
        "/manage/queues/new",
        {"name": "Billing", "kind": "assignment", "visible_to": "cm", "position": 5},
    )
    assert r.status_code == 302 and Queue.objects.get(slug="billing").rules == {}
