"""The full-text indexes behind search, one per database.

PostgreSQL: a GIN index over each message's tsvector, made with the text search configuration of
the message's language (`socialdesk_regconfig(language)`: `de` → german, `en` → english, …,
'simple' for a language PostgreSQL does not stem or none detected), and one over the notes
('simple': they have no language). Nothing is stored beside the rows: the index is on the
expression, so every way a message is written (ingestion, replies, merges, the admin) keeps it
current. A query is stemmed once with each configuration and the variants ORed
(`socialdesk_tsquery`), so "Passwörter" finds a German message saying "Passwort" and "replies"
an English one saying "reply", while each message is matched only in its own language.

SQLite: FTS5 tables with external content (`search_message_fts`, `search_note_fts`: the text lives
only in the messages' and notes' tables) kept in sync by triggers on insert, update and delete.
Tokens are Unicode words without diacritics, English words stemmed (Porter).
"""

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

SQLITE_TABLES = {
    # fts table: the table whose `text` column it indexes
    "search_message_fts": "conversations_message",
    "search_note_fts": "conversations_internalnote",
}


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
    cursor.execute(
        f"CREATE INDEX IF NOT EXISTS search_message_tsv ON conversations_message "
        f"USING gin ({MESSAGE_VECTOR})"
    )
    cursor.execute(
        f"CREATE INDEX IF NOT EXISTS search_note_tsv ON conversations_internalnote "
        f"USING gin ({NOTE_VECTOR})"
    )
    # `@handle` (iexact compares UPPER(handle)).
    cursor.execute(
        "CREATE INDEX IF NOT EXISTS search_author_handle ON conversations_author "
        "(UPPER(handle::text))"
    )


def _pg_uninstall(cursor) -> None:
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
            cursor.execute("SELECT 1 FROM pg_proc WHERE proname = 'socialdesk_tsquery'")
            if cursor.fetchone() is None:
                _pg_install(cursor)
