"""PE3: community managers keep the desk's settings on its own pages, and each change takes effect."""

import pytest

from socialdesk.actions import conversation as actions
from socialdesk.brands.models import BrandAccount
from socialdesk.conversations.models import Activity, Tag, UserTag
from socialdesk.errors import ActionRefused
from socialdesk.people.models import AuditEntry
from socialdesk.queues.models import Queue
from socialdesk.triage.models import KBArticle, WatchKind, WatchTerm
from socialdesk.triage.services import load_config


@pytest.fixture
def cm(client, agents):
    client.force_login(agents["cm"])
    return client


def test_a_contributor_and_a_moderator_may_open_none_of_them(client, agents):
    for role in ("contributor", "moderator"):
        client.force_login(agents[role])
        for path in (
            "/manage/",
            "/manage/tags/",
            "/manage/user-tags/",
            "/manage/accounts/engagement/",
            "/triage/paid-products/",
            "/triage/controversial-topics/",
            "/triage/kb/articles/",
        ):
            assert client.get(path).status_code == 403, (role, path)
        r = client.post("/manage/tags/", {"name": "Sneaky"})
        assert r.status_code == 403 and not Tag.objects.filter(name="Sneaky").exists()


def test_the_settings_index_links_every_page_and_the_menu_links_the_index(cm):
    html = cm.get("/manage/").content.decode()
    for path in (
        "/manage/tags/",
        "/manage/user-tags/",
        "/manage/accounts/engagement/",
        "/triage/paid-products/",
        "/triage/controversial-topics/",
        "/triage/kb/articles/",
        "/manage/queues/",
        "/manage/clippings/",
        "/manage/accounts/respond-from/",
        "/manage/saved-filters/",
    ):
        assert f'href="{path}"' in html, path
    assert 'href="/manage/"' in cm.get("/").content.decode()


def test_a_tag_added_with_bad_input_keeps_what_was_typed_and_says_what_is_wrong(cm):
    r = cm.post("/manage/tags/", {"name": "Sync", "slug": ""})
    assert r.status_code == 400
    assert "There is a tag “Sync” already." in r.content.decode()
    r = cm.post("/manage/tags/", {"name": "Relay  masks", "slug": "Not A Slug"})
    body = r.content.decode()
    assert r.status_code == 400 and "Use only lower-case letters" in body
    assert 'value="Relay  masks"' in body and 'value="Not A Slug"' in body
    r = cm.post("/manage/tags/", {"name": "Relay  masks", "slug": ""})
    assert r.status_code == 302
    tag = Tag.objects.get(name="Relay masks")
    assert tag.slug == "relay-masks"
    entry = AuditEntry.objects.filter(kind="setting_added").latest("pk")
    assert entry.detail["setting"] == "tag" and entry.detail["name"] == "Relay masks"


def test_a_renamed_tag_is_renamed_on_its_conversations_and_its_queues_follow(cm, conversation):
    tag = Tag.objects.get(slug="sync")
    actions.add_tag(actor=conversation_actor(), conversation=conversation, tag="sync")
    queue = Queue.objects.create(name="Sync only", slug="sync-only", rules={"tags": ["sync"]})
    r = cm.post(f"/manage/tags/{tag.pk}/", {"name": "Firefox Sync", "slug": "firefox-sync"})
    assert r.status_code == 302
    conversation.refresh_from_db()
    names = set(conversation.tags.values_list("name", flat=True))
    assert "Firefox Sync" in names and "Sync" not in names
    assert "firefox-sync" in conversation.tag_slugs and "sync" not in conversation.tag_slugs
    queue.refresh_from_db()
    assert queue.rules["tags"] == ["firefox-sync"]
    entry = AuditEntry.objects.filter(kind="setting_changed").latest("pk")
    assert entry.detail["changed"]["slug"] == ["sync", "firefox-sync"]


def conversation_actor():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="cm")


def test_deleting_asks_first_and_says_what_it_does(cm, conversation):
    actions.add_tag(actor=conversation_actor(), conversation=conversation, tag="sync")
    tag = Tag.objects.get(slug="sync")
    page = cm.get(f"/manage/tags/{tag.pk}/delete").content.decode()
    assert "Delete the tag “Sync”?" in page and "1 conversation has this tag" in page
    assert Tag.objects.filter(pk=tag.pk).exists()
    assert cm.post(f"/manage/tags/{tag.pk}/delete").status_code == 302
    assert not Tag.objects.filter(pk=tag.pk).exists()
    conversation.refresh_from_db()
    assert "sync" not in conversation.tag_slugs
    assert AuditEntry.objects.filter(kind="setting_deleted", detail__name="Sync").exists()


def test_the_engagement_policy_edited_on_its_page_is_enforced(cm, agents, conversation):
    account = conversation.account
    message = conversation.messages.first()
    r = cm.post(
        f"/manage/accounts/engagement/{account.pk}/",
        {"can_reply": "on", "retweet_policy": "never"},  # liking unticked
    )
    assert r.status_code == 302
    account.refresh_from_db()
    assert not account.can_like and account.can_reply
    with pytest.raises(ActionRefused, match="does not allow: like"):
        actions.like(actor=agents["contributor"], conversation=conversation, message=message)
    entry = AuditEntry.objects.filter(kind="setting_changed").latest("pk")
    assert entry.detail["changed"]["can_like"] == ["yes", "no"]
    # Nothing is added or deleted here: the accounts are connected on their own page.
    assert cm.get(f"/manage/accounts/engagement/{account.pk}/delete").status_code == 404
    accounts = BrandAccount.objects.count()
    assert cm.post("/manage/accounts/engagement/", {"handle": "x"}).status_code == 302
    assert BrandAccount.objects.count() == accounts
    bad = cm.post(f"/manage/accounts/engagement/{account.pk}/", {"retweet_policy": "always"})
    assert bad.status_code == 400 and "Choose one of the choices" in bad.content.decode()


def test_paid_products_and_controversial_topics_go_straight_into_triage(cm):
    r = cm.post(
        "/triage/paid-products/",
        {"name": "Relay", "keywords": "relay,\nfirefox relay", "active": "on"},
    )
    assert r.status_code == 302
    assert ("Relay", ("relay", "firefox relay")) in load_config().paid_products
    r = cm.post("/triage/controversial-topics/", {"name": "Relay", "keywords": "", "active": "on"})
    assert r.status_code == 302  # the same name is another list's
    assert WatchTerm.objects.get(name="Relay", kind=WatchKind.CONTROVERSIAL)
    dup = cm.post("/triage/paid-products/", {"name": "relay"})
    assert dup.status_code == 400 and "is in the list already" in dup.content.decode()
    # The page shows only its own kind, and edits only its own kind.
    topic = WatchTerm.objects.get(name="Relay", kind=WatchKind.CONTROVERSIAL)
    assert cm.get(f"/triage/paid-products/{topic.pk}/").status_code == 404


def test_a_kb_article_typed_in_is_kept_and_a_bad_address_is_explained(cm):
    r = cm.post("/triage/kb/articles/", {"title": "Sync", "url": "javascript:alert(1)"})
    assert r.status_code == 400 and "full web address" in r.content.decode()
    r = cm.post(
        "/triage/kb/articles/",
        {"title": "Relay", "url": "https://support.mozilla.org/kb/relay", "language": "en"},
    )
    assert r.status_code == 302
    assert KBArticle.objects.filter(url="https://support.mozilla.org/kb/relay").exists()


def test_a_customer_is_tagged_and_untagged_by_handle(cm, conversation):
    handle = conversation.author.handle
    r = cm.post(
        "/manage/user-tags/", {"platform": "twitter", "handle": "@nobody_here", "kind": "troll"}
    )
    assert r.status_code == 400 and "No customer @nobody_here" in r.content.decode()
    r = cm.post(
        "/manage/user-tags/", {"platform": "twitter", "handle": f"@{handle}", "kind": "spammer"}
    )
    assert r.status_code == 302
    row = UserTag.objects.get(author=conversation.author, kind="spammer")
    assert Activity.objects.filter(conversation=conversation, kind="user_tag_added").exists()
    assert handle in cm.get("/manage/user-tags/?kind=spammer").content.decode()
    assert cm.post(f"/manage/user-tags/{row.pk}/remove").status_code == 302
    assert not UserTag.objects.filter(pk=row.pk).exists()
    assert AuditEntry.objects.filter(kind="setting_deleted", detail__setting="user tag").exists()


def test_a_queue_is_deleted_after_asking_but_never_the_escalation_queue(cm):
    escalation = Queue.objects.get(is_escalation=True)
    r = cm.post(f"/manage/queues/{escalation.pk}/delete")
    assert r.status_code == 409 and Queue.objects.filter(pk=escalation.pk).exists()
    queue = Queue.objects.create(name="Spare", slug="spare")
    assert (
        "Delete the queue “Spare”?" in cm.get(f"/manage/queues/{queue.pk}/delete").content.decode()
    )
    assert cm.post(f"/manage/queues/{queue.pk}/delete").status_code == 302
    assert not Queue.objects.filter(pk=queue.pk).exists()
    assert AuditEntry.objects.filter(kind="setting_deleted", detail__name="Spare").exists()
