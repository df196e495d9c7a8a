"""Handing the customer to a person, and the call-back request when nobody can take them now.

`escalate()` is shared by every flow that ends with a person (转人工, repeated misunderstandings,
a complaint or questionnaire handed over, signs of fraud or distress): in service time with an
agent online the conversation joins the queue (bot.handoff) and is paused, so the assistant
predicts nothing while the agent answers; otherwise the customer is offered a call-back.

`callback_form` takes every message in `callback_reply`; the rules are in
bot.handoff.conversation (phone, then preferred time).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import bank
from bot.config import load_settings
from bot.conversations import effects
from bot.handoff import conversation as rules
from bot.handoff import lifecycle, usecases
from bot.handoff import service as handoff_service

from .common import customer_id, effect_key, in_transaction

CALLBACK_REPLY_SLOT = "callback_reply"
CALLBACK_STATE_SLOT = "callback_state"
CALLBACK_REASON_SLOT = "callback_reason"
# How many recent customer messages are searched for signs of fraud or distress.
URGENT_LOOKBACK = 3


def recent_customer_texts(tracker: Tracker, count: int = URGENT_LOOKBACK) -> list[str]:
    texts = [e.get("text") or "" for e in tracker.events if e.get("event") == "user"]
    return texts[-count:]


def detect_reason(tracker: Tracker) -> str:
    """Why the customer is handed over: signs of distress or fraud first, then whether the
    assistant had just failed to understand, otherwise the customer's own request."""
    for text in reversed(recent_customer_texts(tracker)):
        urgent = rules.urgent_reason(text)
        if urgent:
            return urgent
    last_action = next(
        (
            e.get("name")
            for e in reversed(tracker.events)
            if e.get("event") == "action"
            and e.get("name") not in (None, "action_listen")
            and not str(e.get("name")).startswith("action_request_human")
        ),
        None,
    )
    return lifecycle.MISUNDERSTOOD if last_action == "action_handle_fallback" else lifecycle.REQUEST


async def escalate(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    reason: str,
    context: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Queues the conversation for a person and pauses it, or offers a call-back."""
    settings = load_settings()
    customer = customer_id(tracker)

    def ask(session) -> usecases.Outcome:
        return usecases.request(
            session=session,
            settings=settings,
            conversation_id=tracker.sender_id,
            reason=reason,
            customer_id=customer,
            context=context,
        )

    outcome = await in_transaction(ask)
    for message in outcome.messages:
        dispatcher.utter_message(**message)
    events: list[dict[str, Any]] = []
    if outcome.callback_offered:
        events.append(SlotSet(CALLBACK_REASON_SLOT, reason))
    if outcome.pause_rasa:
        events.append(ConversationPaused())
    return events


# What a form's reply slot holds when an urgent message ended the form ("urgent:fraud",
# "urgent:distress"): its finish action then says what to do now and connects the customer to a
# person (`escalate_urgent`).
_URGENT_PREFIX = "urgent:"


def urgent_ending(reason: str) -> str:
    return _URGENT_PREFIX + reason


def urgent_reason_of(ending: Any) -> str | None:
    """The reason an urgent ending names; None for every other ending."""
    if isinstance(ending, str) and ending.startswith(_URGENT_PREFIX):
        return ending[len(_URGENT_PREFIX) :]
    return None


def urgent_typed(value: Any) -> str | None:
    """`fraud` or `distress` when a message the customer typed into a form shows signs of either;
    None for ordinary answers and for button payloads."""
    text = value if isinstance(value, str) else ""
    if text.startswith("/"):
        return None
    return rules.urgent_reason(text)


def urgent_text(reason: str) -> str:
    """What to do now: the distress answer (110/120/12356) or the fraud steps (24-hour line first)."""
    if reason == lifecycle.DISTRESS:
        return rules.distress_text()
    return rules.fraud_text(bank.from_settings(load_settings()))


def said_since(tracker: Tracker, text: str, action: str) -> bool:
    """Whether the assistant already said `text` since `action` last ran (e.g. since the form
    started), so a long urgent answer is not repeated with every message."""
    for event in reversed(tracker.events):
        if event.get("event") == "action" and event.get("name") == action:
            return False
        if event.get("event") == "bot" and event.get("text") == text:
            return True
    return False


async def escalate_urgent(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    reason: str,
    context: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Says what to do now (fraud steps or the distress answer) and connects the customer to a
    person at once (served first)."""
    dispatcher.utter_message(text=urgent_text(reason))
    return await escalate(dispatcher, tracker, reason, context=context)


async def escalate_if_urgent(
    dispatcher: CollectingDispatcher, tracker: Tracker
) -> list[dict[str, Any]] | None:
    """Signs of distress or fraud in the latest message: `escalate_urgent`. None when there are
    no such signs."""
    reason = rules.urgent_reason((tracker.latest_message or {}).get("text") or "")
    if reason is None:
        return None
    return await escalate_urgent(dispatcher, tracker, reason)


class ActionAnswerOutOfScope(Action):
    """Out of scope: says what the assistant can do, unless the customer is in distress."""

    def name(self) -> str:
        return "action_answer_out_of_scope"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        urgent = await escalate_if_urgent(dispatcher, tracker)
        if urgent is not None:
            return urgent
        dispatcher.utter_message(response="utter_out_of_scope")
        return []


class ActionRequestHuman(Action):
    """ "转人工", the person button, or an urgent message: queue for an agent or offer a call-back."""

    def name(self) -> str:
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        reason = detect_reason(tracker)
        if reason in (lifecycle.DISTRESS, lifecycle.FRAUD):
            dispatcher.utter_message(text=urgent_text(reason))
        return await escalate(dispatcher, tracker, reason)


# --- call-back request ---------------------------------------------------------------------------


def _intake(tracker: Tracker) -> rules.CallbackIntake:
    return rules.CallbackIntake.from_slot(tracker.get_slot(CALLBACK_STATE_SLOT))


class ActionStartCallback(Action):
    def name(self) -> str:
        return "action_start_callback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        return [
            SlotSet(CALLBACK_STATE_SLOT, rules.CallbackIntake().to_slot()),
            SlotSet(CALLBACK_REPLY_SLOT, None),
        ]


class ActionAskCallbackReply(Action):
    def name(self) -> str:
        return "action_ask_callback_reply"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(text=rules.callback_question(_intake(tracker)))
        return []


class ValidateCallbackForm(FormValidationAction):
    def name(self) -> str:
        return "validate_callback_form"

    async def validate_callback_reply(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        if value is None:  # the start action's reset, not a customer message
            return {}
        urgent = urgent_typed(value)
        if urgent is not None and not said_since(tracker, urgent_text(urgent), "action_start_callback"):
            # Already on the way to a person: first the steps to take now (24-hour line first),
            # once; then the message is read as an answer like any other.
            dispatcher.utter_message(text=urgent_text(urgent))
        text = value if isinstance(value, str) else ""
        if text.startswith("/"):  # a button of another flow
            text = "取消" if "decline" in text else ""
        step = rules.read_callback_reply(_intake(tracker), text, hotline=load_settings().bank_hotline)
        for line in step.say:
            dispatcher.utter_message(text=line)
        return {
            CALLBACK_STATE_SLOT: step.intake.to_slot(),
            CALLBACK_REPLY_SLOT: step.intake.stage.value if step.intake.finished else None,
        }


class ActionFinishCallback(Action):
    """Stores the call-back request (phone encrypted, masked copy) once phone and time are known."""

    def name(self) -> str:
        return "action_finish_callback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        intake = _intake(tracker)
        reset = [
            SlotSet(CALLBACK_STATE_SLOT, None),
            SlotSet(CALLBACK_REPLY_SLOT, None),
            SlotSet(CALLBACK_REASON_SLOT, None),
        ]
        if intake.stage != rules.CallbackStage.DONE or not intake.phone:
            return reset
        reason = tracker.get_slot(CALLBACK_REASON_SLOT)
        if reason not in handoff_service.CALLBACK_REASON_LABELS:
            reason = handoff_service.CALLBACK_REASON  # asked for a call-back straight away
        key = effect_key(tracker, self.name())
        # The last answer delivered twice (the API resends after a failure) books one call-back.
        await in_transaction(
            lambda session: effects.once(
                session=session,
                key=key,
                make=lambda: handoff_service.request_callback(
                    session=session,
                    phone=intake.phone,
                    preferred_time=intake.preferred_time,
                    conversation_id=tracker.sender_id,
                    customer_id=customer_id(tracker),
                    reason=reason,
                ),
                record_of=lambda callback: str(callback.id),
                find=lambda record: handoff_service.get_callback(session=session, callback_id=int(record)),
            )
        )
        dispatcher.utter_message(text=rules.callback_done_text(intake.phone, intake.preferred_time))
        return reset
