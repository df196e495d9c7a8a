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
