"""A pressed button that no running flow waits for (bot/conversations/buttons.py).

Inside a form the form's validator compares the button's step with its own; this action answers
`answer_option` outside any form: a questionnaire that ended, a complaint already filed or
cancelled. It says what became of that step and changes nothing. A typed option ("A") with no
questionnaire running is a misunderstanding like any other and gets the fallback turn.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.conversations import buttons as step_buttons

from .complaint import ENDED_SLOT
from .fallback import ActionHandleFallback


class ActionAnswerOption(Action):
    def name(self) -> str:
        return "action_answer_option"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        press = step_buttons.read((tracker.latest_message or {}).get("text"))
        if press is None:
            return await ActionHandleFallback().run(dispatcher, tracker, domain)
        if press.flow == "assessment":
            dispatcher.utter_message(response="utter_assessment_stale_ended")
        elif press.flow == "complaint":
            ended = tracker.get_slot(ENDED_SLOT) or {}
            draft_id = press.step.split(":")[1] if press.step.count(":") >= 2 else ""
            if isinstance(ended, dict) and draft_id and ended.get("draft") == draft_id:
                if ended.get("number"):
                    dispatcher.utter_message(response="utter_complaint_stale_filed", number=ended["number"])
                else:
                    dispatcher.utter_message(response="utter_complaint_stale_cancelled")
            else:
                dispatcher.utter_message(response="utter_complaint_stale_ended")
        else:
            dispatcher.utter_message(response="utter_stale_button")
        return []
