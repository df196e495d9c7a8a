"""What an entity is once resolved (shared by the resolver, the dialogue and the staff screens)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Entity:
    """One thing the customer named, with its value."""

    type: str  # AMOUNT, DATE, TIME, CHANNEL, CARD_TYPE, PRODUCT, RISK_LEVEL, BANK, CARD_TAIL, CASE_NUMBER, CURRENCY
    text: str  # the words as they stand in the (normalised) message
    start: int
    end: int
    value: str
    details: dict[str, Any] = field(default_factory=dict)
