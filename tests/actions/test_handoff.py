"""Asking for a person, as the action server runs it: real trackers, the real domain and a real
database behind bot.handoff. Agent hours are set to all day so the tests do not depend on the
clock; presence decides between the queue and a call-back offer."""

from __future__ import annotations

import asyncio
import json
import re
import uuid

import pytest
from rasa.shared.core.domain import Domain
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import delete, select

from actions import common
from actions.complaint import ActionFinishComplaint
from actions.fallback import ActionHandleFallback
from actions.faq import ActionAnswerFaq
from actions.handoff import (
    ActionAskCallbackReply,
    ActionFinishCallback,
    ActionRequestHuman,
    ActionStartCallback,
    ValidateCallbackForm,
)
from bot.db import build_engine, build_session_factory, utcnow
from bot.handoff import conversation as rules
from bot.handoff import service as handoff_service
from bot.handoff.models import AgentPresence, CallbackRequest, Handoff
from bot.staff import service as staff_service
from tests.actions.conftest import signed_metadata
from tests.conftest import ROOT, SHARED_DATABASE_KEY

DOMAIN = Domain.load(str(ROOT / "domain.yml")).as_dict()
CASE_KEY = SHARED_DATABASE_KEY


@pytest.fixture
def db(database_url, monkeypatch, tmp_path):
    """Actions pointed at the test database, agents working all day, nobody online yet."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setenv("CASE_ENCRYPTION_KEY", CASE_KEY)
    monkeypatch.setenv("AGENT_HOURS", "00:00-24:00")
    monkeypatch.setenv("AGENT_HOLIDAYS_CLOSED", "false")
    monkeypatch.setenv("AGENT_WEEKENDS_CLOSED", "false")
    common._session_factory.cache_clear()
    engine = build_engine(database_url)
    factory = build_session_factory(engine)
    with factory.begin() as session:
        session.execute(delete(AgentPresence))
    yield factory
    with factory.begin() as session:
        session.execute(delete(AgentPresence))
    common._session_factory.cache_clear()
    engine.dispose()


def agent_online(factory) -> None:
    with factory.begin() as session:
        staff = staff_service.create_staff(
            session=session,
            username=f"agent-{uuid.uuid4().hex[:8]}",
            display_name="小王",
            role="agent",
            password="password-for-tests",
            now=utcnow(),
        )
        handoff_service.set_presence(session=session, staff=staff, status="online", now=utcnow())


def tracker(
    texts: list[str],
    *,
    intent: str = "request_human",
    slots: dict | None = None,
    actions_between: list[str] | None = None,
    conversation: str | None = None,
) -> Tracker:
    conversation = conversation or f"conv-{uuid.uuid4().hex[:10]}"
    metadata = signed_metadata(conversation, customer="C0042", channel="web")
    events = []
    for index, text in enumerate(texts):
        events.append(
            {
                "event": "user",
                "text": text,
                "metadata": metadata,
                "parse_data": {"text": text, "intent": {"name": intent}},
            }
        )
        if actions_between and index < len(texts) - 1:
            events.append({"event": "action", "name": actions_between[index]})
    latest = {
        "text": texts[-1],
        "intent": {"name": intent, "confidence": 0.9},
        "entities": [],
        "metadata": metadata,
    }
    return Tracker.from_dict(
        {
            "sender_id": conversation,
            "slots": slots or {},
            "latest_message": latest,
            "events": events,
            "active_loop": {},
        }
    )


def run(action, tracker_: Tracker) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker_, DOMAIN))
    return dispatcher.messages, events


def handoffs_of(factory, conversation: str) -> list[Handoff]:
    with factory.begin() as session:
        return list(session.scalars(select(Handoff).where(Handoff.conversation_id == conversation)))


def test_with_an_agent_online_the_customer_is_queued_and_the_assistant_pauses(db):
    agent_online(db)
    request = tracker(["转人工"])
    messages, events = run(ActionRequestHuman(), request)
    assert [e["event"] for e in events] == ["pause"]
    notice = messages[0]["custom"]
    assert notice["kind"] == "handoff_waiting"
    assert "您是下一位" in notice["text"]
    assert (
        "预计等待约" in notice["text"] or "暂时无法估计等待时间" in notice["text"]
    )  # no past waits: no figure
    [handoff] = handoffs_of(db, request.sender_id)
    assert notice["buttons"] == rules.cancel_buttons(handoff.id)  # bound to this wait
    assert (handoff.status, handoff.reason, handoff.customer_id) == ("waiting", "request", "C0042")

    again, _ = run(ActionRequestHuman(), tracker(["人工客服"], conversation=request.sender_id))
    assert len(handoffs_of(db, request.sender_id)) == 1  # asking twice is not a second place
    assert again[0]["custom"]["kind"] == "handoff_waiting"


def test_with_nobody_online_a_call_back_is_offered_and_nothing_is_queued(db):
    request = tracker(["我要找真人"])
    messages, events = run(ActionRequestHuman(), request)
    # Why the customer wanted a person travels to the call-back request the agent will see.
    assert events == [{"event": "slot", "name": "callback_reason", "value": "request", "timestamp": None}]
    assert "人工客服都不在线" in messages[0]["text"]
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/request_callback", "/decline_human"]
    assert handoffs_of(db, request.sender_id) == []


def test_outside_service_hours_the_customer_is_told_when_agents_work(db, monkeypatch):
    monkeypatch.setenv("AGENT_HOURS", "00:00-00:01")
    agent_online(db)
    messages, events = run(ActionRequestHuman(), tracker(["转人工"]))
    text = messages[0]["text"]
    assert [e["name"] for e in events] == ["callback_reason"] and "人工客服的休息时间" in text
    assert "服务时间为每天 00:00-00:01" in text
    assert re.search(
        r"人工客服将于\d{1,2}月\d{1,2}日（周[一二三四五六日]）00:00上班", text
    )  # with the weekday
    assert bracket_depth(text) == 1  # no brackets inside brackets


def bracket_depth(text: str) -> int:
    depth = deepest = 0
    for char in text:
        depth += {"（": 1, "）": -1}.get(char, 0)
        deepest = max(deepest, depth)
    return deepest


def test_the_out_of_hours_notice_has_no_brackets_inside_brackets_with_holidays_off(db, monkeypatch):
    """The default hours say "（法定节假日除外）" (the other tests switch holidays off): the notice
    around them once held them in brackets of its own."""
    monkeypatch.setenv("AGENT_HOURS", "00:00-00:01")
    monkeypatch.setenv("AGENT_HOLIDAYS_CLOSED", "true")
    agent_online(db)
    text = run(ActionRequestHuman(), tracker(["转人工"]))[0][0]["text"]
    assert "服务时间为每天 00:00-00:01（法定节假日除外）" in text
    assert re.search(r"人工客服将于\d{1,2}月\d{1,2}日（周[一二三四五六日]）00:00上班", text)
    assert bracket_depth(text) == 1
    assert "24小时客服热线95000" in text  # the demo bank's hotline from the settings


def test_fraud_at_night_gives_the_24_hour_hotline_first_as_numbered_steps(db, monkeypatch):
    monkeypatch.setenv("AGENT_HOURS", "00:00-00:01")
    monkeypatch.setenv("BANK_NAME", "厦岭银行")
    monkeypatch.setenv("BANK_FRAUD_LINE", "400-820-1235")
    scammed = tracker(["我被骗了，刚把验证码告诉了对方"], intent="faq")
    scammed.latest_message["response_selector"] = {
        "default": {
            "ranking": [
                {"intent_response_key": "faq/fraud_code_request", "confidence": 0.93},
            ]
        }
    }
    messages, events = run(ActionAnswerFaq(), scammed)
    steps, offer = messages[0]["text"], messages[1]["text"]
    assert [m.get("response") for m in messages] == [None, None]  # not the FAQ's "请不要把验证码告诉任何人"
    lines = steps.splitlines()
    assert lines[1].startswith("1. 拨打厦岭银行24小时客服热线400-820-1235")
    assert lines[2].startswith("2. 拨打110报警，或拨打国家反诈专线96110")
    assert "不要" not in steps  # what to do now, no lecture
    # Outside agent hours: the 24-hour number first, then the call-back.
    assert offer.index("400-820-1235") < offer.index("预约回电")
    assert [b["payload"] for b in messages[1]["buttons"]] == ["/request_callback", "/decline_human"]
    assert events[0]["value"] == "fraud"


def test_after_two_misunderstandings_the_reason_is_recorded(db):
    agent_online(db)
    request = tracker(
        ["dfgh", "asdf", "/request_human"],
        actions_between=["action_handle_fallback", "action_handle_fallback"],
    )
    run(ActionRequestHuman(), request)
    assert handoffs_of(db, request.sender_id)[0].reason == "misunderstood"


def test_distress_goes_to_a_person_first_with_care(db):
    agent_online(db)
    normal = tracker(["转人工"])
    run(ActionRequestHuman(), normal)
    worried = tracker(["我真的不想活了"], intent="nlu_fallback")
    messages, events = run(ActionHandleFallback(), worried)
    assert "12356" in messages[0]["text"] and "110" in messages[0]["text"]
    assert messages[1]["custom"]["kind"] == "handoff_waiting"
    assert [e["event"] for e in events] == ["pause"]
    [handoff] = handoffs_of(db, worried.sender_id)
    assert (handoff.reason, handoff.priority) == ("distress", 0)
    with db.begin() as session:
        first = handoff_service.queue(session=session)[0]
    assert first.handoff.conversation_id == worried.sender_id  # ahead of the earlier request


def test_fraud_that_happened_goes_to_a_person_even_when_the_faq_topic_is_unclear(db):
    agent_online(db)
    scammed = tracker(["我被骗了，验证码告诉了对方"], intent="faq")
    scammed.latest_message["response_selector"] = {
        "default": {
            "ranking": [
                {"intent_response_key": "faq/fraud_fake_service", "confidence": 0.41},
                {"intent_response_key": "faq/fraud_code_request", "confidence": 0.38},
            ]
        }
    }
    messages, events = run(ActionAnswerFaq(), scammed)
    assert "110" in messages[0]["text"]  # what to do now, not "您是想咨询A，还是B？"
    assert messages[1]["custom"]["kind"] == "handoff_waiting"
    assert [e["event"] for e in events] == ["pause"]
    [handoff] = handoffs_of(db, scammed.sender_id)
    assert handoff.reason == "fraud"


def test_a_complaint_handed_to_a_person_carries_its_masked_draft(db):
    agent_online(db)
    draft = {
        "description": ["ATM吞了我的卡，卡号6222021234567890123"],
        "business": "BT01",
        "channel": None,
        "reason": None,
        "confirmed": [],
        "request": None,
        "occurred": None,
        "phone": "13812345678",
        "name": "张三",
        "stage": "request",
        "editing": False,
        "failures": 0,
        "pending": None,
    }
    request = tracker(["转人工"], slots={"complaint_reply": "person", "complaint_draft": draft})
    messages, events = run(ActionFinishComplaint(), request)
    assert messages[0]["response"] == "utter_complaint_handed_over"
    assert messages[1]["custom"]["kind"] == "handoff_waiting"
    assert "pause" in [e["event"] for e in events]
    [handoff] = handoffs_of(db, request.sender_id)
    context = json.loads(handoff.context)["complaint_draft"]
    assert handoff.reason == "complaint" and handoff.priority == 1
    assert context["phone"] == "138****5678"
    assert "6222021234567890123" not in context["description"] and "ATM吞了我的卡" in context["description"]
    assert "张三" not in json.dumps(context, ensure_ascii=False)


def test_the_call_back_request_is_stored_with_the_phone_encrypted(db):
    conversation = f"conv-{uuid.uuid4().hex[:10]}"
    slots: dict = {}

    def say(action, text: str) -> list[dict]:
        current = tracker(
            [text],
            intent="request_callback",
            conversation=conversation,
            slots={**slots, "callback_reply": text},
        )
        # The form filled the slot from the message; the validator checks what was just set.
        current.events.append({"event": "slot", "name": "callback_reply", "value": text})
        messages, events = run(action, current)
        slots.update({e["name"]: e["value"] for e in events if e["event"] == "slot"})
        return messages

    slots["callback_reason"] = "fraud"  # offered after signs of fraud, outside service hours
    say(ActionStartCallback(), "预约回电")
    assert "手机号码" in say(ActionAskCallbackReply(), "")[0]["text"]
    assert "有效的手机号码" in say(ValidateCallbackForm(), "1381234")[0]["text"]
    say(ValidateCallbackForm(), "13812345678")
    assert "方便接听" in say(ActionAskCallbackReply(), "")[0]["text"]
    say(ValidateCallbackForm(), "明天上午十点后")
    assert slots["callback_reply"] == "done"
    before_finish = dict(slots)
    done = say(ActionFinishCallback(), "")
    assert "138****5678" in done[0]["text"] and "明天上午十点后" in done[0]["text"]
    with db.begin() as session:
        [callback] = session.scalars(
            select(CallbackRequest).where(CallbackRequest.conversation_id == conversation)
        ).all()
        assert callback.phone_masked == "138****5678"
        assert "13812345678" not in callback.phone_encrypted
        assert (callback.customer_id, callback.status, callback.reason) == ("C0042", "requested", "fraud")
    assert slots["callback_state"] is None and slots["callback_reason"] is None

    # The same last message delivered again (the API resends after a failure): one call-back.
    again = tracker([""], intent="request_callback", conversation=conversation, slots=before_finish)
    again.latest_message["metadata"]["message_id"] = 9001
    first, _ = run(ActionFinishCallback(), again)
    second, _ = run(ActionFinishCallback(), again)
    assert first == second and "138****5678" in first[0]["text"]
    with db.begin() as session:
        stored = session.scalars(
            select(CallbackRequest).where(CallbackRequest.conversation_id == conversation)
        )
        assert len(stored.all()) == 2  # the first booking above, and one for the message delivered twice
