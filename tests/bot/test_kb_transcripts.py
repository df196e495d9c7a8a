"""What customers were shown: the transcript store keeps the answer version id of each FAQ reply,
analysts filter by it, and their "知识库缺少此主题" marks become the console's suggestions.
SQLite and PostgreSQL."""

from __future__ import annotations

import time
import uuid

import pytest

from bot.db import utcnow
from bot.errors import InvalidInput
from bot.faq import quality
from bot.transcripts import labels
from bot.transcripts import query as transcript_query
from bot.transcripts import service as transcripts
from bot.transcripts.query import ConversationFilter


def _events(conversation: str, version_id) -> list[tuple[str, str, dict]]:
    now = time.time()
    user = {
        "event": "user",
        "timestamp": now,
        "text": "跨行转账要手续费吗",
        "parse_data": {"intent": {"name": "faq", "confidence": 0.9}, "entities": []},
        "metadata": {"channel": "web"},
    }
    reply = {
        "event": "bot",
        "timestamp": now + 0.1,
        "text": "跨行转账手续费……",
        "data": {},
        "metadata": {
            "utter_action": "utter_faq/transfer_fee",
            "faq_answer_version": "abc123",
            "faq_answer_version_id": version_id,
        },
    }
    return [(f"{conversation}-1", conversation, user), (f"{conversation}-2", conversation, reply)]


def test_the_answer_version_of_each_faq_reply_is_kept_and_filters_conversations(session):
    shown, other, odd = (f"kb-{uuid.uuid4().hex[:8]}" for _ in range(3))
    transcripts.ingest_rasa_events(session, _events(shown, 987654))
    transcripts.ingest_rasa_events(session, _events(other, 987655))
    transcripts.ingest_rasa_events(session, _events(odd, "not-an-id"))
    rows = transcripts.conversation_transcript(session, shown)
    assert [(r.sender, r.answer_version_id) for r in rows] == [("customer", None), ("assistant", 987654)]
    assert transcripts.conversation_transcript(session, odd)[1].answer_version_id is None

    items, total = transcript_query.list_conversations(
        session=session,
        filters=ConversationFilter(answer_version_id=987654),
        sort="-started_at",
        page=1,
        page_size=20,
    )
    assert total == 1 and items[0]["conversation_id"] == shown
    detail = transcript_query.conversation_detail(session=session, conversation_id=shown)
    assert detail["messages"][1]["answer_version_id"] == 987654


def test_questions_marked_as_missing_topics_are_suggested_grouped_by_note(session):
    conversations = [f"kb-{uuid.uuid4().hex[:8]}" for _ in range(3)]
    for conversation in conversations:
        transcripts.ingest_rasa_events(session, _events(conversation, None))
    for conversation, note in zip(
        conversations, ["数字人民币钱包", "数字人民币钱包", "外币现钞预约"], strict=True
    ):
        customer = transcripts.conversation_transcript(session, conversation)[0]
        transcript_query.annotate_message(
            session=session,
            conversation_id=conversation,
            message_id=customer.id,
            correct_intent=labels.MISSING_TOPIC,
            note=note,
            author="analyst-1",
            now=utcnow(),
        )
    suggestions = {item.note: item for item in quality.missing_topics(session=session)}
    assert suggestions["数字人民币钱包"].count == 2
    assert suggestions["数字人民币钱包"].examples == ["跨行转账要手续费吗"] * 2
    assert suggestions["外币现钞预约"].count == 1

    # Not a correction the NLU export would write; an assistant message has no intent to mark.
    assert labels.correction_intent(labels.MISSING_TOPIC) is None
    reply = transcripts.conversation_transcript(session, conversations[0])[1]
    with pytest.raises(InvalidInput):
        transcript_query.annotate_message(
            session=session,
            conversation_id=conversations[0],
            message_id=reply.id,
            correct_intent=labels.MISSING_TOPIC,
            note="x",
            author="analyst-1",
            now=utcnow(),
        )


def test_wording_counts_cover_every_topic_and_a_report_gives_f1(tmp_path):
    from bot.faq.catalog import load_catalog

    counts = quality.wording_counts()
    assert set(load_catalog().topics) <= set(counts) and min(counts.values()) >= 12
    assert quality.last_cross_validation(tmp_path) is None
    (tmp_path / quality.TOPIC_REPORT).write_text(
        '{"faq/transfer_fee": {"precision": 0.9, "recall": 0.8, "f1-score": 0.85, "support": 20},'
        ' "macro avg": {"f1-score": 0.87}, "accuracy": 0.89}',
        encoding="utf-8",
    )
    report = quality.last_cross_validation(tmp_path)
    assert report is not None and report.f1 == {"transfer_fee": 0.85}
