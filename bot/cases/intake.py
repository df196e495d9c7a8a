"""Complaint intake in conversation as a pure state machine.

A `Draft` holds what the customer has told so far; `step()` applies one message (with the
entities the NLU found in it, bot/entities) and says what happened, so the action only renders
questions and files the case. Order of questions: what happened (several messages allowed) →
what the description already told, confirmed in one go (when it happened, the amount, the
channel, the business type: "上周五手机银行转了5000元" is not asked again) → business type →
channel → reason (each guessed from the description and confirmed with buttons, JR/T 0169
axes; skipped when already confirmed) → what the customer wants → when (skipped when known) →
contact mobile (validated; said why) → name → summary to confirm or correct.

Secrets the customer types (passwords, verification codes, card or ID numbers) are masked before
they are kept, and the event says so, so the assistant can warn them.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from bot.entities import facts as entity_facts
from bot.entities.amounts import parse_amount
from bot.entities.model import Entity
from bot.text.masking import detect_sensitive, mask_text
from bot.text.phones import parse_mobile
from bot.text.replies import CONFIRM_WORDS, clean_reply

from . import classification, wording

STAGES = ("description", "facts", "business", "channel", "reason", "request", "occurred", "phone", "name")
# Reached only from the summary ("修改金额"): the amount is taken from what the customer says.
EDIT_ONLY_STAGES = ("amount",)
# The axes asked with buttons, in the words customers are shown (everyday words for the reason;
# the standard's labels are accepted too).
CHOICE_AXES = {axis: classification.CUSTOMER_AXES[axis] for axis in ("business", "channel", "reason")}
MAX_DESCRIPTION_PARTS = 8
MAX_DESCRIPTION_CHARS = 1500
MAX_FIELD_CHARS = {"request": 300, "occurred": 60, "name": 20}
MAX_FAILURES = 3

_TRIGGER_WORDS = re.compile(r"我要投诉|我想投诉|要投诉|投诉一下|投诉|我要|我想|你们|客服|请问|麻烦|你好|您好")
_DONE = {
    "说完了",
    "没有了",
    "没了",
    "就这些",
    "就这些了",
    "没有补充",
    "没有要补充的",
    "说完",
    "完了",
    "没有",
    "好了",
    "就这样",
}
_YES = CONFIRM_WORDS
_NO = {
    "不是",
    "不对",
    "否",
    "错了",
    "不",
    "不太对",
    "都不是",
    "修改",
    "我要修改",
    "要修改",
    "继续",
    "不取消",
    "继续投诉",
}
_NOT_THIS = {"不是", "不对", "否", "错了", "都不是", "不太对", "不"}
_CANCEL = re.compile(r"不投诉了|取消投诉|算了不投诉|不想投诉了|撤销投诉|不用投诉了|放弃投诉")
_PERSON = re.compile(r"转人工|人工客服|人工服务|真人|找客服")
_NO_AMOUNT = {"没有", "无", "不涉及", "没有金额", "不涉及金额", "没涉及", "删掉", "不用"}
_EDIT_FIELDS = (
    ("amount", ("金额", "钱数", "多少钱")),
    ("phone", ("电话", "手机", "号码")),
    ("name", ("姓名", "名字", "称呼")),
    ("request", ("诉求", "要求", "希望")),
    ("occurred", ("时间", "日期", "什么时候")),
    ("business", ("业务",)),
    ("channel", ("渠道",)),
    ("reason", ("原因",)),
    ("description", ("经过", "描述", "情况", "内容")),
)


class Event(str, Enum):
    ASK = "ask"  # ask the current stage's question
    MORE = "more"  # a part of the description was kept: anything to add?
    UNCLEAR = "unclear"  # the answer does not fit the question: explain and ask again
    INVALID_PHONE = "invalid_phone"
    OFFER_PERSON = "offer_person"
    CONFIRM_CANCEL = "confirm_cancel"
    RESUMED = "resumed"
    CANCELLED = "cancelled"
    PERSON = "person"
    WHICH_TO_EDIT = "which_to_edit"
    SUBMITTED = "submitted"
    STALE = "stale"  # a button of another step or another draft: ask the current step again


@dataclass(frozen=True)
class Draft:
    """The complaint so far and where the conversation is."""

    # Names this draft in its buttons (bot.conversations.buttons), so a button of a draft already
    # filed or cancelled, or of an earlier step, is told apart from the current one.
    id: str = ""
    description: tuple[str, ...] = ()
    business: str | None = None
    channel: str | None = None
    reason: str | None = None
    confirmed: tuple[str, ...] = ()  # axes the customer has confirmed or chosen
    request: str | None = None
    occurred: str | None = None
    occurred_on: str | None = None  # ISO date when the customer's words name a day
    amount: str | None = None  # the sum in dispute, plain decimal text
    currency: str | None = None
    facts_done: bool = False  # the customer has answered the "is this right?" of the facts
    phone: str | None = None
    name: str | None = None
    stage: str = "description"
    editing: bool = False  # came from the summary: return to it after this answer
    failures: int = 0
    pending: str | None = None  # "cancel" or "person": waiting for yes/no

    @property
    def description_text(self) -> str:
        return "\n".join(self.description)

    @property
    def step_id(self) -> str:
        """The step the draft waits for: a pending yes/no ("cancel", "person") or the stage."""
        return f"complaint:{self.id}:{self.pending or self.stage}"

    def to_slot(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "description": list(self.description),
            "business": self.business,
            "channel": self.channel,
            "reason": self.reason,
            "confirmed": list(self.confirmed),
            "request": self.request,
            "occurred": self.occurred,
            "occurred_on": self.occurred_on,
            "amount": self.amount,
            "currency": self.currency,
            "facts_done": self.facts_done,
            "phone": self.phone,
            "name": self.name,
            "stage": self.stage,
            "editing": self.editing,
            "failures": self.failures,
            "pending": self.pending,
        }

    @classmethod
    def from_slot(cls, value: Any) -> Draft | None:
        if not isinstance(value, dict) or value.get("stage") not in STAGES + EDIT_ONLY_STAGES + ("summary",):
            return None
        try:
            return cls(
                id=str(value.get("id") or ""),
                description=tuple(str(p) for p in value.get("description") or ()),
                business=value.get("business"),
                channel=value.get("channel"),
                reason=value.get("reason"),
                confirmed=tuple(value.get("confirmed") or ()),
                request=value.get("request"),
                occurred=value.get("occurred"),
                occurred_on=value.get("occurred_on"),
                amount=value.get("amount"),
                currency=value.get("currency"),
                facts_done=bool(value.get("facts_done")),
                phone=value.get("phone"),
                name=value.get("name"),
                stage=value["stage"],
                editing=bool(value.get("editing")),
                failures=int(value.get("failures") or 0),
                pending=value.get("pending"),
            )
        except (TypeError, ValueError):
            return None


@dataclass(frozen=True)
class Step:
    draft: Draft
    event: Event
    sensitive: frozenset[str] = frozenset()  # secrets found (and masked) in this message


def is_substantive(text: str) -> bool:
    """Does the message that started the complaint already say what happened?"""
    return len(_TRIGGER_WORDS.sub("", clean_reply(text))) >= 4


def _with_guesses(draft: Draft, entities: Sequence[Entity] = ()) -> Draft:
    """Guesses for the axes not confirmed yet: keywords of the description first, then what the
    entities of the message point to (a named channel, a card kind, a product, another bank)."""
    guess = classification.infer_classification(f"{draft.description_text} {draft.request or ''}")
    named_channel = classification.channel_from_entity(
        next(iter(entity_facts.values_of(entities, "CHANNEL")), None)
    )
    entity_business = classification.business_from_entities([(e.type, e.value) for e in entities])
    return replace(
        draft,
        business=draft.business
        if "business" in draft.confirmed
        else guess.business_code or draft.business or entity_business,
        channel=draft.channel
        if "channel" in draft.confirmed
        else named_channel or guess.channel_code or draft.channel,
        reason=draft.reason if "reason" in draft.confirmed else guess.reason_code,
    )


def _occurred_words(entities: Sequence[Entity]) -> str | None:
    """ "上周五下午" from the DATE and TIME entities, as the customer said them."""
    words = [entity.text for entity in entities if entity.type in ("DATE", "TIME")]
    return "".join(words)[: MAX_FIELD_CHARS["occurred"]] or None


def _with_facts(draft: Draft, entities: Sequence[Entity]) -> Draft:
    """Keeps when it happened and the amount, the first time the customer says them."""
    changes: dict[str, Any] = {}
    day = entity_facts.day_of(entity_facts.first(entities, "DATE"))
    if draft.occurred is None and _occurred_words(entities):
        changes["occurred"] = _occurred_words(entities)
        changes["occurred_on"] = day.isoformat() if day else None
    amount = entity_facts.first(entities, "AMOUNT")
    if draft.amount is None and amount is not None:
        changes["amount"], changes["currency"] = amount.value, amount.details.get("currency") or "CNY"
    return replace(draft, **changes) if changes else draft


def known_facts(draft: Draft) -> dict[str, str]:
    """What the description told that the customer is asked to confirm in one go: keys among
    occurred, amount, channel, business (values: the words, the amount, codes)."""
    known = {
        "occurred": draft.occurred,
        "amount": draft.amount,
        "channel": draft.channel if "channel" not in draft.confirmed else None,
        "business": draft.business if "business" not in draft.confirmed else None,
    }
    return {key: value for key, value in known.items() if value}


def occurred_day(draft: Draft) -> date | None:
    return date.fromisoformat(draft.occurred_on) if draft.occurred_on else None


def amount_value(draft: Draft) -> Decimal | None:
    return Decimal(draft.amount) if draft.amount else None


def new_draft_id() -> str:
    return secrets.token_hex(6)


def start(first_message: str = "", entities: Sequence[Entity] = ()) -> Step:
    """A new draft; the message that started it is kept when it already tells what happened,
    with the facts its entities give."""
    if first_message and is_substantive(first_message):
        sensitive = detect_sensitive(first_message)
        told = wording.as_told(wording.without_trigger(first_message))
        draft = Draft(id=new_draft_id(), description=(mask_text(told),))
        draft = _with_guesses(_with_facts(draft, entities), entities)
        return Step(draft, Event.MORE, sensitive)
    return Step(Draft(id=new_draft_id()), Event.ASK)


def _needs(draft: Draft, stage: str) -> bool:
    """Does the stage still need an answer? (Stages already answered are not asked again.)"""
    if stage == "facts":
        return not draft.facts_done and bool(known_facts(draft))
    if stage in CHOICE_AXES:
        return stage not in draft.confirmed
    if stage in ("request", "occurred", "phone", "name"):
        return getattr(draft, stage) is None
    return True


def _next_stage(draft: Draft) -> Draft:
    """Moves on to the first stage still unanswered (or back to the summary when editing)."""
    if draft.editing:
        return replace(draft, stage="summary", editing=False, failures=0)
    position = STAGES.index(draft.stage) + 1 if draft.stage in STAGES else len(STAGES)
    for stage in STAGES[position:]:
        if _needs(draft, stage):
            return replace(draft, stage=stage, failures=0)
    return replace(draft, stage="summary", failures=0)


def _choose(axis: str, draft: Draft, cleaned: str, text: str) -> str | None:
    """The code the answer picks on an axis: yes to the guess, a label, its number, or words."""
    labels = CHOICE_AXES[axis]
    guess = getattr(draft, axis)
    if cleaned in _YES and guess:
        return guess
    for names in (labels, classification.AXES[axis]):
        for code, label in names.items():
            if cleaned == clean_reply(label):
                return code
    if cleaned.isdigit() and 1 <= int(cleaned) <= len(labels):
        return list(labels)[int(cleaned) - 1]
    return getattr(classification.infer_classification(text), f"{axis}_code")


def _fail(draft: Draft, event: Event) -> Step:
    failures = draft.failures + 1
    if failures >= MAX_FAILURES:
        return Step(replace(draft, failures=0, pending="person"), Event.OFFER_PERSON)
    return Step(replace(draft, failures=failures), event)


def _edit_target(cleaned: str) -> str | None:
    for stage, words in _EDIT_FIELDS:
        if any(word in cleaned for word in words):
            return stage
    return None


def step(draft: Draft, text: str, entities: Sequence[Entity] = (), *, pressed: str | None = None) -> Step:
    """Applies one customer message (and the entities found in it) to the draft. `pressed` is the
    step of the button the message came from (None for typed text): a button of another step or
    another draft changes nothing, so an old "确定" or "确认提交" never confirms what it was not
    shown for."""
    if pressed is not None and pressed != draft.step_id:
        return Step(replace(draft, pending=None), Event.STALE)
    cleaned = clean_reply(text)
    sensitive = detect_sensitive(text)
    result = _step(draft, text, cleaned, tuple(entities))
    return replace(result, sensitive=sensitive) if sensitive else result


def _on_facts(draft: Draft, cleaned: str, entities: tuple[Entity, ...]) -> Step:
    """The answer to "is this what happened?": yes, a correction in words, or no."""
    if cleaned in _YES:
        confirmed = tuple({*draft.confirmed, *(axis for axis in CHOICE_AXES if axis in known_facts(draft))})
        return Step(_next_stage(replace(draft, confirmed=confirmed, facts_done=True)), Event.ASK)
    corrected = replace(draft, occurred=None, occurred_on=None) if _occurred_words(entities) else draft
    corrected = replace(corrected, amount=None) if entity_facts.first(entities, "AMOUNT") else corrected
    named_channel = classification.channel_from_entity(
        next(iter(entity_facts.values_of(entities, "CHANNEL")), None)
    )
    if named_channel:
        corrected = replace(corrected, channel=named_channel)
    corrected = _with_facts(corrected, entities)
    if corrected != draft:  # "时间是上周四" / "是300块": the new fact, and the question again
        return Step(replace(corrected, failures=0), Event.ASK)
    if cleaned in _NO or cleaned in _NOT_THIS:
        # Asked one at a time instead: the axes with their guesses, then the time; the amount
        # goes (the summary offers "修改金额").
        cleared = replace(draft, occurred=None, occurred_on=None, amount=None, currency=None, facts_done=True)
        return Step(_next_stage(cleared), Event.ASK)
    return _fail(draft, Event.UNCLEAR)


def _step(draft: Draft, text: str, cleaned: str, entities: tuple[Entity, ...]) -> Step:
    if draft.pending:
        if cleaned in _YES:
            event = Event.CANCELLED if draft.pending == "cancel" else Event.PERSON
            return Step(replace(draft, pending=None), event)
        draft = replace(draft, pending=None, failures=0)
        if cleaned in _NO:
            return Step(draft, Event.RESUMED)
    if len(cleaned) <= 14 and _PERSON.search(cleaned):
        return Step(draft, Event.PERSON)
    if len(cleaned) <= 14 and _CANCEL.search(cleaned):
        return Step(replace(draft, pending="cancel"), Event.CONFIRM_CANCEL)

    stage = draft.stage
    if stage == "description":
        if cleaned in _DONE:
            if not draft.description:
                return Step(draft, Event.UNCLEAR)
            return Step(_next_stage(draft), Event.ASK)
        if not cleaned:
            return Step(draft, Event.UNCLEAR)
        told = text if draft.description else wording.without_trigger(text)  # "我要投诉，…" again
        parts = draft.description + (mask_text(wording.as_told(told)),)
        draft = _with_guesses(_with_facts(replace(draft, description=parts), entities), entities)
        full = len(parts) >= MAX_DESCRIPTION_PARTS or sum(map(len, parts)) >= MAX_DESCRIPTION_CHARS
        if full or draft.editing:
            return Step(_next_stage(draft), Event.ASK)
        return Step(draft, Event.MORE)

    if stage == "facts":
        return _on_facts(draft, cleaned, entities)

    if stage in CHOICE_AXES:
        if cleaned in _NOT_THIS:
            cleared: dict[str, Any] = {stage: None}
            return Step(replace(draft, **cleared), Event.ASK)
        code = _choose(stage, draft, cleaned, text)
        if code is None:
            return _fail(draft, Event.UNCLEAR)
        chosen: dict[str, Any] = {stage: code}
        draft = replace(draft, **chosen, confirmed=tuple({*draft.confirmed, stage}))
        return Step(_next_stage(draft), Event.ASK)

    if stage == "amount":
        if cleaned in _NO_AMOUNT:
            return Step(_next_stage(replace(draft, amount=None, currency=None)), Event.ASK)
        named = entity_facts.first(entities, "AMOUNT")
        if named is not None:
            value, currency = named.value, named.details.get("currency")
        else:
            amount = parse_amount(text)
            if amount is None:
                return _fail(draft, Event.UNCLEAR)
            value, currency = amount.text_value, amount.currency
        return Step(_next_stage(replace(draft, amount=value, currency=currency or "CNY")), Event.ASK)

    if stage in MAX_FIELD_CHARS:
        value = mask_text(wording.as_told(text))
        too_long = len(value) > MAX_FIELD_CHARS[stage]
        if not cleaned or too_long or (stage == "name" and re.search(r"\d", value)):
            return _fail(draft, Event.UNCLEAR)
        changes: dict[str, Any] = {stage: value}
        if stage == "occurred":
            day = entity_facts.day_of(entity_facts.first(entities, "DATE"))
            changes["occurred_on"] = day.isoformat() if day else None
        if stage == "request":
            draft = _with_facts(draft, entities)  # "把那5000块退给我": the amount, if not known yet
        return Step(_next_stage(replace(draft, **changes)), Event.ASK)

    if stage == "phone":
        phone = parse_mobile(text)
        if phone is None:
            return _fail(draft, Event.INVALID_PHONE)
        return Step(_next_stage(replace(draft, phone=phone)), Event.ASK)

    # The summary waits for a yes, or for which part to change.
    if cleaned in _YES:
        return Step(draft, Event.SUBMITTED)
    target = _edit_target(cleaned)
    if target is None:
        return Step(draft, Event.WHICH_TO_EDIT)
    changes = {"stage": target, "editing": True, "failures": 0}
    if target == "description":
        changes["description"] = ()
    if target in CHOICE_AXES:
        changes["confirmed"] = tuple(axis for axis in draft.confirmed if axis != target)
    return Step(replace(draft, **changes), Event.ASK)
