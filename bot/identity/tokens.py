"""Signed customer identity tokens (pure functions).

The bank's web site and app, which know the logged-in customer, sign
`{"sub": <customer id>, "exp": <unix seconds>}` with a shared secret:

    token = base64url(payload JSON) + "." + base64url(HMAC-SHA256(secret, base64url(payload JSON)))

(base64url without padding). The chat API verifies the signature and the expiry; it never
trusts a customer id that is not signed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime

from bot.errors import DomainError

MAX_TOKEN_CHARS = 2048


class InvalidIdentity(DomainError):
    code = "invalid_identity"
    customer_message = "您的登录状态无法确认，请重新登录后再试。"


class ExpiredIdentity(InvalidIdentity):
    code = "expired_identity"
    customer_message = "您的登录已过期，请重新登录后再试。"


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: str, payload_part: str) -> str:
    digest = hmac.new(secret.encode("utf-8"), payload_part.encode("ascii"), hashlib.sha256).digest()
    return _b64encode(digest)


def sign_identity(*, customer_id: str, expires_at: datetime, secret: str) -> str:
    """A token naming the customer until `expires_at` (what the bank's back end does)."""
    payload = {"sub": customer_id, "exp": int(expires_at.timestamp())}
    payload_part = _b64encode(json.dumps(payload, separators=(",", ":")).encode("utf-8"))
    return f"{payload_part}.{_signature(secret, payload_part)}"


def verify_identity(token: str, *, secret: str, now: datetime) -> str:
    """The customer id of a genuine, unexpired token; raises InvalidIdentity otherwise."""
    if not token or len(token) > MAX_TOKEN_CHARS or token.count(".") != 1:
        raise InvalidIdentity("identity token is empty, too long or not two dot-separated parts")
    payload_part, signature = token.split(".")
    if not hmac.compare_digest(signature, _signature(secret, payload_part)):
        raise InvalidIdentity("identity token signature does not match (tampered or wrong secret)")
    try:
        payload = json.loads(_b64decode(payload_part))
        customer_id, expires = payload["sub"], payload["exp"]
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidIdentity("identity token payload is not the expected JSON") from exc
    if not isinstance(customer_id, str) or not customer_id or len(customer_id) > 64:
        raise InvalidIdentity("identity token has no usable customer id")
    if not isinstance(expires, (int, float)) or now.timestamp() >= expires:
        raise ExpiredIdentity("identity token has expired")
    return customer_id
