"""What the OpenAPI document says beyond what django-ninja writes: the one error shape on every
operation, tags by area, and the document published in docs/ (`python manage.py api_schema`)."""

import json
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent.parent / "docs" / "openapi.json"

ERROR = {
    "title": "ErrorOut",
    "type": "object",
    "description": "Every error, whatever its status.",
    "properties": {
        "status": {"type": "integer", "description": "The HTTP status, again."},
        "code": {
            "type": "string",
            "description": "What went wrong, for a program: the same in every language "
            "(not_found, forbidden, read_only_token, invalid_request…).",
        },
        "detail": {
            "type": "string",
            "description": "What went wrong, in words for a person, in the caller's language "
            "(their profile's, else Accept-Language).",
        },
        "field": {"type": "string", "description": "The field at fault, when it is one."},
        "errors": {
            "type": "array",
            "description": "422: each invalid part of the request.",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {"type": "array", "items": {"type": "string"}},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
                "required": ["loc", "msg", "type"],
            },
        },
    },
    "required": ["status", "code", "detail"],
}

ERRORS = {
    400: "Bad input (the action says why).",
    401: "No credentials, or a token that is unknown, revoked or expired.",
    403: "Your role, or a read-only token, may not do this.",
    404: "Unknown, or not yours to see.",
    409: "Someone else has it, or it changed meanwhile.",
    405: "This path does not take that method (`Allow` says which it takes).",
    422: "The request does not match the schema.",
    500: "Something went wrong on our side; it has been logged.",
}

TAGS = [
    ("/api/v1/queues", "queues", "Queues and their counts."),
    ("/api/v1/play", "play", "Play Mode: deal, skip, stop."),
    ("/api/v1/conversations", "conversations", "Conversations and every action on them."),
    ("/api/v1/approvals", "approvals", "Replies waiting for a moderator."),
    ("/api/v1/outbox", "outbox", "Deliveries: retry a failed one."),
    ("/api/v1/reminders", "reminders", "Your reminders."),
    (
        "/api/v1/webhooks",
        "webhooks",
        "Webhook subscriptions, their signing secrets and delivery logs (community managers).",
    ),
    ("/api/v1/signatures", "signatures", "Your signatures, to sign a reply with."),
]


def finish(schema: dict) -> dict:
    schema.setdefault("components", {}).setdefault("schemas", {})["ErrorOut"] = ERROR
    ref = {"$ref": "#/components/schemas/ErrorOut"}
    for path, operations in schema.get("paths", {}).items():
        tag = next((t for prefix, t, _ in TAGS if path.startswith(prefix)), None)
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            if tag:
                operation["tags"] = [tag]
            for status, description in ERRORS.items():
                operation["responses"].setdefault(
                    status,
                    {"description": description, "content": {"application/json": {"schema": ref}}},
                )
    schema["tags"] = [{"name": t, "description": d} for _, t, d in TAGS]
    return schema


def document() -> str:
    """The OpenAPI document as published in docs/openapi.json."""
    from .api import api

    return (
        json.dumps(api.get_openapi_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    )
