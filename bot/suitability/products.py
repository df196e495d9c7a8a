"""The wealth-product catalogue (products.yml): find a product a customer names."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot.text.normalize import normalize_text

from .rules import PRODUCT_LEVELS

PRODUCTS_FILE = Path(__file__).with_name("products.yml")


@dataclass(frozen=True)
class Product:
    code: str
    name: str
    risk_level: str
    term: str
    # Short names customers use ("稳享90天" for 稳享90天理财); the entity patterns include them.
    aliases: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def load_products() -> tuple[Product, ...]:
    raw = yaml.safe_load(PRODUCTS_FILE.read_text(encoding="utf-8"))["products"]
    products = tuple(Product(**{**entry, "aliases": tuple(entry.get("aliases") or ())}) for entry in raw)
    for product in products:
        if product.risk_level not in PRODUCT_LEVELS:
            raise ValueError(f"{product.code} has an unknown risk level {product.risk_level}")
    return products


def product_by_code(code: str) -> Product | None:
    """The catalogue product with this code (any case), or None."""
    wanted = (code or "").strip().upper()
    return next((product for product in load_products() if product.code.upper() == wanted), None)


def find_product(text: str) -> Product | None:
    """The product whose name, short name or code appears in the text (the longest match wins);
    for messages that reach the action without entities (a button, an older model)."""
    normalized = normalize_text(text).upper()
    hits = [
        (len(phrase), product)
        for product in load_products()
        for phrase in (product.code, product.name, *product.aliases)
        if normalize_text(phrase).upper() in normalized
    ]
    return max(hits, key=lambda hit: hit[0])[1] if hits else None
