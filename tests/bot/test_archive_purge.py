"""`python -m scripts.transcripts purge [--dry-run]` on a migrated SQLite file: the dry run
removes nothing, the real run removes only the conversation past its retention date (with its
messages, search terms, events and tags) and says what it removed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.archive.models import ServiceRecord
from bot.db import build_engine, build_session_factory, utcnow
from bot.transcripts import query as transcript_query
from bot.transcripts import service as transcripts
from bot.transcripts.models import (
    TranscriptConversation,
    TranscriptEvent,
    TranscriptMessage,
    TranscriptTag,
    TranscriptTerm,
)
from scripts import transcripts as cli
from scripts.migrate import upgrade as migrate

RETENTION_DAYS = 1095


def conversation_events(sender: str, days_ago: float, handed_off: bool) -> list[tuple[str, str, dict]]:
    """Broker rows of a short conversation that ended `days_ago` days ago."""
    at = (utcnow() - timedelta(days=days_ago)).timestamp()
    events = [
        {
            "event": "user",
            "timestamp": at,
            "text": "我的信用卡年费怎么收，电话13812345678",
            "parse_data": {"intent": {"name": "faq", "confidence": 0.9}, "entities": []},
        },
        {"event": "bot", "timestamp": at + 1, "text": "您好，信用卡年费因卡种而异。", "data": {}},
    ]
    if handed_off:
        events += [
            {
                "event": "user",
                "timestamp": at + 2,
                "text": "转人工",
                "parse_data": {"intent": {"name": "request_human", "confidence": 0.95}, "entities": []},
            },
            {"event": "pause", "timestamp": at + 3},
        ]
    return [(f"{sender}-{n}", sender, event) for n, event in enumerate(events)]


@pytest.fixture
def store(tmp_path, monkeypatch):
    """A migrated SQLite file the CLI reads through DATABASE_URL, holding one conversation past
    retention (ended four years ago, handed off, tagged) and one within it (ended yesterday)."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    migrate(url)
    monkeypatch.setenv("DATABASE_URL", url)
    # No Rasa stores here (the raw copies' purge has its own test); never the developer's var/.
    monkeypatch.setenv("RASA_TRACKER_DB", str(tmp_path / "no_tracker.db"))
    monkeypatch.setenv("RASA_EVENTS_DB", str(tmp_path / "no_events.db"))
    monkeypatch.delenv("TRACKER_DB_HOST", raising=False)
    monkeypatch.delenv("RASA_TRACKER_URL", raising=False)
    engine = build_engine(url)
    factory = build_session_factory(engine)
    with factory.begin() as session:
        transcripts.ingest_rasa_events(
            session, conversation_events("old", 4 * 365, handed_off=True), retention_days=RETENTION_DAYS
        )
        transcripts.ingest_rasa_events(
            session, conversation_events("recent", 1, handed_off=False), retention_days=RETENTION_DAYS
        )
        transcript_query.add_tag(
            session=session, conversation_id="old", tag="年费", author="analyst", now=utcnow()
        )
    yield factory
    engine.dispose()


def counts(factory) -> dict[str, dict[str, int]]:
    """Rows per conversation in each table the purge clears."""
    out: dict[str, dict[str, int]] = {}
    with factory() as session:
        for model in (
            TranscriptMessage,
            TranscriptTerm,
            TranscriptEvent,
            TranscriptTag,
            TranscriptConversation,
            ServiceRecord,
        ):
            out[model.__tablename__] = dict(
                session.execute(
                    select(model.conversation_id, func.count()).group_by(model.conversation_id)
                ).all()
            )
    return out


def test_dry_run_removes_nothing_and_the_purge_removes_only_the_expired(store, capsys):
    before = counts(store)
    assert before["transcript_message"] == {"old": 3, "recent": 2}
    assert before["transcript_tag"] == {"old": 1}
    assert before["transcript_event"] == {"old": 1}
    assert before["transcript_term"]["old"] > 0

    assert cli.main(["purge", "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert "would remove 1 conversations (3 messages) past retention" in printed
    assert "handed_off (转人工服务): 1" in printed
    assert counts(store) == before

    assert cli.main(["purge"]) == 0
    printed = capsys.readouterr().out
    assert "removed 1 conversations (3 messages) past retention" in printed
    assert "handed_off (转人工服务): 1" in printed
    oldest = (utcnow() - timedelta(days=4 * 365)).date().isoformat()
    assert f"from {oldest}" in printed
    after = counts(store)
    assert all("old" not in rows for rows in after.values()), after
    assert after["transcript_message"] == {"recent": 2}
    assert after["archive_service_record"] == {"recent": 1}

    assert cli.main(["purge"]) == 0
    assert "nothing past retention" in capsys.readouterr().out


def test_the_report_counts_by_outcome_and_spans_the_removed_conversations(store):
    report = cli.purge(dry_run=True, now=utcnow() + timedelta(days=RETENTION_DAYS + 2)).transcripts
    assert (report.conversations, report.messages) == (2, 5)
    assert report.by_outcome == {"handed_off": 1, "answered": 1}
    assert report.oldest < report.newest
    assert counts(store)["transcript_message"] == {"old": 3, "recent": 2}
