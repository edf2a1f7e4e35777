"""Platform credentials encrypted at rest (Fernet, from the `cryptography` package).

The key comes from SOCIALDESK_CREDENTIALS_KEY, or is derived from SECRET_KEY; a database dump
alone does not reveal a brand account's tokens.
"""

import base64
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import models

PREFIX = "fernet:"


def _fernet() -> Fernet:
    secret = settings.SOCIALDESK_CREDENTIALS_KEY or settings.SECRET_KEY
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest()))


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
                return json.loads(_fernet().decrypt(value[len(PREFIX):].encode()))
            except InvalidToken:
                # Encrypted with another key: unusable, and said so by the health page.
                return {"_unreadable": True}
        # Plain JSON written before encryption: read it; the next save encrypts it.
        try:
            return json.loads(value) if value else {}
        except ValueError:
            return {}
