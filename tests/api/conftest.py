from __future__ import annotations

import dataclasses
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from bot.config import load_settings
from scripts.stack import api_command, free_port
from tests.conftest import ROOT, SHARED_DATABASE_KEY

IDENTITY_SECRET = "identity-secret-for-api-tests-32-bytes-or-more"
CASE_ENCRYPTION_KEY = SHARED_DATABASE_KEY


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
            response = client.post("/api/auth/login", json={"username": username, "password": STAFF_PASSWORD})
            assert response.status_code == 200, response.text
            return {"Authorization": f"Bearer {response.json()['token']}"}

        def session(self):
            return factory.begin()

    yield StaffFactory()
    engine.dispose()


@dataclass
class Served:
    url: str
    conversation: dict
    admin_token: str
    log: Path


@pytest.fixture
def served_api(tmp_path):
    """The API as `make run` serves it (uvicorn, scripts.stack.api_command) on a free port, with
    Rasa unreachable, rate limits off (fuzzers and bursts are one client sending thousands of
    requests), an open conversation and an admin account (every staff role).

    On a SQLite database of its own (the embedded default), migrated for the test: what the
    fuzzer writes (drafts of random FAQ topics, cases, staff) must not reach the database the
    other tests share, whose FAQ topics they expect to hold only the seeded versions."""
    from bot.db import build_engine, build_session_factory, utcnow
    from bot.staff import service as staff_service
    from scripts.migrate import upgrade as migrate

    database_url = f"sqlite:///{tmp_path / 'served.db'}"
    migrate(database_url)
    engine = build_engine(database_url)
    with build_session_factory(engine).begin() as session:
        username = f"fuzz-admin-{uuid.uuid4().hex[:6]}"
        staff_service.create_staff(
            session=session,
            username=username,
            display_name="模糊测试",
            role="admin",
            password=STAFF_PASSWORD,
            now=utcnow(),
        )
    engine.dispose()
    port = free_port()
    log = tmp_path / "api.log"
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "VAR_DIR": str(tmp_path),
        "RASA_URL": f"http://127.0.0.1:{free_port()}",
        "RASA_TOKEN": "fuzz",
        "RASA_TIMEOUT_SECONDS": "3",
        "ACTION_SERVER_URL": f"http://127.0.0.1:{free_port()}/webhook",
        "CASE_ENCRYPTION_KEY": CASE_ENCRYPTION_KEY,
        "CUSTOMER_IDENTITY_SECRET": IDENTITY_SECRET,
        "RATE_LIMIT_CONVERSATION_PER_MINUTE": "0",
        "RATE_LIMIT_IP_MESSAGES_PER_MINUTE": "0",
        "RATE_LIMIT_IP_SESSIONS_PER_HOUR": "0",
        "STAFF_LOGIN_MAX_FAILURES": "1000000",
        "RASA_TELEMETRY_ENABLED": "false",
        "TRANSCRIPTS_IN_API": "false",
        "LOG_LEVEL": "WARNING",
    }
    with log.open("w") as output:
        process = subprocess.Popen(
            api_command(port), cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                httpx.get(f"{url}/livez", timeout=2).raise_for_status()
                break
            except httpx.HTTPError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(log.read_text()) from None
                time.sleep(0.3)
        conversation = httpx.post(f"{url}/api/chat/sessions", json={}).json()
        login = httpx.post(f"{url}/api/auth/login", json={"username": username, "password": STAFF_PASSWORD})
        yield Served(url, conversation, login.json()["token"], log)
    finally:
        process.terminate()
        process.wait(timeout=30)
