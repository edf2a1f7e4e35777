from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0012_merge_language_and_role_groups"),
    ]

    operations = [
        migrations.AddField(
            model_name="application",
            name="language",
            field=models.CharField(blank=True, db_default="", default="", max_length=10),
        ),
    ]
