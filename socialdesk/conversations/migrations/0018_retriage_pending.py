from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("conversations", "0017_merge_triage_pending"),
    ]

    operations = [
        migrations.AddField(
            model_name="conversation",
            name="retriage_pending",
            field=models.BooleanField(db_default=False, default=False),
        ),
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(
                condition=models.Q(("retriage_pending", True)),
                fields=["id"],
                name="retriage_pending",
            ),
        ),
    ]
