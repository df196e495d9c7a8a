"""A conversation belongs to the customer it was opened for and to the client holding its token,
for a limited time: resume needs the same identity, end revokes the token, idle and maximum
lifetimes end it; WebSockets authenticate with a first frame and are checked every push round."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from starlette.websockets import WebSocketDisconnect

from api.main import create_app
from bot.conversations.models import Conversation
from bot.db import utcnow
from bot.identity.tokens import sign_identity
from tests import ws_auth

from .conftest import IDENTITY_SECRET


def identity(customer_id: str) -> str:
    return sign_identity(
        customer_id=customer_id, expires_at=utcnow() + timedelta(minutes=10), secret=IDENTITY_SECRET
    )


def open_for(client, customer_id: str | None = None) -> dict:
    body = {"identity_token": identity(customer_id)} if customer_id else {}
    opened = client.post("/api/chat/sessions", json=body)
    assert opened.status_code == 201, opened.text
    data = opened.json()
    return {**data, "headers": {"Authorization": f"Bearer {data['token']}"}}


def resume(client, conversation: dict, customer_id: str | None):
    body = {"identity_token": identity(customer_id)} if customer_id else {}
    return client.post(
        f"/api/chat/{conversation['conversation_id']}/resume", json=body, headers=conversation["headers"]
    )


def age(
    client, conversation_id: str, *, created: timedelta = timedelta(0), idle: timedelta = timedelta(0)
) -> None:
    """Moves the conversation's opening and last activity into the past."""
    with client.app.state.session_factory.begin() as session:
        session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(created_at=utcnow() - created, last_activity_at=utcnow() - idle)
        )


def test_a_conversation_resumes_only_for_the_customer_it_was_opened_for(client):
    mine = open_for(client, "C1001")
    assert mine["customer_id"] == "C1001" and mine["idle_timeout_seconds"] == 30 * 60
    ok = resume(client, mine, "C1001")
    assert ok.status_code == 200 and ok.json()["customer_id"] == "C1001"
    for other in ("C2002", None):  # another customer, or nobody signed in
        refused = resume(client, mine, other)
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "identity_mismatch"
        assert "C1001" not in refused.text

    anonymous = open_for(client)
    assert resume(client, anonymous, None).status_code == 200
    assert resume(client, anonymous, "C1001").json()["error"]["code"] == "identity_mismatch"


def test_resume_with_a_bad_identity_or_token_is_refused(client):
    mine = open_for(client, "C1001")
    bad = client.post(
        f"/api/chat/{mine['conversation_id']}/resume",
        json={"identity_token": "x.y.z"},
        headers=mine["headers"],
    )
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "invalid_identity"
    other = open_for(client, "C1001")
    stolen = client.post(
        f"/api/chat/{mine['conversation_id']}/resume",
        json={"identity_token": identity("C1001")},
        headers=other["headers"],
    )
    assert stolen.status_code == 403 and stolen.json()["error"]["code"] == "invalid_conversation_token"


def test_ending_a_conversation_revokes_its_token_everywhere(client):
    mine = open_for(client, "C1001")
    path = f"/api/chat/{mine['conversation_id']}"
    assert client.post(f"{path}/end", headers=mine["headers"]).status_code == 204
    assert client.get(f"{path}/messages", headers=mine["headers"]).status_code == 403
    assert client.post(f"{path}/messages", json={"text": "你好"}, headers=mine["headers"]).status_code == 403
    assert resume(client, mine, "C1001").status_code == 403
    assert client.post(f"{path}/end", headers=mine["headers"]).status_code == 403
    with client.websocket_connect(f"{path}/ws") as socket:
        socket.send_json(ws_auth.auth_frame(mine["token"]))
        assert socket.receive_json()["error"]["code"] == "invalid_conversation_token"


@pytest.mark.parametrize(
    ("created", "idle"),
    [(timedelta(minutes=31), timedelta(minutes=31)), (timedelta(hours=12, minutes=1), timedelta(0))],
    ids=["idle", "maximum"],
)
def test_an_expired_conversation_is_refused_politely_and_a_new_one_works(client, created, idle):
    mine = open_for(client, "C1001")
    age(client, mine["conversation_id"], created=created, idle=idle)
    path = f"/api/chat/{mine['conversation_id']}"
    for response in (
        client.get(f"{path}/messages", headers=mine["headers"]),
        client.post(f"{path}/messages", json={"text": "你好"}, headers=mine["headers"]),
        resume(client, mine, "C1001"),
    ):
        assert response.status_code == 401, response.text
        error = response.json()["error"]
        assert error["code"] == "conversation_expired" and "会话已结束" in error["message"]
    assert open_for(client, "C1001")["conversation_id"] != mine["conversation_id"]


def test_an_agent_reply_keeps_the_conversation_alive(client, staff_factory):
    from bot.conversations import service as conversation_service

    mine = open_for(client)
    age(client, mine["conversation_id"], created=timedelta(minutes=40), idle=timedelta(minutes=29))
    with staff_factory.session() as session:
        conversation_service.post_message(
            session=session,
            conversation_id=mine["conversation_id"],
            sender="agent",
            text="您好，我是人工客服。",
        )
    age_check = client.get(f"/api/chat/{mine['conversation_id']}/messages", headers=mine["headers"])
    assert age_check.status_code == 200


# --- WebSockets ----------------------------------------------------------------------------------


def _fast(client, **changes):
    settings = dataclasses.replace(client.app.state.settings, **changes)
    return TestClient(create_app(settings))


def test_a_websocket_without_an_auth_frame_in_time_is_closed(client):
    with _fast(client, ws_auth_timeout_seconds=0.5) as fast:
        mine = open_for(fast)
        with fast.websocket_connect(f"/api/chat/{mine['conversation_id']}/ws") as socket:
            frame = socket.receive_json()
            assert frame["error"]["code"] == "auth_required" and "验证" in frame["error"]["message"]
            with pytest.raises(WebSocketDisconnect) as closed:
                socket.receive_json()
        assert closed.value.code == 4408


@pytest.mark.parametrize("first", ['{"type": "message", "text": "你好"}', "not json", '{"type": "auth"}'])
def test_a_websocket_whose_first_frame_is_no_auth_frame_is_closed(client, first):
    mine = open_for(client)
    with client.websocket_connect(f"/api/chat/{mine['conversation_id']}/ws") as socket:
        socket.send_text(first)
        assert socket.receive_json()["error"]["code"] == "auth_required"
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_json()
    assert closed.value.code == 4401


def test_the_chat_socket_closes_when_the_conversation_is_ended_elsewhere(client):
    mine = open_for(client)
    with ws_auth.connect(client, f"/api/chat/{mine['conversation_id']}/ws", mine["token"]) as socket:
        assert (
            client.post(f"/api/chat/{mine['conversation_id']}/end", headers=mine["headers"]).status_code
            == 204
        )
        frame = socket.receive_json()
        assert frame["type"] == "error" and frame["error"]["code"] == "invalid_conversation_token"
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_json()
    assert closed.value.code == 4403


def test_the_chat_socket_closes_when_the_conversation_expires(client):
    mine = open_for(client)
    with ws_auth.connect(client, f"/api/chat/{mine['conversation_id']}/ws", mine["token"]) as socket:
        age(client, mine["conversation_id"], created=timedelta(minutes=45), idle=timedelta(minutes=45))
        frame = socket.receive_json()  # the next push round (at most REALTIME_POLL_SECONDS)
        assert frame["error"]["code"] == "conversation_expired"
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_json()
    assert (closed.value.code, closed.value.reason) == (4401, "conversation_expired")


def test_sockets_per_conversation_are_capped_with_a_polite_refusal(client):
    with _fast(client, ws_max_per_conversation=2) as capped:
        mine = open_for(capped)
        path = f"/api/chat/{mine['conversation_id']}/ws"
        with ws_auth.connect(capped, path, mine["token"]), ws_auth.connect(capped, path, mine["token"]):
            with capped.websocket_connect(path) as third:
                third.send_json(ws_auth.auth_frame(mine["token"]))
                frame = third.receive_json()
                assert (
                    frame["error"]["code"] == "too_many_connections" and "窗口" in frame["error"]["message"]
                )
                with pytest.raises(WebSocketDisconnect) as closed:
                    third.receive_json()
            assert closed.value.code == 4429
        # Closed sockets give their places back.
        with ws_auth.connect(capped, path, mine["token"]) as again:
            again.send_json({"type": "ping"})
            assert again.receive_json() == {"type": "pong"}
