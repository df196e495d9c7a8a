"""FAQ actions: answer, offer two close topics, follow up in context."""

from __future__ import annotations

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.faq import ActionAnswerFaq, ActionAnswerFollowup


def _tracker(latest: dict, slots: dict | None = None) -> Tracker:
    return Tracker.from_dict(
        {"sender_id": "c1", "slots": slots or {}, "latest_message": latest, "events": []}
    )


def _selector(*pairs: tuple[str, float]) -> dict:
    ranking = [{"intent_response_key": f"faq/{t}", "confidence": c} for t, c in pairs]
    return {"default": {"ranking": ranking}}


def _run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher.messages, events


def test_a_clear_topic_is_answered_and_remembered():
    latest = {"intent": {"name": "faq"}, "response_selector": _selector(("card_lost", 0.9))}
    messages, events = _run(ActionAnswerFaq(), _tracker(latest))
    assert messages[0]["utter_action"] == "utter_faq/card_lost"
    assert events == [
        {"event": "slot", "timestamp": None, "name": "last_faq_topic", "value": "card_lost"},
        {"event": "slot", "timestamp": None, "name": "transfer_bank", "value": None},
    ]


def test_two_close_topics_are_offered_as_buttons():
    latest = {
        "intent": {"name": "faq"},
        "response_selector": _selector(("card_lost", 0.42), ("card_replace", 0.38)),
    }
    messages, events = _run(ActionAnswerFaq(), _tracker(latest))
    assert messages[0]["response"] == "utter_faq_which"
    assert messages[0]["topic_a"] == "银行卡挂失" and messages[0]["topic_b"] == "补卡与换卡"
    assert [b["payload"] for b in messages[0]["buttons"]] == [
        '/faq_choose{"faq_topic": "card_lost"}',
        '/faq_choose{"faq_topic": "card_replace"}',
    ]
    assert events == []


def test_a_chosen_button_answers_that_topic():
    latest = {
        "intent": {"name": "faq_choose"},
        "entities": [{"entity": "faq_topic", "value": "card_replace"}],
    }
    messages, _ = _run(ActionAnswerFaq(), _tracker(latest))
    assert messages[0]["utter_action"] == "utter_faq/card_replace"


def test_an_unknown_chosen_topic_asks_to_rephrase():
    latest = {"intent": {"name": "faq_choose"}, "entities": [{"entity": "faq_topic", "value": "x"}]}
    messages, _ = _run(ActionAnswerFaq(), _tracker(latest))
    assert messages[0]["response"] == "utter_ask_rephrase"


def test_fee_follow_up_after_transfers_answers_transfer_fees():
    tracker = _tracker({"intent": {"name": "followup_fee"}}, {"last_faq_topic": "interbank_transfer"})
    messages, events = _run(ActionAnswerFollowup(), tracker)
    assert messages[0]["utter_action"] == "utter_faq/transfer_fee"
    assert events[0]["value"] == "transfer_fee"


def test_a_follow_up_without_context_asks_which_business():
    messages, _ = _run(ActionAnswerFollowup(), _tracker({"intent": {"name": "followup_time"}}))
    assert messages[0]["response"] == "utter_followup_no_context"
    assert messages[0]["aspect"] == "办理时间"


def test_a_follow_up_the_topic_does_not_cover_says_where_to_look():
    tracker = _tracker({"intent": {"name": "followup_rate"}}, {"last_faq_topic": "fraud_brushing"})
    messages, _ = _run(ActionAnswerFollowup(), tracker)
    assert messages[0]["response"] == "utter_followup_not_covered"
    assert messages[0]["topic"] == "刷单诈骗"


def test_a_follow_up_that_leads_back_to_the_same_topic_does_not_repeat_the_answer():
    tracker = _tracker({"intent": {"name": "followup_fee"}}, {"last_faq_topic": "annual_fee"})
    messages, events = _run(ActionAnswerFollowup(), tracker)
    assert messages[0]["response"] == "utter_followup_already_answered"
    assert messages[0]["topic"] == "信用卡年费" and messages[0]["aspect"] == "手续费或费用"
    assert events == []


def _clause(text: str, topic: str | None, confidence: float = 0.9, intent: str = "faq") -> dict:
    return {"text": text, "intent": intent, "topic": topic, "confidence": confidence}


def test_two_questions_in_one_message_get_the_first_answer_and_a_button_for_the_second():
    latest = {
        "intent": {"name": "faq"},
        "text": "手机银行怎么开通，转账限额多少",
        "response_selector": _selector(("app_register", 0.7), ("transfer_limit", 0.2)),
        "question_clauses": [
            _clause("手机银行怎么开通", "app_register"),
            _clause("转账限额多少", "transfer_limit", 0.97),
        ],
    }
    messages, events = _run(ActionAnswerFaq(), _tracker(latest))
    assert messages[0]["utter_action"] == "utter_faq/app_register"
    assert messages[1]["response"] == "utter_faq_also_asked"
    assert messages[1]["topic"] == "转账限额"
    assert [b["payload"] for b in messages[1]["buttons"]] == ['/faq_choose{"faq_topic": "transfer_limit"}']
    assert [b["title"] for b in messages[1]["buttons"]] == ["转账限额"]
    assert events[0]["value"] == "app_register"


def test_two_questions_read_as_two_close_topics_are_answered_rather_than_asked_which():
    latest = {
        "intent": {"name": "faq"},
        "response_selector": _selector(("transfer_limit", 0.45), ("app_register", 0.4)),
        "question_clauses": [
            _clause("手机银行怎么开通", "app_register"),
            _clause("转账限额多少", "transfer_limit"),
        ],
    }
    messages, _ = _run(ActionAnswerFaq(), _tracker(latest))
    assert messages[0]["utter_action"] == "utter_faq/app_register"  # the customer's first question
    assert messages[1]["response"] == "utter_faq_also_asked" and messages[1]["topic"] == "转账限额"


def test_three_questions_offer_both_others():
    latest = {
        "intent": {"name": "faq"},
        "response_selector": _selector(("annual_fee", 0.9)),
        "question_clauses": [
            _clause("信用卡年费多少", "annual_fee"),
            _clause("怎么分期", "installment"),
            _clause("积分怎么兑换", "credit_card_points"),
        ],
    }
    messages, _ = _run(ActionAnswerFaq(), _tracker(latest))
    assert messages[0]["utter_action"] == "utter_faq/annual_fee"
    assert messages[1]["response"] == "utter_faq_also_asked_several"
    assert [b["title"] for b in messages[1]["buttons"]] == ["信用卡分期与手续费", "信用卡积分"]


def test_one_question_gets_no_extra_offer():
    latest = {
        "intent": {"name": "faq"},
        "response_selector": _selector(("annual_fee", 0.9)),
        "question_clauses": [
            _clause("信用卡年费多少", "annual_fee"),
            _clause("怎么才能免", "annual_fee", 0.6),
        ],
    }
    messages, _ = _run(ActionAnswerFaq(), _tracker(latest))
    assert [m.get("utter_action") for m in messages] == ["utter_faq/annual_fee"]


def test_a_clicked_topic_button_is_one_question_whatever_was_read_before():
    latest = {
        "intent": {"name": "faq_choose"},
        "entities": [{"entity": "faq_topic", "value": "transfer_limit"}],
    }
    messages, _ = _run(ActionAnswerFaq(), _tracker(latest))
    assert len(messages) == 1 and messages[0]["utter_action"] == "utter_faq/transfer_limit"


# Retired on 2026-12-05 (issue 14) into today's topic; bot/faq/catalog.yml `retired`.
RETIRED, SUCCESSOR = "loan_not_received", "loan_disbursement"


def test_a_button_from_before_a_merge_gets_the_successor_s_answer():
    latest = {"intent": {"name": "faq_choose"}, "entities": [{"entity": "faq_topic", "value": RETIRED}]}
    messages, events = _run(ActionAnswerFaq(), _tracker(latest))
    assert messages[0]["utter_action"] == f"utter_faq/{SUCCESSOR}" and messages[0]["text"]
    assert events[0]["value"] == SUCCESSOR


def test_a_follow_up_after_an_answer_from_before_a_merge_follows_the_successor():
    # "要多久？" after the loan-term answer: the successor's answer covers the term already.
    tracker = _tracker({"intent": {"name": "followup_time"}}, {"last_faq_topic": "loan_term_use"})
    messages, _ = _run(ActionAnswerFollowup(), tracker)
    assert messages[0]["response"] == "utter_followup_already_answered"
    assert messages[0]["topic"] == "贷款品种、期限与用途"
    # "那利率呢" after it: the loan group's rate topic.
    tracker = _tracker({"intent": {"name": "followup_rate"}}, {"last_faq_topic": "loan_term_use"})
    messages, _ = _run(ActionAnswerFollowup(), tracker)
    assert messages[0]["utter_action"] == "utter_faq/loan_interest_rate"
