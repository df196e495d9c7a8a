"""What the assistant answers for and what it does not: other companies' products.

A customer asking about Apple Pay's card list, a merchant's POS terminal or 花呗's credit line is
asking about someone else's product; our FAQ answer for a neighbouring topic (binding a card,
limits, the credit line) would mislead. `other_product(text, topic)` names the product family
when the question is about one and our predicted topic does not serve it
(`bot/scope/other_products.yml`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot.text.normalize import comparable

CATALOG_FILE = Path(__file__).with_name("other_products.yml")


@dataclass(frozen=True)
class Family:
    key: str
    label: str
    names: tuple[str, ...]
    patterns: tuple[re.Pattern, ...]
    serves: frozenset[str]
    own: tuple[re.Pattern, ...] = ()

    def named_in(self, text: str) -> bool:
        return any(name in text for name in self.names) or any(p.search(text) for p in self.patterns)

    def own_matter(self, text: str) -> bool:
        """The product's own state ("花呗被冻结了", "退款退回花呗"): its words look like money at
        stake, but the money and the rule are the other company's."""
        return any(p.search(text) for p in self.own)

    def served_by(self, topic: str | None, group: str | None) -> bool:
        return topic in self.serves or (group is not None and f"group:{group}" in self.serves)


@dataclass(frozen=True)
class Scope:
    our_bank: tuple[str, ...]
    money_signals: tuple[str, ...]
    scam_signals: tuple[str, ...]
    families: tuple[Family, ...]
    # "you" meaning the card scheme ("你们银联"), removed before `our_bank` is looked for
    not_our_bank: tuple[str, ...] = ()

    def names_our_bank(self, plain: str) -> bool:
        for other in self.not_our_bank:
            plain = plain.replace(other, "")
        return any(word in plain for word in self.our_bank)


def _flatten(items) -> list[str]:
    flat: list[str] = []
    for item in items or []:
        flat.extend(_flatten(item) if isinstance(item, list) else [str(item)])
    return flat


@lru_cache(maxsize=1)
def load_scope(path: Path = CATALOG_FILE) -> Scope:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    families = tuple(
        Family(
            key=key,
            label=entry["label"],
            names=tuple(str(name).lower() for name in entry.get("names") or []),
            patterns=tuple(re.compile(p) for p in entry.get("patterns") or []),
            serves=frozenset(_flatten(entry.get("serves"))),
            own=tuple(re.compile(p) for p in entry.get("own") or []),
        )
        for key, entry in data["families"].items()
    )
    return Scope(
        our_bank=tuple(data["our_bank"]),
        money_signals=tuple(str(word) for word in data["money_signals"]),
        scam_signals=tuple(str(word) for word in data.get("scam_signals") or []),
        families=families,
        not_our_bank=tuple(str(word) for word in data.get("not_our_bank") or []),
    )


def other_product(text: str, topic: str | None = None, group: str | None = None) -> Family | None:
    """The family of another company's product the question is about, unless it names our bank,
    the customer's money is at stake, or the predicted topic (and its group) still serves it;
    None when the question is ours. A family's `own` pattern (the product's own frozen balance or
    refund) decides before the money signals and the topic; a scam never leaves us."""
    scope = load_scope()
    plain = comparable(text)
    if scope.names_our_bank(plain) or any(word in plain for word in scope.scam_signals):
        return None
    for family in scope.families:
        if family.own_matter(plain):
            return family  # whatever topic was guessed: no answer of ours is about it
    if any(word in plain for word in scope.money_signals):
        return None
    for family in scope.families:
        if family.named_in(plain):
            return None if family.served_by(topic, group) else family
    return None
