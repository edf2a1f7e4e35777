"""Webhooks over HTTP (AP2), for community managers and admins: the same subscriptions as
`/manage/webhooks/`, through the same functions (`webhooks.services`)."""

from typing import Annotated, Literal

from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from socialdesk.actions import webhooks as webhook_actions
from socialdesk.outbox.models import WebhookDelivery
from socialdesk.webhooks import services
from socialdesk.webhooks.models import Event, WebhookSubscription

from .api import Done, Name, Text

router = Router(tags=["webhooks"])

EventName = Literal[tuple(Event.values)]  # type: ignore[valid-type]
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


class WebhookIn(Schema):
    name: Name
    url: Text(500) = Field(description="http(s) only; private and loopback addresses are refused.")
    events: list[EventName] = Field(min_length=1, max_length=len(Event.values))
    active: bool = True


class WebhookPatch(Schema):
    name: Name | None = None
    url: Text(500) | None = None
    events: list[EventName] | None = Field(None, min_length=1, max_length=len(Event.values))
    active: bool | None = None


class WebhookOut(Schema):
    id: int
    name: str
    url: str
    events: list[str]
    active: bool
    created_at: str
    secret_rotated_at: str | None


class WebhookCreated(WebhookOut):
    secret: str = Field(
        description="The signing secret, returned this once: keep it to verify `Socialdesk-Signature`."
    )


class SecretOut(Schema):
    secret: str = Field(description="The new signing secret, returned this once.")


class AttemptOut(Schema):
    number: int
    at: str
    response_code: int | None
    error: str
    duration_ms: int


class DeliveryOut(Schema):
    id: int
    event: str
    event_id: str = Field(description="Sent as `Socialdesk-Delivery`: the same on every attempt.")
    state: Literal["pending", "sending", "delivered", "failed"]
    attempts: int
    response_code: int | None
    last_error: str
    created_at: str
    next_attempt_at: str | None
    tries: list[AttemptOut]


def _out(s: WebhookSubscription) -> dict:
    return {
        "id": s.pk,
        "name": s.name,
        "url": s.url,
        "events": list(s.events or []),
        "active": s.active,
        "created_at": s.created_at.isoformat(),
        "secret_rotated_at": s.secret_rotated_at.isoformat() if s.secret_rotated_at else None,
    }


def _delivery_out(d: WebhookDelivery) -> dict:
    return {
        "id": d.pk,
        "event": d.event,
        "event_id": str(d.event_id),
        "state": d.state,
        "attempts": d.attempts,
        "response_code": d.response_code,
        "last_error": d.last_error,
        "created_at": d.created_at.isoformat(),
        "next_attempt_at": d.next_attempt_at.isoformat() if d.next_attempt_at else None,
        "tries": [
            {
                "number": a.number,
                "at": a.at.isoformat(),
                "response_code": a.response_code,
                "error": a.error,
                "duration_ms": a.duration_ms,
            }
            for a in d.tries.all()
        ],
    }


def _subscription(request, webhook_id: int) -> WebhookSubscription:
    services.require_manager(request.user)
    found = WebhookSubscription.objects.filter(pk=webhook_id).first()
    if found is None:
        raise HttpError(404, gettext("No such webhook. GET /api/v1/webhooks lists them."))
    return found


@router.get("/webhooks", response=list[WebhookOut], summary="Webhook subscriptions (CMs)")
def list_webhooks(request: HttpRequest):
    services.require_manager(request.user)
    return [_out(s) for s in WebhookSubscription.objects.all()]


@router.post(
    "/webhooks",
    response={201: WebhookCreated},
    summary="Subscribe a URL to events; the signing secret is returned this once",
)
def create_webhook(request: HttpRequest, body: WebhookIn):
    subscription, secret = services.create(
        actor=request.user, name=body.name, url=body.url, events=body.events
    )
    if not body.active:
        services.update(actor=request.user, subscription=subscription, active=False)
    return Status(201, {**_out(subscription), "secret": secret})


@router.get("/webhooks/{int:webhook_id}", response=WebhookOut, summary="A webhook subscription")
def get_webhook(request: HttpRequest, webhook_id: int):
    return _out(_subscription(request, webhook_id))


@router.patch(
    "/webhooks/{int:webhook_id}",
    response=WebhookOut,
    summary="Change a webhook's name, URL, events or pause it",
)
def update_webhook(request: HttpRequest, webhook_id: int, body: WebhookPatch):
    subscription = services.update(
        actor=request.user,
        subscription=_subscription(request, webhook_id),
        name=body.name,
        url=body.url,
        events=body.events,
        active=body.active,
    )
    return _out(subscription)


@router.delete("/webhooks/{int:webhook_id}", response=Done, summary="Delete a webhook")
def delete_webhook(request: HttpRequest, webhook_id: int):
    services.delete(actor=request.user, subscription=_subscription(request, webhook_id))
    return {"detail": "deleted"}


@router.post(
    "/webhooks/{int:webhook_id}/secret",
    response=SecretOut,
    summary="Make a new signing secret (the old one stops at once)",
)
def rotate_webhook_secret(request: HttpRequest, webhook_id: int):
    subscription = _subscription(request, webhook_id)
    return {"secret": services.rotate_secret(actor=request.user, subscription=subscription)}


@router.post(
    "/webhooks/{int:webhook_id}/test",
    response={202: DeliveryOut},
    summary="Send a test event (`ping`) to this webhook",
)
def test_webhook(request: HttpRequest, webhook_id: int):
    delivery = webhook_actions.send_test(subscription=_subscription(request, webhook_id))
    return Status(202, _delivery_out(delivery))


@router.get(
    "/webhooks/{int:webhook_id}/deliveries",
    response=list[DeliveryOut],
    summary="The webhook's delivery log, newest first, with each attempt",
)
def webhook_deliveries(request: HttpRequest, webhook_id: int, limit: Id = 50):
    subscription = _subscription(request, webhook_id)
    rows = (
        WebhookDelivery.objects.filter(subscription=subscription)
        .prefetch_related("tries")
        .order_by("-created_at", "-id")[: min(limit, 200)]
    )
    return [_delivery_out(d) for d in rows]
