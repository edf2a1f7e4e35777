"""The HTTP floor of `bench/load.py`: the two calls of the Play loop as plain SQL.

Mounted beside the product's URLs only by `load_floor_settings` (the benchmark's server). Each
view does the database work of its product counterpart in the fewest statements a hand-written
version would use, inside the same server, middleware and Django stack:

* `POST /_floor/next`: the bearer token looked up and stamped (2 statements), the next
  conversation claimed with one `UPDATE ... WHERE id = (SELECT ... LIMIT 1 FOR UPDATE SKIP LOCKED)
  RETURNING id`, a `dealt` activity entry, and the conversation with its messages read back;
* `POST /_floor/reply/<id>`: the token, then in one transaction the conversation locked and
  checked to be dealt to the caller, the customer message to answer, the outbound message, the
  outbound action, the close, and the `replied` and `closed` activity entries.

It does not enqueue the send task, check roles, policy or text, nor keep play sessions: it is
the floor, not an alternative.
"""

import hashlib
import json
import uuid
from datetime import timedelta

from column_defaults import stand_in  # bench/ is on the path of the server the load test starts
from django.db import connection, transaction
from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from socialdesk.urls import urlpatterns as product_urlpatterns

_templates: dict = {}


def insert_sql(model, fields: dict) -> tuple[str, list]:
    """INSERT for `model` with `fields` (attname -> value), every other column at its default.

    Columns are listed from the model, so a column added later (e.g. NOT NULL with a default)
    is filled with its default rather than breaking the benchmark.
    """
    key = (model, tuple(fields))
    if key not in _templates:
        cols, names, defaults = [], [], []
        now = timezone.now()
        for f in model._meta.concrete_fields:
            if f.primary_key:
                continue
            cols.append(connection.ops.quote_name(f.column))
            if f.attname in fields:
                names.append(f.attname)
                defaults.append(None)
            else:
                names.append(None)
                defaults.append(stand_in(f, now))
        sql = f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))}) RETURNING id"
        _templates[key] = (
            sql,
            names,
            defaults,
            [f for f in model._meta.concrete_fields if not f.primary_key],
        )
    sql, names, defaults, concrete = _templates[key]
    params = []
    for name, default, f in zip(names, defaults, concrete, strict=True):
        value = fields[name] if name is not None else default
        params.append(f.get_db_prep_save(value, connection))
    return sql, params


def _user(request, cursor):
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    cursor.execute(
        "SELECT t.id, u.id FROM people_apitoken t JOIN auth_user u ON u.id = t.user_id WHERE t.key_hash = %s AND u.is_active",
        [hashlib.sha256(header[7:].encode()).hexdigest()],
    )
    row = cursor.fetchone()
    if row is None:
        return None
    cursor.execute(
        "UPDATE people_apitoken SET last_used_at = %s WHERE id = %s",
        [connection.ops.adapt_datetimefield_value(timezone.now()), row[0]],
    )
    return row[1]


def _dt(value):
    return connection.ops.adapt_datetimefield_value(value)


@csrf_exempt
def floor_next(request):
    from socialdesk.conversations.models import Activity

    if request.method != "POST":
        return JsonResponse({"detail": "POST"}, status=405)
    now = timezone.now()
    lock = (
        " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    )
    with connection.cursor() as cursor:
        user = _user(request, cursor)
        if user is None:
            return JsonResponse({"detail": "token"}, status=401)
        with transaction.atomic():
            cursor.execute(
                "UPDATE conversations_conversation SET dealt_to_id = %s, lease_expires_at = %s, updated_at = %s "
                "WHERE id = (SELECT id FROM conversations_conversation WHERE status = 'open' AND awaiting_reply AND moderated "
                "AND platform = 'twitter' AND (dealt_to_id IS NULL OR lease_expires_at < %s) "
                f"ORDER BY priority DESC, last_inbound_at, id LIMIT 1{lock}) RETURNING id",
                [user, _dt(now + timedelta(minutes=5)), _dt(now), _dt(now)],
            )
            rows = cursor.fetchall()  # all of it: SQLite cannot commit a RETURNING half read
            if not rows:
                return HttpResponse(status=204)
            row = rows[0]
            cid = row[0]
            sql, params = insert_sql(
                Activity,
                {
                    "conversation_id": cid,
                    "actor_id": user,
                    "kind": "dealt",
                    "detail": {"queue": "floor"},
                    "at": now,
                },
            )
            cursor.execute(sql, params)
            cursor.fetchall()
        cursor.execute(
            "SELECT id, platform, status, priority, moderated FROM conversations_conversation WHERE id = %s",
            [cid],
        )
        c = cursor.fetchone()
        cursor.execute(
            "SELECT id, direction, platform_id, text, created_at FROM conversations_message WHERE conversation_id = %s ORDER BY created_at, id",
            [cid],
        )
        messages = [
            {
                "id": m[0],
                "direction": m[1],
                "platform_id": m[2],
                "text": m[3],
                "created_at": str(m[4]),
            }
            for m in cursor.fetchall()
        ]
    return JsonResponse(
        {
            "id": c[0],
            "platform": c[1],
            "status": c[2],
            "priority": c[3],
            "moderated": bool(c[4]),
            "messages": messages,
        }
    )


@csrf_exempt
def floor_reply(request, conversation_id: int):
    from socialdesk.conversations.models import Activity, Message
    from socialdesk.outbox.models import OutboundAction

    if request.method != "POST":
        return JsonResponse({"detail": "POST"}, status=405)
    try:
        body = json.loads(request.body or b"{}")
        text = str(body["text"])
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"detail": "text"}, status=422)
    now = timezone.now()
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        user = _user(request, cursor)
        if user is None:
            return JsonResponse({"detail": "token"}, status=401)
        with transaction.atomic():
            cursor.execute(
                f"SELECT dealt_to_id, respond_from_id, platform FROM conversations_conversation WHERE id = %s{lock}",
                [conversation_id],
            )
            row = cursor.fetchone()
            if row is None:
                return JsonResponse({"detail": "Not Found"}, status=404)
            if row[0] != user:
                return JsonResponse({"detail": "dealt to someone else"}, status=409)
            respond_from, platform = row[1], row[2]
            cursor.execute(
                "SELECT platform_id FROM conversations_message WHERE conversation_id = %s AND direction = 'in' AND platform_id IS NOT NULL "
                "ORDER BY created_at DESC, id DESC LIMIT 1",
                [conversation_id],
            )
            target = cursor.fetchone()
            if target is None:
                return JsonResponse({"detail": "no customer message"}, status=400)
            sql, params = insert_sql(
                Message,
                {
                    "conversation_id": conversation_id,
                    "direction": "out",
                    "platform": platform,
                    "platform_id": None,
                    "in_reply_to_platform_id": target[0],
                    "account_id": respond_from,
                    "sent_by_id": user,
                    "text": text,
                    "created_at": now,
                },
            )
            cursor.execute(sql, params)
            message_id = cursor.fetchall()[0][0]
            sql, params = insert_sql(
                OutboundAction,
                {
                    "kind": "reply",
                    "conversation_id": conversation_id,
                    "message_id": message_id,
                    "account_id": respond_from,
                    "target_platform_id": target[0],
                    "text": text,
                    "idempotency_key": uuid.uuid4(),
                    "state": "pending",
                    "next_attempt_at": now,
                    "created_by_id": user,
                },
            )
            cursor.execute(sql, params)
            action_id = cursor.fetchall()[0][0]
            cursor.execute(
                "UPDATE conversations_conversation SET status = 'closed', close_reason = 'resolved', hold_reason = '', awaiting_reply = %s, "
                "dealt_to_id = NULL, lease_expires_at = NULL, last_agent_id = %s, updated_at = %s WHERE id = %s",
                [False, user, _dt(now), conversation_id],
            )
            for kind in ("replied", "closed"):
                sql, params = insert_sql(
                    Activity,
                    {
                        "conversation_id": conversation_id,
                        "actor_id": user,
                        "kind": kind,
                        "detail": {"message": message_id},
                        "at": now,
                    },
                )
                cursor.execute(sql, params)
                cursor.fetchall()
    return JsonResponse(
        {"message_id": message_id, "action_id": action_id, "state": "pending"}, status=201
    )


def ping(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("_floor/ping", ping),
    path("_floor/next", floor_next),
    path("_floor/reply/<int:conversation_id>", floor_reply),
    *product_urlpatterns,
]
