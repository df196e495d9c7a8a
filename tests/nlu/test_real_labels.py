"""The real-question labels (tests/nlu/real_labels/*.yml) name answers the assistant can give."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.faq.catalog import load_catalog

LABELS = sorted((Path(__file__).parent / "real_labels").glob("*.yml"))
DOMAIN = Path(__file__).parents[2] / "domain.yml"


def domain_intents() -> set[str]:
    intents: set[str] = set()
    for entry in (yaml.safe_load(DOMAIN.read_text(encoding="utf-8")) or {}).get("intents") or []:
        intents.add(entry if isinstance(entry, str) else next(iter(entry)))
    return intents


@pytest.mark.parametrize("path", LABELS, ids=[p.stem for p in LABELS])
def test_labels_name_known_topics_and_intents_and_their_source(path):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["url"].startswith("https://") and len(data["sha256"]) == 64
    catalog, intents = load_catalog(), domain_intents()
    assert data["labels"], "a labels file holds labels"
    for number, label in data["labels"].items():
        assert isinstance(number, int) and number > 0
        assert label["group"] in data["groups"], (number, label)
        for name in label["accept"]:
            assert catalog.topic(name) is not None or name in intents, (number, name)


def test_the_samples_do_not_overlap():
    seen: dict[tuple[str, int], str] = {}
    for path in LABELS:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for number in data["labels"]:
            key = (data["sha256"], number)
            assert key not in seen, f"line {number} labelled in {seen.get(key)} and {path.name}"
            seen[key] = path.name
