"""Where the identity-token secret comes from when CUSTOMER_IDENTITY_SECRET is not set."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

SECRET_FILE = "identity_secret"


def load_or_create_secret(var_dir: Path) -> str:
    """A per-installation random secret kept in var/ (local runs only; production sets the env)."""
    path = var_dir / SECRET_FILE
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secret)
    return secret
