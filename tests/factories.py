"""Small factories for tests that need a few rows, and the demo configuration loaded fast.

The demo configuration (`socialdesk.demo.seed`) is about 430 queries; most tests that ask for it
need it as it is, and loading it for each of them was a large share of the suite's time. The
first load in a test process is the real one; its rows are kept in memory and written again for
the following tests with one `INSERT` per table (`demo_configuration`). Tests that need three
rows build them with the factories below instead (an account, a queue, an author, a conversation
with its first message, an agent of a role).
"""

import itertools
import re
from contextlib import contextmanager
from dataclasses import replace

from django.apps import apps
from django.db import connection, transaction

_WRITE = re.compile(r'^\s*INSERT INTO\s+"?([\w]+)"?', re.IGNORECASE)
_loaded: dict[str, list] = {}  # database vendor → [(model, rows)], in the order they were written


def _tables_empty(models) -> bool:
    quote = connection.ops.quote_name
    sql = " OR ".join(f"EXISTS (SELECT 1 FROM {quote(m._meta.db_table)})" for m in models)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql}")
        return not cursor.fetchone()[0]


def _all_models():
    """Every table a test could have written to (the content types and permissions that
    migrate writes aside)."""
    return [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed
        and not m._meta.proxy
        and m._meta.label not in {"contenttypes.ContentType", "auth.Permission"}
    ]


@transaction.atomic
def demo_configuration() -> None:
    """`load_demo_configuration()`, written again from memory after the first time: into tables
    that are empty, the same rows (same keys) as the real load wrote."""
    from django.test.utils import CaptureQueriesContext

    from socialdesk.demo.seed import load_demo_configuration

    cached = _loaded.get(connection.vendor)
    if cached is not None and _tables_empty([m for m, _ in cached]):
        for model, rows in cached:
            model._base_manager.bulk_create([model(**row) for row in rows])
        _reset_sequences([m for m, _ in cached])
        return
    if cached is not None or not _tables_empty(_all_models()):
        load_demo_configuration()  # the tables hold other rows: load it the ordinary way
        return
    with CaptureQueriesContext(connection) as queries:
        load_demo_configuration()
    by_table = {m._meta.db_table: m for m in apps.get_models(include_auto_created=True)}
    written = [_WRITE.match(q["sql"]) for q in queries.captured_queries]
    tables = dict.fromkeys(m.group(1) for m in written if m)  # first write's order: parents first
    _loaded[connection.vendor] = [
        (model, list(model._base_manager.order_by("pk").values(*_columns(model))))
        for model in (by_table[t] for t in tables if t in by_table)
    ]


def _columns(model) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


def _reset_sequences(models) -> None:
    """PostgreSQL: the rows came with their keys, so the next key is set past them."""
    from django.core.management.color import no_style

    statements = connection.ops.sequence_reset_sql(no_style(), models)
    if statements:
        with connection.cursor() as cursor:
            cursor.execute("\n".join(statements))


# Factories: each makes the fewest rows that are still a real, consistent desk.

_n = itertools.count(1)


def agent(role: str = "contributor", *, username: str | None = None, **fields):
    """A user with a profile of `role` (contributor, moderator, cm, admin) and a default
    signature; the password is their username (hashed with the tests' fast hasher)."""
    from django.contrib.auth import get_user_model

    from socialdesk.people.models import Profile, Signature

    username = username or f"{role}{next(_n)}"
    user = get_user_model().objects.create_user(
        username=username,
        password=username,
        email=f"{username}@example.org",
        is_staff=role == "admin",
        is_superuser=role == "admin",
        **fields,
    )
    Profile.objects.update_or_create(user=user, defaults={"role": role})
    Signature.objects.create(user=user, is_default=True, text=f"^{username[:2].upper()}")
    return user


def account(handle: str = "FirefoxSupport", *, platform: str = "twitter", **fields):
    """A connected brand account that may reply and like (the simulators' token)."""
    from socialdesk.brands.models import BrandAccount

    defaults = dict(
        external_id=str(2_000_000 + next(_n)),
        kind="support",
        locale="en",
        supported_languages=["en"],
        display_name=handle,
        credentials={"access_token": f"sim-token-{handle.lower()}"},
        can_reply=True,
        can_like=True,
        requires_moderation=False,
    )
    defaults.update(fields)
    return BrandAccount.objects.create(platform=platform, handle=handle, **defaults)


_new_account = account


def queue(name: str = "Twitter conversations", *, rules=None, visible_to="contributor", **fields):
    """A queue of saved rules (all Twitter conversations unless `rules` says otherwise)."""
    from django.utils.text import slugify

    from socialdesk.queues.models import Queue

    return Queue.objects.create(
        name=name,
        slug=slugify(name),
        kind=fields.pop("kind", "rules"),
        rules={"platforms": ["twitter"]} if rules is None else rules,
        visible_to=visible_to,
        position=fields.pop("position", next(_n)),
        **fields,
    )


def author(handle: str | None = None, *, platform: str = "twitter", **fields):
    from socialdesk.conversations.models import Author

    n = next(_n)
    handle = handle or f"customer{n}"
    return Author.objects.create(
        platform=platform, external_id=f"9{n}", handle=handle, name=handle.title(), **fields
    )


@contextmanager
def rolled_back():
    """A transaction for rows a whole module shares (a module-scoped fixture builds them once),
    rolled back when the module is done; each test runs in a savepoint of it (the `db` fixture).
    Actions that open their transaction with `durable=True` run inside it as they run inside a
    test's own transaction."""
    atomic = transaction.atomic()
    atomic._from_testcase = True  # as Django's TestCase marks the transactions it opens
    with atomic:
        yield
        transaction.set_rollback(True)


def conversation(account=None, text: str = "Firefox lost my bookmarks after the update", **more):
    """A customer's conversation with its first message, opened the way every conversation is
    (`actions.inbound.ingest`: author, routing, triage, the log) on `account` (a new
    @FirefoxSupport without one); `more` goes to `conftest.make_inbound` (handle, followers...)."""
    from conftest import make_inbound
    from socialdesk.actions.inbound import ingest
    from socialdesk.conversations.models import Message

    account = account or _new_account()
    msg = replace(
        make_inbound(text, mention=None, **more),
        platform=account.platform,
        text=f"@{account.handle} {text}",
        mentioned_account_ids=(account.external_id,),
    )
    result = ingest([msg])
    assert result.stored == 1, result
    return Message.objects.get(platform=msg.platform, platform_id=msg.platform_id).conversation
