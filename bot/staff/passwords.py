"""Password hashing with Argon2id (argon2-cffi); older scrypt hashes still verify and are replaced
by an Argon2id hash at the next successful login (`needs_rehash`).

Stored forms: ``$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>`` (PHC string, parameters inside, so the
cost can be raised later) and the legacy ``scrypt$<n>$<r>$<p>$<salt hex>$<hash hex>``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# OWASP's Argon2id baseline (19 MiB, 2 passes, 1 lane): every guess against a stolen table costs
# 19 MiB of memory, more than the scrypt it replaces (16 MiB), while a login stays within tens of
# milliseconds on a shared 2-core API host (RFC 9106's 64 MiB/4-lane option took ~1 s there).
# Raising these later rehashes each account at its next login.
ARGON2_TIME_COST = 2
ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_PARALLELISM = 1
SALT_BYTES = 16
HASH_BYTES = 32
MIN_PASSWORD_CHARS = 10

_HASHER = PasswordHasher(
    time_cost=ARGON2_TIME_COST,
    memory_cost=ARGON2_MEMORY_KIB,
    parallelism=ARGON2_PARALLELISM,
    hash_len=HASH_BYTES,
    salt_len=SALT_BYTES,
    type=Type.ID,
)
_ARGON2ID = "$argon2id$"
_SCRYPT = "scrypt$"


def hash_password(password: str) -> str:
    """A salted Argon2id hash of the password (PHC string)."""
    return _HASHER.hash(password)


def _verify_scrypt(password: str, stored: str) -> bool:
    scheme, n, r, p, salt_hex, digest_hex = stored.split("$")
    digest = hashlib.scrypt(
        password.encode("utf-8"),
        salt=bytes.fromhex(salt_hex),
        n=int(n),
        r=int(r),
        p=int(p),
        maxmem=64 * 1024 * 1024,
        dklen=len(digest_hex) // 2,
    )
    return hmac.compare_digest(digest, bytes.fromhex(digest_hex))


def verify_password(password: str, stored: str) -> bool:
    """True when the password matches the stored hash (Argon2id, or a legacy scrypt hash)."""
    try:
        if stored.startswith(_ARGON2ID):
            return _HASHER.verify(stored, password)
        if stored.startswith(_SCRYPT):
            return _verify_scrypt(password, stored)
    except (VerifyMismatchError, VerificationError, InvalidHashError, ValueError):
        return False
    return False


def needs_rehash(stored: str) -> bool:
    """Whether a hash that just verified should be replaced: a legacy scheme, or Argon2id with
    parameters below today's."""
    if not stored.startswith(_ARGON2ID):
        return True
    try:
        return _HASHER.check_needs_rehash(stored)
    except InvalidHashError:
        return True


# Checked when the username is unknown, so that an unknown user costs the same time as a
# wrong password and the two cannot be told apart.
DUMMY_HASH = hash_password(secrets.token_urlsafe(16))
