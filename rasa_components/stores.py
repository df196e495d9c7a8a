"""Rasa's SQL tracker store and SQL event broker with less work per turn.

Named in endpoints.yml and endpoints.production.yml (`type: rasa_components.stores.<Class>`, which
Rasa 3.6 loads for custom stores). A profile of our Rasa under load (benchmarks/profile_rasa.py,
README "Turn cost") put half its time in the stock classes' persistence:

- `SQLTrackerStore.save` read the whole conversation back from the database and rebuilt a tracker
  from it, only to learn how many events were new; it then counted the stored events again.
  `BankSQLTrackerStore.save` counts once and takes the new events from that count, which is what
  the stock diff amounts to (Rasa's `TrackerEventDiffEngine` slices by the old tracker's length).
- `SQLEventBroker.publish` opened a connection and committed once per event, so an ordinary turn
  paid 5-8 SQLite commits (each a file sync) for the broker alone. The tracker store now hands the
  turn's events to `BatchingSQLEventBroker.publish_many`: one transaction per turn. Other brokers
  (RabbitMQ in production) still get one `publish` per event, as before.
- The action server's replies are checked against Rasa's schema compiled once, and its calls carry
  past customer messages without their NLU result (rasa_components/action_results.py), both
  installed when this tracker store starts.
- On SQLite (the embedded default) both keep a small pool of connections instead of opening the
  file for every query (SQLAlchemy 1.4 uses no pool for SQLite files), and use the write-ahead log
  with `synchronous=NORMAL`: a commit no longer waits for a file sync. A crash of the process loses
  nothing; a power cut or OS crash may lose the last turns — acceptable for the local, embedded
  run; production keeps its trackers in PostgreSQL.

- `SQLTrackerStore.retrieve` read every event of the conversation's session back from the
  database on every turn, decrypted and parsed each one and turned it into an event object (Rasa
  looks up each event's class among all subclasses of `Event`, every time): 17 % of Rasa's CPU per
  turn in a profile of sequential turns (rebuilding the tracker from the event objects: 0.2 %).
  `BankSQLTrackerStore` keeps the event objects of recently active conversations in memory and
  asks the database only for the conversation's fingerprint (the newest row id and the number of
  rows, one indexed query); the save that ends the same turn relies on that check instead of
  counting the stored rows again (only a turn, holding the conversation's lock, adds events; a
  save more than TRACKER_CACHE_TRUST_SECONDS after it counts). Anything another process changed (another Sanic worker or replica took
  a turn, the retention purge deleted rows, an operator edited the tracker) changes the
  fingerprint. When the change is only rows added after the cached ones (in production another
  Sanic worker or replica took the conversation's last turns: turns land on any worker), only
  those rows are read and parsed; anything else (rows deleted, a new session begun) reads the
  session again from the database; a turn that failed before its save
  leaves the cache as the database is, because the tracker handed out is built afresh each time.
  The cache holds at most TRACKER_CACHE_SIZE conversations, forgets one idle for
  TRACKER_CACHE_IDLE_SECONDS, and lives only in the Rasa process's memory (the same decrypted
  events Rasa holds while it answers a turn; nothing more is written anywhere).

What is stored, its order and the table layouts are unchanged. Both also keep every event
encrypted at rest: Rasa's `events.data` JSON holds the customer's words and slots such as
`complaint_draft` with the phone and name, so these classes map the same tables with `data` as
`bot.cases.crypto.EncryptedText` (Fernet, CASE_ENCRYPTION_KEY or the local var/ key). Rasa reads
and writes as before; rows written before encryption (plain JSON) are still read. The sender id,
event type, intent and action names and the timestamp stay plain: Rasa queries them, and the
retention purge (bot/archive/raw_copies.py) ages conversations by them. The transcript consumer
decrypts broker rows (bot.transcripts.service.consume_rasa_broker). Rasa falls back to an
in-memory tracker store with only a warning when a custom class fails to import:
tests/e2e/test_privacy_every_copy.py checks the files hold the conversation, encrypted.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from rasa.core.brokers.pika import PikaEventBroker
from rasa.core.brokers.sql import SQLEventBroker
from rasa.core.tracker_store import SQLTrackerStore, _create_sequence
from rasa.shared.core.events import Event, SessionStarted, deserialise_events, remove_parse_data
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.engine import Engine
from sqlalchemy.orm import declarative_base
from sqlalchemy.pool import QueuePool

from bot.cases.crypto import EncryptedText
from rasa_components.action_results import lighter_action_calls, use_compiled_schema

logger = logging.getLogger(__name__)

SQLITE_POOL_SIZE = 4
# Conversations whose session events the tracker store keeps in memory, and how long an idle one
# stays (a customer who pauses longer is read from the database again).
TRACKER_CACHE_SIZE = 2000
TRACKER_CACHE_IDLE_SECONDS = 15 * 60
# How long after the cache last agreed with the database a save may rely on it without asking
# again: longer than any turn between its retrieve and its save (the action server's timeout).
TRACKER_CACHE_TRUST_SECONDS = 60
# Seconds a writer waits for another process's write lock (the API reads the broker's file).
SQLITE_BUSY_TIMEOUT = 30


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def tuned_sqlite_engine(engine: Engine) -> Engine:
    """For an engine on a SQLite file: a pooled engine on the same file, WAL journal,
    synchronous=NORMAL. Any other engine is returned as it is."""
    if engine.dialect.name != "sqlite" or not engine.url.database or engine.url.database == ":memory:":
        return engine
    url = engine.url
    engine.dispose()
    tuned = sa.create_engine(
        url,
        poolclass=QueuePool,
        pool_size=SQLITE_POOL_SIZE,
        max_overflow=SQLITE_POOL_SIZE,
        # Rasa calls its stores from the event loop's thread only; the pool hands each connection
        # to one user at a time.
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT},
    )
    sa.event.listen(tuned, "connect", _set_sqlite_pragmas)
    return tuned


_TrackerBase = declarative_base()


class _EncryptedTrackerEvent(_TrackerBase):
    """Rasa's tracker `events` table (the columns of SQLTrackerStore.SQLEvent), data encrypted."""

    __tablename__ = "events"

    id = sa.Column(sa.Integer, _create_sequence(__tablename__), primary_key=True)
    sender_id = sa.Column(sa.String(255), nullable=False, index=True)
    type_name = sa.Column(sa.String(255), nullable=False)
    timestamp = sa.Column(sa.Float)
    intent_name = sa.Column(sa.String(255))
    action_name = sa.Column(sa.String(255))
    data = sa.Column(EncryptedText)


_BrokerBase = declarative_base()


class _EncryptedBrokerEvent(_BrokerBase):
    """Rasa's SQL broker `events` table (the columns of SQLEventBroker.SQLBrokerEvent), data encrypted."""

    __tablename__ = "events"

    id = sa.Column(sa.Integer, primary_key=True)
    sender_id = sa.Column(sa.String(255))
    data = sa.Column(EncryptedText)


class BatchingSQLEventBroker(SQLEventBroker):
    """Rasa's SQL event broker (same `events` table), one transaction per turn, data encrypted."""

    SQLBrokerEvent = _EncryptedBrokerEvent

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.engine = tuned_sqlite_engine(self.engine)
        self.sessionmaker = sa.orm.sessionmaker(bind=self.engine)

    def publish(self, event: dict[str, Any]) -> None:
        self.publish_many([event])

    def publish_many(self, events: list[dict[str, Any]]) -> None:
        """Stores the events in order, in one transaction."""
        if not events:
            return
        with self.session_scope() as session:
            session.add_all(
                self.SQLBrokerEvent(sender_id=event.get("sender_id"), data=json.dumps(event))
                for event in events
            )
            session.commit()


@dataclass(frozen=True)
class _CachedSession:
    """The events of a conversation's latest session, as the database held them when `fingerprint`
    (newest row id, number of rows of the conversation) was read."""

    events: tuple[Event, ...]
    fingerprint: tuple[int | None, int]
    used_at: float  # when it last agreed with the database (time.monotonic())


class BankSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store (same `events` table) whose `save` does not re-read the tracker and
    whose `retrieve` re-reads only what changed, data encrypted."""

    SQLEvent = _EncryptedTrackerEvent

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.engine = tuned_sqlite_engine(self.engine)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        self._sessions: OrderedDict[str, _CachedSession] = OrderedDict()
        # The server's other per-turn savings that have no configuration hook of their own: the
        # action server's replies checked against a schema compiled once, and calls without past
        # messages' NLU results (rasa_components/action_results.py).
        use_compiled_schema()
        lighter_action_calls()

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The tracker of the conversation's latest session, from memory when the database holds
        nothing newer, else read as Rasa's store reads it. A new tracker object every time."""
        with self.session_scope() as session:
            fingerprint = self._fingerprint(session, sender_id)
            stale = self._sessions.get(sender_id)
            cached = self._cached(sender_id, fingerprint)
            if cached is not None:
                events = cached.events
            else:
                caught_up = self._catch_up(session, sender_id, stale, fingerprint) if stale else None
                if caught_up is None:
                    rows = self._event_query(session, sender_id, fetch_events_from_all_sessions=False).all()
                    caught_up = tuple(deserialise_events([json.loads(row.data) for row in rows]))
                events = caught_up
                self._remember(sender_id, events, fingerprint)
        if not self.domain or not events:
            return None
        return DialogueStateTracker.from_events(sender_id, list(events), self.domain.slots)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Publishes the events the database does not hold yet, then stores them, in one
        transaction per store."""
        sender_id = tracker.sender_id
        cached = self._sessions.pop(sender_id, None)
        with self.session_scope() as session:
            # The cache agreed with the database at this turn's retrieve, moments ago, and only a
            # turn (holding the conversation's lock, as this one does) adds events: it holds
            # exactly the session's rows. Otherwise they are counted, as Rasa's store does.
            unchanged = (
                cached is not None and time.monotonic() - cached.used_at <= TRACKER_CACHE_TRUST_SECONDS
            )
            if unchanged:
                before = cached.fingerprint
                stored = len(cached.events)
            else:
                before = self._fingerprint(session, sender_id)
                stored = self._event_query(session, sender_id, fetch_events_from_all_sessions=False).count()
            new_events = list(itertools.islice(tracker.events, stored, len(tracker.events)))
            serialised = [event.as_dict() for event in new_events]
            self._publish(sender_id, serialised)
            rows = [self._row(sender_id, event, data) for event, data in zip(new_events, serialised)]
            session.add_all(rows)
            session.flush()  # the rows get their ids
            newest = max((row.id for row in rows), default=before[0])
            session.commit()
        # What the database now holds for this session is what was cached plus the new events. A
        # new session starts with a new SessionStarted, whose rows Rasa selects by timestamp: read
        # again from the database. (Should anything else have written or deleted meanwhile, the
        # database's fingerprint differs from this one at the next retrieve, which then reads it.)
        if unchanged and not any(isinstance(event, SessionStarted) for event in new_events):
            self._remember(sender_id, cached.events + tuple(new_events), (newest, before[1] + len(rows)))
        logger.debug(f"Tracker with sender_id '{sender_id}' stored to database")

    def _fingerprint(self, session: Any, sender_id: str) -> tuple[int | None, int]:
        newest, count = (
            session.query(sa.func.max(self.SQLEvent.id), sa.func.count(self.SQLEvent.id))
            .filter(self.SQLEvent.sender_id == sender_id)
            .one()
        )
        return newest, count

    def _catch_up(
        self, session: Any, sender_id: str, stale: _CachedSession, fingerprint: tuple[int | None, int]
    ) -> tuple[Event, ...] | None:
        """The events of a cached session plus the rows added after it, when that is all that
        changed: another Sanic worker or replica took the conversation's last turns (in
        production a conversation's turns land on any worker). Only those rows are read and
        parsed, not the whole session again. None (read it all) when rows were deleted or added
        out of order, or a new session began (Rasa selects a session's rows by its start)."""
        (old_newest, old_count), (newest, count) = stale.fingerprint, fingerprint
        if old_newest is None or newest is None or newest <= old_newest or count <= old_count:
            return None
        rows = (
            session.query(self.SQLEvent)
            .filter(self.SQLEvent.sender_id == sender_id, self.SQLEvent.id > old_newest)
            .order_by(self.SQLEvent.id)
            .all()
        )
        if old_count + len(rows) != count or any(row.type_name == SessionStarted.type_name for row in rows):
            return None
        start = next((event.timestamp for event in stale.events if isinstance(event, SessionStarted)), None)
        if start is not None and any(row.timestamp is None or row.timestamp < start for row in rows):
            return None
        return stale.events + tuple(deserialise_events([json.loads(row.data) for row in rows]))

    def _cached(self, sender_id: str, fingerprint: tuple[int | None, int]) -> _CachedSession | None:
        now = time.monotonic()
        while self._sessions:  # the least recently used first
            oldest_id, oldest = next(iter(self._sessions.items()))
            if now - oldest.used_at <= TRACKER_CACHE_IDLE_SECONDS:
                break
            del self._sessions[oldest_id]
        cached = self._sessions.get(sender_id)
        if cached is None or cached.fingerprint != fingerprint:
            self._sessions.pop(sender_id, None)
            return None
        self._remember(sender_id, cached.events, fingerprint)
        return cached

    def _remember(
        self, sender_id: str, events: tuple[Event, ...], fingerprint: tuple[int | None, int]
    ) -> None:
        if not events:
            self._sessions.pop(sender_id, None)
            return
        self._sessions[sender_id] = _CachedSession(events, fingerprint, time.monotonic())
        self._sessions.move_to_end(sender_id)
        while len(self._sessions) > TRACKER_CACHE_SIZE:
            self._sessions.popitem(last=False)

    def _publish(self, sender_id: str, serialised: list[dict[str, Any]]) -> None:
        if self.event_broker is None or not serialised:
            return
        bodies = [{"sender_id": sender_id, **data} for data in serialised]
        publish_many = getattr(self.event_broker, "publish_many", None)
        if publish_many is not None:
            publish_many(bodies)
        else:
            for body in bodies:
                self.event_broker.publish(body)

    def _row(self, sender_id: str, event: Event, data: dict[str, Any]) -> SQLTrackerStore.SQLEvent:
        return self.SQLEvent(
            sender_id=sender_id,
            type_name=event.type_name,
            timestamp=data.get("timestamp"),
            intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            action_name=data.get("name"),
            data=json.dumps(data),
        )


class BankPikaEventBroker(PikaEventBroker):
    """Rasa's RabbitMQ event broker (production), the same messages, without a deep copy of every
    event (its parse data removed) made for a debug log line that is off in production: 4 % of
    Rasa's time per turn in the production topology. The copy is still made for the error log when
    a publish fails, and failures are handled as Rasa handles them."""

    async def _publish(self, event: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        if self._exchange is None:
            return
        try:
            await self._exchange.publish(self._message(event, headers), "")
        except Exception:
            logger.error(
                "event not published to RabbitMQ at %s: %s",
                self.host,
                remove_parse_data(event),
                exc_info=True,
            )
            if self.should_keep_unpublished_messages:
                self._unpublished_events.append(event)
            if self.raise_on_failure:
                await self.close()
                raise
