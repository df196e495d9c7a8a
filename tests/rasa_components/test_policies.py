"""The policies' past states, kept per conversation, are exactly the states Rasa builds from the
whole conversation, turn after turn, including when a turn is rewound, a form's loop rewinds, a
session restarts or the conversation is read again from the database (new event objects)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_components.policies import PastStates

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(ROOT / "domain.yml")


def _user(text: str, intent: str, entities: list | None = None) -> UserUttered:
    return UserUttered(text, {"name": intent, "confidence": 0.9}, entities or [])


def _turn(text: str, intent: str, *actions: str) -> list:
    events = [_user(text, intent)]
    for action in actions:
        events.append(ActionExecuted(action))
        if action.startswith("utter_"):
            events.append(BotUttered("…", metadata={"utter_action": action}))
    events.append(ActionExecuted("action_listen"))
    return events


def _conversation() -> list[list]:
    """A conversation as turns of events: FAQs, a form with its loop and slots, a rule-only turn,
    a rewound message, a restart and a new session."""
    form = "complaint_form"
    return [
        [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")],
        _turn("你好", "greet", "utter_greet"),
        _turn("转账限额是多少", "faq", "action_answer_faq"),
        [
            _user("我要投诉", "complain"),
            ActionExecuted("action_start_complaint"),
            ActionExecuted(form),
            ActiveLoop(form),
            SlotSet("requested_slot", "complaint_reply"),
            ActionExecuted("action_listen"),
        ],
        [
            _user("你们乱扣费", "inform"),
            SlotSet("complaint_reply", "你们乱扣费"),
            ActionExecuted(form),
            ActionExecuted("action_listen"),
        ],
        [
            _user("算了", "deny"),
            ActionExecuted("utter_ask_continue_complaint", hide_rule_turn=True),
            ActionExecuted("action_listen", hide_rule_turn=True),
        ],
        [
            _user("继续", "affirm"),
            ActionExecuted(form),
            ActiveLoop(None),
            SlotSet("requested_slot", None),
            ActionExecuted("action_listen"),
        ],
        [
            _user("啊吧啊吧", "nlu_fallback"),
            ActionExecuted("action_handle_fallback"),
            UserUtteranceReverted(),
        ],
        _turn("谢谢", "thank", "action_answer_thanks"),
        [
            Restarted(),
            ActionExecuted("action_session_start"),
            SessionStarted(),
            ActionExecuted("action_listen"),
        ],
        _turn("信用卡年费多少", "faq", "action_answer_faq"),
    ]


@pytest.mark.parametrize("ignore_rule_only_turns", [False, True])
def test_kept_states_equal_rasas_at_every_step(domain, ignore_rule_only_turns):
    rule_only_data = {"slots": ["assessment_attempt"], "loops": []} if ignore_rule_only_turns else None
    states = PastStates()
    events: list = []
    checked = 0
    for turn in _conversation():
        for event in turn:
            events.append(event)
            # a new tracker over the same event objects, as the tracker store serves each turn
            tracker = DialogueStateTracker.from_events("c1", list(events), domain.slots)
            expected = tracker.past_states(
                domain, ignore_rule_only_turns=ignore_rule_only_turns, rule_only_data=rule_only_data
            )
            kept = states.of(
                tracker, domain, ignore_rule_only_turns=ignore_rule_only_turns, rule_only_data=rule_only_data
            )
            assert kept == expected, f"after {event}"
            checked += 1
    assert checked > 40 and states.reused > 20  # most steps continued the kept walk


def test_a_conversation_read_again_from_the_database_is_rebuilt(domain):
    states = PastStates()
    events = [e for turn in _conversation()[:4] for e in turn]
    first = states.of(
        DialogueStateTracker.from_events("c1", events, domain.slots),
        domain,
        ignore_rule_only_turns=False,
        rule_only_data=None,
    )
    # equal events, other objects (another worker's turn made the store read the rows again)
    copies = [type(e).from_parameters(e.as_dict()) for e in events] + _turn("好的", "affirm")
    tracker = DialogueStateTracker.from_events("c1", copies, domain.slots)
    reused = states.reused
    again = states.of(tracker, domain, ignore_rule_only_turns=False, rule_only_data=None)
    assert states.reused == reused  # not continued: built from the start
    assert again == tracker.past_states(domain) and again[: len(first) - 1] == first[:-1]


def test_changing_the_last_state_does_not_change_the_kept_ones(domain):
    """Rasa's featurizer drops the text (or the intent) of the latest message from the last state
    in place. When the latest turn is hidden from the memoization policy (a rule-only turn inside
    a form), that last state is one kept for the next predictions: it must not be the kept one."""
    states = PastStates()
    form = "complaint_form"
    events = [e for turn in _conversation()[:4] for e in turn] + [
        _user("算了", "deny"),
        ActionExecuted("utter_ask_continue_complaint", hide_rule_turn=True),
        ActionExecuted(form, hide_rule_turn=True),
    ]
    tracker = DialogueStateTracker.from_events("c1", events, domain.slots)
    first = states.of(tracker, domain, ignore_rule_only_turns=True, rule_only_data=None)
    assert first == tracker.past_states(domain, ignore_rule_only_turns=True)
    for sub_state in first[-1].values():
        sub_state.clear()
    assert states.of(
        tracker, domain, ignore_rule_only_turns=True, rule_only_data=None
    ) == tracker.past_states(domain, ignore_rule_only_turns=True)
