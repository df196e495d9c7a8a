"""Encryption at rest of personal data (Fernet: AES-128-CBC + HMAC): a complainant's contact phone
and name, a call-back phone, and (`EncryptedText`) every copy of what customers typed that must be
kept readable for a while: the API's conversation log and Rasa's tracker store and SQL broker
(rasa_components/stores.py).

The key is CASE_ENCRYPTION_KEY; when it is empty (local runs) a random key is created once in
var/case_encryption_key. Losing the key makes stored contacts unreadable: production keeps it in
its secret store, never in var/.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

from bot.config import load_settings

KEY_FILE = "case_encryption_key"


def load_or_create_key(var_dir: Path) -> str:
    """A per-installation Fernet key kept in var/ (local runs only; production sets the env)."""
    path = var_dir / KEY_FILE
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode("ascii")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key)
    return key


class CaseCipher:
    """Encrypts and decrypts short personal fields of a case."""

    def __init__(self, key: str) -> None:
        self._fernet = Fernet(key.encode("ascii"))
        # A separate key for digests, derived so a digest never reveals the encryption key.
        raw = base64.urlsafe_b64decode(key.encode("ascii"))
        self._digest_key = hmac.new(raw, b"bankbot case digest v1", hashlib.sha256).digest()

    def digest(self, label: str, value: str) -> str:
        """A keyed, one-way digest (hex, 32 characters) of `value`: equal values give equal
        digests, and without the key nobody can try every address to reverse one."""
        message = f"{label}\x00{value}".encode()
        return hmac.new(self._digest_key, message, hashlib.sha256).hexdigest()[:32]

    def encrypt(self, value: str | None) -> str | None:
        return None if value is None else self._fernet.encrypt(value.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str | None) -> str | None:
        if token is None:
            return None
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken as exc:
            raise RuntimeError("case field cannot be decrypted: wrong CASE_ENCRYPTION_KEY?") from exc


@lru_cache(maxsize=4)
def _cipher_for(key: str) -> CaseCipher:
    return CaseCipher(key)


# The environment variables the default cipher depends on (bot/config.py's settings).
_CIPHER_ENV = ("APP_ENV", "CASE_ENCRYPTION_KEY", "VAR_DIR")


def default_cipher() -> CaseCipher:
    """The cipher for the configured key. Follows the environment (a changed CASE_ENCRYPTION_KEY,
    APP_ENV or VAR_DIR gives the matching cipher), but reads the settings and the key file once per
    combination: Rasa decrypts every stored event of a conversation on each turn, and reading the
    settings for each one was a fifth of its time (README "Turn cost")."""
    return _cipher_for_environment(*(os.environ.get(name, "").strip() for name in _CIPHER_ENV))


@lru_cache(maxsize=8)
def _cipher_for_environment(_app_env: str, _key: str, _var_dir: str) -> CaseCipher:
    settings = load_settings()
    if settings.production and not settings.case_encryption_key:
        raise RuntimeError("CASE_ENCRYPTION_KEY must be set in production (APP_ENV=production)")
    return _cipher_for(settings.case_encryption_key or load_or_create_key(settings.var_dir))


def address_key(address: str | None) -> str | None:
    """What the case lookups store about a client's address: a keyed digest, never the address."""
    return default_cipher().digest("address", address) if address else None


# Every Fernet token starts with its version byte 0x80, "gAAAAA" in URL-safe base64.
FERNET_PREFIX = "gAAAAA"


def decrypt_if_encrypted(value: str | None) -> str | None:
    """The plain text of a value written by `EncryptedText`; a value written before encryption
    was turned on is returned as it is."""
    if value is None or not value.startswith(FERNET_PREFIX):
        return value
    return default_cipher().decrypt(value)


class EncryptedText(TypeDecorator):
    """A text column stored Fernet-encrypted with the installation's key and read back as plain
    text through SQLAlchemy (never searched or compared in SQL: its ciphertext changes each write)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else default_cipher().encrypt(str(value))

    def process_result_value(self, value, dialect):
        return decrypt_if_encrypted(value)
