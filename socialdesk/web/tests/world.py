"""The world the access and malformed-input tests share: the demo configuration, a conversation in
each state (with a sibling of the same customer to merge), replies waiting for approval, failed
deliveries, attachments, reminders, a filtered message and an API token per role."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.utils import timezone

ROLES = ["anonymous", "contributor", "moderator", "cm", "admin"]
STATES = ["moderated", "unmoderated", "escalated", "dealt", "closed"]


def snapshot() -> dict:
    """Everything a refused request must leave as it was (audit entries of the refusal aside)."""
    from django.db import connection

    from socialdesk.brands.models import BrandAccount, PlatformApp
    from socialdesk.clippings.models import Clipping
    from socialdesk.conversations.models import (
        Activity,
        Attachment,
        Conversation,
        InternalNote,
        Message,
        Presence,
        Reminder,
        UserTag,
    )
    from socialdesk.ingestion.models import FilteredMessage, FilterSettings
    from socialdesk.outbox.models import OutboundAction, WebhookDelivery
    from socialdesk.people.models import Profile, Signature
    from socialdesk.play.models import PlaySession
    from socialdesk.queues.models import Queue, SavedFilter
    from socialdesk.triage.models import TagRule, TriageCorrection
    from socialdesk.webhooks.models import WebhookSubscription

    models = [
        Conversation,
        Conversation.tags.through,
        Message,
        InternalNote,
        Reminder,
        UserTag,
        Attachment,
        Presence,
        OutboundAction,
        Queue,
        SavedFilter,
        Profile,
        Signature,
        PlaySession,
        FilteredMessage,
        FilterSettings,
        TagRule,
        TriageCorrection,
        Clipping,
        BrandAccount,
        PlatformApp,
        WebhookSubscription,
        WebhookDelivery,
    ]
    # Every row as the database holds it (plain SQL: the ORM's conversions of each value would
    # cost more than the request checked, and compare no better).
    quote = connection.ops.quote_name
    snap = {}
    if connection.vendor == "postgresql":
        # One statement for all the tables, each as the text of its rows in key order: a round
        # trip per table was most of a refused case's time on a database server.
        columns = []
        for m in [*models, Activity]:
            where = "WHERE t.kind <> 'refused'" if m is Activity else ""
            columns.append(
                f"(SELECT string_agg(t::text, E'\\n' ORDER BY t.{quote(m._meta.pk.column)}) "
                f"FROM {quote(m._meta.db_table)} t {where})"
            )
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(columns))
            rows = cursor.fetchone()
        return {m._meta.label: r for m, r in zip([*models, Activity], rows, strict=True)}
    with connection.cursor() as cursor:
        for m in [*models, Activity]:
            where = "WHERE kind <> 'refused'" if m is Activity else ""
            cursor.execute(
                f"SELECT * FROM {quote(m._meta.db_table)} {where} "
                f"ORDER BY {quote(m._meta.pk.column)}"
            )
            snap[m._meta.label] = cursor.fetchall()
    return snap


def build_world(media_root) -> dict:
    from django.core.files.base import ContentFile

    from conftest import make_inbound
    from socialdesk.actions.inbound import ingest
    from socialdesk.conversations.models import (
        Activity,
        Attachment,
        Conversation,
        Direction,
        Message,
        Reminder,
        Status,
    )
    from socialdesk.ingestion.models import FilterSettings
    from socialdesk.outbox.models import ActionKind, ActionState, OutboundAction
    from socialdesk.people.models import ApiToken, Profile, Role
    from socialdesk.queues.models import Queue, SavedFilter
    from socialdesk.triage.models import TagRule
    from tests.factories import demo_configuration

    demo_configuration()
    from socialdesk.webhooks.models import WebhookSubscription, new_secret

    # The webhook the access table's routes name (test_access._webhook finds it).
    WebhookSubscription.objects.create(
        name="Access",
        url="http://93.184.215.14/hook",
        events=["conversation.closed"],
        signing={"secret": new_secret()},
    )
    User = get_user_model()
    users = {u.username: u for u in User.objects.filter(username__in=ROLES)}
    # The saved filter the access table's routes name (test_access._saved_filter finds it).
    SavedFilter.objects.create(
        user=users["contributor"],
        queue=Queue.objects.get(slug="twitter-conversations-moderated"),
        name="Access",
        params={"tags": ["sync"], "statuses": ["open"]},
    )
    users["other"] = User.objects.create(username="other")
    Profile.objects.create(user=users["other"], role=Role.CONTRIBUTOR)
    now = timezone.now()
    escalation = Queue.objects.get(slug="escalation")
    world = {
        "users": users,
        "conversations": {},
        "siblings": {},
        "later_messages": {},
        "failed": {},
        "approvals": {},
        "attachments": {},
    }

    for n, state in enumerate(STATES):
        mention = "Firefox" if state == "unmoderated" else "FirefoxSupport"
        author = dict(author_id=f"77{n}", handle=f"customer{n}")
        first = make_inbound(f"Firefox crashes on start, case {n}", mention=mention, **author)
        later = make_inbound(
            "Still crashing",
            mention=mention,
            thread_id=first.thread_id,
            in_reply_to=first.platform_id,
            **author,
        )
        sibling = make_inbound(f"Also my bookmarks are gone, case {n}", mention=mention, **author)
        ingest([first])
        ingest([later, sibling])
        main = Conversation.objects.get(messages__platform_id=first.platform_id)
        other = Conversation.objects.get(messages__platform_id=sibling.platform_id)
        assert main.messages.count() == 2 and other.pk != main.pk
        changes = {"retweet_recommended": True}
        if state == "escalated":
            changes["assigned_queue"] = escalation
        elif state == "dealt":
            changes.update(dealt_to=users["other"], lease_expires_at=now + timedelta(days=1))
        elif state == "closed":
            changes.update(status=Status.CLOSED, close_reason="resolved", awaiting_reply=False)
        Conversation.objects.filter(pk__in=[main.pk, other.pk]).update(**changes)
        main.refresh_from_db()
        if state == "escalated":
            # Escalated by a contributor: what a community manager marks useful (RE4).
            Activity.objects.create(
                conversation=main,
                actor=users["contributor"],
                kind="escalated",
                detail={"queue": escalation.name},
            )
        world["conversations"][state] = main
        world["siblings"][state] = Conversation.objects.get(pk=other.pk)
        msg1 = main.messages.get(platform_id=first.platform_id)
        world["later_messages"][state] = main.messages.get(platform_id=later.platform_id).pk
        # A failed like of the first message (the like route likes the later one).
        world["failed"][state] = OutboundAction.objects.create(
            kind=ActionKind.LIKE,
            conversation=main,
            account=main.account,
            target_platform_id=msg1.platform_id,
            state=ActionState.FAILED,
            last_error="refused",
            created_by=users["contributor"],
        ).pk
        # A contributor's reply to the first message, waiting for a moderator; with an image.
        waiting = Message.objects.create(
            conversation=main,
            direction=Direction.OUTBOUND,
            platform=main.platform,
            in_reply_to_platform_id=msg1.platform_id,
            account=main.respond_from,
            sent_by=users["contributor"],
            text="Try safe mode ^CO",
            created_at=now,
        )
        world["approvals"][state] = OutboundAction.objects.create(
            kind=ActionKind.REPLY,
            conversation=main,
            message=waiting,
            account=main.respond_from,
            text=waiting.text,
            target_platform_id=msg1.platform_id,
            state=ActionState.AWAITING_APPROVAL,
            created_by=users["contributor"],
        ).pk
        with override_settings(MEDIA_ROOT=media_root):
            a = Attachment(
                message=waiting, content_type="image/png", size=8, original_name="shot.png"
            )
            a.file.save("shot.png", ContentFile(b"\x89PNG\r\n\x1a\n"), save=True)
        world["attachments"][state] = a.pk

    world["reminders"] = {
        role: Reminder.objects.create(
            conversation=world["conversations"]["moderated"],
            user=users[role],
            due_at=now - timedelta(minutes=1),
        ).pk
        for role in ROLES
        if role != "anonymous"
    }
    world["queue_pk"] = Queue.objects.get(slug="escalation").pk
    from socialdesk.brands.models import BrandAccount

    world["account_pk"] = BrandAccount.objects.get(platform="twitter", handle="FirefoxSupport").pk
    world["mastodon_pk"] = BrandAccount.objects.get(platform="mastodon").pk
    world["tag_rule"] = TagRule.objects.values_list("pk", flat=True).first()
    from socialdesk.conversations.models import UserTag

    world["user_tag"] = UserTag.objects.create(
        author=world["conversations"]["moderated"].author, kind="influencer"
    ).pk
    settings_row = FilterSettings.current()
    settings_row.muted_words = "boycott"
    settings_row.save()
    ingest([make_inbound("join the boycott", author_id="7999", handle="angry")])
    from socialdesk.ingestion.models import FilteredMessage

    world["filtered"] = FilteredMessage.objects.get().pk
    from socialdesk.ingestion.set_aside import keep_message

    world["set_aside"] = keep_message(
        make_inbound("a message the desk could not store", author_id="7998", handle="odd"),
        error="kept for the test",
    ).pk
    world["tokens"] = {
        role: ApiToken.issue(users[role], "access test")[1]
        for role in ROLES
        if role != "anonymous"
    }
    # A signed-in session per role, made once: a case's client carries its key (`sign_in`)
    # instead of signing in again (a session, its list entry and an audit entry each time).
    world["sessions"] = {role: _session_of(users[role]) for role in ROLES if role != "anonymous"}
    return world


def _session_of(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def sign_in(client: Client, world, role: str) -> Client:
    """`client` signed in as `role`, with the world's session of that role: what a case's request
    changes of the session (signing out, a message) is rolled back with the case."""
    client.cookies[settings.SESSION_COOKIE_NAME] = world["sessions"][role]
    return client
