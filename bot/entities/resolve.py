"""From what the entity_ruler matched to entities with values (pure rules; no spaCy, no Rasa).

`resolve_entities(text, matches, values=…, now=…)` takes the message text (as the pipeline saw
it, i.e. normalised) and the ruler's matches (label, start, end) and returns `Entity` objects:
the words around each match are checked (bot/entities/context.py), bare numbers become amounts
or are dropped, and each entity gets its value — a number, an ISO date, a canonical name, a code.
A match whose value cannot be read (2月30日, a case number with an impossible date) is dropped:
an entity is something the assistant understood.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bot.cases.numbers import parse_case_number
from bot.suitability.products import product_by_code
from bot.suitability.rules import parse_product_level
from bot.text.masking import detection_copy, read_out_digits

from . import context
from .amounts import parse_amount
from .dates import china_today, resolve_date, resolve_time
from .model import Entity
from .patterns import NUMBER_LABEL, ValueTable

# Labels whose value is the canonical name of a phrase pattern (its "id").
LOOKUP_LABELS = ("CHANNEL", "CARD_TYPE", "BANK", "CURRENCY", "PRODUCT")


def _lookup(label: str, text: str, values: ValueTable) -> tuple[str, dict[str, Any]] | None:
    value = values.value(label, text)
    if value is None:
        return None
    if label == "PRODUCT":
        product = product_by_code(value)
        if product is None:
            return None
        return value, {"name": product.name, "risk_level": product.risk_level}
    return value, {}


def _value(label: str, text: str, values: ValueTable, now: datetime) -> tuple[str, dict[str, Any]] | None:
    if label in LOOKUP_LABELS:
        return _lookup(label, text, values)
    if label == "AMOUNT":
        amount = parse_amount(text)
        if amount is None:
            return None
        return amount.text_value, {"currency": amount.currency, "approximate": amount.approximate}
    if label == "DATE":
        day = resolve_date(text, china_today(now))
        if day is None:
            return None
        return day.value, {"precision": day.precision, "period": day.period}
    if label == "TIME":
        moment = resolve_time(text)
        if moment is None:
            return None
        return moment.value, {"period": moment.period, "approximate": moment.approximate}
    if label == "RISK_LEVEL":
        level = values.value(label, text) or parse_product_level(text)
        return (level, {}) if level else None
    if label == "CARD_TAIL":
        digits = "".join(char for char in read_out_digits(text) if char.isdigit())
        return (digits[-4:], {}) if len(digits) >= 4 else None
    if label == "CASE_NUMBER":
        number = parse_case_number(detection_copy(text))
        return (number, {}) if number else None
    return None


def _meant(label: str, text: str, start: int, end: int, values: ValueTable) -> bool:
    if label == "BANK" and values.is_ambiguous(label, text[start:end]):
        return context.is_bank_meant(text, start, end)
    if label == "CARD_TAIL":
        return context.is_card_tail(text, start)
    if label == "DATE":
        return context.is_date_meant(text, start, end)
    if label == "TIME":
        return context.is_time_meant(text, start, end)
    return True


def resolve_entities(
    text: str, matches: Iterable[tuple[str, int, int]], *, values: ValueTable, now: datetime
) -> list[Entity]:
    """The entities among the ruler's matches in `text`, in text order, with their values."""
    ordered = sorted(matches, key=lambda match: match[1])
    entities: list[Entity] = []
    for index, (label, start, end) in enumerate(ordered):
        following = ordered[index + 1] if index + 1 < len(ordered) else None
        currency_follows = bool(
            following and following[0] == "CURRENCY" and not text[end : following[1]].strip()
        )
        if label == NUMBER_LABEL:
            if not context.is_money_number(text, start, end, currency_follows=currency_follows):
                continue
            label = "AMOUNT"
        if not _meant(label, text, start, end, values):
            continue
        resolved = _value(label, text[start:end], values, now)
        if resolved is None:
            continue
        value, details = resolved
        if label == "AMOUNT" and currency_follows and following is not None:
            details["currency"] = values.value("CURRENCY", text[following[1] : following[2]])
        elif label == "AMOUNT" and details["currency"] is None:
            details["currency"] = "CNY"  # a sum without a currency is in yuan
        entities.append(Entity(label, text[start:end], start, end, value, details))
    return entities
