"""Two-factor sign-in (PE5) with django-otp: one authenticator app (TOTP) per person, and ten
single-use recovery codes for the day the phone is lost."""

import base64

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext
from django_otp import device_classes, devices_for_user, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from socialdesk.errors import ActionError

from .models import role_of

RECOVERY_CODES = 10


def required_for(user) -> bool:
    return role_of(user) in settings.SOCIALDESK_TWO_FACTOR_ROLES


def is_on(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_device(user) -> TOTPDevice:
    """The authenticator being set up (not confirmed yet): the same one until it is confirmed,
    so a reload does not change the QR code the person already scanned."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    return device or TOTPDevice.objects.create(
        user=user, name="Authenticator app", confirmed=False
    )


def secret_of(device: TOTPDevice) -> str:
    """The key as authenticator apps take it when typed (base32, in groups of four)."""
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def qr_svg(device: TOTPDevice) -> str:
    import segno

    return segno.make(device.config_url, error="m").svg_inline(
        scale=4, dark="#1a1a2e", light="#ffffff"
    )


def confirm(*, user, code: str) -> tuple[TOTPDevice, list[str]]:
    """Turn two-factor sign-in on with the first code the app shows; returns the device and new recovery codes."""
    code = _digits(code)
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("-pk")
            .first()
        )
        if device is None:
            raise ActionError(gettext("Start again: scan the new code below."), field="code")
        if not device.verify_token(code):
            raise ActionError(
                gettext(
                    "This code does not match. Check the phone's time is right and type the code it shows now."
                ),
                field="code",
            )
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = new_recovery_codes(user=user)
    return device, codes


def new_recovery_codes(*, user) -> list[str]:
    """Ten new single-use recovery codes; the old ones stop working."""
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
        StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def verify(*, user, code: str):
    """The device that accepts this code (an app's six digits or a recovery code), or None.
    django-otp slows down guessing: each device refuses for a growing while after a wrong code."""
    code = (code or "").strip().replace(" ", "")
    if not code or len(code) > 32:
        return None
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=True, for_verify=True):
            allowed, _ = device.verify_is_allowed()
            if allowed and device.verify_token(code):
                return device
    return None


def turn_off(*, user) -> None:
    if required_for(user):
        raise ActionError(gettext("Your role needs two-factor sign-in: it cannot be turned off."))
    for device in devices_for_user(user, confirmed=None):
        device.delete()


def _digits(code: str) -> str:
    code = (code or "").strip().replace(" ", "")
    return code if code.isdigit() and len(code) <= 8 else ""


def device_models() -> tuple:
    """The django-otp device models installed (TOTP and recovery codes): asked once, not on every
    request as `django_otp.device_classes()` walks every app's models."""
    global _DEVICE_MODELS
    if _DEVICE_MODELS is None:
        _DEVICE_MODELS = tuple(device_classes())
    return _DEVICE_MODELS


_DEVICE_MODELS = None


def profile_with_second_factor(user):
    """`user`'s profile (None if they have none) with `second_factor_<i>`: whether they have a
    confirmed device of each kind (`has_device` reads them), in one statement.

    Written as SQL: the same statement built through the ORM (two `Exists` annotations) cost ten
    times the Python (0.75 ms against 0.07 ms), on every request."""
    from .models import Profile

    q = connection.ops.quote_name
    devices = ", ".join(
        f"EXISTS (SELECT 1 FROM {q(model._meta.db_table)}"
        f" WHERE {q(model._meta.get_field('user').column)} = %s"
        f" AND {q(model._meta.get_field('confirmed').column)} = %s) AS second_factor_{i}"
        for i, model in enumerate(device_models())
    )
    sql = (
        f"SELECT {q(Profile._meta.db_table)}.*, {devices} FROM {q(Profile._meta.db_table)}"
        f" WHERE {q(Profile._meta.get_field('user').column)} = %s"
    )
    found = list(Profile.objects.raw(sql, [user.pk, True] * len(device_models()) + [user.pk]))
    return found[0] if found else None


def has_device(user) -> bool:
    """`django_otp.user_has_device(user)` (confirmed devices), from the profile read by
    `profile_with_second_factor` when the request has it (`people.middleware.PersonMiddleware`), else
    asked of each device table."""
    profile = user._state.fields_cache.get("profile") if hasattr(user, "_state") else None
    if profile is not None and hasattr(profile, "second_factor_0"):
        return any(getattr(profile, f"second_factor_{i}") for i in range(len(device_models())))
    return user_has_device(user)
