"""Shared fixtures: real databases migrated with Alembic (SQLite always, PostgreSQL when reachable)."""

from __future__ import annotations

import os
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bot.db import build_engine
from scripts.migrate import upgrade as migrate

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
)

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")


def pytest_collection_modifyitems(items):
    """Tests marked `stops_live_product` shut the shared product down, so they run last."""
    items.sort(key=lambda item: item.get_closest_marker("stops_live_product") is not None)


# The key of the in-process API and of the served API in tests/api; tests/actions and tests/api
# write to the shared session database, so everything they encrypt there uses this one key.
SHARED_DATABASE_KEY = "CgE5Hwdr6lkLKvYSU8Vhx0M1QyGn7W7v3r2CxH0vJYI="


@pytest.fixture(autouse=True)
def _one_key_for_the_shared_database(request, monkeypatch):
    if request.node.path.parent.name in ("api", "actions") and "CASE_ENCRYPTION_KEY" not in os.environ:
        monkeypatch.setenv("CASE_ENCRYPTION_KEY", SHARED_DATABASE_KEY)


def postgres_reachable() -> str | None:
    """None when the local PostgreSQL answers, otherwise why not."""
    try:
        engine = build_engine(POSTGRES_ADMIN_URL)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any driver error means: not reachable here
        return f"PostgreSQL at {POSTGRES_ADMIN_URL} is unreachable ({type(exc).__name__})"
    return None


def create_postgres_database() -> str:
    """Creates an empty, uniquely named PostgreSQL database and returns its URL."""
    name = f"bankbot_test_{uuid.uuid4().hex[:10]}"
    admin = build_engine(POSTGRES_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    admin = build_engine(POSTGRES_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def migrated_database(kind: str, directory: Path):
    """A new migrated database of `kind` ("sqlite": a file in `directory`), dropped afterwards; a
    generator for fixtures (PostgreSQL is skipped, with the reason, if unreachable)."""
    if kind == "sqlite":
        url = f"sqlite:///{directory / 'app.db'}"
        migrate(url)
        yield url
        return
    reason = postgres_reachable()
    if reason:
        pytest.skip(reason)
    url = create_postgres_database()
    try:
        migrate(url)
        yield url
    finally:
        drop_postgres_database(url)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory) -> str:
    """A migrated database of each kind, shared by the session's tests."""
    yield from migrated_database(request.param, tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="session")
def engine(database_url):
    engine = build_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine):
    """A session inside a transaction that is rolled back after the test."""
    connection = engine.connect()
    transaction = connection.begin()
    db_session = Session(bind=connection, future=True)
    try:
        yield db_session
    finally:
        db_session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture(scope="session")
def entity_pipeline():
    """The spaCy entity pipeline built from data/entities/ and the product catalogue, once."""
    from bot.entities.pipeline import build_pipeline

    return build_pipeline()


@pytest.fixture(scope="session")
def parse_entities(entity_pipeline):
    """The entities Rasa's NLU gives a message, as dicts in the tracker's shape: the real pipeline
    (the normaliser, the spaCy pipeline built from data/entities/, the resolver), without Rasa."""
    from datetime import datetime

    from bot.entities.dates import CHINA
    from bot.entities.pipeline import find_entities
    from rasa_components.entity_resolver import rasa_entity

    nlp = entity_pipeline

    def parse(text: str, now: datetime | None = None) -> list[dict]:
        found = find_entities(nlp, text, now=now or datetime.now(CHINA))
        return [rasa_entity(entity, "EntityResolver") for entity in found]

    return parse


class LiveProduct:
    """The product started by its own run command (`python -m scripts.run`) on free ports."""

    def __init__(self, tmp_dir: Path):
        from scripts.stack import free_port

        self.var_dir = tmp_dir
        self.api_port, self.rasa_port, self.action_port = free_port(), free_port(), free_port()
        self.rasa_token = uuid.uuid4().hex
        self.action_server_token = uuid.uuid4().hex
        self.metadata_secret = uuid.uuid4().hex + uuid.uuid4().hex
        self.database_url = f"sqlite:///{tmp_dir / 'app.db'}"
        self.faq_answers_dir = tmp_dir / "faq_answers"
        shutil.copytree(ROOT / "bot" / "faq" / "answers", self.faq_answers_dir)
        self.env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "VAR_DIR": str(tmp_dir),
            "DATABASE_URL": self.database_url,
            "API_PORT": str(self.api_port),
            "RASA_PORT": str(self.rasa_port),
            "ACTION_PORT": str(self.action_port),
            "RASA_TOKEN": self.rasa_token,
            # Rasa → action server token and the API → actions metadata secret (known to tests).
            "ACTION_SERVER_TOKEN": self.action_server_token,
            "RASA_METADATA_SECRET": self.metadata_secret,
            "RASA_TRACKER_DB": str(tmp_dir / "rasa_tracker.db"),
            "RASA_EVENTS_DB": str(tmp_dir / "rasa_events.db"),
            # Agents work all day in tests, whatever the hour CI runs at; presence decides.
            "AGENT_HOURS": "00:00-24:00",
            "AGENT_HOLIDAYS_CLOSED": "false",
            "AGENT_WEEKENDS_CLOSED": "false",
            # A copy of the knowledge base's answers, so a test may edit one in the running product.
            "FAQ_ANSWERS_DIR": str(self.faq_answers_dir),
        }
        self.process = None
        self.output: list[str] = []

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def decrypt(self, value: str) -> str:
        """A value the product encrypted at rest (its generated key is in its var/)."""
        from bot.cases.crypto import FERNET_PREFIX, CaseCipher, load_or_create_key

        if not value.startswith(FERNET_PREFIX):
            return value
        return CaseCipher(load_or_create_key(self.var_dir)).decrypt(value)

    @contextmanager
    def its_encryption_key(self):
        """Code run inside the tests reads and writes the product's database with its key (the
        one it generated in its var/), as the product's own processes do."""
        from bot.cases.crypto import load_or_create_key

        previous = os.environ.get("CASE_ENCRYPTION_KEY")
        os.environ["CASE_ENCRYPTION_KEY"] = load_or_create_key(self.var_dir)
        try:
            yield
        finally:
            if previous is None:
                os.environ.pop("CASE_ENCRYPTION_KEY", None)
            else:
                os.environ["CASE_ENCRYPTION_KEY"] = previous

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    def start(self, timeout: float = 300.0) -> None:
        import subprocess
        import sys
        import threading
        import time

        self.process = subprocess.Popen(
            [sys.executable, "-m", "scripts.run"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        ready = threading.Event()

        def pump():
            for line in self.process.stdout:
                self.output.append(line)
                if "Press Ctrl-C to stop." in line:
                    ready.set()

        threading.Thread(target=pump, daemon=True).start()
        deadline = time.monotonic() + timeout
        while not ready.wait(0.5):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                raise RuntimeError("the run command did not start:\n" + "".join(self.output[-40:]))

    def interrupt(self, timeout: float = 40.0) -> int:
        """Sends Ctrl-C (SIGINT) like a user would and returns the exit code."""
        import signal

        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=timeout)


@pytest.fixture(scope="session")
def live_product(tmp_path_factory):
    """Rasa, the action server and the API, started once for the end-to-end and browser tests."""
    product = LiveProduct(tmp_path_factory.mktemp("live"))
    product.start()
    yield product
    if product.process.poll() is None:
        product.interrupt()


def run_async(coroutine):
    """Runs a coroutine to completion in its own thread (Playwright's sync API may hold the
    main thread's event loop during the browser tests)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
