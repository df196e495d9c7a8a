from __future__ import annotations

import dataclasses

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from bot.config import load_settings
from scripts.stack import free_port

IDENTITY_SECRET = "identity-secret-for-api-tests"


@pytest.fixture
def closed_port() -> int:
    """A loopback port where nothing listens: a Rasa server that is down."""
    return free_port()


@pytest.fixture
def client(database_url, closed_port):
    """The real API on a migrated database, with Rasa and the action server unreachable."""
    settings = dataclasses.replace(
        load_settings(),
        database_url=database_url,
        rasa_url=f"http://127.0.0.1:{closed_port}",
        action_server_url=f"http://127.0.0.1:{closed_port}/webhook",
        rasa_token="test-token",
        rasa_timeout_seconds=3,
        identity_secret=IDENTITY_SECRET,
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def conversation(client):
    body = client.post("/api/chat/sessions", json={"channel": "web"}).json()
    return {**body, "headers": {"Authorization": f"Bearer {body['token']}"}}
