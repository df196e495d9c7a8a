"""What the agent's context pane reads from a Rasa tracker, shaped as Rasa 3.6 writes it."""

from __future__ import annotations

from api.agent_context import understanding_of


def user_event(text: str, intent: str, confidence: float, selected: str | None) -> dict:
    selector = {"all_retrieval_intents": ["chitchat", "faq"]}
    if selected:
        selector["default"] = {
            "response": {
                "intent_response_key": selected,
                "confidence": 0.9,
                "utter_action": f"utter_{selected}",
            },
            "ranking": [{"intent_response_key": selected, "confidence": 0.9}],
        }
    return {
        "event": "user",
        "text": text,
        "parse_data": {
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "entities": [],
            "response_selector": selector,
        },
    }


def test_turns_show_intent_confidence_and_the_faq_topic_with_personal_data_masked():
    tracker = {
        "events": [
            user_event("我的卡丢了，卡号6222021234567890123", "faq", 0.97, "faq/card_lost"),
            {"event": "bot", "text": "请立即挂失……"},
            user_event("你好", "chitchat", 0.88, "chitchat/greet"),
            user_event("转人工", "request_human", 0.98, "faq/transfer_failed"),
        ],
        "slots": {"last_faq_topic": "card_lost"},
        "paused": True,
    }
    turns = understanding_of(tracker)["turns"]
    assert [(t["intent"], t["confidence"], t["faq_topic"]) for t in turns] == [
        ("faq", 0.97, "card_lost"),
        ("chitchat", 0.88, None),  # small talk is not a topic
        ("request_human", 0.98, None),  # the selector's guess means nothing here
    ]
    assert "6222021234567890123" not in turns[0]["text"] and "0123" in turns[0]["text"]


def test_each_turn_shows_the_entities_the_assistant_found(parse_entities):
    event = user_event("尾号6621的信用卡昨天在网银被扣了¥680", "complain", 0.93, None)
    event["parse_data"]["entities"] = parse_entities(event["text"])
    shown = understanding_of({"events": [event]})["turns"][0]["entities"]
    assert [(e["label"], e["display"]) for e in shown if e["entity"] != "DATE"] == [
        ("卡尾号", "6621"),
        ("卡种", "信用卡"),
        ("渠道", "网上银行"),
        ("金额", "680元"),
    ]
    assert [e["text"] for e in shown if e["entity"] == "DATE"] == ["昨天"]
