"""Action server replies are checked as strictly as Rasa's own check does (same schema, same
errors), with the schema compiled once (rasa_components/action_results.py)."""

from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from rasa_components.action_results import use_compiled_schema

GOOD = {
    "events": [
        {"event": "slot", "name": "faq_topic", "value": "card_lost", "timestamp": None},
        {"event": "bot", "text": "您好", "data": {}, "metadata": {}},
    ],
    "responses": [{"text": "请您尽快挂失", "buttons": [{"title": "补办新卡", "payload": "/faq"}]}],
}
BAD = [
    {"events": "not a list"},
    {"events": [{"event": "slot", "name": 5}]},
    {"events": [], "responses": ["a string, not an object"]},
]


@pytest.fixture(scope="module")
def action():
    assert use_compiled_schema()
    return RemoteAction("action_answer_faq", None)


def test_a_valid_reply_passes(action):
    assert action._validate_action_result(GOOD) is True


@pytest.mark.parametrize("reply", BAD)
def test_an_invalid_reply_fails_with_rasas_error(action, reply):
    with pytest.raises(jsonschema.ValidationError) as stock:
        jsonschema.validate(reply, RemoteAction.action_response_format_spec())
    with pytest.raises(jsonschema.ValidationError) as ours:
        action._validate_action_result(reply)
    assert ours.value.message.startswith(stock.value.message)
    assert "Failed to validate Action server response" in ours.value.message


# --- calls: past customer messages go without their NLU result ---------------------------------


def _tracker_with_two_messages():
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    parse = {
        "intent": {"name": "faq", "confidence": 0.9},
        "intent_ranking": [{"name": "faq", "confidence": 0.9}],
        "entities": [],
        "response_selector": {"faq": {"ranking": [{"intent_response_key": "faq/card_lost"}]}},
    }
    latest = {**parse, "intent": {"name": "faq", "confidence": 0.8}}
    events = [
        ActionExecuted("action_listen"),
        UserUttered("信用卡丢了怎么办", parse["intent"], parse_data=parse, metadata={"message_id": 1}),
        ActionExecuted("action_answer_faq"),
        SlotSet("faq_topic", "card_lost"),
        BotUttered("请您尽快挂失", {"buttons": [{"title": "补办新卡", "payload": "/faq"}]}),
        ActionExecuted("action_listen"),
        UserUttered("那年费呢", latest["intent"], parse_data=latest, metadata={"message_id": 2}),
    ]
    return DialogueStateTracker.from_events("c1", events)


def test_an_action_call_keeps_the_latest_message_and_every_other_event_whole():
    from rasa.shared.core.domain import Domain

    from rasa_components.action_results import lighter_action_calls

    assert lighter_action_calls()
    tracker = _tracker_with_two_messages()
    call = RemoteAction("action_answer_faq", None)._action_call_format(tracker, Domain.empty())
    events = call["tracker"]["events"]
    users = [event for event in events if event["event"] == "user"]
    assert [user["text"] for user in users] == ["信用卡丢了怎么办", "那年费呢"]
    assert "parse_data" not in users[0] and "metadata" not in users[0]
    assert users[1]["metadata"] == {"message_id": 2}
    assert call["tracker"]["latest_message"]["metadata"] == {"message_id": 2}
    assert users[1]["parse_data"]["intent"]["confidence"] == 0.8
    assert call["tracker"]["latest_message"]["intent"]["confidence"] == 0.8
    assert call["tracker"]["latest_message"]["response_selector"]
    from rasa.shared.core.trackers import EventVerbosity

    whole = tracker.current_state(EventVerbosity.ALL)["events"]  # the tracker (what Rasa stores) is whole
    assert [e for e in whole if e["event"] == "user"][0]["parse_data"]["intent_ranking"]
    assert [e for e in events if e["event"] != "user"] == [e for e in whole if e["event"] != "user"]


def test_our_actions_read_no_past_messages_nlu_result_or_metadata():
    """What makes dropping them safe: the actions read the NLU result and the metadata only of the
    latest message (`tracker.latest_message`), and a bot event's metadata."""
    import re

    from tests.conftest import ROOT

    for path in sorted((ROOT / "actions").glob("*.py")):
        source = path.read_text()
        assert "parse_data" not in source, path.name
        for line in source.splitlines():
            if '"metadata"' in line:
                assert re.search(r"latest_message|last\.get\(", line), f"{path.name}: {line.strip()}"
