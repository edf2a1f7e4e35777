"""PE3: community managers keep the filters agents saved on the queues on a page of their own
(`/manage/saved-filters/`), not in the Django admin: what they change is what the agent's left
panel opens; bad input is explained and kept; deleting asks first; others cannot."""

import re
from html import unescape
from urllib.parse import unquote

import pytest
from django.test import Client

from socialdesk.people.models import AuditEntry
from socialdesk.queues.models import Queue, SavedFilter

pytestmark = pytest.mark.django_db

SLUG = "twitter-conversations-moderated"


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def saved(agents):
    return SavedFilter.objects.create(
        user=agents["contributor"],
        queue=Queue.objects.get(slug=SLUG),
        name="My sync ones",
        params={"tags": ["sync"], "statuses": ["open"]},
    )


def _panel(user) -> str:
    return unescape(unquote(as_user(user).get(f"/queues/{SLUG}/panel").content.decode()))


def test_a_cm_renames_a_saved_filter_and_changes_what_it_narrows_to(agents, saved):
    cm = as_user(agents["cm"])
    page = cm.get("/manage/saved-filters/").content.decode()
    assert "My sync ones" in page and "contributor" in page and "tagged Sync" in page
    form = cm.get(f"/manage/saved-filters/{saved.pk}/").content.decode()
    assert re.search(r'<input[^>]*name="tags" value="sync"[^>]*checked', form)
    assert re.search(r'<input[^>]*name="statuses" value="open"[^>]*checked', form)

    r = cm.post(
        f"/manage/saved-filters/{saved.pk}/",
        {
            "user": agents["contributor"].pk,
            "queue": Queue.objects.get(slug=SLUG).pk,
            "name": "German sync, negative",
            "tags": ["sync"],
            "sentiments": ["negative"],
            "languages": "DE, (none)",
            "statuses": ["open", "held"],
        },
        follow=True,
    )
    assert "Saved the saved filter “German sync, negative”." in r.content.decode()
    saved.refresh_from_db()
    assert saved.params == {
        "tags": ["sync"],
        "languages": ["de", "(none)"],
        "sentiments": ["negative"],
        "statuses": ["open", "held"],
    }
    # The agent's left panel opens exactly that.
    panel = _panel(agents["contributor"])
    assert "German sync, negative" in panel
    assert "tag=sync&language=de&language=(none)&sentiment=negative&status=open&status=held" in (
        panel
    )
    entry = AuditEntry.objects.get(kind="setting_changed")
    assert entry.actor == agents["cm"] and entry.detail["changed"]["name"] == [
        "My sync ones",
        "German sync, negative",
    ]


def test_a_cm_saves_a_filter_for_someone(agents):
    cm = as_user(agents["cm"])
    queue = Queue.objects.get(slug=SLUG)
    r = cm.post(
        "/manage/saved-filters/",
        {
            "user": agents["moderator"].pk,
            "queue": queue.pk,
            "name": "Praise",
            "types": "compliment",
        },
    )
    assert r.status_code == 302
    assert SavedFilter.objects.get(user=agents["moderator"]).params == {"types": ["compliment"]}
    assert "Praise" in _panel(agents["moderator"])
    assert "Praise" not in _panel(agents["contributor"])


@pytest.mark.parametrize(
    ("change", "field_message"),
    [
        ({"tags": [], "statuses": [], "languages": ""}, "Choose at least one filter to save."),
        ({"name": " "}, "Give the filter a name to save it."),
        ({"languages": "German"}, "Not a language code: german."),
        ({"name": "Taken"}, "contributor already has a filter called “Taken”"),
        ({"queue": "999999"}, "Choose one of the queues in the list."),
        ({"user": "abc"}, "Choose one of the people in the list."),
    ],
)
def test_bad_input_is_explained_and_what_was_typed_is_kept(agents, saved, change, field_message):
    SavedFilter.objects.create(
        user=agents["contributor"], queue=saved.queue, name="Taken", params={"tags": ["crash"]}
    )
    data = {
        "user": agents["contributor"].pk,
        "queue": saved.queue.pk,
        "name": "Typed name",
        "tags": ["sync"],
        "languages": "de, fr",
        "statuses": ["open"],
        **change,
    }
    r = as_user(agents["cm"]).post(f"/manage/saved-filters/{saved.pk}/", data)
    page = r.content.decode()
    assert r.status_code == 400 and field_message in page
    if "name" not in change:
        assert 'value="Typed name"' in page
    if "languages" not in change:
        assert 'value="de, fr"' in page
    saved.refresh_from_db()
    assert saved.name == "My sync ones" and saved.params == {
        "tags": ["sync"],
        "statuses": ["open"],
    }


def test_deleting_asks_first_and_leaves_the_conversations_alone(agents, saved):
    cm = as_user(agents["cm"])
    page = unescape(cm.get(f"/manage/saved-filters/{saved.pk}/delete").content.decode())
    assert "Delete the saved filter “My sync ones”?" in page
    assert "It goes from contributor's left panel on Twitter conversations - Moderated" in page
    assert SavedFilter.objects.filter(pk=saved.pk).exists()
    assert cm.post(f"/manage/saved-filters/{saved.pk}/delete").status_code == 302
    assert not SavedFilter.objects.filter(pk=saved.pk).exists()
    assert AuditEntry.objects.filter(kind="setting_deleted", detail__name="My sync ones").exists()
    assert "My sync ones" not in _panel(agents["contributor"])


def test_contributors_and_moderators_cannot_see_or_change_them(agents, saved):
    for role in ("contributor", "moderator"):
        client = as_user(agents[role])
        assert client.get("/manage/saved-filters/").status_code == 403
        assert client.post(f"/manage/saved-filters/{saved.pk}/delete").status_code == 403
        r = client.post(
            f"/manage/saved-filters/{saved.pk}/",
            {"user": agents[role].pk, "queue": saved.queue.pk, "name": "Mine", "tags": "crash"},
        )
        assert r.status_code == 403
    saved.refresh_from_db()
    assert saved.name == "My sync ones" and saved.user == agents["contributor"]
