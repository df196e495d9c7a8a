"""Counting hits per key and window, and refusing the ones over the limit.

Functions take the session as a keyword argument and flush; the caller owns the transaction.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, delete, text
from sqlalchemy.orm import Session

from bot.db import UTCDateTime
from bot.errors import TooManyAttempts

from .models import RateLimitWindow

_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)

# Every message counts two hits (its conversation and its address), so a hit is one statement,
# built once: PostgreSQL and SQLite from 3.35 both count and return the new total in one upsert.
# SQLAlchemy 1.4 compiles RETURNING for PostgreSQL only, so the statement is written out; the
# timestamps go through the column type (UTC) as in the ORM.
_COUNT_HIT = text(
    "INSERT INTO rate_limit_window (key, window_start, hits, expires_at) "
    "VALUES (:key, :window_start, 1, :expires_at) "
    "ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_limit_window.hits + 1 "
    "RETURNING hits"
).bindparams(bindparam("window_start", type_=UTCDateTime()), bindparam("expires_at", type_=UTCDateTime()))
_UPSERT_RETURNING = {"postgresql": True, "sqlite": sqlite3.sqlite_version_info >= (3, 35)}


class RateLimited(TooManyAttempts):
    code = "rate_limited"
    customer_message = "您的操作太频繁了，请稍等片刻再发送。"


@dataclass(frozen=True)
class Limit:
    """At most `hits` per `window`; a limit of 0 hits means no limit."""

    hits: int
    window: timedelta


def window_start(now: datetime, window: timedelta) -> datetime:
    """The start of the fixed window that contains `now`."""
    elapsed = (now - _EPOCH) // window
    return _EPOCH + elapsed * window


def _count_hit(session: Session, key: str, start: datetime, expires: datetime) -> int:
    if _UPSERT_RETURNING.get(session.get_bind().dialect.name):
        params = {"key": key, "window_start": start, "expires_at": expires}
        return session.execute(_COUNT_HIT, params).scalar_one()
    # other engines: lock the row, then update or insert
    row = session.get(RateLimitWindow, (key, start), with_for_update=True)
    if row is None:
        row = RateLimitWindow(key=key, window_start=start, hits=1, expires_at=expires)
        session.add(row)
    else:
        row.hits += 1
    session.flush()
    return row.hits


def hit(*, session: Session, key: str, limit: Limit, now: datetime) -> None:
    """Counts one hit of `key`; raises RateLimited (429 with Retry-After) when over the limit."""
    if limit.hits <= 0:
        return
    start = window_start(now, limit.window)
    hits = _count_hit(session, key, start, start + limit.window)
    if hits > limit.hits:
        retry_after = max(1, math.ceil((start + limit.window - now).total_seconds()))
        raise RateLimited(
            f"{key}: {hits} hits in the window of {limit.window} (limit {limit.hits})",
            retry_after_seconds=retry_after,
        )


def purge_expired(*, session: Session, now: datetime) -> int:
    """Removes windows that ended; returns how many."""
    result = session.execute(delete(RateLimitWindow).where(RateLimitWindow.expires_at <= now))
    return result.rowcount or 0
