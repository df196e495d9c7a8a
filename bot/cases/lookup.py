"""The customer's own complaint in conversation: its status (with the answer and a satisfaction
rating) and its withdrawal, as pure rules and a pure state machine.

The owner (the verified customer who filed the case, or the conversation that filed it
anonymously) picks a case number and sees it at once. Anyone else needs the case's reference
(查询码) and the last four digits of the contact phone; every kind of failure gets the same answer
and counts towards escalating lockouts (bot.cases.access).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bot import replies as reply_files
from bot.entities import facts as entity_facts
from bot.entities.model import Entity
from bot.text.china_time import format_date
from bot.text.masking import detection_copy
from bot.text.normalize import normalize_text, to_half_width
from bot.text.ratings import parse_rating
from bot.text.replies import clean_reply, is_confirmation

from . import lifecycle, references
from .numbers import find_case_number as find_number_in_sentence
from .numbers import parse_case_number

_NUMBER_IN_TEXT = re.compile(r"ts[\s\-]*\d[\d\s\-]{12,24}", re.IGNORECASE)
_STOP = re.compile(r"不查了|算了|取消|不用了|退出|不撤回了?|以后再说|跳过|不评价")


def find_case_number(text: str) -> str | None:
    """A case number anywhere in the message ("我的投诉TS20261123000123怎么样了", "编号
    20261123000123", read out "TS二零二六…"), canonical."""
    compact = detection_copy(text or "")  # half-width, digits read out in Chinese as digits
    match = _NUMBER_IN_TEXT.search(compact)
    if match:
        return parse_case_number(match.group(0))
    return find_number_in_sentence(compact) or parse_case_number(compact.strip())


def looks_like_case_number(text: str) -> bool:
    """Something the customer meant as a number (letters TS or 10+ digits), right or wrong."""
    compact = re.sub(r"\s", "", to_half_width(text or "")).lower()
    return compact.startswith("ts") or len(re.sub(r"\D", "", compact)) >= 10


def parse_last4(text: str) -> str | None:
    """Exactly four digits ("5678", "后四位是５６７８"), or None."""
    digits = re.findall(r"\d+", to_half_width(text or ""))
    return digits[0] if len(digits) == 1 and len(digits[0]) == 4 else None


def wants_to_stop(text: str) -> bool:
    return len(text or "") <= 12 and bool(_STOP.search(normalize_text(text or "")))


# --- the lookup in conversation, as a pure state machine -----------------------------------------
#
# `case_form` takes every message; `step()` reads one and either answers at once or names what
# the adapter must ask the database (NEED_*). The adapter then hands the answer back through
# `owned_case`, `contact_checked`, `locked`, `rated`, `withdrawn` or `refused`, each returning
# the next state and the replies. Rating and withdrawing check access again in the database
# (bot.cases.access): nothing in the dialogue state grants it.

STATUS = "status"
WITHDRAW = "withdraw"
WITHDRAW_INTENT = "complaint_withdraw"
STAGES = ("number", "last4", "rating", "withdraw_confirm")
MAX_BAD_NUMBERS = 3
MAX_LISTED_CASES = 5
# The audit trail's note on a withdrawal made here (staff read it, customers do not).
WITHDRAW_NOTE = "在线对话中由客户撤回"
# The confirm button's words (utter_case_confirm_withdraw), besides the usual yes words.
_WITHDRAW_WORDS = {"确定撤回"}

NEED_OWNED_CASE = "owned_case"  # find_owned_case(number), then owned_case()
NEED_CONTACT_CHECK = "contact_check"  # verify_contact_last4(reference, last4), then contact_checked()
NEED_RATING = "rating"  # rate_by_customer(number, score), then rated()
NEED_WITHDRAWAL = "withdrawal"  # withdraw_by_customer(number), then withdrawn()


@dataclass(frozen=True)
class Lookup:
    """Where the lookup is; kept in the `case_lookup` slot between messages."""

    purpose: str = STATUS
    stage: str = "number"
    number: str | None = None
    reference: str | None = None
    bad_numbers: int = 0
    choices: tuple[str, ...] = ()  # the customer's own case numbers, offered as buttons

    def to_slot(self) -> dict[str, Any]:
        return {
            "purpose": self.purpose,
            "stage": self.stage,
            "number": self.number,
            "reference": self.reference,
            "bad_numbers": self.bad_numbers,
            "choices": list(self.choices),
        }

    @classmethod
    def from_slot(cls, value: Any) -> Lookup:
        if not isinstance(value, dict) or value.get("stage", "number") not in STAGES:
            return cls()
        return cls(
            purpose=WITHDRAW if value.get("purpose") == WITHDRAW else STATUS,
            stage=value.get("stage", "number"),
            number=value.get("number"),
            reference=value.get("reference"),
            bad_numbers=int(value.get("bad_numbers") or 0),
            choices=tuple(value.get("choices") or ()),
        )


@dataclass(frozen=True)
class Reply:
    """One message: a domain response with its values, or a plain text (a domain error's)."""

    response: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    text: str | None = None


@dataclass(frozen=True)
class Step:
    lookup: Lookup
    replies: tuple[Reply, ...] = ()
    done: bool = False  # the form ends
    need: str | None = None  # what the adapter must ask the database before going on
    last4: str | None = None  # with NEED_CONTACT_CHECK
    score: int | None = None  # with NEED_RATING


def _say(key: str, **fields: Any) -> str:
    return reply_files.replies("case_lookup").text(key, **fields)


def status_detail(view: dict[str, Any]) -> str:
    """What the customer is told beyond the status: the answer, or the deadline."""
    if view["answer"]:
        return _say("status_answer", answer=view["answer"])
    if view["status"] == lifecycle.WITHDRAWN:
        return _say("status_withdrawn")
    due_on = format_date(view["due_on"])
    if view["extension_count"]:
        return _say("status_due_extended", due_on=due_on, reason=view["extension_reason"])
    return _say("status_due", due_on=due_on)


def case_number_in(text: str, entities: Sequence[Entity] = ()) -> str | None:
    """The case number the message names: the NLU's CASE_NUMBER entity ("我那个TS2026…的投诉呢",
    spoken or spaced), else what the rules above read in the text."""
    return entity_facts.case_number_of(entities) or find_case_number(text)


def start(*, intent: str, text: str, entities: Sequence[Entity] = (), owned: Sequence[str] = ()) -> Lookup:
    """ "我的投诉怎么样了" / "撤回投诉": a reference in the message goes straight to the digits;
    otherwise the customer's own cases (`owned`, newest first) are offered."""
    lookup = Lookup(purpose=WITHDRAW if intent == WITHDRAW_INTENT else STATUS)
    reference = references.find_reference(text)
    if reference:
        return replace(lookup, stage="last4", reference=reference)
    named = case_number_in(text, entities)
    if named is not None and named in owned:  # one tap to open it
        return replace(lookup, choices=(named,))
    return replace(lookup, choices=tuple(owned[:MAX_LISTED_CASES]))


def question(lookup: Lookup) -> Reply | None:
    """What the form asks at the lookup's stage."""
    if lookup.stage == "number":
        if lookup.choices:
            buttons = [{"title": number, "payload": number} for number in lookup.choices]
            return Reply("utter_case_choose", {"buttons": buttons})
        return Reply("utter_case_ask_number")
    if lookup.stage == "last4":
        return Reply("utter_case_ask_last4")
    if lookup.stage == "rating":
        return Reply("utter_case_ask_rating")
    if lookup.stage == "withdraw_confirm":
        return Reply("utter_case_confirm_withdraw", {"number": lookup.number})
    return None


def _end(*replies: Reply) -> Step:
    return Step(Lookup(), replies, done=True)


def _bad_number(lookup: Lookup, response: str) -> Step:
    lookup = replace(lookup, bad_numbers=lookup.bad_numbers + 1)
    if lookup.bad_numbers >= MAX_BAD_NUMBERS:
        return _end(Reply("utter_case_too_many_numbers"))
    return Step(lookup, (Reply(response),))


def step(lookup: Lookup, text: str, entities: Sequence[Entity] = ()) -> Step:
    """Reads one customer message at the lookup's stage."""
    text = text or ""
    if wants_to_stop(text) and lookup.stage != "withdraw_confirm":
        return _end(Reply("utter_case_stopped"))
    if lookup.stage == "last4":
        return _on_last4(lookup, text, entities)
    if lookup.stage == "rating":
        score = parse_rating(text)
        if score is None:
            return _end(Reply("utter_case_stopped"))
        return Step(lookup, need=NEED_RATING, score=score)
    if lookup.stage == "withdraw_confirm":
        if not is_confirmation(text) and clean_reply(text) not in _WITHDRAW_WORDS:
            return _end(Reply("utter_case_not_withdrawn", {"number": lookup.number}))
        return Step(lookup, need=NEED_WITHDRAWAL)
    return _on_number(lookup, text, entities)


def _on_number(lookup: Lookup, text: str, entities: Sequence[Entity]) -> Step:
    reference = references.find_reference(text) or references.parse_reference(text)
    if reference:
        return Step(replace(lookup, reference=reference, number=None, stage="last4"))
    number = case_number_in(text, entities)
    if number is None:
        return _bad_number(lookup, "utter_case_bad_number")
    return Step(replace(lookup, number=number), need=NEED_OWNED_CASE)


def _on_last4(lookup: Lookup, text: str, entities: Sequence[Entity]) -> Step:
    last4 = parse_last4(text)
    if last4 is None:
        if references.find_reference(text) or looks_like_case_number(text):
            return _on_number(lookup, text, entities)  # a correction
        return Step(lookup, (Reply("utter_case_ask_last4"),))
    return Step(lookup, need=NEED_CONTACT_CHECK, last4=last4)


def owned_case(lookup: Lookup, view: dict[str, Any] | None) -> Step:
    """After NEED_OWNED_CASE: the case's customer view, or None (someone else's, or no such
    case: the same answer either way)."""
    if view is None:
        return _bad_number(lookup, "utter_case_use_reference")
    return _verified(replace(lookup, number=view["number"]), view)


def contact_checked(lookup: Lookup, view: dict[str, Any] | None) -> Step:
    """After NEED_CONTACT_CHECK: the case's customer view, or None for every kind of failure."""
    if view is None:
        return Step(replace(lookup, stage="number", reference=None), (Reply("utter_case_no_match"),))
    return _verified(replace(lookup, number=view["number"]), view)


def locked(retry_after_seconds: int | None, *, lock_minutes: int) -> Step:
    """After NEED_CONTACT_CHECK raised a lock: when to try again (the lock's own time, else the
    configured lock)."""
    seconds = retry_after_seconds or lock_minutes * 60
    return _end(Reply("utter_case_locked", {"minutes": max(1, math.ceil(seconds / 60))}))


def _verified(lookup: Lookup, view: dict[str, Any]) -> Step:
    if lookup.purpose == WITHDRAW:
        if lifecycle.can_withdraw(view["status"]):
            return Step(replace(lookup, stage="withdraw_confirm"))
        return _end(
            Reply(
                "utter_case_cannot_withdraw", {"number": view["number"], "status_label": view["status_label"]}
            )
        )
    status = Reply(
        "utter_case_status",
        {
            "number": view["number"],
            "received_on": format_date(view["received_on"]),
            "status_label": view["status_label"],
            "detail": status_detail(view),
        },
    )
    if view["needs_rating"]:
        return Step(replace(lookup, stage="rating"), (status,))
    return _end(status)


def rated(score: int) -> Step:
    return _end(Reply("utter_case_rated", {"score": score}))


def withdrawn(lookup: Lookup) -> Step:
    return _end(Reply("utter_case_withdrawn", {"number": lookup.number}))


def refused(customer_message: str) -> Step:
    """Rating or withdrawing was refused by the domain (no access any more, a wrong status)."""
    return _end(Reply(text=customer_message))
