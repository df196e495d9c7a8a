"""The actions believe only metadata the API signed (bot/identity/metadata.py): every action test
runs with a metadata secret, and builds its trackers' metadata with `signed_metadata`."""

from __future__ import annotations

import pytest

from bot.db import utcnow
from bot.identity.metadata import sign_metadata

METADATA_SECRET = "action-tests-metadata-secret-0123456789abcdef"


@pytest.fixture(autouse=True)
def metadata_secret(monkeypatch):
    monkeypatch.setenv("RASA_METADATA_SECRET", METADATA_SECRET)


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
