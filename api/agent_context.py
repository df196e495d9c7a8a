"""The context pane of the agent console: what the assistant understood and what the bank knows
about the customer, masked (agents never see full phone, ID or card numbers here)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from bot.cases import classification
from bot.cases import lifecycle as case_lifecycle
from bot.cases import service as case_service
from bot.db import utcnow
from bot.entities import facts as entity_facts
from bot.suitability import service as suitability_service
from bot.text.masking import mask_text
from bot.transcripts import labels

# Slots that only steer the dialogue and mean nothing to an agent.
HIDDEN_SLOTS = {"requested_slot", "session_started_metadata"}
MAX_SLOT_CHARS = 300
MAX_TURNS = 50


def customer_context(session: Session, customer_id: str | None) -> dict[str, Any]:
    """The identified customer's latest risk assessment and complaint cases."""
    if not customer_id:
        return {"customer_id": None, "assessment": None, "cases": []}
    standing = suitability_service.customer_standing(session=session, customer_id=customer_id, now=utcnow())
    assessment = None
    if standing.status != "no_assessment":
        assessment = {
            "status": standing.status,
            "status_label": "有效" if standing.status == "valid" else "已过期",
            "level": standing.customer_level,
            "taken_at": standing.taken_at,
            "expires_at": standing.expires_at,
            "questionnaire_version": standing.questionnaire_version,
        }
    cases = [
        {
            "number": case.number,
            "status": case.status,
            "status_label": case_lifecycle.STATUS_LABELS.get(case.status, case.status),
            "business": classification.BUSINESSES.get(case.business_code or "", None),
            "reason": classification.REASONS.get(case.reason_code or "", None),
            "received_at": case.received_at,
            "due_at": case.due_at,
            "description": mask_text(case.description)[:200],
            "contact_phone": case.contact_phone_masked,
        }
        for case in case_service.list_customer_cases(session=session, customer_id=customer_id)
    ]
    return {"customer_id": customer_id, "assessment": assessment, "cases": cases}


def _slot_text(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return mask_text(text)[:MAX_SLOT_CHARS]


def understanding_of(tracker: dict[str, Any]) -> dict[str, Any]:
    """From a Rasa tracker: each customer turn's intent and confidence (latest last), the filled
    slots, the active form and whether the conversation is paused."""
    turns = []
    for event in tracker.get("events") or []:
        if event.get("event") != "user":
            continue
        parse = event.get("parse_data") or {}
        intent = parse.get("intent") or {}
        # One selector serves faq and chitchat (key "default"): keep its answer if it is a topic.
        selector = next(
            (
                answer
                for answer in (
                    (value or {}).get("response") or {}
                    for value in (parse.get("response_selector") or {}).values()
                    if isinstance(value, dict)
                )
                if str(answer.get("intent_response_key") or "").startswith("faq/")
            ),
            {},
        )
        turns.append(
            {
                "text": mask_text(event.get("text") or ""),
                "intent": intent.get("name"),
                "intent_label": labels.intent_label(labels.retrieval_intent(intent.get("name"), parse)),
                "confidence": round(float(intent.get("confidence") or 0.0), 3),
                # The selector always answers something; it names a topic only for an FAQ turn.
                "faq_topic": (selector.get("intent_response_key") or "").removeprefix("faq/") or None
                if intent.get("name") == "faq"
                else None,
                "entities": entity_facts.staff_view(parse.get("entities")),
            }
        )
    slots = {
        name: _slot_text(value)
        for name, value in (tracker.get("slots") or {}).items()
        if value not in (None, "", [], {}) and name not in HIDDEN_SLOTS
    }
    return {
        "turns": turns[-MAX_TURNS:],
        "slots": slots,
        "active_form": (tracker.get("active_loop") or {}).get("name"),
        "paused": bool(tracker.get("paused")),
    }
