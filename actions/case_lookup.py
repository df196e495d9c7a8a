"""The customer's own complaint: status (with the answer and a satisfaction rating) and withdrawal.

`case_form` takes every message in `case_reply`; the validator hands it to the pure state machine
in bot.cases.lookup, which keeps its state in the `case_lookup` slot, does what the machine asks
of the database (bot.cases.access) and sends the replies it returns. Setting `case_reply` to
"done" ends the form.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.cases import access as case_access
from bot.cases import lookup
from bot.cases.errors import ContactCheckLocked
from bot.config import load_settings
from bot.entities import facts as entity_facts
from bot.errors import DomainError

from .common import address_key, customer_id, in_transaction, intent_name
from .handoff import escalate_urgent, urgent_ending, urgent_reason_of, urgent_typed

REPLY_SLOT = "case_reply"
LOOKUP_SLOT = "case_lookup"
DONE = "done"


def entities_of(tracker: Tracker) -> list:
    return entity_facts.from_parse((tracker.latest_message or {}).get("entities"))


def requester(tracker: Tracker) -> case_access.Requester:
    """Who asks: this conversation, its verified customer (if any) and its address digest."""
    return case_access.Requester(
        conversation_id=tracker.sender_id, customer_id=customer_id(tracker), address_key=address_key(tracker)
    )


def send(dispatcher: CollectingDispatcher, replies) -> None:
    for reply in replies:
        if reply.response:
            dispatcher.utter_message(response=reply.response, **reply.values)
        else:
            dispatcher.utter_message(text=reply.text)


class ActionStartCaseLookup(Action):
    """ "我的投诉怎么样了" / "撤回投诉": lists the customer's own cases, or takes a reference from
    the message."""

    def name(self) -> str:
        return "action_start_case_lookup"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        who = requester(tracker)
        owned = await in_transaction(
            lambda session: case_access.owned_case_numbers(session=session, requester=who)
        )
        state = lookup.start(
            intent=intent_name(tracker),
            text=(tracker.latest_message or {}).get("text") or "",
            entities=entities_of(tracker),
            owned=owned,
        )
        return [SlotSet(LOOKUP_SLOT, state.to_slot()), SlotSet(REPLY_SLOT, None)]


class ActionAskCaseReply(Action):
    def name(self) -> str:
        return "action_ask_case_reply"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        question = lookup.question(lookup.Lookup.from_slot(tracker.get_slot(LOOKUP_SLOT)))
        if question is not None:
            send(dispatcher, [question])
        return []


class ValidateCaseForm(FormValidationAction):
    def name(self) -> str:
        return "validate_case_form"

    async def validate_case_reply(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        if value is None:  # the start action's reset, not a customer message
            return {}
        urgent = urgent_typed(value)
        if urgent is not None:  # money or a person at risk now: the lookup can wait
            return {REPLY_SLOT: urgent_ending(urgent)}
        state = lookup.Lookup.from_slot(tracker.get_slot(LOOKUP_SLOT))
        result = lookup.step(state, value if isinstance(value, str) else "", entities_of(tracker))
        if result.need is not None:
            result = await self._ask_database(result, requester(tracker))
        send(dispatcher, result.replies)
        if result.done:
            return {REPLY_SLOT: DONE}
        return {LOOKUP_SLOT: result.lookup.to_slot(), REPLY_SLOT: None}

    @staticmethod
    async def _ask_database(result: lookup.Step, who: case_access.Requester) -> lookup.Step:
        state = result.lookup
        if result.need == lookup.NEED_OWNED_CASE:
            view = await in_transaction(
                lambda session: case_access.view_owned_case(
                    session=session, requester=who, number=state.number
                )
            )
            return lookup.owned_case(state, view)
        if result.need == lookup.NEED_CONTACT_CHECK:
            settings = load_settings()
            try:
                view = await in_transaction(
                    lambda session: case_access.view_by_reference(
                        session=session,
                        reference=state.reference,
                        last4=result.last4,
                        requester=who,
                        policy=case_access.policy_from_settings(settings),
                    )
                )
            except ContactCheckLocked as lock:
                return lookup.locked(lock.retry_after_seconds, lock_minutes=settings.case_check_lock_minutes)
            return lookup.contact_checked(state, view)
        try:
            if result.need == lookup.NEED_RATING:
                await in_transaction(
                    lambda session: case_access.rate_by_customer(
                        session=session, number=state.number, requester=who, satisfaction=result.score
                    )
                )
                return lookup.rated(result.score)
            await in_transaction(
                lambda session: case_access.withdraw_by_customer(
                    session=session, number=state.number, requester=who, note=lookup.WITHDRAW_NOTE
                )
            )
            return lookup.withdrawn(state)
        except DomainError as error:
            return lookup.refused(error.customer_message)


class ActionFinishCaseLookup(Action):
    def name(self) -> str:
        return "action_finish_case_lookup"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        reset = [SlotSet(LOOKUP_SLOT, None), SlotSet(REPLY_SLOT, None)]
        urgent = urgent_reason_of(tracker.get_slot(REPLY_SLOT))
        if urgent is not None:
            return reset + await escalate_urgent(dispatcher, tracker, urgent)
        return reset
