"""Where the identity-token keys come from, and the verifier the API uses.

Production sets CUSTOMER_IDENTITY_SECRET (and refuses to start without it, bot/security.py);
a local run without it gets a random per-installation secret in var/identity_secret. The demo
picker (DEMO_MODE only) signs with a key of its own (var/demo_identity_secret) and the issuer
"bankchat-demo", so a demo signature never passes for the bank's.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bot.config import Settings

from . import tokens

SECRET_FILE = "identity_secret"
DEMO_SECRET_FILE = "demo_identity_secret"


def load_or_create_secret(var_dir: Path, name: str = SECRET_FILE) -> str:
    """A per-installation random secret kept in var/ (local runs only; production sets the env)."""
    path = var_dir / name
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secret)
    return secret


@dataclass(frozen=True)
class IdentityVerifier:
    """Verifies customer identity tokens with the configured keys, audience and lifetime."""

    secret: str
    audience: str
    issuer: str
    max_lifetime: timedelta
    demo_secret: str | None = None

    def verify(self, token: str, *, now: datetime) -> str:
        keys = (tokens.IdentityKey(self.demo_secret, tokens.DEMO_ISSUER),) if self.demo_secret else ()
        return tokens.verify_identity(
            token,
            secret=self.secret,
            issuer=self.issuer,
            keys=keys,
            now=now,
            audience=self.audience,
            max_lifetime=self.max_lifetime,
        )

    def sign_demo(self, customer_id: str, *, now: datetime) -> str:
        """A demo customer's token (demo mode only), valid for the maximum lifetime."""
        if not self.demo_secret:
            raise RuntimeError("demo identities are signed only in demo mode")
        return tokens.sign_identity(
            customer_id=customer_id,
            expires_at=now + self.max_lifetime,
            secret=self.demo_secret,
            audience=self.audience,
            issuer=tokens.DEMO_ISSUER,
            issued_at=now,
        )


def identity_verifier(settings: Settings) -> IdentityVerifier:
    """The verifier for these settings; WeakSecret when the configured secret is too short."""
    secret = settings.identity_secret or load_or_create_secret(settings.var_dir)
    tokens.check_secret(secret)
    demo_secret = load_or_create_secret(settings.var_dir, DEMO_SECRET_FILE) if settings.demo_mode else None
    return IdentityVerifier(
        secret=secret,
        audience=settings.identity_audience,
        issuer=settings.identity_issuer,
        max_lifetime=timedelta(minutes=settings.identity_max_lifetime_minutes),
        demo_secret=demo_secret,
    )
