from django.db import migrations


def install(apps, schema_editor):
    from socialdesk.search import index

    index.install(schema_editor)


def uninstall(apps, schema_editor):
    from socialdesk.search import index

    index.uninstall(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("conversations", "0011_merge_dealing_queue_pages_reports")]

    operations = [migrations.RunPython(install, uninstall)]
