"""Querysets compiled once: the hot reads of the Play cycle (the API's `play/next` and reply).

Django compiles a queryset's SQL anew each time it runs: for a read with `select_related` of a
wide table that is most of the read's Python (docs/performance.md, "Through HTTP"). A `Prepared`
builds its queryset once (per database connection: each thread has its own) with stand-in
values, keeps the SQL and what turns its rows into model instances (related ones included), and
on each call only binds the values of that call and reads the rows:

    _messages = Prepared(lambda conversation: Message.objects.filter(conversation_id=conversation))
    messages = _messages.all(conversation=c.pk)

The stand-ins are integers no real key takes; each must come out as a parameter of the SQL
(checked when compiling), and only integers are bound: one outside 64-bit integers finds
nothing (as Django's own lookups do) rather than reaching the database. The queryset's shape must not depend on
anything but its arguments (settings, the time...): its SQL is kept for the connection's life.
"""

import threading
import weakref

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.query import get_related_populators

# Stand-ins: far from any key a table will hold, and different from each other.
_BASE = -(2**62) + 1000
_MIN, _MAX = -(2**63), 2**63 - 1


class _Compiled:
    __slots__ = (
        "sql",
        "slots",
        "model",
        "start",
        "end",
        "init_list",
        "populators",
        "annotations",
        "converters",
        "width",
    )


class Prepared:
    def __init__(self, build, using: str | None = None):
        self.build = build
        code = build.__code__
        self.names = code.co_varnames[: code.co_argcount]
        self.using = using
        self._compiled = weakref.WeakKeyDictionary()  # a thread's connection -> _Compiled
        self._lock = threading.Lock()

    def _compile(self, db: str, connection) -> _Compiled:
        stand_ins = {name: _BASE + i for i, name in enumerate(self.names)}
        queryset = self.build(**stand_ins).using(db)
        compiler = queryset.query.get_compiler(using=db)
        sql, params = compiler.as_sql()
        by_value = {value: name for name, value in stand_ins.items()}
        slots = tuple(
            (True, by_value[p]) if type(p) is int and p in by_value else (False, p) for p in params
        )
        missing = set(self.names) - {name for bound, name in slots if bound}
        if missing:
            raise ValueError(f"Prepared: {sorted(missing)} are not parameters of {sql}")
        c = _Compiled()
        c.sql, c.slots = sql, slots
        klass_info, select = compiler.klass_info, compiler.select
        c.model = klass_info["model"]
        c.start, c.end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        c.init_list = [f[0].target.attname for f in select[c.start : c.end]]
        c.populators = get_related_populators(klass_info, select, db)
        c.annotations = tuple(compiler.annotation_col_map.items())
        c.converters = tuple(
            compiler.get_converters([s[0] for s in select[: compiler.col_count]]).items()
        )
        c.width = compiler.col_count if compiler.has_extra_select else None
        return c

    def all(self, **values) -> list:
        """The rows for these values, as the queryset would give them."""
        db = self.using or DEFAULT_DB_ALIAS
        connection = connections[db]
        c = self._compiled.get(connection)
        if c is None:
            with self._lock:
                c = self._compiled[connection] = self._compile(db, connection)
        bound = {name: int(value) for name, value in values.items()}
        if any(not _MIN <= value <= _MAX for value in bound.values()):
            return []
        params = [bound[v] if is_bound else v for is_bound, v in c.slots]
        with connection.cursor() as cursor:
            cursor.execute(c.sql, params)
            rows = cursor.fetchall()
        found = []
        for row in rows:
            if c.width is not None:
                row = row[: c.width]
            if c.converters:
                row = list(row)
                for position, (functions, expression) in c.converters:
                    value = row[position]
                    for convert in functions:
                        value = convert(value, expression, connection)
                    row[position] = value
            obj = c.model.from_db(db, c.init_list, row[c.start : c.end])
            for populator in c.populators:
                populator.populate(row, obj)
            for name, position in c.annotations:
                setattr(obj, name, row[position])
            found.append(obj)
        return found

    def first(self, **values):
        rows = self.all(**values)
        return rows[0] if rows else None
