"""`python -m scripts.transcripts purge` removes every raw copy of a conversation past retention,
not only its transcript: the API's delivery log, its call-back requests and handoffs, Rasa's SQL tracker store (where the
`complaint_draft` slot holds the phone and name in clear) and Rasa's SQL event broker table.
The tracker and broker are written by Rasa's own SQLTrackerStore and SQLEventBroker, on files
named by RASA_TRACKER_DB / RASA_EVENTS_DB as endpoints.yml names them."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from rasa.core.brokers.sql import SQLEventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import func, select, text, update

from bot.cases.intake import Draft
from bot.conversations import service as conversations
from bot.conversations.models import Conversation, ConversationMessage
from bot.db import build_engine, build_session_factory, utcnow
from bot.handoff import service as handoff_service
from bot.handoff.models import CallbackRequest
from bot.transcripts import service as transcripts
from bot.transcripts.models import TranscriptMessage
from scripts import transcripts as cli
from scripts.migrate import upgrade as migrate
from tests.conftest import run_async

PHONE = "13912345678"
NAME = "欧阳娜娜"
YEARS_AGO = 4 * 365


@pytest.fixture
def stores(tmp_path, monkeypatch):
    """The app database, Rasa's tracker store and broker: one conversation that ended four years
    ago and one from yesterday in each, as a complaint leaves them."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    migrate(url)
    for name, value in {
        "DATABASE_URL": url,
        "RASA_TRACKER_DB": str(tmp_path / "rasa_tracker.db"),
        "RASA_EVENTS_DB": str(tmp_path / "rasa_events.db"),
        "VAR_DIR": str(tmp_path),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TRACKER_DB_HOST", raising=False)
    monkeypatch.delenv("RASA_TRACKER_URL", raising=False)
    broker = SQLEventBroker(db=str(tmp_path / "rasa_events.db"))
    tracker_store = SQLTrackerStore(Domain.empty(), db=str(tmp_path / "rasa_tracker.db"), event_broker=broker)
    engine = build_engine(url)
    factory = build_session_factory(engine)
    ids = {}
    for label, days_ago in (("old", YEARS_AGO), ("recent", 1)):
        at = utcnow() - timedelta(days=days_ago)
        with factory.begin() as session:
            conversation, _token = conversations.open_conversation(session=session)
            conversations.accept_customer_message(
                session=session, conversation=conversation, text=f"我的电话是{PHONE}"
            )
            session.execute(
                update(Conversation)
                .where(Conversation.id == conversation.id)
                .values(created_at=at, last_activity_at=at)
            )
            session.execute(
                update(ConversationMessage)
                .where(ConversationMessage.conversation_id == conversation.id)
                .values(created_at=at)
            )
            handoff_service.request_callback(
                session=session,
                phone=PHONE,
                preferred_time="明天上午",
                conversation_id=conversation.id,
                now=at,
            )
            ids[label] = conversation.id
        stamp = at.timestamp()
        draft = Draft(description=("手续费扣多了",), phone=PHONE, name=NAME, stage="summary").to_slot()
        tracker = DialogueStateTracker.from_events(
            ids[label],
            [
                ActionExecuted("action_listen", timestamp=stamp),
                UserUttered(
                    f"我的电话是{PHONE}",
                    {"intent": {"name": "complaint", "confidence": 0.9}},
                    timestamp=stamp + 1,
                ),
                SlotSet("complaint_draft", draft, timestamp=stamp + 2),
                BotUttered("请核对您的投诉信息", timestamp=stamp + 3),
            ],
        )
        run_async(tracker_store.save(tracker))
    with factory.begin() as session:
        broker_engine = build_engine(f"sqlite:///{tmp_path / 'rasa_events.db'}")
        transcripts.consume_rasa_broker(session, broker_engine)
        broker_engine.dispose()
    tracker_store.engine.dispose()
    broker.engine.dispose()
    yield {"factory": factory, "ids": ids, "tmp": tmp_path}
    engine.dispose()


def raw_rows(stores) -> dict[str, dict[str, int]]:
    """Rows per conversation in each raw copy."""
    out = {}
    with stores["factory"]() as session:
        out["api"] = dict(
            session.execute(
                select(ConversationMessage.conversation_id, func.count()).group_by(
                    ConversationMessage.conversation_id
                )
            ).all()
        )
        out["callbacks"] = dict(
            session.execute(
                select(CallbackRequest.conversation_id, func.count()).group_by(
                    CallbackRequest.conversation_id
                )
            ).all()
        )
        out["transcript"] = dict(
            session.execute(
                select(TranscriptMessage.conversation_id, func.count()).group_by(
                    TranscriptMessage.conversation_id
                )
            ).all()
        )
    for name in ("rasa_tracker", "rasa_events"):
        engine = build_engine(f"sqlite:///{stores['tmp'] / (name + '.db')}")
        with engine.connect() as connection:
            out[name] = dict(
                connection.execute(text("SELECT sender_id, COUNT(*) FROM events GROUP BY sender_id")).all()
            )
            if name == "rasa_tracker":
                out["tracker_text"] = "".join(
                    json.dumps(json.loads(data), ensure_ascii=False)
                    for data in connection.execute(text("SELECT data FROM events")).scalars()
                )
        engine.dispose()
    return out


def test_the_purge_removes_every_raw_copy_of_an_expired_conversation_and_nothing_else(stores, capsys):
    old, recent = stores["ids"]["old"], stores["ids"]["recent"]
    before = raw_rows(stores)
    for copy in ("api", "callbacks", "transcript", "rasa_tracker", "rasa_events"):
        assert before[copy].get(old) and before[copy].get(recent), (copy, before[copy])
    assert NAME in before["tracker_text"] and PHONE in before["tracker_text"]  # why this matters

    assert cli.main(["purge", "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert (
        f"raw copies of 1 conversations: 1 API log messages, 1 handoffs and call-backs, "
        f"{before['rasa_tracker'][old]} tracker store events, {before['rasa_events'][old]} broker events"
        in printed
    )
    assert raw_rows(stores) == before

    assert cli.main(["purge"]) == 0
    assert "raw copies of 1 conversations" in capsys.readouterr().out
    after = raw_rows(stores)
    for copy in ("api", "callbacks", "transcript", "rasa_tracker", "rasa_events"):
        assert old not in after[copy] and after[copy][recent] == before[copy][recent], copy
    with stores["factory"]() as session:
        assert session.get(Conversation, old) is None and session.get(Conversation, recent) is not None

    # Rasa itself finds nothing of the purged conversation.
    store = SQLTrackerStore(Domain.empty(), db=str(stores["tmp"] / "rasa_tracker.db"))
    assert run_async(store.retrieve(old)) is None
    assert run_async(store.retrieve(recent)) is not None
    store.engine.dispose()


def test_a_conversation_only_rasa_knows_is_purged_by_its_own_timestamps(stores):
    """A tracker without an API log row (a caller of Rasa's REST channel) still ages out."""
    engine = build_engine(f"sqlite:///{stores['tmp'] / 'rasa_tracker.db'}")
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE events SET sender_id = 'rasa-only' WHERE sender_id = :old"),
            {"old": stores["ids"]["old"]},
        )
    engine.dispose()
    result = cli.purge()
    assert "rasa-only" in result.raw.conversations
    assert "rasa-only" not in raw_rows(stores)["rasa_tracker"]
