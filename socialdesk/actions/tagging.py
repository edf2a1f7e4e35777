"""The tags of a conversation, mirrored on its row.

A conversation's tags are rows of the `conversation_tags` link table (the source of truth); a
copy of their slugs is kept on the conversation (`Conversation.tag_slugs`) so that a tag filter
is a condition on the row, answered from an index, instead of an EXISTS over the links that
grows with the table (queue lists, the left panel's counts and Play's deal all narrow by it).

One function keeps it, `refresh_tag_slugs`, which recomputes the copy from the links, so it
cannot drift whichever way they changed:
* links written through the relation (`conversation.tags.add/remove/clear/set`, the action
  layer's tag, untag and merge, the admin's form) call it through `m2m_changed` below;
* links written in bulk (`Conversation.tags.through.objects.bulk_create`, as ingestion and
  triage store a page) bypass that signal: the code that writes them calls it, in the same
  transaction, with the conversations it touched;
* renaming a tag's slug or deleting a tag (the admin) refreshes the conversations carrying it.
"""

from collections.abc import Iterable

from django.db import connection
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver

from socialdesk.conversations.models import Conversation, Tag

# Conversations refreshed per statement: bounded so a large refresh stays a few statements.
_BATCH = 5_000


def _sql(where: str = "id IN (%s)") -> str:
    ops = connection.ops
    table = ops.quote_name(Conversation._meta.db_table)
    links = ops.quote_name(Conversation.tags.through._meta.db_table)
    tags = ops.quote_name(Tag._meta.db_table)
    if connection.vendor == "postgresql":
        slugs = (
            f"ARRAY(SELECT t.slug FROM {links} l JOIN {tags} t ON t.id = l.tag_id "
            f"WHERE l.conversation_id = {table}.id ORDER BY t.slug)"
        )
    else:
        slugs = (
            f"(SELECT COALESCE(json_group_array(slug), '[]') FROM (SELECT t.slug AS slug "
            f"FROM {links} l JOIN {tags} t ON t.id = l.tag_id "
            f"WHERE l.conversation_id = {table}.id ORDER BY t.slug))"
        )
    return f"UPDATE {table} SET tag_slugs = {slugs} WHERE {where}"


def refresh_tag_slugs(conversations: Iterable) -> None:
    """Recompute `tag_slugs` of these conversations (instances or ids) from their tag links.

    Instances passed in get the new value too, so a caller that saves them afterwards does not
    write the old one back."""
    instances = {}
    ids = set()
    for c in conversations:
        pk = c if isinstance(c, int) else c.pk
        if pk is None:
            continue
        ids.add(pk)
        if not isinstance(c, int):
            instances.setdefault(pk, []).append(c)
    if not ids:
        return
    ordered = sorted(ids)
    sql = _sql()
    with connection.cursor() as cursor:
        for start in range(0, len(ordered), _BATCH):
            batch = ordered[start : start + _BATCH]
            cursor.execute(sql % ", ".join(["%s"] * len(batch)), batch)
    if instances:
        fresh = dict(
            Conversation.objects.filter(pk__in=list(instances)).values_list("pk", "tag_slugs")
        )
        for pk, objs in instances.items():
            for obj in objs:
                obj.tag_slugs = fresh.get(pk, [])


def refresh_all_tag_slugs() -> None:
    """Every conversation (a bench fill that wrote links directly): on PostgreSQL one grouped
    pass over the links joined to the rows, rather than a subquery per row."""
    ops = connection.ops
    table = ops.quote_name(Conversation._meta.db_table)
    links = ops.quote_name(Conversation.tags.through._meta.db_table)
    tags = ops.quote_name(Tag._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(
                _sql(f"id IN (SELECT conversation_id FROM {links}) OR tag_slugs <> '[]'")
            )
            return
        cursor.execute(
            f"UPDATE {table} SET tag_slugs = '{{}}' WHERE tag_slugs <> '{{}}' "
            f"AND id NOT IN (SELECT conversation_id FROM {links})"
        )
        cursor.execute(
            f"UPDATE {table} c SET tag_slugs = agg.slugs FROM (SELECT l.conversation_id, "
            f"array_agg(t.slug::text ORDER BY t.slug) AS slugs FROM {links} l "
            f"JOIN {tags} t ON t.id = l.tag_id GROUP BY l.conversation_id) agg "
            "WHERE c.id = agg.conversation_id AND c.tag_slugs IS DISTINCT FROM agg.slugs"
        )


def _carrying(tag: Tag) -> list[int]:
    return list(
        Conversation.tags.through.objects.filter(tag_id=tag.pk).values_list(
            "conversation_id", flat=True
        )
    )


@receiver(pre_save, sender=Tag)
def _slug_before(sender, instance: Tag, raw=False, **kwargs):
    instance._slug_was = (
        None
        if raw or instance.pk is None
        else Tag.objects.filter(pk=instance.pk).values_list("slug", flat=True).first()
    )


@receiver(post_save, sender=Tag)
def _slug_renamed(sender, instance: Tag, created=False, raw=False, **kwargs):
    was = getattr(instance, "_slug_was", None)
    if not created and not raw and was is not None and was != instance.slug:
        refresh_tag_slugs(_carrying(instance))


@receiver(pre_delete, sender=Tag)
def _deleting(sender, instance: Tag, **kwargs):
    instance._carried_by = _carrying(instance)


@receiver(post_delete, sender=Tag)
def _deleted(sender, instance: Tag, **kwargs):
    refresh_tag_slugs(getattr(instance, "_carried_by", ()))


@receiver(m2m_changed, sender=Conversation.tags.through)
def _links_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if reverse and action == "pre_clear":  # tag.conversations.clear(): who had it
        instance._clearing = _carrying(instance)
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        refresh_tag_slugs([instance])
    elif action == "post_clear":
        refresh_tag_slugs(getattr(instance, "_clearing", ()))
    else:
        refresh_tag_slugs(pk_set or ())
