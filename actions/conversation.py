"""What customers say around their questions: a fragment ("开不了", "为什么我不行")."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.faq.catalog import load_catalog

from .faq import LAST_TOPIC_SLOT


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


class ActionAnswerFragment(Action):
    """Right after an FAQ answer a fragment is about that topic: ask what went wrong and offer a
    person. With nothing to refer to, ask what the customer means."""

    def name(self) -> str:
        return "action_answer_fragment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        topic = load_catalog().topic(topic_answered_last_turn(tracker.events))
        if topic is None:
            dispatcher.utter_message(response="utter_fragment_no_context")
        else:
            dispatcher.utter_message(response="utter_fragment_after_faq", topic=topic.title)
        return []
