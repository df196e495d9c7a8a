"""Urgent messages reach a person whatever the intent classifier guessed (the component runs
inside Rasa's NLU pipeline; here on Rasa's own Message objects)."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from rasa_components.urgent_signals import UrgentSignals


def classified(text: str, intent: str, confidence: float = 0.8) -> Message:
    message = Message(data={"text": text})
    message.set("intent", {"name": intent, "confidence": confidence})
    message.set(
        "intent_ranking",
        [{"name": intent, "confidence": confidence}, {"name": "request_human", "confidence": 0.05}],
    )
    return message


def route(message: Message) -> Message:
    [processed] = UrgentSignals(UrgentSignals.get_default_config()).process([message])
    return processed


@pytest.mark.parametrize(
    "text, guessed",
    [
        ("我真的不想活了", "stop_assessment"),
        ("活着没意思，什么都不想做了", "deny"),
        ("刚才把验证码告诉了一个自称客服的人", "complaint_status"),
    ],
)
def test_signs_of_distress_or_fraud_override_an_unrelated_guess(text, guessed):
    message = route(classified(text, guessed))
    assert message.get("intent") == {"name": "request_human", "confidence": 1.0}
    names = [entry["name"] for entry in message.get("intent_ranking")]
    assert names[0] == "request_human" and names.count("request_human") == 1 and guessed in names


@pytest.mark.parametrize("intent", ["faq", "out_of_scope", "nlu_fallback", "request_human"])
def test_intents_whose_actions_already_escalate_keep_their_answer(intent):
    # "我被骗了……" as an FAQ gets the fraud answer first, then the person (actions/faq.py).
    assert route(classified("我被骗了，钱已经转给对方了", intent)).get("intent")["name"] == intent


@pytest.mark.parametrize("text", ["千万别转账给陌生人", "怎么防止被骗", "/deny", "不用了"])
def test_ordinary_messages_and_buttons_are_left_alone(text):
    assert route(classified(text, "deny")).get("intent")["name"] == "deny"
