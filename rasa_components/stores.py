"""Rasa's SQL tracker store and SQL event broker with every event encrypted at rest.

Rasa keeps each event as JSON in `events.data`: the customer's words, and slots such as
`complaint_draft` with the phone and name. These subclasses map the same tables with `data` as
`bot.cases.crypto.EncryptedText` (Fernet, CASE_ENCRYPTION_KEY or the local var/ key), so Rasa
reads and writes as before while the files and tables hold only ciphertext; rows written before
(plain JSON) are still read. The sender id, event type, intent and action names and the
timestamp stay plain: Rasa queries them, and the retention purge (bot/archive/raw_copies.py)
ages conversations by them.

    tracker_store:
      type: rasa_components.stores.EncryptedSQLTrackerStore   # same keys as type: SQL
    event_broker:
      type: rasa_components.stores.EncryptedSQLEventBroker    # same keys as type: SQL

Rasa falls back to an in-memory tracker store with only a warning when a custom class fails to
import; tests/e2e/test_privacy_every_copy.py checks the file holds the conversation, encrypted.
The transcript consumer decrypts broker rows (bot.transcripts.service.consume_rasa_broker).
"""

from __future__ import annotations

import sqlalchemy as sa
from rasa.core.brokers.sql import SQLEventBroker
from rasa.core.tracker_store import SQLTrackerStore, _create_sequence
from sqlalchemy.orm import declarative_base

from bot.cases.crypto import EncryptedText

_Base = declarative_base()


class _EncryptedTrackerEvent(_Base):
    """Rasa's tracker `events` table (same columns as SQLTrackerStore.SQLEvent), data encrypted."""

    __tablename__ = "events"

    id = sa.Column(sa.Integer, _create_sequence(__tablename__), primary_key=True)
    sender_id = sa.Column(sa.String(255), nullable=False, index=True)
    type_name = sa.Column(sa.String(255), nullable=False)
    timestamp = sa.Column(sa.Float)
    intent_name = sa.Column(sa.String(255))
    action_name = sa.Column(sa.String(255))
    data = sa.Column(EncryptedText)


class EncryptedSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore whose events are encrypted at rest."""

    SQLEvent = _EncryptedTrackerEvent


_BrokerBase = declarative_base()


class _EncryptedBrokerEvent(_BrokerBase):
    """Rasa's SQL broker `events` table (same columns as SQLEventBroker.SQLBrokerEvent), data encrypted."""

    __tablename__ = "events"

    id = sa.Column(sa.Integer, primary_key=True)
    sender_id = sa.Column(sa.String(255))
    data = sa.Column(EncryptedText)


class EncryptedSQLEventBroker(SQLEventBroker):
    """SQLEventBroker whose published events are encrypted at rest."""

    SQLBrokerEvent = _EncryptedBrokerEvent
