"""The API's edge: security headers on every answer, a body limit counted in bytes received,
WebSocket frames limited by uvicorn, no token or password in any log line, and a public health
answer without internal details."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import time

import httpx
import pytest
import websockets

from api.security import PUBLIC_PAGE_CSP, STAFF_PAGE_CSP, RedactSecrets, redact
from scripts.stack import api_command, free_port
from tests import ws_auth
from tests.conftest import ROOT, run_async

from .conftest import CASE_ENCRYPTION_KEY


@pytest.mark.parametrize("path", ["/staff", "/agent", "/analyst", "/kb"])
def test_staff_consoles_get_a_strict_policy_and_may_not_be_framed(client, path):
    response = client.get(path)
    assert response.status_code == 200
    headers = response.headers
    assert headers["content-security-policy"] == STAFF_PAGE_CSP
    assert "frame-ancestors 'none'" in STAFF_PAGE_CSP and "unsafe-inline" not in STAFF_PAGE_CSP
    assert headers["x-frame-options"] == "DENY"
    assert headers["cache-control"] == "no-store"
    assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "no-referrer"
    assert "<style" not in response.text and "style=" not in response.text


@pytest.mark.parametrize("path", ["/", "/chat"])
def test_public_pages_get_a_strict_policy_and_no_inline_script_or_style(client, path):
    response = client.get(path)
    assert response.headers["content-security-policy"] == PUBLIC_PAGE_CSP
    assert "script-src 'self'" in PUBLIC_PAGE_CSP and "frame-ancestors 'self'" in PUBLIC_PAGE_CSP
    assert "<style" not in response.text and "style=" not in response.text
    for tag in response.text.split("<script")[1:]:
        assert tag.lstrip().startswith("src=") or 'type="application/json"' in tag.split(">")[0]


def test_api_answers_are_not_stored_by_caches_and_static_files_may_be(client, conversation):
    history = client.get(
        f"/api/chat/{conversation['conversation_id']}/messages", headers=conversation["headers"]
    )
    assert history.headers["cache-control"] == "no-store"
    assert history.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in history.headers
    assert client.get("/api/agent/queue").headers["cache-control"] == "no-store"  # a 401 too
    widget = client.get("/static/widget.js")
    assert widget.headers["x-content-type-options"] == "nosniff" and "cache-control" not in widget.headers
    assert "strict-transport-security" not in widget.headers  # plain http here (HSTS_MODE=auto)


def test_hsts_is_sent_over_https_and_when_always_asked(client):
    from fastapi.testclient import TestClient

    with TestClient(client.app, base_url="https://chat.bank.example") as secure:
        assert secure.get("/healthz").headers["strict-transport-security"] == "max-age=31536000"


def test_a_chunked_body_over_the_limit_is_refused_with_413(client, conversation):
    def chunks():
        for _ in range(200):
            yield b'{"text": "' + b"a" * 1024

    response = client.post(
        f"/api/chat/{conversation['conversation_id']}/messages",
        content=chunks(),
        headers={**conversation["headers"], "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"
    assert "太大" in response.json()["error"]["message"]


def test_the_public_health_answer_names_no_model_path_nor_exception_text(client):
    body = client.get("/healthz").json()
    assert body["components"]["rasa"] == {"status": "down"}
    assert body["components"]["database"] == {"status": "ok"}
    assert "detail" not in json.dumps(body) and "http://" not in json.dumps(body)


def test_redaction_hides_tokens_in_query_strings_and_passwords_in_urls():
    assert (
        redact("GET /api/chat/x/ws?token=abc&after_id=3 HTTP/1.1")
        == "GET /api/chat/x/ws?token=***&after_id=3 HTTP/1.1"
    )
    assert redact("http://127.0.0.1:5005/status?token=s3cr3t") == "http://127.0.0.1:5005/status?token=***"
    assert redact("redis://:p4ss@redis.internal:6379/0") == "redis://:***@redis.internal:6379/0"
    assert redact("amqp://bank:p4ss@mq/vhost") == "amqp://bank:***@mq/vhost"
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "",
        0,
        '%s - "%s %s"',
        ("1.2.3.4", "GET", "/x?identity_token=e.y.z"),
        None,
    )
    RedactSecrets().filter(record)
    assert "e.y.z" not in record.getMessage()


@pytest.fixture
def served_api(database_url, tmp_path):
    """The API as `make run` serves it (scripts.stack.api_command), with its log captured."""
    if not database_url.startswith("sqlite"):
        pytest.skip("one database is enough for the uvicorn edge")
    port = free_port()
    log = tmp_path / "api.log"
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "VAR_DIR": str(tmp_path),
        "RASA_URL": f"http://127.0.0.1:{free_port()}",
        "RASA_TOKEN": "rasa-token-that-must-never-be-logged",
        "CASE_ENCRYPTION_KEY": CASE_ENCRYPTION_KEY,
        "REALTIME_REDIS_URL": "",
        "LOG_LEVEL": "INFO",
        "RASA_TELEMETRY_ENABLED": "false",
        "TRANSCRIPTS_IN_API": "false",
    }
    with log.open("w") as output:
        process = subprocess.Popen(
            api_command(port, ws_max_bytes=65536), cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/healthz", timeout=2)
            break
        except httpx.HTTPError as error:
            if process.poll() is not None:
                raise RuntimeError(log.read_text()) from error
            time.sleep(0.3)
    yield url, log
    process.terminate()
    process.wait(timeout=30)


def test_served_api_refuses_huge_frames_and_logs_no_token(served_api):
    url, log = served_api
    opened = httpx.post(f"{url}/api/chat/sessions", json={}).json()
    token = opened["token"]
    # REST query strings are logged without their credentials (in case a client puts one there).
    httpx.get(
        f"{url}/api/chat/{opened['conversation_id']}/messages?token={token}",
        headers={"Authorization": f"Bearer {token}"},
    )
    httpx.get(f"{url}/healthz")  # Rasa's status is asked with its token in the query string

    async def huge_frame() -> int:
        async with websockets.connect(
            url.replace("http", "ws") + f"/api/chat/{opened['conversation_id']}/ws", max_size=None
        ) as socket:
            await ws_auth.authenticate(socket, token)
            await socket.send(json.dumps({"type": "message", "text": "好" * 40000}))  # ~120 KB
            try:
                await asyncio.wait_for(socket.recv(), 30)
            except websockets.ConnectionClosed as closed:
                return closed.code
            return 0

    assert run_async(huge_frame()) == 1009  # message too big
    text = log.read_text()
    assert "/api/chat/" in text  # the access log is there
    assert token not in text and "rasa-token-that-must-never-be-logged" not in text
