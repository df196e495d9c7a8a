"""Rate limits per conversation and per client address: a clear 429, nothing stored, and the
same message accepted once the window has passed."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from api import maintenance
from api.main import create_app
from bot.ratelimit import service as ratelimit_service
from bot.ratelimit.models import RateLimitWindow
from bot.ratelimit.service import Limit, RateLimited, window_start
from tests import ws_auth


def _client(client, **limits) -> TestClient:
    """The API with other limits, seen from an address of its own (counts are per address)."""
    address = f"198.51.100.{uuid.uuid4().int % 250 + 1}-{uuid.uuid4().hex[:6]}"
    settings = dataclasses.replace(client.app.state.settings, **limits)
    return TestClient(create_app(settings), client=(address, 50000))


def test_a_conversation_over_its_limit_gets_a_polite_429_and_nothing_is_stored(client):
    with _client(client, rate_limit_conversation_per_minute=2) as limited:
        body = limited.post("/api/chat/sessions", json={}).json()
        url = f"/api/chat/{body['conversation_id']}/messages"
        headers = {"Authorization": f"Bearer {body['token']}"}
        for n in range(2):  # Rasa is down in these tests: stored, then 503
            assert limited.post(url, json={"text": f"你好{n}"}, headers=headers).status_code == 503
        refused = limited.post(url, json={"text": "第三条"}, headers=headers)
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "rate_limited"
        assert refused.json()["error"]["message"] == "您的操作太频繁了，请稍等片刻再发送。"
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        history = limited.get(url, headers=headers).json()["messages"]
        assert [m["text"] for m in history] == ["你好0", "你好1"]


def test_new_conversations_per_address_are_limited(client):
    with _client(client, rate_limit_ip_sessions_per_hour=3) as limited:
        statuses = [limited.post("/api/chat/sessions", json={}).status_code for _ in range(4)]
        assert statuses == [201, 201, 201, 429]


def test_zero_turns_a_limit_off(client):
    with _client(client, rate_limit_ip_sessions_per_hour=0) as unlimited:
        assert all(unlimited.post("/api/chat/sessions", json={}).status_code == 201 for _ in range(5))


def test_windows_are_fixed_and_a_new_window_starts_from_zero(session):
    limit = Limit(2, timedelta(minutes=1))
    start = datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC)
    assert window_start(start + timedelta(seconds=59), limit.window) == start
    for _ in range(2):
        ratelimit_service.hit(session=session, key="k", limit=limit, now=start + timedelta(seconds=10))
    with pytest.raises(RateLimited) as refused:
        ratelimit_service.hit(session=session, key="k", limit=limit, now=start + timedelta(seconds=45))
    assert refused.value.retry_after_seconds == 15
    ratelimit_service.hit(session=session, key="k", limit=limit, now=start + timedelta(seconds=61))
    ratelimit_service.hit(session=session, key="other", limit=limit, now=start + timedelta(seconds=45))
    assert ratelimit_service.purge_expired(session=session, now=start + timedelta(minutes=5)) == 3


def test_messages_per_address_are_limited_across_conversations(client):
    with _client(client, rate_limit_ip_messages_per_minute=2) as limited:
        statuses = []
        for _ in range(3):
            body = limited.post("/api/chat/sessions", json={}).json()
            statuses.append(
                limited.post(
                    f"/api/chat/{body['conversation_id']}/messages",
                    json={"text": "你好"},
                    headers={"Authorization": f"Bearer {body['token']}"},
                ).status_code
            )
        assert statuses == [503, 503, 429]  # Rasa is down here: the first two are stored


def test_the_websocket_answers_over_the_limit_with_an_error_frame_and_when_to_retry(client):
    with _client(client, rate_limit_conversation_per_minute=1) as limited:
        body = limited.post("/api/chat/sessions", json={}).json()
        path = f"/api/chat/{body['conversation_id']}/ws"
        with ws_auth.connect(limited, path, body["token"]) as socket:
            socket.send_json({"type": "message", "text": "你好", "client_message_id": "a"})
            assert socket.receive_json()["type"] == "ack"
            assert socket.receive_json()["type"] == "error"  # Rasa is down here
            socket.send_json({"type": "message", "text": "再来一条", "client_message_id": "b"})
            frame = socket.receive_json()
        assert frame["error"]["code"] == "rate_limited" and frame["client_message_id"] == "b"
        assert 1 <= frame["error"]["retry_after_seconds"] <= 60


def test_housekeeping_removes_only_windows_that_have_ended(client):
    factory = client.app.state.session_factory  # the database the API under test uses
    now = datetime.now(UTC)
    with factory.begin() as session:
        ratelimit_service.hit(
            session=session,
            key=f"old-{uuid.uuid4().hex}",
            limit=Limit(5, timedelta(minutes=1)),
            now=now - timedelta(minutes=10),
        )
        current_key = f"new-{uuid.uuid4().hex}"
        ratelimit_service.hit(session=session, key=current_key, limit=Limit(5, timedelta(hours=1)), now=now)
    assert maintenance.run_once(factory) >= 1
    with factory.begin() as session:
        assert session.get(RateLimitWindow, (current_key, window_start(now, timedelta(hours=1)))).hits == 1
