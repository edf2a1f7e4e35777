"""A set of slugs kept on a row, so that "has any of these tags" is a condition on the row itself.

On PostgreSQL the column is a `text[]` with a GIN index: `tag_slugs && ARRAY['crash']` is then
answered from the index, and `ANALYZE` keeps per-element frequencies, so the planner knows a rare
tag from a common one. Elsewhere (SQLite) it is a JSON array in a text column, read with
`json_each`: the same results, without the index.
"""

import json

from django.db import models
from django.db.models import Lookup


class SlugSet(models.Field):
    """Sorted, distinct slugs. Written only from the links it mirrors (`actions.tagging`)."""

    description = "A sorted set of slugs"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default", list)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def db_type(self, connection):
        return "text[]" if connection.vendor == "postgresql" else "text"

    def from_db_value(self, value, expression, connection):
        if value is None:
            return []
        if isinstance(value, str):
            return json.loads(value)
        return list(value)

    def to_python(self, value):
        if isinstance(value, str):
            return json.loads(value)
        return list(value or [])

    def get_prep_value(self, value):
        return sorted(set(value or ()))

    def get_db_prep_value(self, value, connection, prepared=False):
        if not prepared:
            value = self.get_prep_value(value)
        if connection.vendor == "postgresql":
            return value
        return json.dumps(value, separators=(",", ":"))


@SlugSet.register_lookup
class HasAny(Lookup):
    """`tag_slugs__has_any=[...]`: the row holds at least one of the slugs."""

    lookup_name = "has_any"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = [str(v) for v in self.rhs]
        if not values:
            return "1 = 0", []
        marks = ", ".join(["%s"] * len(values))
        if connection.vendor == "postgresql":
            # Each slug its own parameter: the dealing query writes them into its SQL as
            # literals, so the plan of its prepared statement sees which tag it is. The first
            # condition is the partial GIN index's own (migration 0012): it lets the planner use
            # that index, which untagged rows (most of them) never enter.
            return (
                f"({lhs} <> '{{}}' AND {lhs} && ARRAY[{marks}]::text[])",
                [*lhs_params, *values],
            )
        return (
            f"EXISTS (SELECT 1 FROM json_each({lhs}) WHERE json_each.value IN ({marks}))",
            [*lhs_params, *values],
        )


@SlugSet.register_lookup
class IsEmpty(Lookup):
    """`tag_slugs__empty=True`: no slug at all (False: at least one)."""

    lookup_name = "empty"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            sql = f"cardinality({lhs}) = 0"
        else:
            sql = f"{lhs} = '[]'"
        return (sql if self.rhs else f"NOT ({sql})"), list(lhs_params)
