"""The cheaper stores of endpoints.yml (rasa_components/stores.py) write exactly what Rasa's stock
SQL tracker store and SQL event broker write (the event JSON encrypted at rest), across turns and a
new conversation session, and read back the same tracker, from memory only while nothing else
changed the conversation; the SQLite files are in WAL mode."""

from __future__ import annotations

import json
import sqlite3

import pytest
import sqlalchemy
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
from rasa_components import stores
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


# The tracker cache (BankSQLTrackerStore.retrieve): a conversation nothing else touched is not read
# again from the database, and whatever another process did to it is seen on the next turn.


def _store(tmp_path) -> BankSQLTrackerStore:
    return BankSQLTrackerStore(
        DOMAIN,
        dialect="sqlite",
        db=str(tmp_path / "tracker.db"),
        event_broker=BatchingSQLEventBroker(dialect="sqlite", db=str(tmp_path / "events.db")),
    )


def _statements(store) -> list[str]:
    seen: list[str] = []
    sqlalchemy.event.listen(store.engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


def _user_texts(tracker) -> list[str]:
    return [e.text for e in tracker.events if isinstance(e, UserUttered)]


def test_an_unchanged_conversation_is_not_read_again_from_the_database(both):
    _, _, ours = both
    first = run_async(ours.retrieve("customer-1"))
    statements = _statements(ours)
    again = run_async(ours.retrieve("customer-1"))
    assert [e.as_dict() for e in again.events] == [e.as_dict() for e in first.events]
    assert not any("events.data" in statement for statement in statements)
    # a new tracker object each time: what one turn does to it never reaches another's
    assert again is not first
    first.update(UserUttered("这句没有保存", {"name": "greet", "confidence": 0.9}, timestamp=3000.0))
    assert _user_texts(run_async(ours.retrieve("customer-1"))) == ["谢谢"]


def test_a_turn_taken_by_another_process_is_seen_on_the_next_turn(both):
    tmp_path, _, ours = both
    run_async(ours.retrieve("customer-1"))
    other_worker = _store(tmp_path)
    tracker = run_async(other_worker.retrieve("customer-1"))
    _turn(tracker, "转账限额多少", "faq", "单笔五万元", 2020.0)
    run_async(other_worker.save(tracker))

    tracker = run_async(ours.retrieve("customer-1"))
    assert _user_texts(tracker) == ["谢谢", "转账限额多少"]
    # and this process's next turn is stored after it, not over it
    _turn(tracker, "好的", "greet", "不客气", 2030.0)
    run_async(ours.save(tracker))
    assert _user_texts(run_async(_store(tmp_path).retrieve("customer-1"))) == ["谢谢", "转账限额多少", "好的"]
    assert _user_texts(run_async(ours.retrieve("customer-1"))) == ["谢谢", "转账限额多少", "好的"]


def _session_reads(statements: list[str]) -> int:
    """Reads of a whole session (Rasa's query, which finds the session's start)."""
    return sum("session_start" in statement for statement in statements)


def test_after_another_worker_took_turns_only_its_new_rows_are_read(both):
    """In production a conversation's turns land on any Sanic worker: the worker that served the
    earlier turns reads only what the others added, and holds what the stock store reads."""
    tmp_path, _, ours = both
    run_async(ours.retrieve("customer-1"))
    other_worker = _store(tmp_path)
    for number, text in enumerate(["转账限额多少", "手续费呢"]):
        tracker = run_async(other_worker.retrieve("customer-1"))
        _turn(tracker, text, "faq", "好的", 2020.0 + 10 * number)
        run_async(other_worker.save(tracker))

    statements = _statements(ours)
    tracker = run_async(ours.retrieve("customer-1"))
    assert _user_texts(tracker) == ["谢谢", "转账限额多少", "手续费呢"]
    assert _session_reads(statements) == 0
    fresh = run_async(_store(tmp_path).retrieve("customer-1"))
    assert [e.as_dict() for e in tracker.events] == [e.as_dict() for e in fresh.events]
    # the caught-up session is cached: this worker's own next turn is stored after it
    _turn(tracker, "好的谢谢", "greet", "不客气", 2050.0)
    run_async(ours.save(tracker))
    assert _user_texts(run_async(_store(tmp_path).retrieve("customer-1")))[-2:] == ["手续费呢", "好的谢谢"]


def test_a_new_session_begun_by_another_worker_is_read_whole(both):
    tmp_path, _, ours = both
    run_async(ours.retrieve("customer-1"))
    other_worker = _store(tmp_path)
    tracker = run_async(other_worker.retrieve("customer-1"))
    tracker.update(ActionExecuted("action_session_start", timestamp=3000.0))
    tracker.update(SessionStarted(timestamp=3000.1))
    tracker.update(ActionExecuted("action_listen", timestamp=3000.2))
    _turn(tracker, "在吗", "greet", "在的", 3010.0)
    run_async(other_worker.save(tracker))

    statements = _statements(ours)
    tracker = run_async(ours.retrieve("customer-1"))
    assert _user_texts(tracker) == ["在吗"]  # the new session only, as Rasa's store reads it
    assert _session_reads(statements) == 1


def test_rows_removed_while_others_were_added_make_the_session_read_whole(both):
    tmp_path, _, ours = both
    run_async(ours.retrieve("customer-1"))
    other_worker = _store(tmp_path)
    tracker = run_async(other_worker.retrieve("customer-1"))
    _turn(tracker, "转账限额多少", "faq", "单笔五万元", 2020.0)
    run_async(other_worker.save(tracker))
    with sqlite3.connect(tmp_path / "tracker.db") as connection:  # e.g. an operator's correction
        connection.execute(
            "DELETE FROM events WHERE id = (SELECT min(id) FROM events WHERE sender_id = 'customer-1'"
            " AND type_name = 'user' AND timestamp > 2000)"
        )

    statements = _statements(ours)
    tracker = run_async(ours.retrieve("customer-1"))
    assert _user_texts(tracker) == ["转账限额多少"]
    assert _session_reads(statements) == 1


def test_a_purged_conversation_is_gone_for_the_assistant_too(both):
    tmp_path, _, ours = both
    assert run_async(ours.retrieve("customer-1")) is not None
    with sqlite3.connect(tmp_path / "tracker.db") as connection:
        connection.execute("DELETE FROM events WHERE sender_id = 'customer-1'")
    assert run_async(ours.retrieve("customer-1")) is None


def test_the_cache_holds_a_bounded_number_of_conversations(tmp_path, monkeypatch):
    monkeypatch.setattr(stores, "TRACKER_CACHE_SIZE", 2)
    store = _store(tmp_path)

    async def converse(sender_id: str) -> None:
        tracker = store.init_tracker(sender_id)
        tracker.update(ActionExecuted("action_listen", timestamp=999.0))
        await store.save(tracker)
        tracker = await store.retrieve(sender_id)
        _turn(tracker, "你好", "greet", "您好", 1000.0)
        await store.save(tracker)

    for sender_id in ("a", "b", "c"):
        run_async(converse(sender_id))
    assert list(store._sessions) == ["b", "c"]
    # the forgotten one is read from the database as before
    assert _user_texts(run_async(store.retrieve("a"))) == ["你好"]
    assert list(store._sessions) == ["c", "a"]
