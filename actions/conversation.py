"""What customers say around their questions: a fragment ("开不了", "为什么我不行"), a plain
yes or no ("好的", "不用了") to what the assistant just offered."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.faq.catalog import load_catalog
from bot.fragments import says_nothing_else
from bot.handoff import conversation as handoff_rules

from .common import intent_name
from .faq import LAST_TOPIC_SLOT
from .handoff import CALLBACK_REPLY_SLOT, CALLBACK_STATE_SLOT, ActionRequestHuman

PERSON_PAYLOAD = "/request_human"


def topic_answered_last_turn(events: list[dict[str, Any]]) -> str | None:
    """The FAQ topic the assistant answered in reply to the customer's previous message, or None
    (the previous reply was something else, or there was none). The current message is the
    last user event."""
    users = [i for i, event in enumerate(events) if event.get("event") == "user"]
    if len(users) < 2:
        return None
    topic = None
    for event in events[users[-2] + 1 : users[-1]]:
        if event.get("event") == "slot" and event.get("name") == LAST_TOPIC_SLOT:
            topic = event.get("value")
    return topic


# The assistant's replies that end with "请问还有其他可以帮您的吗？": a no to them ends the conversation.
ANYTHING_ELSE_RESPONSES = frozenset(
    {"utter_you_are_welcome", "utter_ok_anything_else", "utter_assessment_declined"}
)


def _last_bot_event(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The assistant's last message before the current customer message."""
    users = [i for i, event in enumerate(events) if event.get("event") == "user"]
    before = events[: users[-1]] if users else events
    return next((event for event in reversed(before) if event.get("event") == "bot"), None)


def closes_conversation(tracker: Tracker) -> bool:
    """True when the customer answers "请问还有其他可以帮您的吗？" with a no ("没有了", "不用了，
    谢谢"), whatever the classifier made of it (a no, a fragment, a guess): time to say goodbye,
    not to ask again or to ask what they mean."""
    if not asked_anything_else(tracker):
        return False
    return intent_name(tracker) == "deny" or says_nothing_else(
        (tracker.latest_message or {}).get("text") or ""
    )


def asked_anything_else(tracker: Tracker) -> bool:
    """True when the assistant's last message asked "请问还有其他可以帮您的吗？"."""
    last = _last_bot_event(tracker.events)
    return last is not None and (last.get("metadata") or {}).get("utter_action") in ANYTHING_ELSE_RESPONSES


class ActionAnswerThanks(Action):
    """Thanks are answered "不客气…请问还有其他可以帮您的吗？"; thanks in answer to that very
    question ("好的，谢谢") mean the customer is done: goodbye, not the same question again."""

    def name(self) -> str:
        return "action_answer_thanks"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        response = "utter_goodbye" if asked_anything_else(tracker) else "utter_you_are_welcome"
        dispatcher.utter_message(response=response)
        return []


class ActionAnswerFragment(Action):
    """Right after an FAQ answer a fragment is about that topic: ask what went wrong and offer a
    person. With nothing to refer to, ask what the customer means."""

    def name(self) -> str:
        return "action_answer_fragment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if closes_conversation(tracker):
            dispatcher.utter_message(response="utter_goodbye")
            return []
        topic = load_catalog().current(topic_answered_last_turn(tracker.events))
        if topic is None:
            dispatcher.utter_message(response="utter_fragment_no_context")
        else:
            dispatcher.utter_message(response="utter_fragment_after_faq", topic=topic.title)
        return []


def offered_payloads(events: list[dict[str, Any]]) -> list[str]:
    """The button payloads of the assistant's last message before the current customer message."""
    last = _last_bot_event(events)
    buttons = ((last or {}).get("data") or {}).get("buttons") or []
    return [str(button.get("payload") or "") for button in buttons]


class ActionAnswerYesNo(Action):
    """A plain yes or no outside any question of a flow answers what the last message offered:
    yes to the call-back offer takes the call-back request, yes to "需要为您转接人工客服吗" asks
    for a person, no to either is respected; otherwise "好的，还有什么可以帮您". (Offers with a
    question of their own — the questionnaire, a fragment's "您是说…吗", the apology — have rules.)"""

    def name(self) -> str:
        return "action_answer_yes_no"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        offered = offered_payloads(tracker.events)
        if intent_name(tracker) == "affirm":
            if handoff_rules.CALLBACK_PAYLOAD in offered:
                return [
                    SlotSet(CALLBACK_STATE_SLOT, handoff_rules.CallbackIntake().to_slot()),
                    SlotSet(CALLBACK_REPLY_SLOT, None),
                    FollowupAction("callback_form"),
                ]
            if offered[:1] == [PERSON_PAYLOAD]:
                return await ActionRequestHuman().run(dispatcher, tracker, domain)
        elif handoff_rules.DECLINE_PAYLOAD in offered:
            dispatcher.utter_message(response="utter_decline_human")
            return []
        elif closes_conversation(tracker):
            dispatcher.utter_message(response="utter_goodbye")
            return []
        dispatcher.utter_message(response="utter_ok_anything_else")
        return []
