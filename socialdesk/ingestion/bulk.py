"""Insert a page's new rows of one model with as little Python per value as Django allows.

`QuerySet.bulk_create` compiles every value of every row through the SQL compiler (expressions,
placeholders, casts): for a page of 100 tweets that was about half of ingestion's CPU time
(docs/performance.md). The rows ingestion writes are plain values, so `insert` prepares each one
with its field's own `pre_save` and `get_db_prep_save` (auto_now dates, JSON, time zones: what
bulk_create does too) and sends one `INSERT ... VALUES (...), (...) RETURNING id` per batch the
database takes. Anything else (an expression as a value, a field with its own placeholder, a
database without RETURNING) goes to `bulk_create`.

Conversations and the activity log are inserted with it only from the action layer
(`actions.inbound`), as `tests/test_action_layer.py` checks.
"""

from django.db import connections, router
from django.db.models import (
    AutoField,
    BigAutoField,
    BigIntegerField,
    BooleanField,
    CharField,
    ForeignKey,
    IntegerField,
    Model,
    OneToOneField,
    PositiveIntegerField,
    PositiveSmallIntegerField,
    SmallIntegerField,
    TextField,
)

# Fields whose value goes to the database as it is on the instance, when it has the type the
# field stores: their `pre_save` reads the attribute and their `get_db_prep_save` returns such a
# value unchanged. Exact types only, so a subclass with its own conversion (an encrypted field,
# a field of ours) takes the full path, as does any other value (a date, an expression).
_INTEGERS = (
    AutoField,
    BigAutoField,
    SmallIntegerField,
    IntegerField,
    BigIntegerField,
    PositiveIntegerField,
    PositiveSmallIntegerField,
)
_AS_IS = {CharField: str, TextField: str, BooleanField: bool} | dict.fromkeys(_INTEGERS, int)


def _as_is(field) -> type | None:
    """The one Python type `field` sends to the database unchanged, or None."""
    if type(field) in (ForeignKey, OneToOneField):
        return (
            _AS_IS.get(type(field.target_field)) if type(field.target_field) in _INTEGERS else None
        )
    return _AS_IS.get(type(field))


def insert(objs: list[Model]) -> None:
    """Insert `objs` (new instances of one model) and set their primary keys, as bulk_create does."""
    if not objs:
        return
    model = type(objs[0])
    opts = model._meta
    using = router.db_for_write(model)
    connection = connections[using]
    fields = [f for f in opts.concrete_fields if not f.primary_key]
    if not connection.features.can_return_rows_from_bulk_insert or any(
        hasattr(f, "get_placeholder") for f in fields
    ):
        model._default_manager.bulk_create(objs)
        return
    related = [f for f in fields if f.is_relation]
    plan = [(f, _as_is(f)) for f in fields]
    rows = []
    for obj in objs:
        for f in related:
            # A related object saved after this one was built: take its id now (as bulk_create does).
            if getattr(obj, f.attname) is None and f.is_cached(obj):
                target = f.get_cached_value(obj)
                if target is not None:
                    if target.pk is None:
                        raise ValueError(
                            f"{model.__name__}.{f.name} points at an unsaved {type(target).__name__}."
                        )
                    setattr(obj, f.name, target)  # sets the id and keeps the object
        values = [
            value
            if kind is not None
            and ((value := getattr(obj, f.attname)) is None or type(value) is kind)
            else f.get_db_prep_save(f.pre_save(obj, True), connection=connection)
            for f, kind in plan
        ]
        if any(hasattr(v, "resolve_expression") for v in values):
            model._default_manager.bulk_create(objs)
            return
        rows.append(values)
    ops = connection.ops
    pk = opts.pk
    returning, returning_params = ops.return_insert_columns([pk])
    head = f"INSERT INTO {ops.quote_name(opts.db_table)} ({', '.join(ops.quote_name(f.column) for f in fields)}) "
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    # SQLite takes 999 values in one statement (Django's limit for it); PostgreSQL 65,535.
    size = max(min(ops.bulk_batch_size(fields, objs), 30_000 // len(fields)), 1)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            cursor.execute(
                head + "VALUES " + ", ".join([row_sql] * len(batch)) + " " + returning,
                [v for row in batch for v in row] + list(returning_params),
            )
            for obj, (value,) in zip(objs[start : start + size], cursor.fetchall(), strict=True):
                for converter in pk.get_db_converters(connection):
                    value = converter(value, pk, connection)
                setattr(obj, pk.attname, value)
                obj._state.adding = False
                obj._state.db = using
