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
- The action server's replies are checked against Rasa's schema compiled once
  (rasa_components/action_results.py), installed when this tracker store starts.
- On SQLite (the embedded default) both keep a small pool of connections instead of opening the
  file for every query (SQLAlchemy 1.4 uses no pool for SQLite files), and use the write-ahead log
  with `synchronous=NORMAL`: a commit no longer waits for a file sync. A crash of the process loses
  nothing; a power cut or OS crash may lose the last turns — acceptable for the local, embedded
  run; production keeps its trackers in PostgreSQL.

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
from typing import Any

import sqlalchemy as sa
from rasa.core.brokers.sql import SQLEventBroker
from rasa.core.tracker_store import SQLTrackerStore, _create_sequence
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.engine import Engine
from sqlalchemy.orm import declarative_base
from sqlalchemy.pool import QueuePool

from bot.cases.crypto import EncryptedText
from rasa_components.action_results import use_compiled_schema

logger = logging.getLogger(__name__)

SQLITE_POOL_SIZE = 4
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


class BankSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store (same `events` table) whose `save` does not re-read the tracker,
    data encrypted."""

    SQLEvent = _EncryptedTrackerEvent

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.engine = tuned_sqlite_engine(self.engine)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        # The server's other per-turn saving that has no configuration hook of its own: the action
        # server's replies checked against a schema compiled once (rasa_components/action_results.py).
        use_compiled_schema()

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Publishes the events the database does not hold yet, then stores them, in one
        transaction per store."""
        with self.session_scope() as session:
            stored = self._event_query(
                session, tracker.sender_id, fetch_events_from_all_sessions=False
            ).count()
            new_events = list(itertools.islice(tracker.events, stored, len(tracker.events)))
            serialised = [event.as_dict() for event in new_events]
            self._publish(tracker.sender_id, serialised)
            session.add_all(
                self._row(tracker.sender_id, event, data) for event, data in zip(new_events, serialised)
            )
            session.commit()
        logger.debug(f"Tracker with sender_id '{tracker.sender_id}' stored to database")

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
