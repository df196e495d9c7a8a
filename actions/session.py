"""A conversation (session) starts: the bank's name, hotline, fraud line and web site become
slots, so every response template can give them (bot/bank.py); they come from the settings at
run time, never from the model."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import bank
from bot.config import load_settings

# Slots Rasa's own session start keeps (carry_over_slots_to_new_session) except the bank's,
# which are set afresh.
_BANK_SLOTS = tuple(bank.BankIdentity("", "", "", "").slots())


class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = [SessionStarted()]
        carry_over = (domain.get("session_config") or {}).get("carry_over_slots_to_new_session", True)
        if carry_over:
            events += [
                SlotSet(name, value)
                for name, value in (tracker.slots or {}).items()
                if value is not None and name not in _BANK_SLOTS
            ]
        identity = bank.from_settings(load_settings())
        events += [SlotSet(name, value) for name, value in identity.slots().items()]
        events.append(ActionExecuted("action_listen"))
        return events
