"""Signing a delivery, as Stripe and Standard Webhooks do: HMAC-SHA256 over "<timestamp>.<body>"
with the subscription's secret, sent as `Socialdesk-Signature: t=<unix seconds>,v1=<hex>`.

The timestamp is signed with the body, so a receiver that refuses old timestamps (`verify`'s
`tolerance`) cannot be sent a captured delivery again later. `docs/webhooks.md` shows a
receiver's side."""

import hashlib
import hmac
import time

HEADER = "Socialdesk-Signature"
DEFAULT_TOLERANCE = 300


class BadSignature(Exception):
    pass


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def header(secrets: str | list[str], body: bytes, *, timestamp: int | None = None) -> str:
    """The header's value; with several secrets (the new one and, for a while after it was
    renewed, the previous one), one `v1` each, newest first: a receiver that still knows only
    the previous secret keeps verifying until it is updated, as Stripe does on a roll."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    secrets = [secrets] if isinstance(secrets, str) else secrets
    return ",".join([f"t={timestamp}"] + [f"v1={signature(s, timestamp, body)}" for s in secrets])


def verify(
    secret: str, body: bytes, value: str, *, tolerance: int = DEFAULT_TOLERANCE, now=None
) -> int:
    """Check a `Socialdesk-Signature` value; returns its timestamp or raises BadSignature."""
    parts: dict[str, list[str]] = {}
    for item in (value or "").split(","):
        key, _, val = item.strip().partition("=")
        parts.setdefault(key, []).append(val)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        raise BadSignature("no timestamp") from None
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        raise BadSignature("timestamp outside the tolerance")
    expected = signature(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, v) for v in parts.get("v1", [])):
        raise BadSignature("no matching v1 signature")
    return timestamp
