"""The fallback turn: ask the customer to rephrase, and offer a person after repeated misses."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.handoff import policy as handoff_policy

from .conversation import closes_conversation
from .handoff import escalate_if_urgent

ACTION_NAME = "action_handle_fallback"


def misunderstood_turns(events: list[dict[str, Any]]) -> list[bool]:
    """For each customer turn, oldest first: did the assistant answer it with the fallback?

    The current turn counts as misunderstood, since this action is answering it.
    """
    turns: list[bool] = []
    for event in events:
        if event.get("event") == "user":
            turns.append(False)
        elif event.get("event") == "action" and event.get("name") == ACTION_NAME and turns:
            turns[-1] = True
    if turns:
        turns[-1] = True
    return turns


class ActionHandleFallback(Action):
    """Asks to rephrase; after two misunderstandings in a row offers a human agent."""

    def name(self) -> str:
        return ACTION_NAME

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        urgent = await escalate_if_urgent(dispatcher, tracker)
        if urgent is not None:
            return urgent
        if closes_conversation(tracker):  # "没有了" to "请问还有其他可以帮您的吗？"
            dispatcher.utter_message(response="utter_goodbye")
            return []
        if handoff_policy.should_offer_person(misunderstood_turns(tracker.events)):
            dispatcher.utter_message(response="utter_offer_human")
        else:
            dispatcher.utter_message(response="utter_ask_rephrase")
        return []
