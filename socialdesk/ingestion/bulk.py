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
    if connection.vendor == "postgresql":
        sql, params = _unnest_insert(connection, opts, fields, rows)
        if sql is not None:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                _set_ids(objs, cursor.fetchall(), connection, using)
            return
    ops = connection.ops
    returning, returning_params = ops.return_insert_columns([opts.pk])
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
            _set_ids(objs[start : start + size], cursor.fetchall(), connection, using)


def _set_ids(objs, returned, connection, using) -> None:
    pk = objs[0]._meta.pk
    converters = pk.get_db_converters(connection)
    for obj, (value,) in zip(objs, returned, strict=True):
        for converter in converters:
            value = converter(value, pk, connection)
        setattr(obj, pk.attname, value)
        obj._state.adding = False
        obj._state.db = using


def _columns(connection, fields, rows):
    """PostgreSQL: each column's values as one array parameter (`unnest`), or, for an array
    column (which `unnest` would flatten), its one value when every row has the same; None when
    a column cannot be sent either way."""
    columns = []
    for i, f in enumerate(fields):
        # No length in the cast (varchar[], not varchar(20)[]): nothing is cut on the way.
        db_type = f.db_type(connection).split("(")[0]
        values = [row[i] for row in rows]
        if db_type.endswith("[]"):
            first = values[0]
            if any(v != first for v in values):
                return None
            columns.append((db_type, False, first))
        else:
            columns.append((db_type, True, values))
    return columns


def _unnest_insert(connection, opts, fields, rows):
    """`INSERT … SELECT … FROM unnest(%s::type[], …) RETURNING id`: one parameter per column
    whatever the number of rows, so the statement's text is the same for every page (psycopg
    parses a statement's placeholders in Python, once per distinct text: a `VALUES` list of a
    page's rows was a new text of thousands of placeholders each time, about a third of
    ingestion's CPU). Django's own `bulk_create` does the same on PostgreSQL, where it can;
    rows come back in the order they were given, as there."""
    columns = _columns(connection, fields, rows)
    if columns is None:
        return None, None
    ops = connection.ops
    select, arrays, names, params, constants = [], [], [], [], []
    for i, (db_type, unnested, value) in enumerate(columns):
        if unnested:
            select.append(f"u.c{i}")
            arrays.append(f"%s::{db_type}[]")
            names.append(f"c{i}")
            params.append(value)
        else:
            select.append(f"%s::{db_type}")
            constants.append(value)
    sql = (
        f"INSERT INTO {ops.quote_name(opts.db_table)} "
        f"({', '.join(ops.quote_name(f.column) for f in fields)}) "
        f"SELECT {', '.join(select)} FROM unnest({', '.join(arrays)}) AS u({', '.join(names)}) "
        f"RETURNING {ops.quote_name(opts.pk.column)}"
    )
    # The constants come first in the text (the select list), then the arrays.
    return sql, constants + params


def update(objs: list[Model], names: list[str]) -> None:
    """Write the fields `names` of `objs` (stored instances of one model), each row its own
    values, as `bulk_update` does. On PostgreSQL: one `UPDATE … FROM unnest(…)` with a parameter
    per column (`bulk_update` builds a `CASE WHEN id = … THEN …` per row and field, which costs
    more Python than the rest of a page's update); elsewhere, or for an array column,
    `bulk_update` itself."""
    if not objs:
        return
    model = type(objs[0])
    opts = model._meta
    connection = connections[router.db_for_write(model)]
    fields = [opts.get_field(name) for name in names]
    types = [f.db_type(connection).split("(")[0] for f in fields]
    if connection.vendor != "postgresql" or any(
        t.endswith("[]") or hasattr(f, "get_placeholder")
        for f, t in zip(fields, types, strict=True)
    ):
        model._default_manager.bulk_update(objs, names)
        return
    pk = opts.pk
    columns = [[pk.get_db_prep_save(obj.pk, connection=connection) for obj in objs]]
    for f in fields:
        kind = _as_is(f)
        columns.append(
            [
                value
                if kind is not None
                and ((value := getattr(obj, f.attname)) is None or type(value) is kind)
                else f.get_db_prep_save(getattr(obj, f.attname), connection=connection)
                for obj in objs
            ]
        )
    if any(hasattr(v, "resolve_expression") for column in columns for v in column):
        model._default_manager.bulk_update(objs, names)
        return
    ops = connection.ops
    table = ops.quote_name(opts.db_table)
    sets = ", ".join(f"{ops.quote_name(f.column)} = u.c{i}" for i, f in enumerate(fields))
    arrays = ", ".join(f"%s::{t}[]" for t in [pk.rel_db_type(connection), *types])
    names_sql = ", ".join(["id", *(f"c{i}" for i in range(len(fields)))])
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {sets} FROM unnest({arrays}) AS u({names_sql}) "
            f"WHERE {table}.{ops.quote_name(pk.column)} = u.id",
            columns,
        )
