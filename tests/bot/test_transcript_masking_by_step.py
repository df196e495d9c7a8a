"""What answers a form step that asked for a name, phone, address or identity number reaches the
analysts masked whatever it looks like: the transcript writer follows the form's own step (the
`stage` of complaint_draft, callback_state, case_lookup) through Rasa's slot events, across broker
batches. The complaint summary's "· 姓名：…" line is masked too. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.cases.intake import Draft
from bot.handoff.conversation import CallbackIntake, CallbackStage
from bot.transcripts import export
from bot.transcripts import service as transcripts
from bot.transcripts.models import TranscriptMessage, TranscriptTerm
from bot.transcripts.query import ConversationFilter

START = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
NAME = "司马相如"
ODD_PHONE = "1391234567"  # ten digits: no pattern calls it a mobile


class Broker:
    """Rasa broker rows, one event a second apart, numbered after what other tests stored."""

    def __init__(self, conversation_id: str, first_id: int):
        self.conversation_id = conversation_id
        self.rows: list[tuple[int, str, str]] = []
        self.next_id = first_id
        self.clock = START

    def add(self, event: dict) -> None:
        self.clock += timedelta(seconds=1)
        event = {"timestamp": self.clock.timestamp(), **event}
        self.rows.append((self.next_id, self.conversation_id, json.dumps(event, ensure_ascii=False)))
        self.next_id += 1

    def user(self, text: str) -> None:
        parse = {
            "text": text,
            "intent": {"name": "nlu_fallback", "confidence": 0.3},
            "entities": [{"entity": "PERSON", "value": text, "start": 0, "end": len(text)}],
        }
        self.add({"event": "user", "text": text, "parse_data": parse, "metadata": {"channel": "web"}})

    def bot(self, text: str) -> None:
        self.add({"event": "bot", "text": text, "data": {}, "metadata": {}})

    def slot(self, name: str, value) -> None:
        self.add({"event": "slot", "name": name, "value": value})

    def take(self) -> list[tuple[int, str, str]]:
        rows, self.rows = self.rows, []
        return rows


def _stored(session, conversation_id: str) -> list[TranscriptMessage]:
    return transcripts.conversation_transcript(session, conversation_id)


def test_a_complaints_name_and_phone_answers_are_masked_whatever_they_look_like(session):
    broker = Broker("step-mask-complaint", 9_100_000)
    broker.add({"event": "active_loop", "name": "complaint_form"})
    broker.slot("requested_slot", "complaint_reply")
    broker.slot("complaint_draft", Draft(description=("网银转账被多扣了手续费",), stage="phone").to_slot())
    broker.bot("请留一个方便联系您的手机号码。")
    broker.user(ODD_PHONE)
    # The phone did not validate: the step stays; the next batch carries the corrected one.
    transcripts.ingest_rasa_events(session, broker.take())
    broker.slot("complaint_draft", Draft(stage="name", phone="13912345678").to_slot())
    broker.bot("请问怎么称呼您？")
    broker.user(NAME)
    broker.slot("complaint_draft", Draft(stage="summary", phone="13912345678", name=NAME).to_slot())
    broker.bot(f"请核对您的投诉信息：\n· 联系电话：139****5678\n· 姓名：{NAME}\n确认无误请点击“确认提交”")
    broker.user("确认提交")
    transcripts.ingest_rasa_events(session, broker.take())
    session.flush()

    rows = {m.sender + ":" + m.text[:6]: m for m in _stored(session, "step-mask-complaint")}
    texts = [m.text for m in _stored(session, "step-mask-complaint")]
    assert "******4567" in texts  # the odd phone keeps only its last four digits
    assert "司***" in texts  # the name answer keeps only its first character
    assert "确认提交" in texts  # the summary step is not personal: stays readable
    summary = next(t for t in texts if t.startswith("请核对"))
    assert "· 姓名：司***" in summary
    for message in _stored(session, "step-mask-complaint"):
        for field in (message.text, message.normalized_text or "", json.dumps(message.entities or [])):
            assert NAME not in field and ODD_PHONE not in field and "相如" not in field
    assert rows["customer:司***"].requested_slot == "complaint_reply"
    assert rows["customer:司***"].entities is None
    terms = set(
        session.scalars(
            select(TranscriptTerm.term).where(TranscriptTerm.conversation_id == "step-mask-complaint")
        )
    )
    assert not {NAME, "相如", "司马", ODD_PHONE} & terms

    exported = "".join(export.csv_lines(session, ConversationFilter()))
    assert NAME not in exported and ODD_PHONE not in exported


def test_a_call_back_phone_step_is_masked_and_the_next_form_is_not(session):
    broker = Broker("step-mask-callback", 9_200_000)
    broker.slot("callback_state", CallbackIntake().to_slot())  # the start action, before the loop
    broker.add({"event": "active_loop", "name": "callback_form"})
    broker.slot("requested_slot", "callback_reply")
    broker.user("幺三九 一二三四 五六七")  # spoken, one digit short
    broker.slot("callback_state", CallbackIntake(stage=CallbackStage.TIME, phone="13912345678").to_slot())
    broker.user("明天下午三点")
    broker.add({"event": "active_loop", "name": None})
    broker.user("好的，谢谢")  # after the form: an ordinary message again
    transcripts.ingest_rasa_events(session, broker.take())
    session.flush()

    texts = [m.text for m in _stored(session, "step-mask-callback") if m.sender == "customer"]
    assert texts[0].count("*") >= 6 and "二三四" not in texts[0] and "一二" not in texts[0]
    assert texts[1] == "明天下午三点"
    assert texts[2] == "好的，谢谢"
