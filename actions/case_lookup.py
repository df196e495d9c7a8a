"""The customer's own complaint: status (with the answer and a satisfaction rating) and withdrawal.

`case_form` takes every message in `case_reply`; the validator walks the lookup kept in the
`case_lookup` slot. The owner (the verified customer who filed the case, or the conversation that
filed it anonymously) picks a case number and sees it at once. Anyone else needs the case's
reference (查询码) and the last four digits of the contact phone; every kind of failure gets the
same answer and counts towards escalating lockouts (bot.cases.service). Rating and withdrawing
check the access again in the database. Setting `case_reply` to "done" ends the form.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.cases import lifecycle, lookup, references
from bot.cases import service as case_service
from bot.cases.errors import ContactCheckLocked
from bot.config import load_settings
from bot.entities import facts as entity_facts
from bot.db import utcnow
from bot.errors import DomainError
from bot.text.replies import clean_reply, is_confirmation

from .common import address_key, customer_id, in_transaction, intent_name

REPLY_SLOT = "case_reply"
LOOKUP_SLOT = "case_lookup"
DONE = "done"
MAX_BAD_NUMBERS = 3
MAX_LISTED_CASES = 5
DATE_FORMAT = "%Y年%m月%d日"


def case_number_in(tracker: Tracker, text: str) -> str | None:
    """The case number the message names: the NLU's CASE_NUMBER entity ("我那个TS2026…的投诉呢",
    spoken or spaced), else what the lookup rules read in the text."""
    entities = entity_facts.from_parse((tracker.latest_message or {}).get("entities"))
    return entity_facts.case_number_of(entities) or lookup.find_case_number(text)


def requester(tracker: Tracker) -> case_service.Requester:
    """Who asks: this conversation, its verified customer (if any) and its address digest."""
    return case_service.Requester(
        conversation_id=tracker.sender_id, customer_id=customer_id(tracker), address_key=address_key(tracker)
    )


def _lookup(tracker: Tracker) -> dict[str, Any]:
    value = tracker.get_slot(LOOKUP_SLOT)
    return dict(value) if isinstance(value, dict) else {"purpose": "status", "stage": "number"}


def status_detail(view: dict[str, Any]) -> str:
    """What the customer is told beyond the status: the answer, or the deadline."""
    if view["answer"]:
        return f"处理答复：{view['answer']}"
    if view["status"] == lifecycle.WITHDRAWN:
        return "该投诉已撤回，处理已停止。"
    detail = f"我们会在{view['due_on'].strftime(DATE_FORMAT)}前答复您"
    if view["extension_count"]:
        detail += f"（因{view['extension_reason']}，处理期限已延长）"
    return detail + "。"


class ActionStartCaseLookup(Action):
    """"我的投诉怎么样了" / "撤回投诉": lists the customer's own cases, or takes a reference from
    the message."""

    def name(self) -> str:
        return "action_start_case_lookup"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        purpose = "withdraw" if intent_name(tracker) == "complaint_withdraw" else "status"
        text = (tracker.latest_message or {}).get("text") or ""
        reference = references.find_reference(text)
        named = case_number_in(tracker, text)
        who = requester(tracker)
        owned = await in_transaction(
            lambda session: [c.number for c in case_service.list_owned_cases(session=session, requester=who)]
        )
        state: dict[str, Any] = {"purpose": purpose, "stage": "number", "number": None,
                                 "reference": None, "bad_numbers": 0}  # fmt: skip
        if reference:
            state.update(stage="last4", reference=reference)
        elif named in owned:  # one tap to open it (the form asks; this action cannot show it)
            state["choices"] = [named]
        else:
            state["choices"] = owned[:MAX_LISTED_CASES]
        return [SlotSet(LOOKUP_SLOT, state), SlotSet(REPLY_SLOT, None)]


class ActionAskCaseReply(Action):
    def name(self) -> str:
        return "action_ask_case_reply"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        state = _lookup(tracker)
        stage = state["stage"]
        if stage == "number":
            choices = state.get("choices") or []
            if choices:
                buttons = [{"title": number, "payload": number} for number in choices]
                dispatcher.utter_message(response="utter_case_choose", buttons=buttons)
            else:
                dispatcher.utter_message(response="utter_case_ask_number")
        elif stage == "last4":
            dispatcher.utter_message(response="utter_case_ask_last4")
        elif stage == "rating":
            dispatcher.utter_message(response="utter_case_ask_rating")
        elif stage == "withdraw_confirm":
            dispatcher.utter_message(response="utter_case_confirm_withdraw", number=state["number"])
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
        state = _lookup(tracker)
        text = value if isinstance(value, str) else ""
        if lookup.wants_to_stop(text) and state["stage"] != "withdraw_confirm":
            dispatcher.utter_message(response="utter_case_stopped")
            return self._end()
        handler = getattr(self, f"_on_{state['stage']}")
        return await handler(state, text, dispatcher, tracker)

    @staticmethod
    def _end() -> dict[str, Any]:
        return {REPLY_SLOT: DONE}

    @staticmethod
    def _continue(state: dict[str, Any]) -> dict[str, Any]:
        return {LOOKUP_SLOT: state, REPLY_SLOT: None}

    def _bad_number(self, state, response: str, dispatcher) -> dict[str, Any]:
        state["bad_numbers"] = state.get("bad_numbers", 0) + 1
        if state["bad_numbers"] >= MAX_BAD_NUMBERS:
            dispatcher.utter_message(response="utter_case_too_many_numbers")
            return self._end()
        dispatcher.utter_message(response=response)
        return self._continue(state)

    async def _on_number(self, state, text, dispatcher, tracker) -> dict[str, Any]:
        reference = references.find_reference(text) or references.parse_reference(text)
        if reference:
            return self._continue({**state, "reference": reference, "number": None, "stage": "last4"})
        number = case_number_in(tracker, text)
        if number is None:
            return self._bad_number(state, "utter_case_bad_number", dispatcher)
        who = requester(tracker)

        def owned_view(session):
            case = case_service.find_owned_case(session=session, requester=who, number=number)
            return case_service.customer_view(case, now=utcnow()) if case is not None else None

        view = await in_transaction(owned_view)
        if view is None:  # someone else's, or no such case: the same answer either way
            return self._bad_number(state, "utter_case_use_reference", dispatcher)
        return self._verified({**state, "number": view["number"]}, view, dispatcher)

    async def _on_last4(self, state, text, dispatcher, tracker) -> dict[str, Any]:
        last4 = lookup.parse_last4(text)
        if last4 is None:
            if references.find_reference(text) or lookup.looks_like_case_number(text):
                return await self._on_number(state, text, dispatcher, tracker)  # a correction
            dispatcher.utter_message(response="utter_case_ask_last4")
            return {REPLY_SLOT: None}
        who = requester(tracker)

        def check(session):
            settings = load_settings()
            policy = case_service.lookup_policy(
                max_failures=settings.case_check_max_failures,
                lock=timedelta(minutes=settings.case_check_lock_minutes),
            )
            result = case_service.verify_contact_last4(
                session=session, reference=state["reference"], last4=last4, requester=who, policy=policy
            )
            return case_service.customer_view(result.case, now=utcnow()) if result.ok else None

        try:
            view = await in_transaction(check)
        except ContactCheckLocked as locked:
            minutes = max(1, math.ceil(getattr(locked, "retry_after_seconds", 1800) / 60))
            dispatcher.utter_message(response="utter_case_locked", minutes=minutes)
            return self._end()
        if view is None:
            dispatcher.utter_message(response="utter_case_no_match")
            return self._continue({**state, "stage": "number", "reference": None})
        return self._verified({**state, "number": view["number"]}, view, dispatcher)

    def _verified(self, state, view, dispatcher) -> dict[str, Any]:
        if state["purpose"] == "withdraw":
            if view["status"] in lifecycle.OPEN_STATUSES:
                return self._continue({**state, "stage": "withdraw_confirm"})
            dispatcher.utter_message(
                response="utter_case_cannot_withdraw", number=view["number"],
                status_label=view["status_label"],
            )  # fmt: skip
            return self._end()
        dispatcher.utter_message(
            response="utter_case_status", number=view["number"],
            received_on=view["received_on"].strftime(DATE_FORMAT),
            status_label=view["status_label"], detail=status_detail(view),
        )  # fmt: skip
        if view["needs_rating"]:
            return self._continue({**state, "stage": "rating"})
        return self._end()

    async def _on_rating(self, state, text, dispatcher, tracker) -> dict[str, Any]:
        score = lookup.parse_rating(text)
        if score is None:
            dispatcher.utter_message(response="utter_case_stopped")
            return self._end()
        who = requester(tracker)
        try:
            await in_transaction(
                lambda session: case_service.rate_by_customer(
                    session=session, number=state["number"], requester=who, satisfaction=score
                )
            )
        except DomainError as error:
            dispatcher.utter_message(text=error.customer_message)
            return self._end()
        dispatcher.utter_message(response="utter_case_rated", score=score)
        return self._end()

    async def _on_withdraw_confirm(self, state, text, dispatcher, tracker) -> dict[str, Any]:
        if not is_confirmation(text) and clean_reply(text) != "确定撤回":
            dispatcher.utter_message(response="utter_case_not_withdrawn", number=state["number"])
            return self._end()
        who = requester(tracker)
        try:
            await in_transaction(
                lambda session: case_service.withdraw_by_customer(
                    session=session, number=state["number"], requester=who, note="在线对话中由客户撤回"
                )
            )
        except DomainError as error:
            dispatcher.utter_message(text=error.customer_message)
            return self._end()
        dispatcher.utter_message(response="utter_case_withdrawn", number=state["number"])
        return self._end()


class ActionFinishCaseLookup(Action):
    def name(self) -> str:
        return "action_finish_case_lookup"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        return [SlotSet(LOOKUP_SLOT, None), SlotSet(REPLY_SLOT, None)]
