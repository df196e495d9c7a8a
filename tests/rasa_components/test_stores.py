"""The cheaper stores of endpoints.yml (rasa_components/stores.py) write exactly what Rasa's stock
SQL tracker store and SQL event broker write (the event JSON encrypted at rest), across turns and a
new conversation session, and read back the same tracker; the SQLite files are in WAL mode."""

from __future__ import annotations

import json
import sqlite3

import pytest
from rasa.core.brokers.sql import SQLEventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)

from bot.cases.crypto import FERNET_PREFIX, decrypt_if_encrypted
from rasa_components.stores import BankSQLTrackerStore, BatchingSQLEventBroker
from tests.conftest import run_async

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet, faq]
slots:
  topic:
    type: text
    mappings: [{type: custom}]
"""
)


def _turn(tracker, text: str, intent: str, reply: str, timestamp: float) -> None:
    tracker.update(UserUttered(text, {"name": intent, "confidence": 0.9}, timestamp=timestamp))
    tracker.update(SlotSet("topic", intent, timestamp=timestamp + 0.1))
    tracker.update(ActionExecuted("utter_reply", timestamp=timestamp + 0.2))
    tracker.update(BotUttered(reply, timestamp=timestamp + 0.3))
    tracker.update(ActionExecuted("action_listen", timestamp=timestamp + 0.4))


def _converse(store) -> None:
    """Two turns, a new session, one more turn; saved after each step as Rasa does."""

    async def run():
        assert await store.retrieve("customer-1") is None
        tracker = store.init_tracker("customer-1")
        tracker.update(ActionExecuted("action_listen", timestamp=999.0))
        await store.save(tracker)
        tracker = await store.retrieve("customer-1")
        _turn(tracker, "你好", "greet", "您好", 1000.0)
        await store.save(tracker)
        tracker = await store.retrieve("customer-1")
        _turn(tracker, "银行卡丢了怎么办", "faq", "请尽快挂失", 1010.0)
        await store.save(tracker)
        tracker = await store.retrieve("customer-1")
        tracker.update(ActionExecuted("action_session_start", timestamp=2000.0))
        tracker.update(SessionStarted(timestamp=2000.1))
        tracker.update(ActionExecuted("action_listen", timestamp=2000.2))
        _turn(tracker, "谢谢", "greet", "不客气", 2010.0)
        await store.save(tracker)
        # a save with nothing new writes nothing
        await store.save(await store.retrieve("customer-1"))

    run_async(run())


def _rows(path, query: str) -> list[tuple]:
    with sqlite3.connect(path) as connection:
        return connection.execute(query).fetchall()


@pytest.fixture
def both(tmp_path):
    stock = SQLTrackerStore(
        DOMAIN,
        dialect="sqlite",
        db=str(tmp_path / "stock_tracker.db"),
        event_broker=SQLEventBroker(dialect="sqlite", db=str(tmp_path / "stock_events.db")),
    )
    ours = BankSQLTrackerStore(
        DOMAIN,
        dialect="sqlite",
        db=str(tmp_path / "tracker.db"),
        event_broker=BatchingSQLEventBroker(dialect="sqlite", db=str(tmp_path / "events.db")),
    )
    _converse(stock)
    _converse(ours)
    return tmp_path, stock, ours


def test_the_same_tracker_rows_and_broker_rows_as_rasas_stock_stores(both):
    tmp_path, _, _ = both
    tracker_query = (
        "SELECT sender_id, type_name, timestamp, intent_name, action_name, data FROM events ORDER BY id"
    )
    stored = _rows(tmp_path / "tracker.db", tracker_query)
    assert all(row[-1].startswith(FERNET_PREFIX) for row in stored)  # encrypted at rest
    ours = [(*row[:-1], decrypt_if_encrypted(row[-1])) for row in stored]
    assert ours == _rows(tmp_path / "stock_tracker.db", tracker_query)
    assert [row[1] for row in ours].count("user") == 3

    broker_query = "SELECT sender_id, data FROM events ORDER BY id"
    published = _rows(tmp_path / "events.db", broker_query)
    assert all(data.startswith(FERNET_PREFIX) for _, data in published)
    published = [(sender, decrypt_if_encrypted(data)) for sender, data in published]
    assert published == _rows(tmp_path / "stock_events.db", broker_query)
    # every stored event was published once, in order
    assert [json.loads(data)["event"] for _, data in published] == [row[1] for row in ours]


def test_the_tracker_reads_back_like_the_stock_one(both):
    _, stock, ours = both
    mine = run_async(ours.retrieve("customer-1"))
    theirs = run_async(stock.retrieve("customer-1"))
    assert [e.as_dict() for e in mine.events] == [e.as_dict() for e in theirs.events]
    assert mine.latest_message.text == "谢谢"
    assert mine.get_slot("topic") == "greet"
    full = run_async(ours.retrieve_full_tracker("customer-1"))
    assert [e.text for e in full.events if isinstance(e, UserUttered)] == ["你好", "银行卡丢了怎么办", "谢谢"]


def test_sqlite_files_use_the_write_ahead_log(both):
    tmp_path, _, _ = both
    for name in ("tracker.db", "events.db"):
        assert _rows(tmp_path / name, "PRAGMA journal_mode") == [("wal",)]
