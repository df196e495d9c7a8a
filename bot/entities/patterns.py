"""The entity patterns: data/entities/*.jsonl plus the product catalogue, and the value table.

Each line of a pattern file is one spaCy entity_ruler pattern, `{"label": ..., "pattern": ...}`:
a phrase (a string, matched on lower-cased tokens) or a list of token attributes (see
data/entities/README in the main README, "How to add an entity pattern"). A phrase pattern's
`"id"` is the canonical value the phrase stands for (工行 → 中国工商银行); `"context": true` marks a
short name that is also an everyday word (平安, 民生, 光大), which counts only next to words about
banks (bot/entities/context.py). Lines starting with `#` are comments.

Products come from bot/suitability/products.yml (name, short names and code), so a product added
there is recognised without touching the pattern files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.config import PROJECT_ROOT
from bot.suitability.products import Product, load_products
from bot.text.normalize import normalize_text

from .segmentation import FORCED_FREQUENCY, pieces_for_dictionary, read_dictionary

PATTERNS_DIR = PROJECT_ROOT / "data" / "entities"
SEGMENTATION_FILE = PATTERNS_DIR / "segmentation.txt"
DICTIONARY_DIR = PROJECT_ROOT / "data" / "dictionary"
LABELS = (
    "AMOUNT",
    "DATE",
    "TIME",
    "CHANNEL",
    "CARD_TYPE",
    "PRODUCT",
    "RISK_LEVEL",
    "BANK",
    "CARD_TAIL",
    "CASE_NUMBER",
    "CURRENCY",
)
# Bare numbers: an AMOUNT only when the words around them are about money (bot/entities/context.py).
NUMBER_LABEL = "NUMBER"
PATTERN_LABELS = (*LABELS, NUMBER_LABEL)


class PatternError(ValueError):
    """A pattern file line that is not a valid pattern."""


def phrase_key(text: str) -> str:
    """How a phrase is looked up: normalised, lower-case, without spaces."""
    return "".join(normalize_text(text).lower().split())


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    patterns = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            entry = json.loads(line)
        except ValueError as exc:
            raise PatternError(f"{path.name}:{number}: not JSON ({exc})") from exc
        if not isinstance(entry, dict) or entry.get("label") not in PATTERN_LABELS:
            raise PatternError(f"{path.name}:{number}: label must be one of {', '.join(PATTERN_LABELS)}")
        pattern = entry.get("pattern")
        if not (isinstance(pattern, str) and pattern.strip()) and not (isinstance(pattern, list) and pattern):
            raise PatternError(
                f"{path.name}:{number}: pattern must be a phrase or a list of token attributes"
            )
        if isinstance(pattern, str) and not entry.get("id"):
            raise PatternError(f'{path.name}:{number}: a phrase pattern needs the canonical value as "id"')
        patterns.append(entry)
    return patterns


def product_patterns(products: Iterable[Product]) -> list[dict[str, Any]]:
    """Phrase patterns for every product's name, short names and code (value: the code)."""
    patterns = []
    for product in products:
        seen = set()
        for phrase in (product.name, product.code, *product.aliases):
            # As written and as the normaliser leaves it ("稳享一年定开" → "稳享1年定开").
            for form in (phrase, normalize_text(phrase)):
                if form not in seen:
                    seen.add(form)
                    patterns.append({"label": "PRODUCT", "pattern": form, "id": product.code})
    return patterns


def load_patterns(directory: Path = PATTERNS_DIR) -> list[dict[str, Any]]:
    """Every pattern of the pattern files (sorted by file name) and of the product catalogue."""
    patterns: list[dict[str, Any]] = []
    for path in sorted(directory.glob("*.jsonl")):
        patterns.extend(_read_jsonl(path))
    return patterns + product_patterns(load_products())


def segmentation_words(patterns: Iterable[dict[str, Any]]) -> list[tuple[str, int]]:
    """What the entity segmenter must know: the bank dictionary, every phrase of the patterns
    (so a phrase is cut the same way inside a sentence as on its own) and segmentation.txt."""
    words: list[tuple[str, int]] = []
    for path in sorted(DICTIONARY_DIR.glob("*.txt")):
        words.extend(read_dictionary(path.read_text(encoding="utf-8")))
    for entry in patterns:
        if isinstance(entry["pattern"], str):
            words.extend((piece, FORCED_FREQUENCY) for piece in pieces_for_dictionary(entry["pattern"]))
    # Last, so that its frequencies (0 = never one word) win.
    words.extend(read_dictionary(SEGMENTATION_FILE.read_text(encoding="utf-8")))
    return words


@dataclass(frozen=True)
class ValueTable:
    """Canonical values of phrase patterns per label, and the short names that need context."""

    values: dict[str, dict[str, str]] = field(default_factory=dict)
    needs_context: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_patterns(cls, patterns: Iterable[dict[str, Any]]) -> ValueTable:
        values: dict[str, dict[str, str]] = {}
        needs_context: dict[str, set[str]] = {}
        for entry in patterns:
            if not isinstance(entry["pattern"], str) or not entry.get("id"):
                continue
            key = phrase_key(entry["pattern"])
            values.setdefault(entry["label"], {})[key] = str(entry["id"])
            if entry.get("context"):
                needs_context.setdefault(entry["label"], set()).add(key)
        return cls(values, {label: sorted(keys) for label, keys in needs_context.items()})

    def value(self, label: str, text: str) -> str | None:
        return self.values.get(label, {}).get(phrase_key(text))

    def is_ambiguous(self, label: str, text: str) -> bool:
        return phrase_key(text) in self.needs_context.get(label, ())

    def to_json(self) -> str:
        return json.dumps(
            {"values": self.values, "needs_context": self.needs_context},
            ensure_ascii=False,
            sort_keys=True,
            indent=0,
        )

    @classmethod
    def from_json(cls, text: str) -> ValueTable:
        raw = json.loads(text)
        return cls(dict(raw.get("values") or {}), dict(raw.get("needs_context") or {}))
