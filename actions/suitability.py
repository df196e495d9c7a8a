"""Suitability answers: "我能买R4的产品吗", "稳享90天理财适合我吗", "我的风险等级是什么"."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.db import utcnow
from bot.entities import facts as entity_facts
from bot.replies import replies
from bot.suitability import rules as suitability_rules
from bot.suitability import service as suitability_service
from bot.suitability.products import find_product, product_by_code
from bot.suitability.questionnaire import load_questionnaire
from bot.suitability.rules import parse_product_level
from bot.text.china_time import format_date

from .assessment import OFFERED_SLOT
from .common import customer_id, in_transaction, intent_name


def _say(key: str, **fields: Any) -> str:
    return replies("suitability").text(key, **fields)


def _level_name(answer: suitability_service.SuitabilityAnswer) -> str:
    return load_questionnaire(answer.questionnaire_version).band(answer.customer_level).name


def _offer_assessment(
    dispatcher: CollectingDispatcher, answer: suitability_service.SuitabilityAnswer
) -> list[dict[str, Any]]:
    """No valid assessment: say so and offer to start the questionnaire ("好的" then starts it)."""
    if answer.status == "expired":
        dispatcher.utter_message(
            response="utter_suitability_expired",
            level=answer.customer_level,
            expires=format_date(answer.expires_at),
        )
    else:
        dispatcher.utter_message(response="utter_suitability_no_assessment")
    return [SlotSet(OFFERED_SLOT, True)]


class ActionAnswerSuitability(Action):
    """Answers from the customer's latest valid assessment, never from a guess."""

    def name(self) -> str:
        return "action_answer_suitability"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        customer = customer_id(tracker)
        if customer is None:
            dispatcher.utter_message(response="utter_suitability_login_required")
            return [SlotSet(OFFERED_SLOT, False)]
        if intent_name(tracker) == "ask_my_risk_level":
            return await self._tell_level(dispatcher, customer)

        latest = tracker.latest_message or {}
        text = latest.get("text") or ""
        # What the NLU's entities name ("稳享90天那个", "R4"); the words themselves otherwise.
        entities = entity_facts.from_parse(latest.get("entities"))
        code = entity_facts.product_code_of(entities)
        product = (product_by_code(code) if code else None) or find_product(text)
        product_level = (
            product.risk_level
            if product
            else entity_facts.product_level_of(entities) or parse_product_level(text)
        )
        if product_level is None:
            dispatcher.utter_message(response="utter_suitability_which")
            return [SlotSet(OFFERED_SLOT, False)]
        subject = (
            _say("subject_product", name=product.name, code=product.code, level=product.risk_level)
            if product
            else _say(
                "subject_level",
                level=product_level,
                level_name=suitability_rules.PRODUCT_LEVEL_NAMES[product_level],
            )
        )
        answer = await in_transaction(
            lambda session: suitability_service.check_product_level(
                session=session,
                customer_id=customer,
                product_level=product_level,
                now=utcnow(),
                questionnaire_for_version=load_questionnaire,
            )
        )
        if answer.status in {"no_assessment", "expired"}:
            return _offer_assessment(dispatcher, answer)
        dispatcher.utter_message(
            response=f"utter_suitability_{answer.status}",
            subject=subject,
            level=answer.customer_level,
            level_name=_level_name(answer),
            allowed=suitability_rules.suitable_product_levels(answer.customer_level),
        )
        if answer.senior_care:
            dispatcher.utter_message(response="utter_suitability_senior_care", product_level=product_level)
        return [SlotSet(OFFERED_SLOT, False)]

    @staticmethod
    async def _tell_level(dispatcher: CollectingDispatcher, customer: str) -> list[dict[str, Any]]:
        answer = await in_transaction(
            lambda session: suitability_service.customer_standing(
                session=session, customer_id=customer, now=utcnow()
            )
        )
        if answer.status != "valid":
            return _offer_assessment(dispatcher, answer)
        dispatcher.utter_message(
            response="utter_my_risk_level",
            level=answer.customer_level,
            level_name=_level_name(answer),
            taken=format_date(answer.taken_at),
            expires=format_date(answer.expires_at),
            allowed=suitability_rules.suitable_product_levels(answer.customer_level),
        )
        return [SlotSet(OFFERED_SLOT, False)]
