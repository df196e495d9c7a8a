"""The trained Rasa model finds the entities the test stories annotate, and exactly the ones the
entity report measures (`make entities-report` runs the same normaliser, spaCy pipeline and
resolver without Rasa; this checks that nothing in Rasa's pipeline changes the result). Asked
through the running product's Rasa server (POST /model/parse), as the API's messages are."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from bot.entities.dates import CHINA
from bot.entities.patterns import LABELS
from tests.conftest import ROOT

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def agent(live_product):
    """An HTTP client of the product's Rasa server."""
    import httpx

    with httpx.Client(
        base_url=live_product.rasa_url, timeout=60, params={"token": live_product.rasa_token}
    ) as client:
        yield client


def parse(agent, text: str) -> dict:
    response = agent.post("/model/parse", json={"text": text})
    assert response.status_code == 200, response.text
    return response.json()


def _comparable(entity_type: str, value: str, text: str) -> str:
    return f"“{text}”" if entity_type == "DATE" and value == text else value


def story_messages() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(file, text, [(type, value)]) of every customer message of the test stories. A relative
    DATE annotated without a value ("[明天](DATE)") is compared by its words, which stay the
    same from day to day, instead of the day it names."""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader

    domain = Domain.load(str(ROOT / "domain.yml"))
    found = []
    for path in sorted((ROOT / "tests").glob("test_stories*.yml")):
        for step in YAMLStoryReader(domain).read_from_file(path):
            for event in step.events:
                if isinstance(event, UserUttered) and event.text and not event.text.startswith("/"):
                    expected = [
                        (
                            e["entity"],
                            _comparable(e["entity"], str(e["value"]), text=event.text[e["start"] : e["end"]]),
                        )
                        for e in event.entities
                        if e["entity"] in LABELS
                    ]
                    found.append((Path(path).name, event.text, expected))
    return found


def test_every_test_story_message_gets_the_entities_it_is_annotated_with(agent):
    wrong = []
    for name, text, expected in story_messages():
        found = [e for e in parse(agent, text)["entities"] if e["entity"] in LABELS]
        predicted = [
            (
                e["entity"],
                f"“{e['additional_info']['text']}”"
                if (e["entity"], f"“{e['additional_info']['text']}”") in expected
                else str(e["value"]),
            )
            for e in found
        ]
        if predicted != expected:
            wrong.append(f"{name}: {text!r} annotated {expected}, the model found {predicted}")
    assert wrong == []


def test_the_model_finds_what_the_entity_report_measures(agent, entity_pipeline):
    from bot.entities.pipeline import find_entities
    from scripts.entities_report import EVAL_FILE, load_examples

    nlp = entity_pipeline
    _, examples = load_examples(EVAL_FILE)
    differences = []
    for example in examples:
        # Dates are compared by their words: the two runs may straddle midnight.
        report = [
            (e.type, e.text, e.value if e.type != "DATE" else "")
            for e in find_entities(nlp, example.text, now=datetime.now(CHINA))
        ]
        model = [
            (e["entity"], e["additional_info"]["text"], e["value"] if e["entity"] != "DATE" else "")
            for e in parse(agent, example.text)["entities"]
            if e["entity"] in LABELS
        ]
        if report != model:
            differences.append((example.text, report, model))
    assert differences == []
