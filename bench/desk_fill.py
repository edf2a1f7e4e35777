"""The desk the benchmarks fill: N conversations spread as a support desk's are after a few
years, written with COPY (PostgreSQL) or batched INSERTs (SQLite). `bench/queues.py` and
`bench/search.py` fill with it (and set up their scratch database with `setup_django`); search
brings its own message texts (`fill(messages=…)`).

Every conversation, message and tag link is drawn from one seeded generator, so a size and a
seed always give the same desk; a `messages` callback draws from its own generator and leaves
the conversations as they would be without it.
"""

import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

# Shares of each value, as a support desk's table looks after a few years: most conversations
# closed, most in English, most Twitter/X.
PLATFORMS = [("twitter", 80), ("google_play", 12), ("mastodon", 8)]
STATUSES = [("closed", 55), ("open", 35), ("held", 10)]
LANGUAGES = [
    ("en", 55),
    ("de", 10),
    ("fr", 8),
    ("es", 8),
    ("pt", 6),
    ("tr", 4),
    ("", 4),
    ("it", 2),
    ("ja", 1),
    ("ru", 1),
    ("nl", 1),
]
TYPES = [
    ("support_request", 45),
    ("", 15),
    ("feedback", 15),
    ("feature_request", 8),
    ("other", 8),
    ("compliment", 7),
    ("app_roundup", 2),
]
SENTIMENTS = [("", 50), ("negative", 20), ("neutral", 20), ("positive", 10)]
PRIORITIES = [(0, 88), (10, 10), (50, 2)]
WORDS = "firefox sync crashed again after the update my bookmarks are gone tabs keep freezing video playback stutters please help".split()


def scratch_arguments(parser, *, reuse_help: str) -> None:
    """The options of a benchmark that fills a scratch database: --seed, --reuse, --force."""
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--reuse", action="store_true", help=reuse_help)
    parser.add_argument(
        "--force",
        action="store_true",
        help="allow a PostgreSQL database whose name does not contain 'bench'",
    )


def setup_django(script: str, args) -> None:
    """Django on the scratch database the benchmark `script` fills, migrated: DATABASE_URL's
    PostgreSQL database (its name must contain *bench* unless --force: its conversations are
    emptied), or a new SQLite database in a temporary folder."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        dbname = url.rsplit("/", 1)[-1].split("?")[0]
        if "bench" not in dbname and not args.force:
            sys.exit(
                f"{script} empties the conversations of database {dbname!r}; use a database named *bench* or pass --force"
            )
    else:
        name = os.path.splitext(os.path.basename(script))[0]
        os.environ["SOCIALDESK_DATA_DIR"] = tempfile.mkdtemp(prefix=f"sd-{name}-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialdesk.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _pick(rng, weighted):
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights=weights, k=1)[0]


def one_customer_message(rng):
    """The default messages of a conversation: one customer message of a few words."""

    def messages(pk, language):
        return [("in", " ".join(rng.choices(WORDS, k=rng.randrange(4, 14))))]

    return messages


def rows(n, *, seed, accounts, authors, tags, escalation, messages=None):
    """The conversations, messages and tag links of a desk with `n` conversations.

    `messages(pk, language)` gives each conversation's messages as (direction, text), oldest
    first; by default one customer message of a few words.
    """
    rng = random.Random(seed)
    now = datetime.now(UTC)
    tag_weights = [1 / (i + 1) for i in range(len(tags))]
    messages_of = messages or one_customer_message(rng)
    conversations, messages, links = [], [], []
    message_id = 0
    for pk in range(1, n + 1):
        platform = _pick(rng, PLATFORMS)
        status = _pick(rng, STATUSES)
        account = rng.choice(accounts[platform])
        when = now - timedelta(seconds=rng.randrange(0, 365 * 86400))
        language = _pick(rng, LANGUAGES)
        rating = rng.choice([1, 1, 2, 3, 4, 5, 5, 5]) if platform == "google_play" else None
        conversations.append(
            (
                pk,
                platform,
                f"bench-{pk}",
                status,
                "waiting_customer" if status == "held" else "",
                "resolved" if status == "closed" else "",
                _pick(rng, SENTIMENTS),
                _pick(rng, TYPES),
                language,
                _pick(rng, PRIORITIES),
                rng.random() < 0.85,
                status == "open" and rng.random() < 0.8,
                when,
                when,
                when,
                rng.choice(authors),
                False,
                False,
                "",
                "",
                "",
                account,
                account,
                escalation if rng.random() < 0.005 else None,
                rating,
            )
        )
        author = conversations[-1][15]
        for k, (direction, text) in enumerate(messages_of(pk, language)):
            message_id += 1
            messages.append(
                (
                    message_id,
                    direction,
                    platform,
                    f"bench-m{k}-{pk}" if k else f"bench-m-{pk}",
                    "",
                    text,
                    language,
                    when,
                    when,
                    "{}",
                    pk,
                    "{}",
                    author if direction == "in" else None,
                )
            )
        if rng.random() < 0.4:
            for tag in set(rng.choices(tags, weights=tag_weights, k=rng.choice([1, 1, 2]))):
                links.append((pk, tag))
    return conversations, messages, links


CONVERSATION_COLUMNS = (
    "id",
    "platform",
    "thread_key",
    "status",
    "hold_reason",
    "close_reason",
    "sentiment",
    "type",
    "language",
    "priority",
    "moderated",
    "awaiting_reply",
    "created_at",
    "last_inbound_at",
    "updated_at",
    "author_id",
    "flagged_for_closing",
    "retweet_recommended",
    "android_version",
    "app_version",
    "device",
    "account_id",
    "respond_from_id",
    "assigned_queue_id",
    "rating",
)
MESSAGE_COLUMNS = (
    "id",
    "direction",
    "platform",
    "platform_id",
    "in_reply_to_platform_id",
    "text",
    "language",
    "created_at",
    "received_at",
    "raw",
    "conversation_id",
    "metadata",
    "author_id",
)


def fill(n, *, seed=11, messages=None, before_messages=None):
    """Empty the conversations and write `n` new ones; returns the seconds it took.

    `messages`: as in `rows`; `before_messages()` runs just before the messages are written
    (search drops its full-text index there, to build it once afterwards).
    """
    from django.db import connection, transaction

    from socialdesk.actions.tagging import refresh_all_tag_slugs
    from socialdesk.brands.models import BrandAccount
    from socialdesk.conversations.models import Author, Conversation, Message, Tag
    from socialdesk.queues.models import Queue

    t0 = time.perf_counter()
    postgres = connection.vendor == "postgresql"
    with transaction.atomic():
        if postgres:
            with connection.cursor() as cur:
                cur.execute(
                    "TRUNCATE conversations_conversation, conversations_activity, conversations_author RESTART IDENTITY CASCADE"
                )
        else:
            Conversation.tags.through.objects.all().delete()
            Message.objects.all().delete()
            Conversation.objects.all().delete()
            Author.objects.filter(external_id__startswith="bench-").delete()
        accounts = {}
        for a in BrandAccount.objects.all():
            accounts.setdefault(a.platform, []).append(a.pk)
        authors = [
            a.pk
            for a in Author.objects.bulk_create(
                Author(
                    platform="twitter",
                    external_id=f"bench-{i}",
                    handle=f"bench_{i}",
                    name=f"Bench {i}",
                    followers=i % 5000,
                )
                for i in range(max(50, min(20_000, n // 20)))
            )
        ]
        tags = list(Tag.objects.order_by("pk").values_list("pk", flat=True))
        escalation = Queue.objects.filter(kind="assignment").values_list("pk", flat=True).first()
        conversations, message_rows, links = rows(
            n,
            seed=seed,
            accounts=accounts,
            authors=authors,
            tags=tags,
            escalation=escalation,
            messages=messages,
        )
        write("conversations_conversation", CONVERSATION_COLUMNS, conversations)
        if before_messages is not None:
            before_messages()
        write("conversations_message", MESSAGE_COLUMNS, message_rows)
        write("conversations_conversation_tags", ("conversation_id", "tag_id"), links)
        refresh_all_tag_slugs()  # the links' copy on the rows, as tagging keeps it
        if postgres:
            with connection.cursor() as cur:
                for table in (
                    "conversations_conversation",
                    "conversations_message",
                    "conversations_conversation_tags",
                ):
                    cur.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"
                    )
    if postgres:
        with connection.cursor() as cur:
            cur.execute(
                "VACUUM ANALYZE conversations_conversation, conversations_message, conversations_conversation_tags"
            )
    else:
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    return time.perf_counter() - t0


def write(table, columns, data):
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            with cur.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in data:
                    copy.write_row(row)
    else:
        marks = ", ".join(["%s"] * len(columns))
        with connection.cursor() as cur:
            for i in range(0, len(data), 5000):
                cur.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                    data[i : i + 5000],
                )
