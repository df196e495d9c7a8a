"""The knowledge base is complete and consistent: every catalog topic has enough customer
wordings and one answer, buttons point at real topics, and the held-out set stays unseen."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from bot.faq.answers import ANSWERS_DIR, read_answers
from bot.faq.catalog import load_catalog
from bot.text.normalize import normalize_text

ROOT = Path(__file__).resolve().parent.parent
MIN_EXAMPLES = 12
MAX_ANSWER_CHARS = 160


def _examples(path: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
        if "intent" in block:
            lines = [line.strip() for line in block["examples"].splitlines() if line.strip()]
            found[block["intent"]].extend(line[2:].strip() for line in lines if line.startswith("- "))
    return found


def _training_examples() -> dict[str, list[str]]:
    merged: dict[str, list[str]] = defaultdict(list)
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for intent, examples in _examples(path).items():
            merged[intent].extend(examples)
    return merged


def _responses() -> dict[str, list[dict]]:
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8")).get("responses") or {}


TRAINING = _training_examples()
RESPONSES = _responses()
CATALOG = load_catalog()
ANSWERS = read_answers(ANSWERS_DIR, CATALOG)


@pytest.mark.parametrize("topic_id", sorted(CATALOG.topics))
def test_every_topic_has_enough_wordings_and_one_concise_answer(topic_id):
    examples = TRAINING.get(f"faq/{topic_id}", [])
    assert len(set(examples)) >= MIN_EXAMPLES, f"faq/{topic_id} has {len(set(examples))} examples"
    text = ANSWERS[topic_id].text
    assert 0 < len(text) <= MAX_ANSWER_CHARS, text


def test_faq_answers_are_the_knowledge_base_not_rasa_responses():
    """The dialogue domain holds no FAQ answer: they are read at run time from bot/faq/answers."""
    assert [r for r in RESPONSES if r.startswith("utter_faq/")] == []


def test_no_faq_intent_outside_the_catalog():
    stray = [i for i in TRAINING if i.startswith("faq/") and i[4:] not in CATALOG.topics]
    assert stray == []


def test_buttons_point_at_real_topics():
    """Payloads are written as Rasa renders them: a response's `{…}` is a slot placeholder, so
    the JSON of `/faq_choose{…}` is written with doubled braces (a single one made Rasa log an
    ERROR for every button it sent, issue 16)."""
    from rasa.core.nlg.interpolator import interpolate_text

    for name, variants in RESPONSES.items():
        for variant in variants:
            for button in variant.get("buttons") or []:
                rendered = interpolate_text(button["payload"], {})
                if button["payload"].startswith("/faq_choose"):
                    assert button["payload"].startswith("/faq_choose{{"), button["payload"]
                match = re.fullmatch(r"/faq_choose(\{.*\})", rendered)
                if match:
                    topic = json.loads(match.group(1))["faq_topic"]
                    assert topic in CATALOG.topics, f"{name} links to unknown topic {topic}"
                    assert button["title"] == CATALOG.topics[topic].title


def test_no_wording_is_taught_as_two_different_intents():
    owners: dict[str, set[str]] = defaultdict(set)
    for intent, examples in TRAINING.items():
        for example in examples:
            owners[normalize_text(example)].add(intent)
    clashes = {text: intents for text, intents in owners.items() if len(intents) > 1}
    assert clashes == {}


def test_the_held_out_set_covers_every_topic_and_is_never_trained_on():
    holdout = _examples(ROOT / "tests" / "nlu" / "holdout.yml")
    assert sum(len(v) for v in holdout.values()) >= 300
    assert {f"faq/{t}" for t in CATALOG.topics} <= set(holdout)
    assert "out_of_scope" in holdout
    trained = {normalize_text(e) for examples in TRAINING.values() for e in examples}
    leaked = [e for examples in holdout.values() for e in examples if normalize_text(e) in trained]
    assert leaked == []


def test_the_entity_evaluation_sets_are_large_enough_and_never_trained_on():
    from bot.entities.patterns import LABELS, load_patterns
    from scripts.entities_report import EVAL_FILE, FRESH_FILE, load_examples

    _, evaluation = load_examples(EVAL_FILE)
    _, fresh = load_examples(FRESH_FILE)
    assert len(evaluation) >= 300
    counts = defaultdict(int)
    for example in evaluation:
        for entity in example.entities:
            assert entity.type in LABELS, (entity, example.text)
            counts[entity.type] += 1
    assert min(counts[label] for label in LABELS) >= 20, counts
    trained = {normalize_text(e) for examples in TRAINING.values() for e in examples}
    texts = [normalize_text(example.text) for example in evaluation + fresh]
    assert [t for t in texts if t in trained] == []
    # No message of the sets is itself a pattern phrase (a pattern copied from the sets).
    phrases = {normalize_text(p["pattern"]) for p in load_patterns() if isinstance(p["pattern"], str)}
    assert [t for t in texts if t in phrases] == []


def test_every_entity_type_is_in_the_domain_and_steers_no_policy():
    from bot.entities.patterns import LABELS

    declared = {}
    for entry in yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8")).get("entities") or []:
        name, options = (entry, {}) if isinstance(entry, str) else next(iter(entry.items()))
        declared[name] = options or {}
    for label in LABELS:
        assert label in declared, label
        assert declared[label].get("influence_conversation") is False, label
