"""Several questions in one message in the pipeline (rasa_components/several_questions.py): the
clauses are read like any message and recorded on the customer's message, which alone leaves the
pipeline."""

from __future__ import annotations

from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from rasa_components.several_questions import QuestionClauses, QuestionClausesRead


def read_as(message: Message, topic: str, confidence: float) -> None:
    """What the classifiers would set on a clause read as faq/<topic>."""
    message.set(INTENT, {INTENT_NAME_KEY: "faq", "confidence": 0.9})
    response = {"intent_response_key": f"faq/{topic}", "confidence": confidence}
    message.set("response_selector", {"default": {"response": response, "ranking": [response]}})


def test_each_question_is_read_and_recorded_on_the_customers_message():
    customer = Message(data={TEXT: "手机银行怎么开通，转账限额多少"})
    batch = QuestionClauses().process([customer])
    assert [m.get(TEXT) for m in batch] == [
        "手机银行怎么开通，转账限额多少",
        "手机银行怎么开通",
        "转账限额多少",
    ]
    read_as(batch[1], "app_register", 0.93)
    read_as(batch[2], "transfer_limit", 0.81)

    out = QuestionClausesRead().process(batch)

    assert out == [customer]
    assert customer.get("question_clauses") == [
        {"text": "手机银行怎么开通", "intent": "faq", "topic": "app_register", "confidence": 0.93},
        {"text": "转账限额多少", "intent": "faq", "topic": "transfer_limit", "confidence": 0.81},
    ]
    assert "question_clauses" in customer.as_dict(only_output_properties=True)  # reaches the parse


def test_a_single_question_passes_through_unchanged():
    customer = Message(data={TEXT: "我的卡丢了，怎么办"})
    batch = QuestionClauses().process([customer])
    assert batch == [customer]
    assert QuestionClausesRead().process(batch) == [customer]
    assert customer.get("question_clauses") is None
