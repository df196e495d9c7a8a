"""The fallback action asks to rephrase once, then offers a person."""

from __future__ import annotations

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import ActionHandleFallback


def _user(text: str, intent: str) -> dict:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent, "confidence": 0.3}}}


def _action(name: str) -> dict:
    return {"event": "action", "name": name}


def _run(events: list[dict]) -> list[dict]:
    tracker = Tracker.from_dict(
        {"sender_id": "c1", "slots": {}, "latest_message": events[-1], "events": events}
    )
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionHandleFallback().run(dispatcher, tracker, {}))
    return dispatcher.messages


def test_first_misunderstanding_asks_the_customer_to_rephrase():
    messages = _run([_action("action_listen"), _user("阿巴阿巴", "nlu_fallback")])
    assert [m["response"] for m in messages] == ["utter_ask_rephrase"]


def test_second_misunderstanding_in_a_row_offers_a_person():
    events = [
        _user("阿巴阿巴", "nlu_fallback"),
        _action("action_handle_fallback"),
        _action("action_listen"),
        _user("咕噜咕噜", "nlu_fallback"),
    ]
    assert [m["response"] for m in _run(events)] == ["utter_offer_human"]


def test_an_understood_message_in_between_starts_counting_again():
    events = [
        _user("阿巴阿巴", "nlu_fallback"),
        _action("action_handle_fallback"),
        _action("action_listen"),
        _user("你好", "greet"),
        _action("utter_greet"),
        _action("action_listen"),
        _user("咕噜咕噜", "nlu_fallback"),
    ]
    assert [m["response"] for m in _run(events)] == ["utter_ask_rephrase"]
