"""The embedded run's Rasa stores (endpoints.yml → rasa_components/stores.py) are the ones in use:
every event of a conversation is kept in the SQLite tracker store and published once, in order,
to the SQLite event broker the transcript consumer reads; both files use the write-ahead log.
(Rasa falls back to an in-memory tracker store, silently, when a custom store fails to load.)"""

from __future__ import annotations

import json
import sqlite3

import httpx
import pytest

pytestmark = pytest.mark.e2e


def _rows(path, query: str, *params) -> list[tuple]:
    with sqlite3.connect(path) as connection:
        return connection.execute(query, params).fetchall()


def test_each_turn_is_stored_and_published_once_in_order(live_product):
    with httpx.Client(base_url=live_product.api_url, timeout=60) as api:
        body = api.post("/api/chat/sessions", json={"channel": "app"}).json()
        conversation_id, headers = body["conversation_id"], {"Authorization": f"Bearer {body['token']}"}
        for text in ("你好", "银行卡丢了怎么办"):
            reply = api.post(f"/api/chat/{conversation_id}/messages", json={"text": text}, headers=headers)
            assert reply.status_code == 200, reply.text
            assert reply.json()["replies"]

    tracker_db, events_db = live_product.var_dir / "rasa_tracker.db", live_product.var_dir / "rasa_events.db"
    stored = _rows(
        tracker_db, "SELECT type_name, data FROM events WHERE sender_id = ? ORDER BY id", conversation_id
    )
    stored = [(kind, live_product.decrypt(data)) for kind, data in stored]  # encrypted at rest
    assert [json.loads(data)["text"] for kind, data in stored if kind == "user"] == [
        "你好",
        "银行卡丢了怎么办",
    ]
    published = _rows(events_db, "SELECT data FROM events WHERE sender_id = ? ORDER BY id", conversation_id)
    published = [(live_product.decrypt(data),) for (data,) in published]
    assert [json.loads(data) for (data,) in published] == [
        {"sender_id": conversation_id, **json.loads(data)} for _, data in stored
    ]
    for path in (tracker_db, events_db):
        assert _rows(path, "PRAGMA journal_mode") == [("wal",)]
