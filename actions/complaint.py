"""Complaint intake in conversation (complaint_form).

As with the questionnaire, the form has one requested slot (`complaint_reply`) that takes every
message; the validator feeds it to bot.cases.intake, keeps the draft in `complaint_draft`, and
ends the form by setting `complaint_reply` to "submitted", "cancelled" or "person". Then
`action_finish_complaint` files the case through bot.cases.service and gives the case number.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.cases import classification, intake, references
from bot.cases import service as case_service
from bot.cases.intake import Draft, Event
from bot.conversations import buttons as step_buttons
from bot.conversations import effects
from bot.entities import facts as entity_facts
from bot.handoff import lifecycle as handoff_lifecycle
from bot.replies import replies
from bot.text.china_time import format_date
from bot.text.masking import mask_mobile, mask_name, mask_text

from .common import channel, customer_id, effect_key, in_transaction
from .handoff import (
    escalate,
    escalate_urgent,
    said_since,
    urgent_ending,
    urgent_reason_of,
    urgent_text,
    urgent_typed,
)

REPLY_SLOT = "complaint_reply"
DRAFT_SLOT = "complaint_draft"
# The draft that ended last and its case number (None when cancelled), so a button of that draft
# pressed afterwards is answered with what became of it.
ENDED_SLOT = "complaint_ended"
# Words the intake parser reads (not shown as such): the edit choice of the summary's "修改信息"
# button, and what a "/request_human" button of another flow means to the complaint form.
EDIT_CHOICE = "修改"
PERSON_WORDS = "转人工"
ENDINGS = {Event.SUBMITTED: "submitted", Event.CANCELLED: "cancelled", Event.PERSON: "person"}


def _say(key: str, **fields: Any) -> str:
    return replies("complaint").text(key, **fields)


def _draft(tracker: Tracker) -> Draft:
    return Draft.from_slot(tracker.get_slot(DRAFT_SLOT)) or Draft()


def _entities(tracker: Tracker) -> list:
    """The entities the NLU found in the message being handled."""
    return entity_facts.from_parse((tracker.latest_message or {}).get("entities"))


def occurred_text(draft: Draft) -> str | None:
    """ "上周五下午（2026年11月27日）": the customer's words and the day they name."""
    if not draft.occurred:
        return None
    day = intake.occurred_day(draft)
    return _say("occurred", words=draft.occurred, day=entity_facts.format_day(day)) if day else draft.occurred


def amount_text(draft: Draft) -> str | None:
    amount = intake.amount_value(draft)
    return entity_facts.format_amount(amount, draft.currency) if amount is not None else None


def facts_message(draft: Draft) -> dict[str, Any]:
    """What the description already told, to confirm in one go instead of asking again."""
    known = intake.known_facts(draft)
    lines = []
    if "occurred" in known:
        lines.append(_say("fact_occurred", value=occurred_text(draft)))
    if "amount" in known:
        lines.append(_say("fact_amount", value=amount_text(draft)))
    if "channel" in known:
        lines.append(_say("fact_channel", value=classification.label("channel", draft.channel)))
    if "business" in known:
        lines.append(_say("fact_business", value=classification.label("business", draft.business)))
    return {"response": "utter_complaint_confirm_facts", "facts": "\n".join(lines), "step": draft.step_id}


def choice_message(axis: str, draft: Draft) -> dict[str, Any]:
    """The question for one classification axis: the guess to confirm, or all options."""
    labels = intake.CHOICE_AXES[axis]
    guess = getattr(draft, axis)
    if guess:
        text = _say("choice_guess", axis=_say(f"axis_{axis}"), label=labels[guess])
        buttons = [step_buttons.button(_say("choice_yes_button"), draft.step_id)]
    else:
        text = _say("choice_all", axis=_say(f"axis_{axis}"))
        buttons = []
    buttons += [step_buttons.button(label, draft.step_id) for code, label in labels.items() if code != guess]
    return {"text": text, "buttons": buttons}


def summary_message(draft: Draft) -> dict[str, Any]:
    not_chosen = _say("summary_not_chosen")
    lines = [
        _say("summary_title"),
        _say("summary_description", value=draft.description_text),
        _say("summary_business", value=classification.label("business", draft.business) or not_chosen),
        _say("summary_channel", value=classification.label("channel", draft.channel) or not_chosen),
        _say("summary_reason", value=classification.customer_label("reason", draft.reason) or not_chosen),
        _say("summary_request", value=draft.request),
        _say("summary_occurred", value=occurred_text(draft)),
        *([_say("summary_amount", value=amount_text(draft))] if draft.amount else []),
        _say("summary_phone", value=f"{draft.phone[:3]}****{draft.phone[-4:]}"),
        _say("summary_name", value=draft.name),
        _say("summary_confirm"),
    ]
    buttons = [
        step_buttons.button(_say("summary_submit_button"), draft.step_id),
        step_buttons.button(_say("summary_edit_button"), draft.step_id, EDIT_CHOICE),
        step_buttons.button(_say("summary_cancel_button"), draft.step_id),
    ]
    return {"text": "\n".join(lines), "buttons": buttons}


class ActionStartComplaint(Action):
    """Acknowledges the customer's feeling and starts a draft (keeping what they already said)."""

    def name(self) -> str:
        return "action_start_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        text = (tracker.latest_message or {}).get("text") or ""
        started = intake.start("" if text.startswith("/") else text, _entities(tracker))
        dispatcher.utter_message(response="utter_complaint_sorry")
        if started.sensitive:
            dispatcher.utter_message(response="utter_complaint_sensitive_warning")
        return [SlotSet(DRAFT_SLOT, started.draft.to_slot()), SlotSet(REPLY_SLOT, None)]


class ActionAskComplaintReply(Action):
    """Asks for what the draft misses next, or shows the summary."""

    def name(self) -> str:
        return "action_ask_complaint_reply"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        draft = _draft(tracker)
        if draft.pending:
            return []  # the validator has just asked a yes/no question
        if draft.stage == "description":
            more = bool(draft.description)
            dispatcher.utter_message(
                response="utter_complaint_more" if more else "utter_complaint_ask_description",
                step=draft.step_id,
            )
        elif draft.stage == "facts":
            dispatcher.utter_message(**facts_message(draft))
        elif draft.stage in intake.CHOICE_AXES:
            dispatcher.utter_message(**choice_message(draft.stage, draft))
        elif draft.stage == "summary":
            dispatcher.utter_message(**summary_message(draft))
        else:
            dispatcher.utter_message(response=f"utter_complaint_ask_{draft.stage}", step=draft.step_id)
        return []


class ValidateComplaintForm(FormValidationAction):
    """Feeds each message to the intake rules and says what happened."""

    def name(self) -> str:
        return "validate_complaint_form"

    async def validate_complaint_reply(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        if value is None:  # the start action's reset, not a customer message
            return {}
        draft = _draft(tracker)
        urgent = urgent_typed(value)
        if urgent == handoff_lifecycle.DISTRESS:  # a person at risk: a person now, the draft kept
            return {REPLY_SLOT: urgent_ending(urgent)}
        if urgent is not None and not said_since(tracker, urgent_text(urgent), "action_start_complaint"):
            # Money at risk now (被骗, 验证码告诉了对方): first the steps to take at once, with the
            # 24-hour line; the message still belongs to the complaint and is read as usual.
            dispatcher.utter_message(text=urgent_text(urgent))
        text = value if isinstance(value, str) else ""
        press = step_buttons.read(text)
        if press is not None:
            text = press.choice
        elif text.startswith("/"):  # a button of another flow, e.g. /request_human
            text = PERSON_WORDS if "request_human" in text else ""
        result = intake.step(
            draft,
            text,
            _entities(tracker) if value == text else (),
            pressed=press.step if press else None,
        )
        if result.sensitive:
            dispatcher.utter_message(response="utter_complaint_sensitive_warning")
        event = result.event
        if event == Event.UNCLEAR:
            dispatcher.utter_message(response="utter_complaint_unclear", hint=_say(f"hint_{draft.stage}"))
        elif event in {
            Event.INVALID_PHONE,
            Event.OFFER_PERSON,
            Event.CONFIRM_CANCEL,
            Event.RESUMED,
            Event.WHICH_TO_EDIT,
            Event.STALE,
        }:
            dispatcher.utter_message(response=f"utter_complaint_{event.value}", step=result.draft.step_id)
        return {DRAFT_SLOT: result.draft.to_slot(), REPLY_SLOT: ENDINGS.get(event)}


def agent_context(draft: Draft) -> dict[str, Any]:
    """What the agent who takes over sees of the unfinished complaint, masked."""

    def label(axis: str) -> str | None:
        code = getattr(draft, axis)
        return classification.label(axis, code)  # staff read the standard's labels

    return {
        "complaint_draft": {
            "description": mask_text(draft.description_text),
            "business": label("business"),
            "channel": label("channel"),
            "reason": label("reason"),
            "request": mask_text(draft.request or "") or None,
            "occurred": occurred_text(draft),
            "amount": amount_text(draft),
            "phone": mask_mobile(draft.phone) if draft.phone else None,
            "name": mask_name(draft.name) if draft.name else None,
        }
    }


class ActionFinishComplaint(Action):
    """Files the confirmed complaint, or says it was cancelled or handed to a person."""

    def name(self) -> str:
        return "action_finish_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        ending = tracker.get_slot(REPLY_SLOT)
        draft = _draft(tracker)
        urgent = urgent_reason_of(ending)
        if urgent is not None:
            events = await escalate_urgent(dispatcher, tracker, urgent, context=agent_context(draft))
            return [SlotSet(REPLY_SLOT, None), *events]  # the draft stays for the agent
        if ending == "person":
            dispatcher.utter_message(response="utter_complaint_handed_over")
            events = await escalate(
                dispatcher, tracker, handoff_lifecycle.COMPLAINT, context=agent_context(draft)
            )
            return [SlotSet(REPLY_SLOT, None), *events]  # the draft stays for the agent
        if ending != "submitted":
            dispatcher.utter_message(response="utter_complaint_cancelled")
            return [
                SlotSet(REPLY_SLOT, None),
                SlotSet(DRAFT_SLOT, None),
                SlotSet(ENDED_SLOT, {"draft": draft.id, "number": None}),
            ]

        key = effect_key(tracker, self.name())

        def file(session) -> dict[str, str]:
            # A confirmation delivered twice (the API resends after a failure) files one case.
            case = effects.once(
                session=session,
                key=key,
                make=lambda: open_case(session),
                record_of=lambda case: case.number,
                find=lambda number: case_service.get_case_by_number(session=session, number=number),
            )
            filed = {"number": case.number, "due_on": format_date(case.due_at)}
            if case.customer_id:  # bound to the verified customer: they see it when logged in
                return {"response": "utter_complaint_filed_next", **filed}
            reference = references.format_reference(case.reference)
            return {"response": "utter_complaint_filed_anonymous", "reference": reference, **filed}

        def open_case(session):
            return case_service.open_case(
                session=session,
                description=draft.description_text,
                intake_channel=channel(tracker),
                customer_id=customer_id(tracker),
                conversation_id=tracker.sender_id,
                business_code=draft.business,
                channel_code=draft.channel,
                reason_code=draft.reason,
                request=draft.request,
                occurred_at=draft.occurred,
                occurred_on=intake.occurred_day(draft),
                amount=intake.amount_value(draft),
                amount_currency=draft.currency,
                contact_phone=draft.phone,
                customer_name=draft.name,
            )

        filed = await in_transaction(file)
        # The number on its own card first (copied with one tap), then what happens next.
        dispatcher.utter_message(response="utter_complaint_filed", number=filed["number"])
        dispatcher.utter_message(**filed)
        return [
            SlotSet(REPLY_SLOT, None),
            SlotSet(DRAFT_SLOT, None),
            SlotSet(ENDED_SLOT, {"draft": draft.id, "number": filed["number"]}),
        ]
