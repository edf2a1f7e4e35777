"""The four roles as Django groups with permissions (PE3), so that an admin sees and audits in the
Django admin who may do what. The seed's rights:

- **Contributors** answer the moderated queues and Escalation: reply, hold, close, like, notes,
  reminders, tags, user tags, sentiment, escalate, merge, Play Mode; they see the team's
  clippings, tags, queues and knowledge base. They may not retweet ("escalate any retweet
  recommendations to a community manager").
- **Moderators** also approve what waits for moderation, decide other agents' replies that wait
  for approval and assign conversations to others.
- **Community managers** also retweet (where an account allows it), take a conversation over,
  and keep the desk's settings: clippings, tags, user tags, tag rules, paid products,
  controversial topics, KB articles, queues, the accounts' engagement policy and respond-from
  table, ingestion filters; they review applications, move people between contributor and
  moderator and read the audit log.
- **Admins** have every permission and the Django admin (they are staff).

The server's checks keep reading the role (`has_role`, `actions.policy.ACTION_ROLES`, which is
this module's table); the groups mirror it: `sync_groups` builds them (a data migration, and after
every migrate so a new model's permissions reach the admins), `sync_user` puts a person in the
group of their role (on every save of a profile and when a role is given)."""

from django.apps import apps as django_apps
from django.contrib.auth.models import Group

from .models import ROLE_RANK, Profile, Role

# The lowest role allowed each action of the action layer (`actions.policy` enforces it). Each
# action is also a permission `people.<action>` held by the groups of that role and above.
ACTION_ROLES = {
    "reply": Role.CONTRIBUTOR,
    "hold": Role.CONTRIBUTOR,
    "close": Role.CONTRIBUTOR,
    "like": Role.CONTRIBUTOR,
    "note": Role.CONTRIBUTOR,
    "play": Role.CONTRIBUTOR,
    "sentiment": Role.CONTRIBUTOR,
    "tag": Role.CONTRIBUTOR,
    "user_tag": Role.CONTRIBUTOR,
    "reminder": Role.CONTRIBUTOR,
    "assign": Role.CONTRIBUTOR,
    "escalate": Role.CONTRIBUTOR,
    "assign_others": Role.MODERATOR,
    "merge": Role.CONTRIBUTOR,
    "bulk": Role.CONTRIBUTOR,
    "approve": Role.MODERATOR,
    "moderate": Role.MODERATOR,
    "retweet": Role.COMMUNITY_MANAGER,
    "dm": Role.CONTRIBUTOR,
    "take_over": Role.COMMUNITY_MANAGER,
}

# The desk's permissions that are not a model's (declared on Profile's Meta): codename → label.
PERMISSIONS = dict(Profile._meta.permissions)
# Those that are no action of the action layer, with the lowest role that holds them.
OTHER_ROLES = {
    "manage_settings": Role.COMMUNITY_MANAGER,
    "manage_team": Role.COMMUNITY_MANAGER,
    "see_reports_of_all": Role.COMMUNITY_MANAGER,
}

# The groups' names, as the Django admin shows them.
GROUPS = {
    Role.CONTRIBUTOR: "Contributors",
    Role.MODERATOR: "Moderators",
    Role.COMMUNITY_MANAGER: "Community managers",
    Role.ADMIN: "Admins",
}

# Model permissions ("app.model": actions) each role adds to those of the roles below it.
_MODEL_RIGHTS = {
    Role.CONTRIBUTOR: {
        "conversations.conversation": ("view",),
        "conversations.message": ("view",),
        "conversations.author": ("view",),
        "conversations.tag": ("view",),
        "conversations.usertag": ("view", "add", "delete"),
        "conversations.internalnote": ("view", "add"),
        "conversations.reminder": ("view", "add", "change", "delete"),
        "clippings.clipping": ("view",),
        "triage.kbarticle": ("view",),
        "queues.queue": ("view",),
        "queues.savedfilter": ("view", "add", "change", "delete"),
        "people.signature": ("view", "add", "change", "delete"),
    },
    Role.MODERATOR: {
        "outbox.outboundaction": ("view",),
    },
    Role.COMMUNITY_MANAGER: {
        "clippings.clipping": ("add", "change", "delete"),
        "conversations.tag": ("add", "change", "delete"),
        "triage.tagrule": ("view", "add", "change", "delete"),
        "triage.kbarticle": ("add", "change", "delete"),
        "triage.watchterm": ("view", "add", "change", "delete"),
        "queues.queue": ("add", "change", "delete"),
        "brands.brandaccount": ("view", "change"),
        "brands.routingrule": ("view", "add", "change", "delete"),
        "ingestion.filtersettings": ("view", "change"),
        "ingestion.setasidemessage": ("view", "change"),
        "people.application": ("view", "change"),
        "people.auditentry": ("view",),
        "people.profile": ("view", "change"),
    },
}


def codenames_of(role: str) -> set[tuple[str, str]]:
    """The (app label, codename) pairs the group of `role` holds; the admins' is every one."""
    rank = ROLE_RANK[Role(role)]
    held = {("people", code) for code, needed in ACTION_ROLES.items() if ROLE_RANK[needed] <= rank}
    held |= {("people", code) for code, needed in OTHER_ROLES.items() if ROLE_RANK[needed] <= rank}
    for lower, rights in _MODEL_RIGHTS.items():
        if ROLE_RANK[lower] <= rank:
            for model, verbs in rights.items():
                app, name = model.split(".")
                held |= {(app, f"{verb}_{name}") for verb in verbs}
    return held


def sync_groups(apps) -> None:
    """Create or correct the four groups and their permissions. `apps`: a migration's historical
    apps, or django.apps.apps. Permissions that do not exist yet are created (a data migration
    runs before Django's post_migrate creates them). The content types and permissions are read
    in one statement each: this runs after every migrate, and after every flush of the test
    database (a test that commits)."""
    Groups = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")

    labels = PERMISSIONS
    content_types = {(t.app_label, t.model): t for t in ContentType.objects.all()}
    permissions = {(p.content_type_id, p.codename): p for p in Permission.objects.all()}

    def permission(app: str, codename: str):
        if app == "people" and codename in labels:
            model, label = "profile", labels[codename]
        else:
            verb, model = codename.split("_", 1)
            label = None
        content_type = content_types.get((app, model))
        if content_type is None:
            content_type = content_types[(app, model)] = ContentType.objects.get_or_create(
                app_label=app, model=model
            )[0]
        found = permissions.get((content_type.pk, codename))
        if found is None:
            if label is None:
                try:
                    label = f"Can {verb} {apps.get_model(app, model)._meta.verbose_name}"
                except LookupError:
                    label = f"Can {verb} {model}"
            found = permissions[(content_type.pk, codename)] = Permission.objects.get_or_create(
                content_type=content_type, codename=codename, defaults={"name": label[:255]}
            )[0]
        return found

    for role, name in GROUPS.items():
        group = Groups.objects.get_or_create(name=name)[0]
        if role == Role.ADMIN:
            for app, codename in codenames_of(Role.COMMUNITY_MANAGER):
                permission(app, codename)
            group.permissions.set(Permission.objects.all())
        else:
            group.permissions.set([permission(app, code) for app, code in codenames_of(role)])


def sync_user(user, role: str | None) -> None:
    """Put `user` in the group of `role` and in no other role's group (other groups stay)."""
    groups = {g.name: g for g in Group.objects.filter(name__in=GROUPS.values())}
    if len(groups) < len(GROUPS):
        sync_groups(django_apps)
        groups = {g.name: g for g in Group.objects.filter(name__in=GROUPS.values())}
    wanted = GROUPS.get(role) if role else None
    user.groups.remove(*(g for name, g in groups.items() if name != wanted))
    if wanted:
        user.groups.add(groups[wanted])


def sync_after_migrate(sender, **kwargs) -> None:
    """post_migrate: once the last app's permissions exist, the groups get them (the admins' all)."""
    with_models = [c for c in django_apps.get_app_configs() if c.models_module is not None]
    if with_models and sender is with_models[-1]:
        sync_groups(django_apps)
