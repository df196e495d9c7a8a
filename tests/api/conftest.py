from __future__ import annotations

import dataclasses

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from bot.config import load_settings
from scripts.stack import free_port

IDENTITY_SECRET = "identity-secret-for-api-tests-32-bytes-or-more"
CASE_ENCRYPTION_KEY = "CgE5Hwdr6lkLKvYSU8Vhx0M1QyGn7W7v3r2CxH0vJYI="


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
        case_encryption_key=CASE_ENCRYPTION_KEY,
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def conversation(client):
    body = client.post("/api/chat/sessions", json={"channel": "web"}).json()
    return {**body, "headers": {"Authorization": f"Bearer {body['token']}"}}


STAFF_PASSWORD = "staff-password-for-tests"


@pytest.fixture
def staff_factory(client, database_url):
    """Creates staff accounts (unique usernames) in the API's database and signs them in."""
    import uuid

    from bot.db import build_engine, build_session_factory, utcnow
    from bot.staff import service as staff_service

    engine = build_engine(database_url)
    factory = build_session_factory(engine)

    class StaffFactory:
        def create(self, role: str = "agent", display_name: str | None = None) -> str:
            username = f"{role}-{uuid.uuid4().hex[:8]}"
            with factory.begin() as session:
                staff_service.create_staff(
                    session=session,
                    username=username,
                    display_name=display_name or f"测试{role}",
                    role=role,
                    password=STAFF_PASSWORD,
                    now=utcnow(),
                )
            return username

        def headers(self, role: str = "agent") -> dict[str, str]:
            """Signs a new account of this role in; returns its Authorization header."""
            username = self.create(role)
            response = client.post(
                "/api/auth/login", json={"username": username, "password": STAFF_PASSWORD}
            )
            assert response.status_code == 200, response.text
            return {"Authorization": f"Bearer {response.json()['token']}"}

        def session(self):
            return factory.begin()

    yield StaffFactory()
    engine.dispose()
