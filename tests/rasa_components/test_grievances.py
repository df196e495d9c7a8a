"""The grievance rule in the pipeline (rasa_components/grievances.py, bot/grievance): which
predicted intents it turns into express_dissatisfaction or complain, and which it leaves alone."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from rasa_components.grievances import Grievances
from rasa_components.urgent_signals import UrgentSignals


def classified(text: str, intent: str, topic: str | None = None) -> Message:
    message = Message(data={TEXT: text, INTENT: {INTENT_NAME_KEY: intent, "confidence": 0.7}})
    message.set("intent_ranking", [{"name": intent, "confidence": 0.7}, {"name": "greet", "confidence": 0.1}])
    if topic:
        key = f"{intent}/{topic}"
        message.set(
            "response_selector",
            {
                "default": {
                    "response": {"intent_response_key": key},
                    "ranking": [{"intent_response_key": key}],
                }
            },
        )
    return message


def read(text: str, intent: str, topic: str | None = None) -> str:
    message = classified(text, intent, topic)
    Grievances(Grievances.get_default_config()).process([message])
    return message.get(INTENT)[INTENT_NAME_KEY]


@pytest.mark.parametrize(
    "text, intent, topic",
    [
        ("柜台让我等了两个小时", "faq", "branch_hours"),
        ("办信用卡送的东西一直没给", "faq", "credit_card_apply"),
        ("没通知就扣了我年费", "faq", "annual_fee"),
        ("客服电话永远打不通", "faq", "hotline"),
        ("网点排了两个小时的队", "chitchat", "weather"),
        ("说好的礼品呢", "nlu_fallback", None),
        ("一直让我等", "fragment", None),
    ],
)
def test_a_grievance_naming_a_topics_subject_is_dissatisfaction(text, intent, topic):
    assert read(text, intent, topic) == "express_dissatisfaction"


def test_a_grievance_asking_to_complain_starts_the_complaint():
    assert read("信用卡年费乱扣，我要投诉", "faq", "annual_fee") == "complain"


def test_the_override_is_certain_and_keeps_the_ranking():
    message = classified("没通知就扣了我年费", "faq", "annual_fee")
    Grievances(Grievances.get_default_config()).process([message])
    assert message.get(INTENT) == {INTENT_NAME_KEY: "express_dissatisfaction", "confidence": 1.0}
    assert [entry["name"] for entry in message.get("intent_ranking")] == [
        "express_dissatisfaction",
        "faq",
        "greet",
    ]


@pytest.mark.parametrize(
    "text, intent, topic",
    [
        # neutral questions about the same subjects keep their topic
        ("转账多久到账", "faq", "transfer_arrival_time"),
        ("为什么扣了我年费", "faq", "annual_fee"),
        ("会乱扣年费吗", "faq", "annual_fee"),
        ("客服电话为什么打不通", "faq", "hotline"),
        # a fraud topic and the complaint channels keep their answer
        ("网上说秒下款，是不是忽悠人", "faq", "fraud_loan_scam"),
        ("投诉柜员态度差去哪反映", "faq", "complaint_channels"),
        # intents that are not a topic's guess
        ("柜员态度太差了", "complain", None),
        ("花呗乱扣我钱太坑了", "out_of_scope", None),
        ("客服电话打不通，转人工", "request_human", None),
        ("不是说好的吗", "deny", None),
        ("/express_dissatisfaction", "express_dissatisfaction", None),
    ],
)
def test_questions_fraud_and_other_intents_are_left_alone(text, intent, topic):
    assert read(text, intent, topic) == intent


@pytest.mark.parametrize(
    "intent, topic, handled_by",
    [
        ("faq", "annual_fee", "faq"),  # the FAQ action escalates urgent signs itself, as before
        ("fragment", None, "request_human"),  # UrgentSignals, after this component
    ],
)
def test_urgent_signals_keep_their_own_handling(intent, topic, handled_by):
    """A grievance with signs of distress is not read as dissatisfaction: it keeps the reading
    that reaches a person (UrgentSignals runs after this component in config.yml)."""
    message = classified("年费乱扣，我真的不想活了", intent, topic)
    Grievances(Grievances.get_default_config()).process([message])
    UrgentSignals(UrgentSignals.get_default_config()).process([message])
    assert message.get(INTENT)[INTENT_NAME_KEY] == handled_by
