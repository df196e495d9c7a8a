"""Takes or renews a lease in the database, so that among several API replicas exactly one runs
the housekeeping rounds; when that replica dies, another takes over once the lease expires.

Works the same on SQLite and PostgreSQL: a conditional UPDATE (ours, or expired) and, for a lease
never taken, an INSERT that at most one replica wins (primary key)."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .models import Lease

RELEASED = datetime(2000, 1, 1, tzinfo=UTC)


def new_holder_id() -> str:
    """This process's identity as a holder: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def acquire(session: Session, *, name: str, holder: str, ttl: timedelta, now: datetime) -> bool:
    """True when `holder` holds `name` until now + ttl (taken, renewed or taken over)."""
    expires_at = now + ttl
    result = session.execute(
        update(Lease)
        .where(Lease.name == name)
        .where((Lease.holder == holder) | (Lease.expires_at < now))
        .values(holder=holder, expires_at=expires_at)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:
        return True
    if session.get(Lease, name) is not None:
        return False  # someone else holds it
    try:
        with session.begin_nested():
            session.add(Lease(name=name, holder=holder, expires_at=expires_at))
    except IntegrityError:
        return False  # another replica inserted it first
    return True


def release(session: Session, *, name: str, holder: str) -> None:
    """Gives the lease up (on shutdown) so another replica need not wait for it to expire."""
    session.execute(
        update(Lease)
        .where(Lease.name == name, Lease.holder == holder)
        .values(expires_at=RELEASED)
        .execution_options(synchronize_session=False)
    )
