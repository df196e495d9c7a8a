"""The actions believe only metadata the API signed (bot/identity/metadata.py): every action test
runs with a metadata secret, and builds its trackers' metadata with `signed_metadata`.

Every action test also has a migrated database (FAQ answers are served from the knowledge base
in it); a test that needs both kinds of database asks for `database_url` and sets its own."""

from __future__ import annotations

import pytest

from bot.db import utcnow
from bot.identity.metadata import sign_metadata
from scripts.migrate import upgrade as migrate

METADATA_SECRET = "action-tests-metadata-secret-0123456789abcdef"


@pytest.fixture(autouse=True)
def metadata_secret(monkeypatch):
    monkeypatch.setenv("RASA_METADATA_SECRET", METADATA_SECRET)


@pytest.fixture(scope="session")
def _actions_database(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('actions-db') / 'app.db'}"
    migrate(url)  # also seeds the knowledge base's answers
    return url


@pytest.fixture(autouse=True)
def actions_database(_actions_database, monkeypatch):
    """The action server's database for this test, with fresh engines and published answers."""
    from actions import common
    from bot.faq.published import published_answers

    monkeypatch.setenv("DATABASE_URL", _actions_database)
    common._session_factory.cache_clear()
    published_answers.cache_clear()
    yield _actions_database
    common._session_factory.cache_clear()
    published_answers.cache_clear()


def signed_metadata(
    conversation_id: str, *, customer: str | None, channel: str, address: str | None = None
) -> dict:
    """What the API sends with a message of this conversation."""
    return sign_metadata(
        secret=METADATA_SECRET,
        conversation_id=conversation_id,
        customer_id=customer,
        channel=channel,
        now=utcnow(),
        address_key=address,
    )
