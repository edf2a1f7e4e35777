"""Google's service-account sign-in, simulated: keys made as Google Cloud makes them, the token
endpoint that takes a signed JWT, and the Play Console's per-app permission.

As Google documents it:

* A service account key is a JSON file (``type: service_account``, ``client_email``,
  ``private_key`` in PEM, ``private_key_id``, ``token_uri`` ...). The client signs a JWT with it
  (RS256; ``iss`` the account's email, ``scope``, ``aud`` the token URI, ``iat``/``exp`` at most an
  hour apart) and posts it to ``https://oauth2.googleapis.com/token`` with
  ``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer``; the answer is an access token that
  expires within the hour, and the client signs a new JWT for the next one (no refresh token).
  https://developers.google.com/identity/protocols/oauth2/service-account#httprest
  A bad signature, a deleted or disabled key or account is ``400 invalid_grant``:
  https://developers.google.com/identity/protocols/oauth2/service-account#error-codes
* The account reaches an app's reviews only once it is invited in the Play Console (Users and
  permissions) with the "Reply to reviews" permission; otherwise the API answers ``403
  PERMISSION_DENIED`` "The caller does not have permission".
  https://developers.google.com/android-publisher/getting_started

Simulator control: ``POST /_sim/service_accounts {"packages": ["org.mozilla.firefox"]}`` creates
an account and returns its key file (``token_uri`` pointing here); ``packages: []`` makes one the
Play Console has not invited; ``POST /_sim/service_accounts/<email>/disable`` disables it.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from ..http import ApiError

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SCOPE = "https://www.googleapis.com/auth/androidpublisher"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
TOKEN_LIFETIME = 3600


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _grant_error(description: str, error: str = "invalid_grant") -> ApiError:
    return ApiError(400, {"error": error, "error_description": description})


@dataclass
class ServiceAccount:
    email: str
    key_id: str
    public_key: Any
    packages: set[str]
    disabled: bool = False


@dataclass
class ServiceAccounts:
    token_lifetime: float = TOKEN_LIFETIME
    lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self):
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.accounts: dict[str, ServiceAccount] = {}
            self.tokens: dict[str, tuple[str, float]] = {}
            self.counts = {"tokens_issued": 0, "refused": 0}

    def create(
        self, *, packages: list[str], token_uri: str, name: str = "socialdesk"
    ) -> dict[str, Any]:
        """A new service account and its JSON key, as Google Cloud's console hands it out."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        key_id = secrets.token_hex(20)
        with self.lock:
            email = f"{name}-{len(self.accounts) + 1}@sim-project.iam.gserviceaccount.com"
            self.accounts[email] = ServiceAccount(email, key_id, key.public_key(), set(packages))
        return {
            "type": "service_account",
            "project_id": "sim-project",
            "private_key_id": key_id,
            "private_key": pem,
            "client_email": email,
            "client_id": str(100000000000000000000 + len(self.accounts)),
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": token_uri,
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": f"https://www.googleapis.com/robot/v1/metadata/x509/{email.replace('@', '%40')}",
            "universe_domain": "googleapis.com",
        }

    def token(self, req, token_uri: str):
        form = req.form()
        if form.get("grant_type") != JWT_BEARER:
            raise _grant_error("Invalid grant_type.", "unsupported_grant_type")
        try:
            header_b64, payload_b64, signature_b64 = str(form.get("assertion") or "").split(".")
            header, payload = (
                json.loads(_b64decode(header_b64)),
                json.loads(_b64decode(payload_b64)),
            )
            signature = _b64decode(signature_b64)
        except ValueError:
            raise _grant_error("Invalid JWT: could not be decoded.") from None
        with self.lock:
            account = self.accounts.get(str(payload.get("iss")))
        if account is None or account.disabled:
            self.counts["refused"] += 1
            raise _grant_error("Invalid grant: account not found")
        if (
            header.get("alg") != "RS256"
            or header.get("kid") not in (None, account.key_id)
            or not self._verified(account, header_b64, payload_b64, signature)
        ):
            self.counts["refused"] += 1
            raise _grant_error("Invalid JWT Signature.")
        now = time.time()
        # google-auth always names Google's endpoint as the audience, wherever it posts the JWT.
        if (
            payload.get("aud") not in (GOOGLE_TOKEN_URI, token_uri)
            or not isinstance(payload.get("exp"), (int, float))
            or not isinstance(payload.get("iat"), (int, float))
            or payload["exp"] - payload["iat"] > 3600
            or payload["exp"] < now - 60
            or payload["iat"] > now + 60
        ):
            self.counts["refused"] += 1
            raise _grant_error(
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "
                "Check your iat and exp values in the JWT claim."
            )
        if SCOPE not in str(payload.get("scope") or "").split():
            raise _grant_error(
                "Invalid OAuth scope or ID token audience provided.", "invalid_scope"
            )
        access = "sim-gp-" + secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[access] = (account.email, now + self.token_lifetime)
            self.counts["tokens_issued"] += 1
        return (
            200,
            {
                "access_token": access,
                "expires_in": int(self.token_lifetime),
                "token_type": "Bearer",
            },
            {},
        )

    @staticmethod
    def _verified(
        account: ServiceAccount, header_b64: str, payload_b64: str, signature: bytes
    ) -> bool:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        try:
            account.public_key.verify(
                signature,
                f"{header_b64}.{payload_b64}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except InvalidSignature:
            return False
        return True

    def packages_for(self, token: str) -> set[str] | None:
        """The apps an issued token may reach; None when this server did not issue it. Raises
        ``LookupError`` when it expired or its account was disabled."""
        with self.lock:
            issued = self.tokens.get(token)
            if issued is None:
                return None
            email, expires_at = issued
            account = self.accounts.get(email)
            if expires_at <= time.time() or account is None or account.disabled:
                raise LookupError(token)
            return set(account.packages)

    def disable(self, email: str) -> bool:
        with self.lock:
            account = self.accounts.get(email)
            if account is not None:
                account.disabled = True
            return account is not None

    def summary(self) -> dict[str, Any]:
        with self.lock:
            return {
                **self.counts,
                "service_accounts": [
                    {"email": a.email, "packages": sorted(a.packages), "disabled": a.disabled}
                    for a in self.accounts.values()
                ],
            }
