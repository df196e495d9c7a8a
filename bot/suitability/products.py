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


@lru_cache(maxsize=1)
def load_products() -> tuple[Product, ...]:
    raw = yaml.safe_load(PRODUCTS_FILE.read_text(encoding="utf-8"))["products"]
    products = tuple(Product(**entry) for entry in raw)
    for product in products:
        if product.risk_level not in PRODUCT_LEVELS:
            raise ValueError(f"{product.code} has an unknown risk level {product.risk_level}")
    return products


def find_product(text: str) -> Product | None:
    """The product whose name or code appears in the text (longest name wins)."""
    normalized = normalize_text(text).upper()
    hits = [
        product
        for product in load_products()
        if product.code.upper() in normalized or normalize_text(product.name).upper() in normalized
    ]
    return max(hits, key=lambda p: len(p.name)) if hits else None
