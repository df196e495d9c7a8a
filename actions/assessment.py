"""The risk-tolerance questionnaire in conversation.

`risk_assessment_form` has one requested slot, `assessment_reply`, filled with every message the
customer sends while the form runs. The validator hands that text to the pure state machine in
bot.suitability.dialogue, keeps the attempt in the `assessment_attempt` slot and only clears
`assessment_reply` to ask again; it sets it to "submitted", "exited" or "person" to end the form,
after which `action_finish_assessment` stores the result (or the abandoned attempt) and replies.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.config import load_settings
from bot.conversations import buttons as step_buttons
from bot.conversations import effects
from bot.conversations.effects import EffectKey
from bot.db import utcnow
from bot.handoff import lifecycle as handoff_lifecycle
from bot.replies import replies
from bot.suitability import dialogue
from bot.suitability import rules as suitability_rules
from bot.suitability import service as suitability_service
from bot.suitability.dialogue import Attempt, Event
from bot.suitability.questionnaire import LETTERS, Questionnaire, load_questionnaire
from bot.text.china_time import format_date

from .common import channel, customer_id, effect_key, in_transaction, intent_name
from .faq import faq_choice, refresh_answers, utter_answer
from .handoff import escalate, escalate_urgent, urgent_ending, urgent_reason_of, urgent_typed

FORM = "risk_assessment_form"
REPLY_SLOT = "assessment_reply"
ATTEMPT_SLOT = "assessment_attempt"
ALLOWED_SLOT = "assessment_allowed"
OFFERED_SLOT = "assessment_offered"
ENDINGS = {Event.SUBMITTED: "submitted", Event.EXITED: "exited", Event.PERSON: "person"}


def _say(key: str, **fields: Any) -> str:
    return replies("assessment").text(key, **fields)


def question_message(questionnaire: Questionnaire, index: int) -> dict[str, Any]:
    """One question with its options as text (A/B/C/D) and as buttons."""
    question = questionnaire.questions[index]
    lines = [_say("question", number=index + 1, count=len(questionnaire.questions), text=question.text)]
    lines += question.prompt_lines()
    step = dialogue.step_id(questionnaire.version, question.id)
    buttons = [
        step_buttons.button(f"{LETTERS[i]}. {option.label}", step, LETTERS[i])
        for i, option in enumerate(question.options)
    ]
    return {"text": "\n".join(lines), "buttons": buttons}


def summary_message(questionnaire: Questionnaire, attempt: Attempt) -> dict[str, Any]:
    lines = [_say("summary_title")]
    for number, (question, index) in enumerate(zip(questionnaire.questions, attempt.answers), 1):
        lines.append(
            _say(
                "summary_answer",
                number=number,
                question=question.text,
                letter=LETTERS[index],
                label=question.options[index].label,
            )
        )
    lines.append(_say("summary_confirm"))
    step = dialogue.step_id(questionnaire.version, "summary")
    buttons = [
        step_buttons.button(_say(key), step)
        for key in ("summary_submit_button", "summary_edit_button", "summary_exit_button")
    ]
    return {"text": "\n".join(lines), "buttons": buttons}


def current_attempt(tracker: Tracker) -> tuple[Questionnaire, Attempt]:
    attempt = Attempt.from_slot(tracker.get_slot(ATTEMPT_SLOT))
    if attempt is None:
        questionnaire = load_questionnaire()
        return questionnaire, dialogue.start(questionnaire)
    return load_questionnaire(attempt.version), attempt


class ActionStartAssessment(Action):
    """Starts the questionnaire for an identified customer; asks anonymous ones to log in."""

    def name(self) -> str:
        return "action_start_assessment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        customer = customer_id(tracker)
        if customer is None:
            dispatcher.utter_message(response="utter_assessment_login_required")
            return [SlotSet(ALLOWED_SLOT, False), SlotSet(OFFERED_SLOT, False)]
        questionnaire = load_questionnaire()
        standing = await in_transaction(
            lambda session: suitability_service.customer_standing(
                session=session, customer_id=customer, now=utcnow()
            )
        )
        dispatcher.utter_message(
            response="utter_assessment_intro",
            title=questionnaire.title,
            count=len(questionnaire.questions),
        )
        if standing.status == "valid":
            dispatcher.utter_message(
                response="utter_assessment_intro_existing",
                level=standing.customer_level,
                level_name=load_questionnaire(standing.questionnaire_version)
                .band(standing.customer_level)
                .name,
                expires=format_date(standing.expires_at),
            )
        return [
            SlotSet(ALLOWED_SLOT, True),
            SlotSet(OFFERED_SLOT, False),
            SlotSet(ATTEMPT_SLOT, dialogue.start(questionnaire).to_slot()),
            SlotSet(REPLY_SLOT, None),
        ]


class ActionAskAssessmentReply(Action):
    """Asks what the attempt waits for: the current question, or the summary to confirm."""

    def name(self) -> str:
        return "action_ask_assessment_reply"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        questionnaire, attempt = current_attempt(tracker)
        if attempt.pending:
            return []  # the validator has just asked a yes/no question
        index = attempt.current(questionnaire)
        if index is None:
            dispatcher.utter_message(**summary_message(questionnaire, attempt))
        else:
            dispatcher.utter_message(**question_message(questionnaire, index))
        return []


class ValidateRiskAssessmentForm(FormValidationAction):
    """Feeds each customer message to the questionnaire rules and says what happened."""

    def name(self) -> str:
        return "validate_risk_assessment_form"

    async def validate_assessment_reply(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        if value is None:  # the start action's reset, not a customer message
            return {}
        urgent = urgent_typed(value)
        if urgent is not None:  # money or a person at risk now: the questionnaire can wait
            return {REPLY_SLOT: urgent_ending(urgent)}
        questionnaire, attempt = current_attempt(tracker)
        text = value if isinstance(value, str) else ""
        press = step_buttons.read(text)
        if press is not None:
            text = press.choice
        elif text.startswith("/"):
            text = dialogue.PAYLOAD_WORDS.get(intent_name(tracker), text)
        result = dialogue.step(
            questionnaire,
            attempt,
            text,
            faq_topic=None if press else faq_choice(tracker).answer,
            pressed=press.step if press else None,
        )
        if result.event == Event.RESTARTED and attempt.answers:
            await _store_abandoned(tracker, questionnaire, attempt)
        if result.event == Event.FAQ:
            await refresh_answers()
        self._say(dispatcher, tracker, questionnaire, result)
        return {ATTEMPT_SLOT: result.attempt.to_slot(), REPLY_SLOT: ENDINGS.get(result.event)}

    @staticmethod
    def _say(
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        questionnaire: Questionnaire,
        result: dialogue.Step,
    ) -> None:
        event = result.event
        if event == Event.UNCLEAR:
            if intent_name(tracker) in {"ask_suitability", "ask_my_risk_level"}:
                dispatcher.utter_message(response="utter_assessment_suitability_later")
            else:
                question = questionnaire.questions[result.attempt.current(questionnaire)]
                last = LETTERS[len(question.options) - 1]
                dispatcher.utter_message(response="utter_assessment_unclear", last=last)
        elif event == Event.FAQ:
            utter_answer(dispatcher, result.faq_topic)
            dispatcher.utter_message(response="utter_assessment_continue")
        elif event == Event.NO_SUCH_QUESTION:
            dispatcher.utter_message(
                response="utter_assessment_no_such_question", count=len(result.attempt.answers)
            )
        elif event not in ENDINGS and event != Event.RECORDED:
            dispatcher.utter_message(response=f"utter_assessment_{event.value}")


def _stored_once(session, key: EffectKey | None, store: Callable[[], Any]):
    """The assessment `store()` makes, or the one it made for this message before (a message
    delivered twice stores one assessment)."""
    return effects.once(
        session=session,
        key=key,
        make=store,
        record_of=lambda assessment: str(assessment.id),
        find=lambda record: suitability_service.get_assessment(session=session, assessment_id=int(record)),
    )


async def _store_abandoned(tracker: Tracker, questionnaire: Questionnaire, attempt: Attempt) -> None:
    customer = customer_id(tracker)
    if customer is None:
        return
    answers = dialogue.answered_options(questionnaire, attempt)
    key = effect_key(tracker, "abandoned_assessment")  # whichever action notices it, once a message

    def record(session) -> None:
        _stored_once(
            session,
            key,
            lambda: suitability_service.record_abandoned(
                session=session,
                customer_id=customer,
                questionnaire=questionnaire,
                answers=answers,
                channel=channel(tracker),
                conversation_id=tracker.sender_id,
                now=utcnow(),
            ),
        )

    await in_transaction(record)


class ActionFinishAssessment(Action):
    """After the form: store the assessment and give the result, or keep the abandoned attempt."""

    def name(self) -> str:
        return "action_finish_assessment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        questionnaire, attempt = current_attempt(tracker)
        ending = tracker.get_slot(REPLY_SLOT)
        customer = customer_id(tracker)
        reset = [SlotSet(ATTEMPT_SLOT, None), SlotSet(REPLY_SLOT, None)]
        if customer is None:  # identity lost mid-way (e.g. token expired): nothing to store
            dispatcher.utter_message(response="utter_assessment_login_required")
            return reset
        if ending != "submitted":
            await _store_abandoned(tracker, questionnaire, attempt)
            progress = {"questionnaire": questionnaire.version, "answered": len(attempt.answers)}
            urgent = urgent_reason_of(ending)
            if urgent is not None:
                return reset + await escalate_urgent(dispatcher, tracker, urgent, context=progress)
            if ending == "person":
                return reset + await escalate(
                    dispatcher, tracker, handoff_lifecycle.QUESTIONNAIRE, context=progress
                )
            dispatcher.utter_message(response="utter_assessment_exited")
            return reset

        answers = dialogue.answered_options(questionnaire, attempt)
        key = effect_key(tracker, self.name())

        def record(session):
            # The last answer delivered twice (the API resends after a failure) stores one assessment.
            return _summary_of(
                _stored_once(
                    session,
                    key,
                    lambda: suitability_service.record_assessment(
                        session=session,
                        customer_id=customer,
                        questionnaire=questionnaire,
                        answers=answers,
                        channel=channel(tracker),
                        conversation_id=tracker.sender_id,
                        now=utcnow(),
                        validity_months=load_settings().assessment_validity_months,
                    ),
                )
            )

        stored = await in_transaction(record)
        band = questionnaire.band(stored["level"])
        dispatcher.utter_message(
            response="utter_assessment_result",
            total=stored["total"],
            level=band.level,
            level_name=band.name,
            meaning=band.meaning,
            product_levels=suitability_rules.suitable_product_levels(band.level),
            expires=format_date(stored["expires_at"]),
        )
        return reset


def _summary_of(assessment) -> dict[str, Any]:
    """Plain values read inside the transaction (the row is detached afterwards)."""
    return {
        "total": assessment.total_points,
        "level": assessment.level,
        "expires_at": assessment.expires_at,
    }
