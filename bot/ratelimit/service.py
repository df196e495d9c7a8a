"""Counting hits per key and window, and refusing the ones over the limit.

Functions take the session as a keyword argument and flush; the caller owns the transaction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.errors import TooManyAttempts

from .models import RateLimitWindow

_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


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
    table = RateLimitWindow.__table__
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(table).values(key=key, window_start=start, hits=1, expires_at=expires)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.key, table.c.window_start], set_={"hits": table.c.hits + 1}
        )
        session.execute(statement)
    else:  # other engines: lock the row, then update or insert
        row = session.get(RateLimitWindow, (key, start), with_for_update=True)
        if row is None:
            session.add(RateLimitWindow(key=key, window_start=start, hits=1, expires_at=expires))
        else:
            row.hits += 1
        session.flush()
    statement = select(table.c.hits).where(table.c.key == key, table.c.window_start == start)
    return session.execute(statement).scalar_one()


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
