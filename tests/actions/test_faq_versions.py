"""action_answer_faq serves the published version from the database and names it in the reply's
metadata; an approval made by another process is served at the next answer."""

from __future__ import annotations

import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import common
from actions.faq import ActionAnswerFaq
from bot.db import build_engine, build_session_factory, utcnow
from bot.faq import service as faq_service
from bot.faq.published import published_answers
from scripts.migrate import upgrade as migrate


@pytest.fixture
def own_database(actions_database, tmp_path, monkeypatch):
    """A database of this test's own: it publishes a new wording the other tests must not see."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    migrate(url)
    monkeypatch.setenv("DATABASE_URL", url)
    common._session_factory.cache_clear()
    published_answers.cache_clear()
    return url


def _ask(topic: str) -> dict:
    tracker = Tracker.from_dict(
        {
            "sender_id": "c1",
            "slots": {},
            "latest_message": {
                "intent": {"name": "faq_choose"},
                "entities": [{"entity": "faq_topic", "value": topic}],
            },
            "events": [],
        }
    )
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionAnswerFaq().run(dispatcher, tracker, {}))
    return dispatcher.messages[0]


def test_an_approved_change_is_the_next_answer_with_its_version_id(own_database):
    before = _ask("transfer_fee")
    assert before["utter_action"] == "utter_faq/transfer_fee"
    assert isinstance(before["faq_answer_version_id"], int)

    # Another process (the API) approves a new wording in the same database.
    engine = build_engine(own_database)
    with build_session_factory(engine).begin() as session:
        draft = faq_service.create_draft(
            session=session,
            topic_id="transfer_fee",
            text="即日起跨行转账手续费调整，详见{bank_website}。",
            related=[],
            effective_from=None,
            note=None,
            author="editor-a",
            now=utcnow(),
        )
        faq_service.approve(
            session=session, version_id=draft.id, reviewer="reviewer-b", comment=None, now=utcnow()
        )
        version_id = draft.id
    engine.dispose()

    after = _ask("transfer_fee")
    assert after["faq_answer_version_id"] == version_id
    assert after["text"].startswith("即日起跨行转账手续费调整，详见https://")
    assert after["buttons"] == [] and after["faq_answer_version"] != before["faq_answer_version"]
