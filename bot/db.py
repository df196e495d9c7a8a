"""Engines, session factories and the declarative base shared by every domain.

Nothing here connects at import time: callers build an engine from a URL and own their sessions.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import DateTime, MetaData, create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import declarative_base, sessionmaker
from sqlalchemy.pool import QueuePool
from sqlalchemy.types import TypeDecorator

# Explicit constraint names keep Alembic migrations stable across SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Base = declarative_base(metadata=MetaData(naming_convention=NAMING_CONVENTION))


def utcnow() -> datetime:
    """Current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back as an aware datetime (SQLite drops zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use bot.db.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


SQLITE_BUSY_TIMEOUT_SECONDS = 20
# Connections to a SQLite file each engine keeps open between sessions.
SQLITE_POOL_SIZE = 8


def _enable_sqlite_foreign_keys(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL syncs at checkpoints, not at every commit: a commit survives the process
    # dying (the faults tested here), a power cut may lose the last ones (clients resend by
    # client_message_id); production runs PostgreSQL. Halves the time of a burst of writes.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def build_engine(database_url: str) -> Engine:
    """Builds an engine; for SQLite it creates the parent folder and enables foreign keys."""
    url = make_url(database_url)
    # A server's connection may have been dropped while it sat in the pool (a database restart, a
    # proxy's idle timeout): it is tested before use. A SQLite file cannot drop it, and the test
    # was a query of its own for each of the three transactions of every customer message.
    kwargs: dict = {"future": True, "pool_pre_ping": url.get_backend_name() != "sqlite"}
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        # WAL (set on connect): readers never wait for the writer. A writer waits at most this
        # long for the write lock (busy timeout); transactions are short and never span a
        # threadpool hop (api.deps.commit_in_route_thread), so a wait this long means a stall,
        # answered 503 with Retry-After (api.errors) rather than a request hanging for 30 s.
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
        if url.database and url.database != ":memory:":
            # SQLAlchemy 1.4 opens a SQLite file anew for every session (NullPool): opening,
            # the pragmas below and closing were a fifth of the API's time per message (py-spy,
            # README "Turn cost"). A few connections are kept; a burst beyond them still gets
            # connections of its own (no limit, no waiting for the pool), closed after use.
            kwargs.update(poolclass=QueuePool, pool_size=SQLITE_POOL_SIZE, max_overflow=-1)
    engine = create_engine(database_url, **kwargs)
    if url.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
    return engine


def build_session_factory(engine: Engine) -> sessionmaker:
    """A session factory bound to the engine; sessions are short-lived and owned by the caller."""
    return sessionmaker(bind=engine, future=True, expire_on_commit=False)


def ping(engine: Engine, *, write_within: float | None = None) -> None:
    """Raises if the database cannot answer a trivial query; with `write_within` (seconds), also
    if SQLite's write lock cannot be taken that fast (a write stall that SELECTs, served from
    the WAL, do not notice). PostgreSQL has no database-wide write lock to probe."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
        if write_within is None or engine.dialect.name != "sqlite":
            return
        raw = connection.connection
        previous = raw.execute("PRAGMA busy_timeout").fetchone()[0]
        raw.execute(f"PRAGMA busy_timeout = {int(write_within * 1000)}")
        try:
            raw.execute("BEGIN IMMEDIATE")
            raw.execute("ROLLBACK")
        finally:
            raw.execute(f"PRAGMA busy_timeout = {int(previous)}")
