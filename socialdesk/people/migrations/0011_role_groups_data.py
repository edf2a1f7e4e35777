"""The four roles as Django groups with their permissions, and everyone in the group of their role
(people.roles: the seed's rights). Kept in step afterwards by people.roles.sync_user and, after
every migrate, sync_groups."""

from django.db import migrations


def create_groups(apps, schema_editor):
    from socialdesk.people.roles import GROUPS, sync_groups

    sync_groups(apps)
    Group = apps.get_model("auth", "Group")
    Profile = apps.get_model("people", "Profile")
    groups = {g.name: g for g in Group.objects.filter(name__in=GROUPS.values())}
    for profile in Profile.objects.select_related("user"):
        name = GROUPS.get(profile.role)
        if name:
            profile.user.groups.add(groups[name])


def remove_groups(apps, schema_editor):
    from socialdesk.people.roles import GROUPS

    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS.values()).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0010_role_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("conversations", "0014_merge_20261201_1927"),
        ("clippings", "0001_initial"),
        ("triage", "0002_regex_runs_on_re2"),
        ("queues", "0002_saved_filters"),
        ("brands", "0004_account_connections"),
        ("ingestion", "0006_set_aside_retry_at"),
        ("outbox", "0005_send_budget_per_account"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
