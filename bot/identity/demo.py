"""Demo customers for local runs: a tester picks one on the chat page and chats as them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

import yaml
from sqlalchemy.orm import Session

from bot.suitability import service as suitability_service
from bot.suitability.questionnaire import LETTERS, load_questionnaire

DEMO_FILE = Path(__file__).with_name("demo_customers.yml")
DEMO_QUESTIONNAIRE_VERSION = 1


@dataclass(frozen=True)
class DemoCustomer:
    id: str
    name: str
    note: str
    answers: str | None = None
    taken_days_ago: int | None = None


@lru_cache(maxsize=1)
def load_demo_customers() -> tuple[DemoCustomer, ...]:
    raw = yaml.safe_load(DEMO_FILE.read_text(encoding="utf-8"))["customers"]
    return tuple(DemoCustomer(**entry) for entry in raw)


def find_demo_customer(customer_id: str) -> DemoCustomer | None:
    return next((c for c in load_demo_customers() if c.id == customer_id), None)


def seed_demo_assessments(*, session: Session, now: datetime) -> int:
    """Gives each demo customer with seed answers an assessment, once; returns how many it added."""
    questionnaire = load_questionnaire(DEMO_QUESTIONNAIRE_VERSION)
    added = 0
    for customer in load_demo_customers():
        if not customer.answers:
            continue
        if suitability_service.list_assessments(session=session, customer_id=customer.id):
            continue
        answers = {
            question.id: LETTERS.index(letter)
            for question, letter in zip(questionnaire.questions, customer.answers)
        }
        suitability_service.record_assessment(
            session=session,
            customer_id=customer.id,
            questionnaire=questionnaire,
            answers=answers,
            channel="web",
            conversation_id=None,
            now=now - timedelta(days=customer.taken_days_ago or 0),
        )
        added += 1
    return added
