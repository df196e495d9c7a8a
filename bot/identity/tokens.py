"""Signed customer identity tokens: standard JWT, HS256 (pure functions, PyJWT).

The bank's web site and app, which know the logged-in customer, sign with the shared secret

    {"sub": <customer id>, "aud": "bankchat", "iss": "bank", "exp": <unix seconds>, "iat": ...}

with any stock JWT library (README "Customer identity"). The chat API verifies the signature
(HS256 only, so `alg: none` or another algorithm is refused), the audience, the issuer and the
expiry, and refuses an expiry further ahead than the configured maximum lifetime: a token is a
short-lived proof of a login, never a long-lived key. It never trusts a customer id that is not
signed; anything malformed is an InvalidIdentity (401), never a server error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from bot.errors import DomainError

ALGORITHM = "HS256"
MAX_TOKEN_CHARS = 4096
MAX_CUSTOMER_ID_CHARS = 64
# RFC 7518 §3.2: an HS256 key must have at least as many bits as the hash (256).
MIN_SECRET_BYTES = 32
# Clock difference tolerated between the bank's back end and the API.
LEEWAY = timedelta(seconds=30)
DEFAULT_AUDIENCE = "bankchat"
DEFAULT_ISSUER = "bank"
DEFAULT_MAX_LIFETIME = timedelta(minutes=60)
# Tokens of the demo-customer picker (DEMO_MODE only) carry this issuer and their own secret, so
# a demo signature can never pass for the bank's.
DEMO_ISSUER = "bankchat-demo"


class InvalidIdentity(DomainError):
    code = "invalid_identity"
    customer_message = "您的登录状态无法确认，请重新登录后再试。"


class ExpiredIdentity(InvalidIdentity):
    code = "expired_identity"
    customer_message = "您的登录已过期，请重新登录后再试。"


class WeakSecret(ValueError):
    """A signing secret too short for HS256 (a configuration error, not a customer's)."""


def check_secret(secret: str, name: str = "CUSTOMER_IDENTITY_SECRET") -> None:
    """Raises WeakSecret unless the secret has at least MIN_SECRET_BYTES bytes."""
    if len((secret or "").encode("utf-8")) < MIN_SECRET_BYTES:
        raise WeakSecret(
            f"{name} must be at least {MIN_SECRET_BYTES} bytes long "
            f"(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )


def sign_identity(
    *,
    customer_id: str,
    expires_at: datetime,
    secret: str,
    audience: str = DEFAULT_AUDIENCE,
    issuer: str = DEFAULT_ISSUER,
    issued_at: datetime | None = None,
) -> str:
    """A token naming the customer until `expires_at` (what the bank's back end does)."""
    check_secret(secret)
    claims = {"sub": customer_id, "aud": audience, "iss": issuer, "exp": int(expires_at.timestamp())}
    if issued_at is not None:
        claims["iat"] = int(issued_at.timestamp())
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


@dataclass(frozen=True)
class IdentityKey:
    """One accepted signer: its secret and the issuer its tokens must name."""

    secret: str
    issuer: str


def _number(claims: dict, name: str, *, required: bool) -> float | None:
    value = claims.get(name)
    if value is None:
        if required:
            raise InvalidIdentity(f"identity token has no {name!r} claim")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidIdentity(f"identity token claim {name!r} is not a finite number")
    return float(value)


def _decode(token: str, key: IdentityKey, audience: str) -> dict:
    try:
        return jwt.decode(
            token,
            key.secret,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=key.issuer,
            # Times are checked below against the caller's clock (and NaN refused there).
            options={
                "require": ["sub", "aud", "iss", "exp"],
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.InvalidSignatureError as exc:
        raise InvalidIdentity("identity token signature does not match (tampered or wrong secret)") from exc
    except jwt.PyJWTError as exc:
        raise InvalidIdentity(f"identity token refused: {type(exc).__name__}: {exc}") from exc
    except (ValueError, TypeError, UnicodeError, OverflowError) as exc:
        raise InvalidIdentity(f"identity token is not a readable JWT ({type(exc).__name__})") from exc


def verify_identity(
    token: str,
    *,
    secret: str | None = None,
    now: datetime,
    keys: tuple[IdentityKey, ...] = (),
    audience: str = DEFAULT_AUDIENCE,
    issuer: str = DEFAULT_ISSUER,
    max_lifetime: timedelta = DEFAULT_MAX_LIFETIME,
) -> str:
    """The customer id of a genuine, current token; raises InvalidIdentity otherwise.

    `secret` (with `issuer`) is the bank's key; `keys` lists further accepted signers (the demo
    picker's key, in demo mode only). Every key is tried; the first that verifies wins."""
    accepted = tuple(keys) + ((IdentityKey(secret, issuer),) if secret else ())
    if not accepted:
        raise ValueError("verify_identity needs a secret or keys")
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
        raise InvalidIdentity("identity token is empty or too long")
    if not token.isascii() or token.count(".") != 2:
        raise InvalidIdentity("identity token is not a JWT (three dot-separated ASCII parts)")
    failures: list[InvalidIdentity] = []
    for key in accepted:
        try:
            claims = _decode(token, key, audience)
            break
        except InvalidIdentity as exc:
            failures.append(exc)
    else:  # report what a key that did match the signature found, if any did
        raise next((f for f in failures if "signature" not in f.developer_message), failures[0])

    customer_id = claims.get("sub")
    if (
        not isinstance(customer_id, str)
        or not customer_id.strip()
        or len(customer_id) > MAX_CUSTOMER_ID_CHARS
        or not customer_id.isprintable()
    ):
        raise InvalidIdentity("identity token has no usable customer id")
    moment = now.timestamp()
    leeway = LEEWAY.total_seconds()
    expires = _number(claims, "exp", required=True)
    assert expires is not None  # required=True raises rather than return None
    if moment >= expires:
        raise ExpiredIdentity("identity token has expired")
    if expires - moment > max_lifetime.total_seconds() + leeway:
        raise InvalidIdentity(
            f"identity token expires {expires - moment:.0f} s ahead; at most "
            f"{max_lifetime.total_seconds():.0f} s are accepted (CUSTOMER_IDENTITY_MAX_LIFETIME_MINUTES)"
        )
    issued = _number(claims, "iat", required=False)
    if issued is not None and issued > moment + leeway:
        raise InvalidIdentity("identity token was issued in the future")
    not_before = _number(claims, "nbf", required=False)
    if not_before is not None and not_before > moment + leeway:
        raise InvalidIdentity("identity token is not valid yet")
    return customer_id
