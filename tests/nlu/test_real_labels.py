"""The real-question labels (tests/nlu/real_labels/*.yml) name answers the assistant can give."""

from __future__ import annotations

import hashlib
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


def test_blind_samples_are_measured_but_never_offered_for_pipeline_choice(tmp_path, monkeypatch):
    """A blind sample stays blind: `make nlu-compare` (used to choose pipelines) leaves it out."""
    from scripts import nlu_compare

    blind = [p.stem for p in LABELS if yaml.safe_load(p.read_text(encoding="utf-8")).get("blind")]
    assert {"bq_train_blind", "unionpay_qa_blind"} <= set(blind)
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("question :x\n", encoding="utf-8")
    digest = hashlib.sha256(corpus.read_bytes()).hexdigest()
    labels_dir = tmp_path / "real_labels"
    labels_dir.mkdir()
    for name, extra in [("studied", ""), ("measured_only", "blind: true\n")]:
        (labels_dir / f"{name}.yml").write_text(f"sha256: {digest}\n{extra}labels: {{}}\n", encoding="utf-8")
    monkeypatch.setattr(nlu_compare, "LABELS_DIR", labels_dir)
    assert [name for name, _, _ in nlu_compare.samples_for([corpus])] == ["studied"]
