"""The API's transcript round copies Rasa's SQL broker in short transactions (SQLite has one
writer: customers' messages must not wait for a whole round), summarises each touched
conversation once, and loses nothing when the process dies between two batches."""

from __future__ import annotations

import time

import pytest
from rasa.core.brokers.sql import SQLEventBroker
from sqlalchemy import event, select

from api import maintenance
from bot.db import build_engine, build_session_factory
from bot.transcripts import service as transcripts
from bot.transcripts.models import TranscriptConversation, TranscriptCursor, TranscriptMessage
from scripts.migrate import upgrade


@pytest.fixture
def app_db(tmp_path):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    engine = build_engine(url)
    yield engine, build_session_factory(engine)
    engine.dispose()


def _publish_turns(path, conversations: int, turns: int) -> None:
    broker = SQLEventBroker(dialect="sqlite", db=str(path))
    for turn in range(turns):
        for number in range(conversations):
            sender = f"conv-{number}"
            now = time.time()
            broker.publish(
                {
                    "sender_id": sender,
                    "event": "user",
                    "timestamp": now,
                    "text": f"问题{turn}",
                    "parse_data": {"intent": {"name": "faq", "confidence": 0.9}, "entities": []},
                    "metadata": {"channel": "web"},
                }
            )
            broker.publish(
                {"sender_id": sender, "event": "action", "name": "action_answer_faq", "timestamp": now}
            )
            broker.publish(
                {"sender_id": sender, "event": "bot", "timestamp": now, "text": f"回答{turn}", "data": {}}
            )


def test_a_round_commits_batch_by_batch_and_summarises_each_conversation_once(app_db, tmp_path):
    engine, factory = app_db
    events_db = tmp_path / "rasa_events.db"
    _publish_turns(events_db, conversations=5, turns=30)  # 450 events: three batches of 200
    commits = []
    event.listen(engine, "commit", lambda connection: commits.append(time.monotonic()))

    assert maintenance.consume_transcripts(factory, str(events_db)) == 300
    # read the cursor, three batches, the summaries with the cursor, the API's notices
    assert len(commits) == 6
    with factory() as session:
        summaries = session.scalars(select(TranscriptConversation)).all()
        assert sorted(s.conversation_id for s in summaries) == [f"conv-{n}" for n in range(5)]
        assert {s.message_count for s in summaries} == {60}
        assert session.scalar(select(TranscriptCursor.position)) == 450


def test_a_round_that_died_between_batches_is_finished_by_the_next(app_db, tmp_path, monkeypatch):
    engine, factory = app_db
    events_db = tmp_path / "rasa_events.db"
    _publish_turns(events_db, conversations=2, turns=50)  # 300 events
    real_batch = transcripts.copy_rasa_broker_batch
    calls = []

    def dies_after_the_first_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the process died")
        return real_batch(*args, **kwargs)

    monkeypatch.setattr(transcripts, "copy_rasa_broker_batch", dies_after_the_first_batch)
    with pytest.raises(RuntimeError):
        maintenance.consume_transcripts(factory, str(events_db))
    with factory() as session:  # the first batch is stored, the cursor has not moved
        assert 0 < len(session.scalars(select(TranscriptMessage)).all()) < 200
        assert session.scalar(select(TranscriptCursor.position)) in (None, 0)
    monkeypatch.setattr(transcripts, "copy_rasa_broker_batch", real_batch)

    maintenance.consume_transcripts(factory, str(events_db))
    with factory() as session:  # every message once, and the summaries count them all
        assert len(session.scalars(select(TranscriptMessage)).all()) == 200
        assert {s.message_count for s in session.scalars(select(TranscriptConversation))} == {100}
        assert session.scalar(select(TranscriptCursor.position)) == 300


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_db(request, tmp_path):
    """An empty migrated database of each kind, its transcript store this test's alone."""
    from tests.conftest import migrated_database

    yield from migrated_database(request.param, tmp_path)


def test_two_copiers_at_once_store_every_message_once_and_neither_fails(fresh_db, tmp_path):
    """The follower's round, `consume` by hand or a restarted follower may copy at the same time:
    the second skips what the first stored (PostgreSQL: it waits for the first's transaction;
    SQLite: its clashing batch runs again). Before, its commit failed on those source keys."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Event

    events_db = tmp_path / "rasa_events.db"
    _publish_turns(events_db, conversations=3, turns=10)  # 90 events, 60 messages
    broker = build_engine(f"sqlite:///{events_db}")
    first_engine, second_engine = build_engine(fresh_db), build_engine(fresh_db)
    asked = Event()

    def notes_the_lock_request(_connection, _cursor, statement, *_args):
        # the copy lock asked for, or (were there none) the first write after reading what the
        # database held: the first copier commits only then
        if any(word in statement for word in ("BEGIN IMMEDIATE", "pg_advisory_xact_lock", "INSERT")):
            asked.set()

    with build_session_factory(first_engine).begin() as session:  # both cursors exist: reads only
        transcripts.rasa_broker_position(session)
        transcripts.consume_api_notices(session)
    event.listen(second_engine, "before_cursor_execute", notes_the_lock_request)
    with ThreadPoolExecutor(max_workers=1) as pool:
        with build_session_factory(first_engine).begin() as session:  # the first copier, mid-round
            transcripts.lock_for_copy(session)
            transcripts.copy_rasa_broker_batch(session, broker, 0, 200, set())
            second = pool.submit(
                maintenance.consume_transcripts, build_session_factory(second_engine), str(events_db)
            )
            assert asked.wait(timeout=120), "the second copier never started"
        assert second.result(timeout=120) == 0  # everything was the first's; no error
    with build_session_factory(first_engine)() as session:
        keys = session.scalars(select(TranscriptMessage.source_key)).all()
        assert len(keys) == len(set(keys)) == 60
        assert {s.message_count for s in session.scalars(select(TranscriptConversation))} == {20}
    for engine in (broker, first_engine, second_engine):
        engine.dispose()
