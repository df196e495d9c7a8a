"""Reading entities back from a parsed message (the dicts Rasa keeps in the tracker), and how the
assistant writes their values to customers and staff. Pure functions; no Rasa import.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.text.masking import mask_text

from .model import Entity
from .patterns import LABELS

# How staff screens name each type (agent context pane, analyst transcript and filter).
TYPE_LABELS = {
    "AMOUNT": "金额",
    "DATE": "日期",
    "TIME": "时间",
    "CHANNEL": "渠道",
    "CARD_TYPE": "卡种",
    "PRODUCT": "产品",
    "RISK_LEVEL": "风险等级",
    "BANK": "银行",
    "CARD_TAIL": "卡尾号",
    "CASE_NUMBER": "案件编号",
    "CURRENCY": "币种",
}
CURRENCY_NAMES = {
    "CNY": "元",
    "USD": "美元",
    "HKD": "港币",
    "EUR": "欧元",
    "JPY": "日元",
    "GBP": "英镑",
    "AUD": "澳元",
    "CAD": "加元",
    "SGD": "新加坡元",
    "KRW": "韩元",
    "CHF": "瑞士法郎",
    "NZD": "新西兰元",
    "THB": "泰铢",
    "RUB": "卢布",
    "MOP": "澳门元",
    "TWD": "新台币",
}
PERIOD_NAMES = {"night": "凌晨", "morning": "上午", "noon": "中午", "afternoon": "下午", "evening": "晚上"}


def from_parse(raw: Iterable[Any] | None) -> list[Entity]:
    """Our entities among a parse's entity dicts (others, such as button payloads', are skipped);
    malformed entries are ignored."""
    entities = []
    for item in raw or ():
        if not isinstance(item, dict) or item.get("entity") not in LABELS or item.get("value") in (None, ""):
            continue
        info = item.get("additional_info")
        if not isinstance(info, dict):
            info = {}
        details = {key: value for key, value in info.items() if key != "text"}
        try:
            start, end = int(item.get("start") or 0), int(item.get("end") or 0)
        except (TypeError, ValueError):
            start = end = 0
        entities.append(
            Entity(
                item["entity"],
                str(info.get("text") or item["value"]),
                start,
                end,
                str(item["value"]),
                details,
            )
        )
    return entities


def first(entities: Iterable[Entity], entity_type: str) -> Entity | None:
    return next((entity for entity in entities if entity.type == entity_type), None)


def values_of(entities: Iterable[Entity], entity_type: str) -> list[str]:
    """The distinct values of one type, in the order they were said."""
    seen: list[str] = []
    for entity in entities:
        if entity.type == entity_type and entity.value not in seen:
            seen.append(entity.value)
    return seen


def day_of(entity: Entity | None) -> date | None:
    """The calendar day of a DATE entity with day precision."""
    if entity is None or entity.type != "DATE" or entity.details.get("precision", "day") != "day":
        return None
    try:
        return date.fromisoformat(entity.value)
    except ValueError:
        return None


def amount_of(entity: Entity | None) -> Decimal | None:
    if entity is None or entity.type != "AMOUNT":
        return None
    try:
        return Decimal(entity.value)
    except InvalidOperation:
        return None


def format_amount(value: Decimal, currency: str | None = "CNY") -> str:
    """5000 → "5,000元", 59.9 → "59.90元", 300 USD → "300美元"."""
    text = f"{value:,.2f}".removesuffix(".00")
    return f"{text}{CURRENCY_NAMES.get(currency or 'CNY', currency or '元')}"


def format_day(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def display_value(entity: Entity) -> str:
    """The value as staff read it: 5,000元, 2026年11月27日, 下午, 稳享90天理财 (WM-R2-090)."""
    if entity.type == "AMOUNT":
        amount = amount_of(entity)
        return format_amount(amount, entity.details.get("currency")) if amount is not None else entity.value
    if entity.type == "DATE":
        day = day_of(entity)
        return format_day(day) if day else entity.value
    if entity.type == "TIME":
        return PERIOD_NAMES.get(entity.value, entity.value)
    if entity.type == "PRODUCT" and entity.details.get("name"):
        return f"{entity.details['name']}（{entity.value}）"
    return entity.value


def staff_view(raw: Iterable[Any] | None) -> list[dict[str, str]]:
    """A parse's entities as staff screens show and store them: type, its Chinese label, the value,
    the value written out (5,000元, 2026年11月27日, 中国工商银行) and the words, all masked.
    Entities of other origins (a button's payload) keep their name as the label."""
    view = []
    for item in raw or ():
        if not isinstance(item, dict) or not item.get("entity"):
            continue
        ours = from_parse([item])
        if ours:
            entity = ours[0]
            view.append(
                {
                    "entity": entity.type,
                    "label": TYPE_LABELS[entity.type],
                    "value": mask_text(entity.value),
                    "display": mask_text(display_value(entity)),
                    "text": mask_text(entity.text),
                }
            )
        else:
            value = mask_text(str(item.get("value")))
            view.append(
                {
                    "entity": str(item["entity"]),
                    "label": str(item["entity"]),
                    "value": value,
                    "display": value,
                    "text": value,
                }
            )
    return view


def case_number_of(entities: Iterable[Entity]) -> str | None:
    """The first case number the customer named (canonical TS…), or None."""
    entity = first(entities, "CASE_NUMBER")
    return entity.value if entity else None


def product_code_of(entities: Iterable[Entity]) -> str | None:
    """The code of the first catalogue product the customer named, or None."""
    entity = first(entities, "PRODUCT")
    return entity.value if entity else None


def product_level_of(entities: Iterable[Entity]) -> str | None:
    """The first product risk level (R1–R5) the customer named, or None (C1–C5 are the
    customer's own types, not a product's)."""
    return next((e.value for e in entities if e.type == "RISK_LEVEL" and e.value.startswith("R")), None)
