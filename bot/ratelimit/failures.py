"""The recent failures a lockout counts, read from a failure table (case lookups, staff logins)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import lockout

# Failures past this many per scope change nothing more (every lock is at its cap by then).
MAX_COUNTED_FAILURES = 500


def failure_times(
    session: Session, created_at, condition, policy: lockout.Lockout, now: datetime
) -> list[datetime]:
    """When the failures matching `condition` happened within the policy's window, newest first."""
    statement = (
        select(created_at)
        .where(condition, created_at > now - policy.window)
        .order_by(created_at.desc())
        .limit(MAX_COUNTED_FAILURES)
    )
    return list(session.scalars(statement))


def locked_until(
    session: Session, created_at, condition, policy: lockout.Lockout, now: datetime
) -> datetime | None:
    return lockout.locked_until(failure_times(session, created_at, condition, policy, now), policy, now)
