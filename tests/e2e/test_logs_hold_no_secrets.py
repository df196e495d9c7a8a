"""The log files of the three running processes never hold a token: not the customer's
conversation token, not a staff login, not Rasa's API token (the API asks Rasa with ?token=)."""

from __future__ import annotations

import json

import httpx
import pytest
import websockets

from scripts.demo import DEFAULT_DEMO_PASSWORD
from tests import ws_auth
from tests.conftest import run_async

pytestmark = pytest.mark.e2e


def test_no_log_file_holds_a_token(live_product):
    api = live_product.api_url
    opened = httpx.post(f"{api}/api/chat/sessions", json={}, timeout=30).json()
    token = opened["token"]
    headers = {"Authorization": f"Bearer {token}"}
    answered = httpx.post(
        f"{api}/api/chat/{opened['conversation_id']}/messages",
        json={"text": "你好"},
        headers=headers,
        timeout=120,
    )
    assert answered.status_code == 200
    httpx.get(
        f"{api}/api/chat/{opened['conversation_id']}/messages?token={token}", headers=headers, timeout=30
    )
    login = httpx.post(
        f"{api}/api/auth/login", json={"username": "agent1", "password": DEFAULT_DEMO_PASSWORD}, timeout=30
    ).json()
    staff_token = login["token"]
    httpx.get(f"{api}/api/agent/queue", headers={"Authorization": f"Bearer {staff_token}"}, timeout=30)
    assert httpx.get(f"{api}/healthz", timeout=60).status_code == 200  # Rasa asked with its token

    async def socket() -> dict:
        async with websockets.connect(
            api.replace("http", "ws") + f"/api/chat/{opened['conversation_id']}/ws"
        ) as ws:
            await ws_auth.authenticate(ws, token)
            await ws.send(json.dumps({"type": "ping"}))
            return json.loads(await ws.recv())

    assert run_async(socket()) == {"type": "pong"}
    logs = {
        path.name: path.read_text(errors="replace") for path in (live_product.var_dir / "log").glob("*.log")
    }
    assert {"api.log", "rasa.log", "actions.log"} <= set(logs)
    assert "/api/chat/" in logs["api.log"]  # the access log is written
    for name, text in logs.items():
        for secret in (token, staff_token, live_product.rasa_token):
            assert secret not in text, f"{name} holds a token"
