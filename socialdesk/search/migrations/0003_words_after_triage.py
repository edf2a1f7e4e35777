"""PostgreSQL: the messages' INSERT trigger leaves out the conversations a poll's page opened for
triage after the page (their words are added with their triage: `search.index.later`,
`add_words`). SQLite: nothing."""

from django.db import migrations


def forwards(apps, schema_editor):
    from socialdesk.search import index

    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            index._pg_install(cursor)


class Migration(migrations.Migration):
    dependencies = [("search", "0002_conversation_vectors")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
