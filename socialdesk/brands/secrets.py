"""Platform credentials encrypted at rest (Fernet, from the `cryptography` package).

The keys come from SOCIALDESK_CREDENTIALS_KEY, a comma-separated list, newest first: the newest
encrypts, every one decrypts (MultiFernet), so a key is rotated by putting a new one in front,
running `socialdesk rotate_credentials_key`, then dropping the old one. Each key is a Fernet key
(`socialdesk generate_credentials_key`) or any passphrase (hashed into one). Unset, the keys are
derived from SECRET_KEY and SECRET_KEY_FALLBACKS. A database dump alone does not reveal a brand
account's tokens.
"""

import base64
import binascii
import functools
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models

PREFIX = "fernet:"


def _key(secret: str) -> Fernet:
    try:
        if len(base64.urlsafe_b64decode(secret.encode())) == 32:
            return Fernet(secret.encode())
    except (binascii.Error, ValueError):
        pass
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest()))


def key_list() -> list[str]:
    """The credentials keys in use, newest first."""
    keys = [k.strip() for k in settings.SOCIALDESK_CREDENTIALS_KEY.split(",") if k.strip()]
    return keys or [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]


@functools.lru_cache(maxsize=4)
def _multi(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([_key(k) for k in keys])


def _fernet() -> MultiFernet:
    return _multi(tuple(key_list()))


def newest_key_encrypted(value: str | None) -> bool:
    """Whether a stored value is already encrypted with the newest key (plain JSON is not)."""
    if not value or not value.startswith(PREFIX):
        return not value
    try:
        _key(key_list()[0]).decrypt(value[len(PREFIX) :].encode())
    except InvalidToken:
        return False
    return True


class EncryptedJSONField(models.TextField):
    """A dict stored as Fernet-encrypted JSON text; read back as the dict."""

    def get_prep_value(self, value):
        if value is None:
            return None
        return PREFIX + _fernet().encrypt(json.dumps(value).encode()).decode()

    def from_db_value(self, value, expression, connection):
        return self.to_python(value)

    def to_python(self, value):
        if value is None or isinstance(value, dict):
            return value
        if value.startswith(PREFIX):
            try:
                return json.loads(_fernet().decrypt(value[len(PREFIX) :].encode()))
            except InvalidToken:
                # Encrypted with a key no longer listed: unusable, and said so by the health page.
                return {"_unreadable": True}
        # Plain JSON written before encryption: read it; the next save encrypts it.
        try:
            return json.loads(value) if value else {}
        except ValueError:
            return {}


def rotate(*, dry_run: bool = False) -> dict[str, int]:
    """Encrypt every stored credential again with the newest key. Values no listed key opens are
    left as they are (counted as unreadable), never overwritten."""
    from django.apps import apps
    from django.db import transaction

    counts = {"rotated": 0, "current": 0, "unreadable": 0}
    multi = _fernet()
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedJSONField)]
        for field in fields:
            raw_rows = model._base_manager.annotate(
                _raw=models.functions.Cast(field.attname, models.TextField())
            ).values_list("pk", "_raw")
            for pk, raw in raw_rows.iterator():
                if newest_key_encrypted(raw):
                    counts["current"] += 1
                    continue
                if raw.startswith(PREFIX):
                    try:
                        token = multi.rotate(raw[len(PREFIX) :].encode())
                    except InvalidToken:
                        counts["unreadable"] += 1
                        continue
                    new = PREFIX + token.decode()
                else:
                    new = field.get_prep_value(field.to_python(raw))
                counts["rotated"] += 1
                if not dry_run:
                    with transaction.atomic():
                        model._base_manager.filter(pk=pk).update(**{field.attname: _Raw(new)})
    return counts


class _Raw(models.Value):
    """An already encrypted value, written as it is (not through the field's encryption again)."""

    def __init__(self, value: str):
        super().__init__(value, output_field=models.TextField())
