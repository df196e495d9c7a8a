"""Signed message metadata between the API and the action server (pure functions, PyJWT).

Rasa's REST webhook stores whatever `metadata` its caller sends with a message, and the actions
read the customer id from it. Only the API knows the verified customer, so it signs what it sends:

    {"customer_id": "C0007", "channel": "app", "signed": <JWT HS256>}

where the JWT carries {"sub": <conversation id>, "cid": <customer id or null>, "chn": <channel>,
"adr": <keyed digest of the client's address or null (bot.cases.crypto.address_key)>, "aud": "bankchat-actions", "iat", "exp": iat + RASA_METADATA_LIFETIME_SECONDS}, signed with
RASA_METADATA_SECRET, a secret only the API and the action server hold (not Rasa). The actions
believe only the signed claims, and only for the conversation they were signed for, until they
expire: metadata a caller of Rasa's webhook made up, copied from another conversation or kept
from long ago gives an anonymous customer. The plain `customer_id` and `channel` stay beside it
for readers of the tracker; nothing trusts them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt

from .tokens import ALGORITHM, MIN_SECRET_BYTES

AUDIENCE = "bankchat-actions"
SIGNED_KEY = "signed"
DEFAULT_LIFETIME = timedelta(minutes=5)
# Clock difference tolerated between the API and the action server.
LEEWAY = timedelta(seconds=30)
MAX_TOKEN_CHARS = 2048


@dataclass(frozen=True)
class VerifiedMetadata:
    customer_id: str | None
    channel: str | None
    # The keyed digest of the client's address (case lookups lock out per address).
    address_key: str | None = None


def sign_metadata(
    *,
    secret: str,
    conversation_id: str,
    customer_id: str | None,
    channel: str | None,
    now: datetime,
    lifetime: timedelta = DEFAULT_LIFETIME,
    address_key: str | None = None,
) -> dict[str, Any]:
    """The metadata the API sends to Rasa with one customer message."""
    claims = {
        "sub": conversation_id,
        "cid": customer_id,
        "chn": channel,
        "aud": AUDIENCE,
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
    }
    if address_key:
        claims["adr"] = address_key
    return {
        "customer_id": customer_id,
        "channel": channel,
        SIGNED_KEY: jwt.encode(claims, secret, algorithm=ALGORITHM),
    }


def verify_metadata(
    metadata: Any,
    *,
    secret: str,
    conversation_id: str,
    now: datetime,
    max_lifetime: timedelta = DEFAULT_LIFETIME,
) -> VerifiedMetadata | None:
    """The signed customer id and channel of a message's metadata, or None when the signature is
    missing, wrong, expired, for another conversation, or the secret is unset or too short."""
    if not secret or len(secret.encode("utf-8")) < MIN_SECRET_BYTES or not isinstance(metadata, dict):
        return None
    token = metadata.get(SIGNED_KEY)
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
        return None
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            leeway=LEEWAY,
            options={"require": ["exp", "iat", "sub", "aud"], "verify_iat": False, "verify_exp": False},
        )
    except (jwt.InvalidTokenError, ValueError, TypeError):
        return None
    if claims.get("sub") != conversation_id:
        return None
    issued, expires = claims.get("iat"), claims.get("exp")
    if not isinstance(issued, (int, float)) or not isinstance(expires, (int, float)):
        return None
    if expires - issued > max_lifetime.total_seconds() or issued > (now + LEEWAY).timestamp():
        return None
    if expires < (now - LEEWAY).timestamp():
        return None
    customer_id, channel, address = claims.get("cid"), claims.get("chn"), claims.get("adr")
    return VerifiedMetadata(
        customer_id=customer_id if isinstance(customer_id, str) and customer_id else None,
        channel=channel if isinstance(channel, str) and channel else None,
        address_key=address if isinstance(address, str) and address else None,
    )
