"""Questionnaire and suitability actions, run as the action server runs them: real trackers,
the real domain, and a real (migrated) database behind the service calls."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from rasa.shared.core.domain import Domain
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import delete
from sqlalchemy.orm import Session

from actions import common
from actions.assessment import (
    ActionAskAssessmentReply,
    ActionFinishAssessment,
    ActionStartAssessment,
    ValidateRiskAssessmentForm,
)
from actions.suitability import ActionAnswerSuitability
from bot.conversations import buttons as step_buttons
from bot.db import build_engine, utcnow
from bot.handoff.models import AgentPresence
from bot.suitability import service as suitability_service
from bot.suitability.models import ABANDONED, COMPLETED
from bot.suitability.questionnaire import load_questionnaire
from tests.actions.conftest import signed_metadata
from tests.conftest import ROOT

DOMAIN = Domain.load(str(ROOT / "domain.yml")).as_dict()
Q = load_questionnaire()


@pytest.fixture
def customer(database_url, monkeypatch) -> str:
    """A fresh customer id, with the actions pointed at the test database."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    common._session_factory.cache_clear()
    yield f"T{uuid.uuid4().hex[:10]}"
    common._session_factory.cache_clear()


def _tracker(
    text: str,
    *,
    customer: str | None,
    slots: dict | None = None,
    intent="answer_option",
    parse: dict | None = None,
) -> Tracker:
    metadata = signed_metadata("conv-1", customer=customer, channel="app" if customer else "web")
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": [],
        "metadata": metadata,
        **(parse or {}),
    }
    events = [
        {"event": "user", "text": text, "parse_data": latest, "metadata": metadata},
        {"event": "slot", "name": "assessment_reply", "value": text},
    ]
    return Tracker.from_dict(
        {
            "sender_id": "conv-1",
            "slots": {"assessment_reply": text, **(slots or {})},
            "latest_message": latest,
            "events": events,
            "active_loop": {"name": "risk_assessment_form"},
        }
    )


def _run(action, tracker: Tracker) -> tuple[list[dict], dict]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, DOMAIN))
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def _say(text: str, slots: dict, customer: str, **kwargs) -> tuple[list[dict], dict]:
    """One customer message in the running form: validation, then the form's next question."""
    messages, changed = _run(
        ValidateRiskAssessmentForm(), _tracker(text, customer=customer, slots=slots, **kwargs)
    )
    slots = {**slots, **changed}
    if slots.get("assessment_reply") is None:
        asked, _ = _run(ActionAskAssessmentReply(), _tracker("", customer=customer, slots=slots))
        messages += asked
    return messages, slots


def _stored(database_url: str, customer: str):
    engine = build_engine(database_url)
    with Session(engine) as session:
        rows = suitability_service.list_assessments(session=session, customer_id=customer)
        result = [
            (r.status, r.level, r.total_points, len(r.answers), r.channel, r.conversation_id) for r in rows
        ]
    engine.dispose()
    return result


def _nobody_online(database_url: str) -> None:
    engine = build_engine(database_url)
    with Session(engine) as session, session.begin():
        session.execute(delete(AgentPresence))
    engine.dispose()


def _start(customer: str) -> tuple[list[dict], dict]:
    return _run(
        ActionStartAssessment(), _tracker("我要做风险评估", customer=customer, intent="start_assessment")
    )


def test_an_anonymous_customer_is_asked_to_log_in(customer):
    messages, slots = _start(None)
    assert messages[0]["response"] == "utter_assessment_login_required"
    assert slots["assessment_allowed"] is False


@pytest.mark.parametrize(
    "forged",
    [
        {"customer_id": "C0001", "channel": "app"},  # what any caller of Rasa's REST webhook may send
        signed_metadata("another-conversation", customer="C0001", channel="app"),  # copied from elsewhere
    ],
)
def test_a_customer_id_the_api_did_not_sign_for_this_conversation_is_not_believed(customer, forged):
    tracker = _tracker("我要做风险评估", customer=None, intent="start_assessment")
    tracker.latest_message["metadata"] = forged
    messages, slots = _run(ActionStartAssessment(), tracker)
    assert messages[0]["response"] == "utter_assessment_login_required"
    assert slots["assessment_allowed"] is False


def test_a_whole_questionnaire_is_stored_with_its_level(customer, database_url):
    messages, slots = _start(customer)
    assert messages[0]["response"] == "utter_assessment_intro"
    asked, _ = _run(ActionAskAssessmentReply(), _tracker("", customer=customer, slots=slots))
    assert asked[0]["text"].startswith("第1/10题：您的年龄是？")
    assert "A. 18–30岁" in asked[0]["text"]
    assert [b["title"] for b in asked[0]["buttons"]] == [
        "A. 18–30岁",
        "B. 31–50岁",
        "C. 51–64岁",
        "D. 65岁及以上",
    ]
    # Each button names the question it answers (bot/conversations/buttons.py).
    assert [step_buttons.read(b["payload"]) for b in asked[0]["buttons"]] == [
        step_buttons.Press("assessment:1:age", letter) for letter in "ABCD"
    ]

    # Highest-scoring answers, given in the ways customers answer: words, numbers, letters.
    for text in ["我四十岁", "一百五十万", "D", "十年了", "D", "D", "D", "D", "D", "D"]:
        messages, slots = _say(text, slots, customer)
        assert slots["assessment_reply"] is None, (text, messages)
    summary = messages[-1]["text"]
    assert summary.startswith("请核对您的答案") and "1. 您的年龄是？ B. 31–50岁" in summary

    messages, slots = _say("确认提交", slots, customer)
    assert slots["assessment_reply"] == "submitted"
    result, reset = _run(ActionFinishAssessment(), _tracker("确认提交", customer=customer, slots=slots))
    assert result[0]["response"] == "utter_assessment_result"
    assert result[0]["level"] == "C5" and result[0]["product_levels"] == "R1–R5"
    assert reset == {"assessment_attempt": None, "assessment_reply": None}
    total = sum(q.options[i].points for q, i in zip(Q.questions, [1, 3, 3, 3, 3, 3, 3, 3, 3, 3]))
    assert result[0]["total"] == total
    assert _stored(database_url, customer) == [(COMPLETED, "C5", total, 10, "app", "conv-1")]


def test_a_question_mid_way_is_answered_then_the_same_question_is_asked_again(customer):
    _, slots = _start(customer)
    _, slots = _say("A", slots, customer)
    faq = {
        "response_selector": {
            "default": {"ranking": [{"intent_response_key": "faq/annual_fee", "confidence": 0.93}]}
        }
    }
    messages, after = _say("信用卡年费怎么收", slots, customer, intent="faq", parse=faq)
    assert [m.get("response") or m.get("utter_action") for m in messages[:2]] == [
        "utter_faq/annual_fee",
        "utter_assessment_continue",
    ]
    assert messages[2]["text"].startswith("第2/10题")
    assert after["assessment_attempt"]["answers"] == [0]


def test_unclear_answers_are_explained_and_the_third_offers_a_person(customer, database_url):
    _nobody_online(database_url)  # the person offer is a call-back
    _, slots = _start(customer)
    messages, slots = _say("你猜", slots, customer, intent="nlu_fallback")
    assert messages[0]["response"] == "utter_assessment_unclear" and messages[0]["last"] == "D"
    assert messages[1]["text"].startswith("第1/10题")
    _, slots = _say("不知道", slots, customer, intent="nlu_fallback")
    messages, slots = _say("随便吧", slots, customer, intent="nlu_fallback")
    assert messages[0]["response"] == "utter_assessment_offer_person"
    assert len(messages) == 1  # the question waits until the customer chooses
    messages, slots = _say("/request_human", slots, customer, intent="request_human")
    assert slots["assessment_reply"] == "person"
    result, _ = _run(ActionFinishAssessment(), _tracker("", customer=customer, slots=slots))
    assert "/request_callback" in [b["payload"] for b in result[0]["buttons"]]  # nobody online here
    assert _stored(database_url, customer) == [(ABANDONED, None, None, 0, "app", "conv-1")]


def test_leaving_is_confirmed_and_the_partial_attempt_kept_as_abandoned(customer, database_url):
    _, slots = _start(customer)
    for text in ["A", "B", "C"]:
        _, slots = _say(text, slots, customer)
    messages, slots = _say("不做了", slots, customer, intent="stop_assessment")
    assert messages[0]["response"] == "utter_assessment_confirm_exit"
    messages, slots = _say("确定退出", slots, customer)
    assert slots["assessment_reply"] == "exited"
    result, _ = _run(ActionFinishAssessment(), _tracker("", customer=customer, slots=slots))
    assert result[0]["response"] == "utter_assessment_exited"
    assert _stored(database_url, customer) == [(ABANDONED, None, None, 3, "app", "conv-1")]


def test_previous_question_asks_it_again(customer):
    _, slots = _start(customer)
    for text in ["A", "B"]:
        _, slots = _say(text, slots, customer)
    messages, slots = _say("上一题", slots, customer, intent="previous_question")
    assert messages[0]["response"] == "utter_assessment_previous"
    assert messages[1]["text"].startswith("第2/10题")


def _store(database_url: str, customer: str, letters: str, *, taken_at=None) -> None:
    answers = {q.id: "ABCD".index(letter) for q, letter in zip(Q.questions, letters)}
    engine = build_engine(database_url)
    with Session(engine) as session, session.begin():
        suitability_service.record_assessment(
            session=session,
            customer_id=customer,
            questionnaire=Q,
            answers=answers,
            channel="web",
            conversation_id=None,
            now=taken_at or utcnow(),
        )
    engine.dispose()


def _ask(text: str, customer: str | None, intent: str = "ask_suitability") -> tuple[list[dict], dict]:
    return _run(ActionAnswerSuitability(), _tracker(text, customer=customer, intent=intent))


def test_suitability_without_an_assessment_offers_the_questionnaire(customer):
    messages, slots = _ask("我能买R4的产品吗", customer)
    assert messages[0]["response"] == "utter_suitability_no_assessment"
    assert (
        DOMAIN["responses"]["utter_suitability_no_assessment"][0]["buttons"][0]["payload"]
        == "/start_assessment"
    )
    assert slots == {"assessment_offered": True}
    messages, _ = _ask("我能买R4的产品吗", None)
    assert messages[0]["response"] == "utter_suitability_login_required"


def test_suitability_follows_the_latest_valid_assessment(customer, database_url):
    _store(database_url, customer, "AAAAABBBBB")  # 36 points: C2
    messages, _ = _ask("我能买R4的产品吗", customer)
    assert messages[0]["response"] == "utter_suitability_unsuitable"
    assert messages[0]["level"] == "C2" and messages[0]["allowed"] == "R1–R2"
    messages, slots = _ask("稳享90天理财适合我吗", customer)
    assert messages[0]["response"] == "utter_suitability_suitable"
    assert "WM-R2-090" in messages[0]["subject"] and slots == {"assessment_offered": False}
    messages, _ = _ask("我的风险等级是什么", customer, intent="ask_my_risk_level")
    assert messages[0]["response"] == "utter_my_risk_level" and messages[0]["level_name"] == "谨慎型"
    messages, _ = _ask("这个能买吗", customer)
    assert messages[0]["response"] == "utter_suitability_which"


def test_an_expired_assessment_is_not_used(customer, database_url):
    _store(database_url, customer, "DDDDDDDDDD", taken_at=utcnow() - timedelta(days=400))
    messages, slots = _ask("R3的理财我可以买吗", customer)
    assert messages[0]["response"] == "utter_suitability_expired" and messages[0]["level"] == "C5"
    assert slots == {"assessment_offered": True}


def test_customers_aged_65_or_over_get_the_extra_warning_for_high_risk(customer, database_url):
    _store(database_url, customer, "DDDDDDDDDD")  # D on the age question is 65岁及以上
    messages, _ = _ask("科技先锋股票基金我能买吗", customer)
    assert messages[0]["response"] == "utter_suitability_suitable"
    assert messages[1]["response"] == "utter_suitability_senior_care"
    assert (
        DOMAIN["responses"]["utter_suitability_senior_care"][0]["buttons"][0]["payload"] == "/request_human"
    )
    messages, _ = _ask("R2的产品我能买吗", customer)
    assert len(messages) == 1


def test_starting_again_mentions_the_current_valid_result(customer, database_url):
    _store(database_url, customer, "AAAAABBBBB")
    messages, slots = _start(customer)
    assert [m["response"] for m in messages] == ["utter_assessment_intro", "utter_assessment_intro_existing"]
    assert messages[1]["level"] == "C2" and messages[1]["level_name"] == "谨慎型"
    assert slots["assessment_attempt"]["answers"] == []


def test_the_reset_by_the_start_action_is_not_taken_as_an_answer(customer):
    _, slots = _start(customer)
    tracker = Tracker.from_dict(
        {
            "sender_id": "conv-1",
            "slots": {**slots, "assessment_reply": None},
            "latest_message": {"text": "我要做风险评估", "intent": {"name": "start_assessment"}},
            "events": [
                {
                    "event": "user",
                    "text": "我要做风险评估",
                    "parse_data": {"intent": {"name": "start_assessment"}},
                },
                {"event": "slot", "name": "assessment_reply", "value": None},
            ],
            "active_loop": {"name": "risk_assessment_form"},
        }
    )
    messages, changed = _run(ValidateRiskAssessmentForm(), tracker)
    assert messages == [] and changed == {"assessment_reply": None}


def test_a_button_of_an_earlier_question_never_answers_the_current_one(customer, database_url):
    """At question 3, question 1's "D. 65岁及以上" must not be stored as question 3's "D"."""
    _, slots = _start(customer)
    first, _ = _run(ActionAskAssessmentReply(), _tracker("", customer=customer, slots=slots))
    old_d = first[0]["buttons"][3]["payload"]
    for text in ["B", "B"]:
        _, slots = _say(text, slots, customer)
    before = slots["assessment_attempt"]["answers"]

    messages, slots = _say(old_d, slots, customer, intent="answer_option")
    assert slots["assessment_attempt"]["answers"] == before == [1, 1]  # nothing stored for question 3
    assert messages[0]["response"] == "utter_assessment_stale"
    assert messages[-1]["text"].startswith("第3/10题")  # and question 3 is asked again
    third = messages[-1]["buttons"][3]["payload"]
    _, slots = _say(third, slots, customer, intent="answer_option")  # its own button counts
    assert slots["assessment_attempt"]["answers"] == [1, 1, 3]

    # The summary's "确认提交" pressed while question 2 is being changed submits nothing.
    for text in ["B"] * 7:
        messages, slots = _say(text, slots, customer)
    submit = next(b["payload"] for b in messages[-1]["buttons"] if b["title"] == "确认提交")
    _, slots = _say("修改第2题", slots, customer)
    messages, slots = _say(submit, slots, customer, intent="answer_option")
    assert slots["assessment_reply"] is None and messages[0]["response"] == "utter_assessment_stale"
    assert messages[-1]["text"].startswith("第2/10题")
    assert _stored(database_url, customer) == []


def test_a_last_answer_delivered_twice_stores_one_assessment(customer, database_url):
    """A resent message (same API message id) gives the stored result again instead of storing a
    second assessment; an exit delivered twice keeps one abandoned attempt."""
    _, slots = _start(customer)
    for text in ["我四十岁", "一百五十万", "D", "十年了", "D", "D", "D", "D", "D", "D"]:
        _, slots = _say(text, slots, customer)
    _, slots = _say("确认提交", slots, customer)
    confirmation = _tracker("确认提交", customer=customer, slots=slots)
    confirmation.latest_message["metadata"]["message_id"] = 77
    first, _ = _run(ActionFinishAssessment(), confirmation)
    again, _ = _run(ActionFinishAssessment(), confirmation)
    assert again == first and first[0]["level"] == "C5"
    assert [row[:2] for row in _stored(database_url, customer)] == [(COMPLETED, "C5")]

    _, slots = _start(customer)
    _, slots = _say("我四十岁", slots, customer)
    exit_request = _tracker("", customer=customer, slots={**slots, "assessment_reply": "exited"})
    exit_request.latest_message["metadata"]["message_id"] = 78
    _run(ActionFinishAssessment(), exit_request)
    _run(ActionFinishAssessment(), exit_request)
    assert sorted(row[0] for row in _stored(database_url, customer)) == sorted([COMPLETED, ABANDONED])


def test_fraud_happening_now_ends_the_questionnaire_with_what_to_do_and_a_person(customer, database_url):
    _nobody_online(database_url)  # the person comes as a call-back
    _, slots = _start(customer)
    _, slots = _say("A", slots, customer)
    said = "等一下，我刚把验证码告诉了对方，钱被转走了"
    messages, slots = _say(said, slots, customer, intent="nlu_fallback")
    assert messages == []  # not "请回复A、B、C或D"
    assert slots["assessment_reply"] == "urgent:fraud"
    result, _ = _run(ActionFinishAssessment(), _tracker(said, customer=customer, slots=slots))
    assert result[0]["text"].splitlines()[1].startswith("1. 拨打")
    assert "24小时客服热线95000" in result[0]["text"]
    assert "/request_callback" in [b["payload"] for b in result[1]["buttons"]]
    assert _stored(database_url, customer) == [(ABANDONED, None, None, 1, "app", "conv-1")]
