"""PostgreSQL: search one row per conversation (its messages' and notes' words, kept by triggers)
instead of one index entry per message, so that a common word's newest matches are found without
reading all of them. Builds the rows of the conversations already stored (on a large database
this takes a while: about a minute per million messages on a small machine). SQLite: nothing."""

from django.db import migrations


def forwards(apps, schema_editor):
    from socialdesk.search import index

    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            index._pg_install(cursor)
            index.rebuild(cursor)


def backwards(apps, schema_editor):
    from socialdesk.search import index

    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            index._pg_drop_conversation_text(cursor)
            cursor.execute(
                f"CREATE INDEX search_message_tsv ON conversations_message "
                f"USING gin ({index.MESSAGE_VECTOR})"
            )
            cursor.execute(
                f"CREATE INDEX search_note_tsv ON conversations_internalnote "
                f"USING gin ({index.NOTE_VECTOR})"
            )


class Migration(migrations.Migration):
    dependencies = [("search", "0001_full_text_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
