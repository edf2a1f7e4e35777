"""The full-text indexes behind search, one per database.

PostgreSQL: one row per conversation in `search_conversation_text` (conversation_id, vector),
the words of all its messages and notes, each message's made with the text search configuration
of its language (`socialdesk_regconfig(language)`: `de` → german, `en` → english, …, 'simple' for
a language PostgreSQL does not stem or none detected; notes 'simple'), positions stripped, with a
GIN index on the vector. Triggers on the messages and notes (insert, update, delete, truncate:
every way a message is written — ingestion, replies, merges and splits, the admin — and one
statement at a time, however many rows it wrote) compute the rows of the conversations they
touched again; the conversations' own table is never written. One exception: a poll's page
names the conversations it opened for triage after the page (`later`), the messages' INSERT
trigger passes over them, and their triage task adds their words (`add_words`), so the page
does not work out words that can wait the few seconds until triage. A conversation's words in one
place let the planner choose per query: a rare word through the GIN index (the few matches,
then sorted), a common one by walking the conversations newest first and probing each one's row
until a page is full, or by reading its matches a range of days at a time, newest first: each row
also holds the day of its conversation's last activity (`days`: `last_inbound_at` in UTC days, an
array of one so that GIN's built-in array operator class indexes it beside the words), kept by a
row trigger on the conversations that fires only when that day changes. A query is stemmed
once with each configuration and the variants ORed (`socialdesk_tsquery`), so "Passwörter" finds
a German message saying "Passwort" and "replies" an English one saying "reply", while each
message is matched only in its own language. The table has no foreign key (Django's flush
truncates the conversations without CASCADE); a conversation deleted loses its messages first,
and with them its row.

SQLite: FTS5 tables with external content (`search_message_fts`, `search_note_fts`: the text lives
only in the messages' and notes' tables) kept in sync by triggers on insert, update and delete.
Tokens are Unicode words without diacritics, English words stemmed (Porter).
"""

from contextlib import nullcontext

from django.db import connection

# ISO 639-1 → PostgreSQL text search configuration (those of them the server has).
PG_CONFIGS = {
    "ar": "arabic",
    "hy": "armenian",
    "eu": "basque",
    "ca": "catalan",
    "da": "danish",
    "nl": "dutch",
    "en": "english",
    "fi": "finnish",
    "fr": "french",
    "de": "german",
    "el": "greek",
    "hi": "hindi",
    "hu": "hungarian",
    "id": "indonesian",
    "ga": "irish",
    "it": "italian",
    "lt": "lithuanian",
    "ne": "nepali",
    "no": "norwegian",
    "nb": "norwegian",
    "nn": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "es": "spanish",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}

MESSAGE_VECTOR = "to_tsvector(socialdesk_regconfig(language), text)"
NOTE_VECTOR = "to_tsvector('simple'::regconfig, text)"
CONVERSATION_TEXT = "search_conversation_text"
# The GIN index of the rows: the conversation's day of last activity beside its words.
DAYS_INDEX = "search_conversation_days_vector"
# A conversation's day of last activity (`last_inbound_at`, UTC days since 1970), as the one
# element of an int4 array: GIN's built-in array operator class indexes it beside the words, and a
# range of days is the overlap with the list of its days (`days && '{20420,20421}'`).
DAYS = "ARRAY[socialdesk_day(c.last_inbound_at)]"
# The days of the conversation `conversation_id` names (a scalar subquery; never NULL).
_DAYS_OF = (
    f"coalesce((SELECT {DAYS} FROM conversations_conversation c WHERE c.id = {{}}), '{{{{}}}}')"
)
# A conversation's vector is built from its newest messages and notes, at most this many of each:
# a tsvector holds at most 1 MB, and a conversation of thousands of messages is a flood.
MAX_INDEXED = 1000
# New words are no longer added to a conversation whose vector is this large (bytes).
MAX_BYTES = 500_000

# The vector of each of the conversations `ids` (an int8[]), from its messages and notes.
_VECTORS = f"""
    SELECT ids.id AS conversation_id,
           strip(coalesce(socialdesk_tsv_agg(w.v), ''::tsvector)) AS vector,
           {_DAYS_OF.format("ids.id")} AS days
    FROM unnest($1) AS ids(id)
    LEFT JOIN LATERAL (
        (SELECT {MESSAGE_VECTOR} AS v FROM conversations_message
         WHERE conversation_id = ids.id ORDER BY id DESC LIMIT {MAX_INDEXED})
        UNION ALL
        (SELECT {NOTE_VECTOR} FROM conversations_internalnote
         WHERE conversation_id = ids.id ORDER BY id DESC LIMIT {MAX_INDEXED})
    ) w ON true
    GROUP BY ids.id
"""

SQLITE_TABLES = {
    # fts table: the table whose `text` column it indexes
    "search_message_fts": "conversations_message",
    "search_note_fts": "conversations_internalnote",
}


# Conversations a poll's page opened and left for triage (`later`): their messages' words are
# added by the page's triage task (`add_words`), not by the page's INSERT.
LATER_SETTING = "socialdesk.search_later"
LATER = (
    f"WHERE conversation_id <> ALL(coalesce(nullif(current_setting('{LATER_SETTING}', true), ''), "
    "'{}')::bigint[])"
)

# The words of conversations' messages and notes added to their rows (none is taken away).
_ADD = f"""
    INSERT INTO {CONVERSATION_TEXT} AS t (conversation_id, vector, days)
    SELECT conversation_id, vector, days FROM ({_VECTORS.replace("$1", "%s::bigint[]")}) v
    WHERE length(vector) > 0 ORDER BY conversation_id
    ON CONFLICT (conversation_id) DO UPDATE SET vector = CASE
      WHEN pg_column_size(t.vector) > {MAX_BYTES} THEN t.vector
      ELSE strip(t.vector || EXCLUDED.vector) END, days = EXCLUDED.days
"""


def later(ids) -> None:
    """PostgreSQL: the messages this transaction stores next in the conversations `ids` (which
    it opened, waiting for triage) leave their words to the triage that follows
    (`add_words`), so the page's INSERT does not work them out. Elsewhere, nothing."""
    if connection.vendor == "postgresql" and ids:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config(%s, %s, true)",
                [LATER_SETTING, "{" + ",".join(str(int(i)) for i in ids) + "}"],
            )


def add_words(ids) -> None:
    """PostgreSQL: add the words of these conversations' messages and notes to their rows (the
    triage of conversations a page opened: see `later`). Words are only added, so a message
    another process stores meanwhile keeps its own (its INSERT adds them too). Elsewhere, the
    triggers have done it already."""
    if connection.vendor == "postgresql" and ids:
        with connection.cursor() as cursor:
            cursor.execute(_ADD, [sorted({int(i) for i in ids})])


def _pg_install(cursor) -> None:
    cursor.execute("SELECT cfgname FROM pg_ts_config")
    have = {row[0] for row in cursor.fetchall()}
    configs = {code: cfg for code, cfg in PG_CONFIGS.items() if cfg in have}
    cases = " ".join(f"WHEN '{code}' THEN '{cfg}'::regconfig" for code, cfg in configs.items())
    # "en-GB", "EN", "de_AT": the language part decides.
    cursor.execute(
        f"""
        CREATE OR REPLACE FUNCTION socialdesk_regconfig(lang text) RETURNS regconfig
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
          SELECT CASE split_part(replace(lower(coalesce(lang, '')), '_', '-'), '-', 1)
            {cases} ELSE 'simple'::regconfig END
        $$
        """
    )
    variants = ", ".join(
        f"websearch_to_tsquery('{cfg}'::regconfig, q)"
        for cfg in ["simple", *sorted(set(configs.values()))]
    )
    # The variants ORed, each once: most languages stem most words alike, and a query of 29
    # copies would cost 29 index probes and make the planner think it matches 29 times as much.
    # Empty variants (only stop words in that language) are left out; none left: NULL, no match.
    cursor.execute(
        f"""
        CREATE OR REPLACE FUNCTION socialdesk_tsquery(q text) RETURNS tsquery
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
          SELECT string_agg(DISTINCT '(' || v::text || ')', ' | ')::tsquery
          FROM unnest(ARRAY[{variants}]) AS v WHERE numnode(v) > 0
        $$
        """
    )
    # The per-message indexes of the first version: the conversations' vectors replace them.
    cursor.execute("DROP INDEX IF EXISTS search_message_tsv")
    cursor.execute("DROP INDEX IF EXISTS search_note_tsv")
    cursor.execute(
        "CREATE OR REPLACE AGGREGATE socialdesk_tsv_agg(tsvector) "
        "(SFUNC = tsvector_concat, STYPE = tsvector)"
    )
    cursor.execute(
        """
        CREATE OR REPLACE FUNCTION socialdesk_day(at timestamptz) RETURNS int
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
          SELECT floor(extract(epoch FROM at) / 86400)::int
        $$
        """
    )
    cursor.execute(
        f"CREATE TABLE IF NOT EXISTS {CONVERSATION_TEXT} "
        "(conversation_id bigint PRIMARY KEY, vector tsvector NOT NULL, "
        "days int4[] NOT NULL DEFAULT '{}')"
    )
    _pg_add_days(cursor)
    # Computing a conversation's vector again (an edit, a deletion, a merge or a split).
    cursor.execute(
        f"""
        CREATE OR REPLACE FUNCTION socialdesk_search_refresh(ids bigint[]) RETURNS void
        LANGUAGE sql VOLATILE AS $$
          INSERT INTO {CONVERSATION_TEXT} AS t (conversation_id, vector, days)
          SELECT conversation_id, vector, days FROM ({_VECTORS}) v ORDER BY conversation_id
          ON CONFLICT (conversation_id) DO UPDATE
            SET vector = EXCLUDED.vector, days = EXCLUDED.days;
          DELETE FROM {CONVERSATION_TEXT} WHERE conversation_id = ANY($1) AND length(vector) = 0;
        $$
        """
    )
    # Statement-level triggers: one statement of their own for the conversations a statement
    # touched. New messages and notes add their words to what is there (ON CONFLICT sees the
    # row as the last committed writer left it: two pollers adding to one conversation both
    # count); an UPDATE recomputes where the text, the language or the conversation changed, a
    # DELETE where something went.
    for table, vector in (
        ("conversations_message", MESSAGE_VECTOR),
        ("conversations_internalnote", NOTE_VECTOR),
    ):
        lang = (
            ", n.language, n.conversation_id"
            if vector == MESSAGE_VECTOR
            else ", n.conversation_id"
        )
        olang = (
            ", o.language, o.conversation_id"
            if vector == MESSAGE_VECTOR
            else ", o.conversation_id"
        )
        bodies = {
            "INSERT": (
                "NEW TABLE AS new_rows",
                f"""
                INSERT INTO {CONVERSATION_TEXT} AS t (conversation_id, vector, days)
                SELECT conversation_id, strip(socialdesk_tsv_agg({vector})),
                       {_DAYS_OF.format("new_rows.conversation_id")}
                FROM new_rows
                {LATER if vector == MESSAGE_VECTOR else ""}
                GROUP BY conversation_id HAVING length(strip(socialdesk_tsv_agg({vector}))) > 0
                ORDER BY conversation_id
                ON CONFLICT (conversation_id) DO UPDATE SET vector = CASE
                  WHEN pg_column_size(t.vector) > {MAX_BYTES} THEN t.vector
                  ELSE strip(t.vector || EXCLUDED.vector) END, days = EXCLUDED.days;
                """,
            ),
            "DELETE": (
                "OLD TABLE AS old_rows",
                "PERFORM socialdesk_search_refresh(ARRAY(SELECT DISTINCT conversation_id "
                "FROM old_rows ORDER BY 1));",
            ),
            "UPDATE": (
                "OLD TABLE AS old_rows NEW TABLE AS new_rows",
                "PERFORM socialdesk_search_refresh(ARRAY(SELECT DISTINCT x.c FROM new_rows n "
                "JOIN old_rows o ON o.id = n.id, "
                "LATERAL (VALUES (n.conversation_id), (o.conversation_id)) AS x(c) "
                f"WHERE (n.text{lang}) IS DISTINCT FROM (o.text{olang}) ORDER BY 1));",
            ),
        }
        for event, (referencing, body) in bodies.items():
            name = f"socialdesk_search_{table.split('_', 1)[1]}_{event.lower()}"
            cursor.execute(
                f"""
                CREATE OR REPLACE FUNCTION {name}() RETURNS trigger
                LANGUAGE plpgsql AS $$
                BEGIN
                  {body}
                  RETURN NULL;
                END $$
                """
            )
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            cursor.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {referencing} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
            )
    cursor.execute(
        f"""
        CREATE OR REPLACE FUNCTION socialdesk_search_truncate() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_TABLE_NAME = 'conversations_message' THEN
            TRUNCATE {CONVERSATION_TEXT};
          END IF;
          RETURN NULL;
        END $$
        """
    )
    cursor.execute(
        "DROP TRIGGER IF EXISTS socialdesk_search_message_truncate ON conversations_message"
    )
    cursor.execute(
        "CREATE TRIGGER socialdesk_search_message_truncate AFTER TRUNCATE ON conversations_message "
        "FOR EACH STATEMENT EXECUTE FUNCTION socialdesk_search_truncate()"
    )
    # A conversation's day of last activity follows it: a row trigger, only where the day changes
    # (a customer writing again on another day; a merge), not on every write of the row.
    cursor.execute(
        f"""
        CREATE OR REPLACE FUNCTION socialdesk_search_day() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          UPDATE {CONVERSATION_TEXT} SET days = ARRAY[socialdesk_day(NEW.last_inbound_at)]
          WHERE conversation_id = NEW.id;
          RETURN NULL;
        END $$
        """
    )
    cursor.execute("DROP TRIGGER IF EXISTS socialdesk_search_day ON conversations_conversation")
    cursor.execute(
        "CREATE TRIGGER socialdesk_search_day AFTER UPDATE OF last_inbound_at "
        "ON conversations_conversation FOR EACH ROW WHEN "
        "(socialdesk_day(OLD.last_inbound_at) IS DISTINCT FROM socialdesk_day(NEW.last_inbound_at)) "
        "EXECUTE FUNCTION socialdesk_search_day()"
    )
    # `@handle` (iexact compares UPPER(handle)).
    cursor.execute(
        "CREATE INDEX IF NOT EXISTS search_author_handle ON conversations_author "
        "(UPPER(handle::text))"
    )


def _pg_add_days(cursor) -> None:
    """The days beside the words: the column (filled from the conversations, on a table made
    before it) and the GIN index of both, which replaces the index of the words alone."""
    cursor.execute(
        "SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = 'days'",
        [CONVERSATION_TEXT],
    )
    if cursor.fetchone() is None:
        cursor.execute(
            f"ALTER TABLE {CONVERSATION_TEXT} ADD COLUMN days int4[] NOT NULL DEFAULT '{{}}'"
        )
        cursor.execute(
            f"UPDATE {CONVERSATION_TEXT} t SET days = {DAYS} FROM conversations_conversation c "
            "WHERE c.id = t.conversation_id"
        )
    cursor.execute(
        f"CREATE INDEX IF NOT EXISTS {DAYS_INDEX} ON {CONVERSATION_TEXT} USING gin (days, vector)"
    )
    cursor.execute("DROP INDEX IF EXISTS search_conversation_vector")


def rebuild(cursor=None) -> None:
    """Compute every conversation's row again (after a bulk load with the triggers off)."""
    with nullcontext(cursor) if cursor else connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {CONVERSATION_TEXT}")
        cursor.execute(
            f"""
            INSERT INTO {CONVERSATION_TEXT} (conversation_id, vector, days)
            SELECT w.conversation_id, strip(socialdesk_tsv_agg(v)), {DAYS} FROM (
              SELECT conversation_id, {MESSAGE_VECTOR} AS v FROM conversations_message
              UNION ALL
              SELECT conversation_id, {NOTE_VECTOR} FROM conversations_internalnote
            ) w JOIN conversations_conversation c ON c.id = w.conversation_id
            GROUP BY w.conversation_id, c.last_inbound_at
            HAVING length(strip(socialdesk_tsv_agg(v))) > 0
            """
        )
        cursor.execute(f"ANALYZE {CONVERSATION_TEXT}")


def _pg_triggers(cursor) -> list[tuple[str, str]]:
    cursor.execute(
        "SELECT tgname, tgrelid::regclass::text FROM pg_trigger "
        "WHERE tgname LIKE 'socialdesk_search_%%' AND NOT tgisinternal"
    )
    return cursor.fetchall()


def _pg_drop_conversation_text(cursor) -> None:
    for name, table in _pg_triggers(cursor):
        cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    cursor.execute(f"DROP TABLE IF EXISTS {CONVERSATION_TEXT}")
    cursor.execute(
        "SELECT proname FROM pg_proc WHERE proname LIKE 'socialdesk_search_%%' AND pronargs = 0"
    )
    for (name,) in cursor.fetchall():
        cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")
    cursor.execute("DROP FUNCTION IF EXISTS socialdesk_search_refresh(bigint[])")
    cursor.execute("DROP FUNCTION IF EXISTS socialdesk_day(timestamptz)")
    cursor.execute("DROP AGGREGATE IF EXISTS socialdesk_tsv_agg(tsvector)")


def _pg_uninstall(cursor) -> None:
    _pg_drop_conversation_text(cursor)
    for index in ("search_message_tsv", "search_note_tsv", "search_author_handle"):
        cursor.execute(f"DROP INDEX IF EXISTS {index}")
    cursor.execute("DROP FUNCTION IF EXISTS socialdesk_tsquery(text)")
    cursor.execute("DROP FUNCTION IF EXISTS socialdesk_regconfig(text)")


def _sqlite_triggers(fts: str, table: str) -> list[str]:
    delete = f"INSERT INTO {fts}({fts}, rowid, text) VALUES ('delete', old.id, old.text);"
    insert = f"INSERT INTO {fts}(rowid, text) VALUES (new.id, new.text);"
    return [
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {table} BEGIN {insert} END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {table} BEGIN {delete} END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE OF text ON {table} "
        f"BEGIN {delete} {insert} END",
    ]


def _sqlite_missing(cursor) -> bool:
    cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
    names = {row[0] for row in cursor.fetchall()}
    wanted = {n for fts in SQLITE_TABLES for n in (fts, f"{fts}_ai", f"{fts}_ad", f"{fts}_au")}
    return not wanted <= names


def _sqlite_install(cursor) -> None:
    for fts, table in SQLITE_TABLES.items():
        cursor.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5(text, content='{table}', "
            "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')"
        )
        for statement in _sqlite_triggers(fts, table):
            cursor.execute(statement)
        # Whatever was written while a trigger was missing is indexed again.
        cursor.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")


def _sqlite_uninstall(cursor) -> None:
    for fts in SQLITE_TABLES:
        for suffix in ("ai", "ad", "au"):
            cursor.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
        cursor.execute(f"DROP TABLE IF EXISTS {fts}")


def install(schema_editor=None) -> None:
    conn = schema_editor.connection if schema_editor else connection
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            _pg_install(cursor)
        elif conn.vendor == "sqlite":
            _sqlite_install(cursor)


def uninstall(schema_editor=None) -> None:
    conn = schema_editor.connection if schema_editor else connection
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            _pg_uninstall(cursor)
        elif conn.vendor == "sqlite":
            _sqlite_uninstall(cursor)


def ensure_after_migrate(using="default", **kwargs) -> None:
    """Put the SQLite triggers back if a migration rebuilt a table (and with it dropped them);
    install everything where the tables were made without migrations (a test run may do that)."""
    from django.db import connections

    conn = connections[using]
    with conn.cursor() as cursor:
        if conn.vendor == "sqlite" and _sqlite_missing(cursor):
            _sqlite_install(cursor)
        elif conn.vendor == "postgresql":
            cursor.execute("SELECT to_regclass(%s)", [CONVERSATION_TEXT])
            if cursor.fetchone()[0] is None:
                _pg_install(cursor)
                rebuild(cursor)
