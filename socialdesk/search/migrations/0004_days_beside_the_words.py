"""PostgreSQL: each conversation's row of words also holds the day of its last activity
(`days`, kept by a trigger on the conversations where that day changes), and the GIN index is of
both, so that a common word's newest matches are read a range of days at a time instead of all of
them. Fills the column for the rows already stored and builds the index (a minute or two per
million messages on a small machine). SQLite: nothing."""

from django.db import migrations


def forwards(apps, schema_editor):
    from socialdesk.search import index

    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            index._pg_install(cursor)


class Migration(migrations.Migration):
    dependencies = [("search", "0003_words_after_triage")]

    # Backwards, nothing: the code before reads the words through the same index (a GIN index of
    # several columns is used for any of them) and its triggers leave the days at their default.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
