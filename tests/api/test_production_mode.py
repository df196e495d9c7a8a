"""APP_ENV=production refuses to start with any demo or unsafe default, listing every problem;
demo staff accounts never work outside demo mode; development (`make run`) keeps its defaults."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from bot import security
from bot.config import load_settings
from bot.db import build_engine, build_session_factory, utcnow
from bot.staff import service as staff_service
from scripts.demo import seed_demo
from scripts.migrate import upgrade
from tests.conftest import ROOT

from .conftest import CASE_ENCRYPTION_KEY

SAFE = {
    "APP_ENV": "production",
    "CUSTOMER_IDENTITY_SECRET": "s" * 48,
    "CASE_ENCRYPTION_KEY": CASE_ENCRYPTION_KEY,
    "RASA_TOKEN": "t" * 40,
    "CHAT_ALLOWED_ORIGINS": "https://www.bank.example",
    "DATABASE_URL": "postgresql+psycopg2://bankbot@db.internal/bankbot",
    "RABBITMQ_HOST": "mq.internal",
    "RABBITMQ_USER": "bankbot",
    "RABBITMQ_PASSWORD": "r" * 24,
    "BANK_NAME": "厦岭农商银行",
    "BANK_HOTLINE": "400-820-1234",
    "BANK_FRAUD_LINE": "400-820-1235",
    "BANK_WEBSITE": "https://www.bank.example",
    "ACTION_SERVER_TOKEN": "a" * 40,
    "RASA_METADATA_SECRET": "m" * 40,
}


def production_settings(monkeypatch, **overrides):
    for name in ("DEMO_MODE", "TRANSCRIPTS_IN_API"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {**SAFE, **overrides}.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    return load_settings()


def test_safe_production_settings_pass_and_demo_mode_defaults_off(monkeypatch):
    settings = production_settings(monkeypatch)
    assert settings.production and not settings.demo_mode
    assert security.configuration_problems(settings) == []


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"DEMO_MODE": "true"}, "DEMO_MODE is on"),
        ({"CUSTOMER_IDENTITY_SECRET": None}, "CUSTOMER_IDENTITY_SECRET is not set"),
        ({"CUSTOMER_IDENTITY_SECRET": "short-secret"}, "CUSTOMER_IDENTITY_SECRET is shorter than 32 bytes"),
        ({"CASE_ENCRYPTION_KEY": None}, "CASE_ENCRYPTION_KEY is not set"),
        ({"RASA_TOKEN": None}, "RASA_TOKEN is empty"),
        ({"RASA_TOKEN": "abc"}, "RASA_TOKEN is shorter than 32 bytes"),
        ({"RABBITMQ_USER": "guest", "RABBITMQ_PASSWORD": "guest"}, "guest/guest"),
        (
            {
                "RABBITMQ_HOST": None,
                "TRANSCRIPTS_IN_API": "false",
                "RABBITMQ_USER": None,
                "RABBITMQ_PASSWORD": None,
            },
            "guest/guest",
        ),
        ({"CHAT_ALLOWED_ORIGINS": "*"}, "CHAT_ALLOWED_ORIGINS is '*'"),
        ({"CHAT_ALLOWED_ORIGINS": None}, "CHAT_ALLOWED_ORIGINS is '*'"),
        ({"DATABASE_URL": "sqlite:////tmp/app.db"}, "DATABASE_URL is SQLite"),
        (
            {"BANK_HOTLINE": None, "BANK_FRAUD_LINE": None},
            "BANK_HOTLINE, BANK_FRAUD_LINE left at the demo bank's values",
        ),
        ({"BANK_NAME": None}, "BANK_NAME left at the demo bank's values"),
        ({"BANK_HOTLINE": "change-me"}, "must be phone numbers"),
        ({"ACTION_SERVER_TOKEN": None}, "ACTION_SERVER_TOKEN is empty"),
        ({"ACTION_SERVER_TOKEN": "abc"}, "ACTION_SERVER_TOKEN is shorter than 32 bytes"),
        ({"RASA_METADATA_SECRET": None}, "RASA_METADATA_SECRET is empty"),
        ({"RASA_METADATA_SECRET": "abc"}, "RASA_METADATA_SECRET is shorter than 32 bytes"),
    ],
)
def test_each_unsafe_setting_is_refused_with_a_clear_reason(monkeypatch, overrides, problem):
    settings = production_settings(monkeypatch, **overrides)
    with pytest.raises(security.UnsafeConfiguration) as refused:
        security.check_configuration(settings)
    assert len(refused.value.problems) == 1 and problem in refused.value.problems[0]
    assert "APP_ENV=production" in str(refused.value)


def test_guest_credentials_are_fine_when_rabbitmq_is_not_used(monkeypatch):
    settings = production_settings(
        monkeypatch, RABBITMQ_HOST=None, RABBITMQ_USER=None, RABBITMQ_PASSWORD=None
    )
    assert not settings.rabbitmq_configured
    assert security.configuration_problems(settings) == []


def test_every_problem_is_listed_at_once_and_the_api_does_not_start(monkeypatch, tmp_path):
    settings = production_settings(
        monkeypatch,
        DEMO_MODE="true",
        CUSTOMER_IDENTITY_SECRET=None,
        CASE_ENCRYPTION_KEY=None,
        RASA_TOKEN=None,
        CHAT_ALLOWED_ORIGINS="*",
        DATABASE_URL=f"sqlite:///{tmp_path / 'p.db'}",
        VAR_DIR=str(tmp_path),
    )
    with pytest.raises(security.UnsafeConfiguration) as refused:
        create_app(settings)
    assert len(refused.value.problems) == 6
    # Nothing was generated in var/ on the way.
    assert not (tmp_path / "identity_secret").exists() and not (tmp_path / "case_encryption_key").exists()


def test_uvicorn_and_make_run_refuse_to_start_in_production_with_the_defaults(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "APP_ENV": "production",
        "VAR_DIR": str(tmp_path),
        "RASA_TELEMETRY_ENABLED": "false",
    }
    api = subprocess.run(
        [sys.executable, "-c", "from api.main import create_app; create_app()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert api.returncode != 0
    for needle in (
        "refusing to start with APP_ENV=production",
        "CUSTOMER_IDENTITY_SECRET",
        "CASE_ENCRYPTION_KEY",
        "RASA_TOKEN",
        "CHAT_ALLOWED_ORIGINS",
        "SQLite",
        "ACTION_SERVER_TOKEN",
        "RASA_METADATA_SECRET",
    ):
        assert needle in api.stderr
    run = subprocess.run(
        [sys.executable, "-m", "scripts.run"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 1 and "Not starting: refusing to start" in run.stderr
    assert not (tmp_path / "app.db").exists()  # refused before migrating or seeding anything


@pytest.fixture
def demo_database(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    upgrade(url)
    monkeypatch.setenv("DEMO_STAFF_PASSWORD", "local-demo-password")
    seed_demo(url)
    return url


def sign_in(url: str, username: str) -> bool:
    engine = build_engine(url)
    try:
        with build_session_factory(engine).begin() as session:
            staff_service.authenticate(
                session=session, username=username, password="local-demo-password", now=utcnow()
            )
        return True
    except staff_service.InvalidCredentials:
        return False
    finally:
        engine.dispose()


def test_production_refuses_to_start_while_demo_staff_accounts_are_active(demo_database, monkeypatch):
    settings = dataclasses.replace(production_settings(monkeypatch), database_url=demo_database)
    engine = build_engine(demo_database)
    with (
        build_session_factory(engine).begin() as session,
        pytest.raises(security.UnsafeConfiguration) as refused,
    ):
        security.check_startup(settings, session=session)
    engine.dispose()
    [demo_problem] = [p for p in refused.value.problems if "demo staff" in p]
    assert (
        "agent1, analyst1, kbeditor1, kbreviewer1, supervisor1" in demo_problem
        and "disable-demo" in demo_problem
    )
    from scripts import staff as staff_script

    monkeypatch.setenv("DATABASE_URL", demo_database)
    monkeypatch.setenv("APP_ENV", "development")
    assert staff_script.main(["disable-demo"]) == 0
    assert not sign_in(demo_database, "agent1")


def test_outside_demo_mode_the_api_disables_demo_accounts_an_earlier_demo_run_created(
    demo_database, tmp_path
):
    assert sign_in(demo_database, "supervisor1")
    settings = dataclasses.replace(
        load_settings(),
        database_url=demo_database,
        demo_mode=False,
        var_dir=tmp_path,
        identity_secret="i" * 40,
        case_encryption_key=CASE_ENCRYPTION_KEY,
    )
    with TestClient(create_app(settings)) as api:
        login = api.post(
            "/api/auth/login", json={"username": "supervisor1", "password": "local-demo-password"}
        )
        assert login.status_code == 401
    assert not sign_in(demo_database, "agent1") and not sign_in(demo_database, "analyst1")
    # A later demo run turns them on again (development only).
    seed_demo(demo_database)
    assert sign_in(demo_database, "agent1")


def test_production_serves_no_swagger_page_but_keeps_the_openapi_document(
    database_url, monkeypatch, tmp_path
):
    if database_url.startswith("sqlite"):
        pytest.skip("production runs on PostgreSQL only")
    settings = dataclasses.replace(
        production_settings(monkeypatch), database_url=database_url, var_dir=tmp_path
    )
    with TestClient(create_app(settings)) as production:
        assert production.get("/docs").status_code == 404  # Swagger UI would load from a CDN
        assert production.get("/redoc").status_code == 404
        assert "/api/chat/sessions" in production.get("/openapi.json").json()["paths"]
        assert production.get("/api/demo/customers").status_code == 404


def test_the_action_server_never_generates_a_case_key_in_production(monkeypatch, tmp_path):
    from bot.cases.crypto import default_cipher

    production_settings(monkeypatch, CASE_ENCRYPTION_KEY=None, VAR_DIR=str(tmp_path))
    with pytest.raises(RuntimeError, match="CASE_ENCRYPTION_KEY must be set in production"):
        default_cipher()
    assert not (tmp_path / "case_encryption_key").exists()
