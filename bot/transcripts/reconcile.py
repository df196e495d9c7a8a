"""Backfills the transcript store from Rasa's tracker store.

Rasa publishes events to RabbitMQ in the background after it answers; a Rasa process that crashes
(or is killed) under load loses whatever it had not published yet, although its tracker store
(PostgreSQL) holds every event. `reconcile` reads the tracker store's `events` table over a recent
window and stores what the transcript store lacks, under the same key the RabbitMQ consumer gives
each event (bot.transcripts.consumer.event_key), so nothing is stored twice whichever path
delivers first. Run it after a crash and regularly (README "Deploying": the reconcile CronJob).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.cases.crypto import decrypt_if_encrypted

from . import service
from .consumer import event_key

BATCH = 500


def tracker_rows(
    tracker: Engine, *, since: datetime, after_id: int = 0, limit: int = BATCH
) -> list[tuple[int, str, str, dict[str, Any]]]:
    """(tracker row id, consumer key, sender_id, event) of tracker events stamped at or after `since`."""
    with tracker.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT id, sender_id, data FROM events WHERE timestamp >= :since AND id > :after "
                "ORDER BY id LIMIT :limit"
            ),
            {"since": since.timestamp(), "after": after_id, "limit": limit},
        ).all()
    result = []
    for row_id, sender_id, data in rows:
        try:
            # rasa_components.stores.BankSQLTrackerStore keeps events encrypted at rest.
            event = json.loads(decrypt_if_encrypted(data) or "")  # None (no data) is skipped like bad JSON
        except (TypeError, ValueError):
            continue
        if not isinstance(event, dict):
            continue
        # The body Rasa publishes is the stored event with its sender.
        event = {"sender_id": sender_id, **event}
        result.append((row_id, event_key(event), sender_id, event))
    return result


def reconcile(
    *,
    session: Session,
    tracker: Engine,
    since: datetime,
    retention_days: int = service.DEFAULT_RETENTION_DAYS,
) -> int:
    """Stores the tracker events since `since` that the transcript store lacks; returns how many
    new messages."""
    stored = 0
    after = 0
    while True:
        rows = tracker_rows(tracker, since=since, after_id=after)
        if not rows:
            return stored
        stored += service.ingest_rasa_events(
            session, [(key, sender, event) for _id, key, sender, event in rows], retention_days=retention_days
        )
        after = rows[-1][0]
        session.flush()
