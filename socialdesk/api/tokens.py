"""The bearer token's look-up, on every API call: the token, its person and their profile (the
role every operation checks) in one statement, whose SQL is written once per database
connection instead of being compiled by the ORM on each call.

Nothing is kept between calls: a token revoked (deleted), expired, or whose person was made
inactive or given another role is refused or judged anew on the very next call, from any
process.
"""

from django.contrib.auth import get_user_model
from django.db import connections

from socialdesk.people.models import ApiToken, Profile

_compiled: dict = {}


def _parts():
    """(model, table alias) of what the statement reads, in the order of its columns."""
    return ((ApiToken, "t"), (get_user_model(), "u"), (Profile, "p"))


def _statement(connection) -> tuple[str, list]:
    """The SQL for `connection`, and per model its attnames and each column's converters."""
    found = _compiled.get(connection.alias)
    if found is not None:
        return found
    quote = connection.ops.quote_name
    columns, readers = [], []
    for model, alias in _parts():
        fields = model._meta.concrete_fields
        columns += [f"{alias}.{quote(f.column)}" for f in fields]
        converters = []
        for f in fields:
            col = f.get_col(alias)
            converters.append(
                (col, connection.ops.get_db_converters(col) + f.get_db_converters(connection))
            )
        readers.append((model, [f.attname for f in fields], converters))
    token, user, profile = (m._meta for m, _ in _parts())
    sql = (
        f"SELECT {', '.join(columns)} FROM {quote(token.db_table)} t "
        f"INNER JOIN {quote(user.db_table)} u ON u.{quote(user.pk.column)} = t.{quote(token.get_field('user').column)} "
        f"LEFT OUTER JOIN {quote(profile.db_table)} p ON p.{quote(profile.get_field('user').column)} = u.{quote(user.pk.column)} "
        f"WHERE t.{quote(token.get_field('key_hash').column)} = %s"
    )
    found = _compiled[connection.alias] = (sql, readers)
    return found


def token_with_person(key_hash: str, *, using: str = "default") -> ApiToken | None:
    """The token of this hash with `.user` and `.user.profile` filled in (a user without a
    profile has none: `user.profile` raises as usual); None for no such token."""
    connection = connections[using]
    sql, readers = _statement(connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [key_hash])
        row = cursor.fetchone()
    if row is None:
        return None
    objects, start = [], 0
    for model, attnames, converters in readers:
        values = list(row[start : start + len(attnames)])
        start += len(attnames)
        if model is Profile and values[0] is None:  # no profile: the LEFT JOIN's NULLs
            objects.append(None)
            continue
        for i, (col, funcs) in enumerate(converters):
            for convert in funcs:
                values[i] = convert(values[i], col, connection)
        objects.append(model.from_db(using, attnames, values))
    token, user, profile = objects
    ApiToken._meta.get_field("user").set_cached_value(token, user)
    Profile._meta.get_field("user").remote_field.set_cached_value(user, profile)
    if profile is not None:
        Profile._meta.get_field("user").set_cached_value(profile, user)
    return token
