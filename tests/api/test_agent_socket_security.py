"""The agent's live pane is re-authorised on every push round: an agent stops receiving a
conversation once another agent claimed it, after hand-back or close, after logout, when the
account is disabled or the login expires; and agents read only the handoff's part of it."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from starlette.websockets import WebSocketDisconnect

from bot.conversations import service as conversation_service
from bot.db import utcnow
from bot.staff import service as staff_service
from bot.staff.models import StaffSession
from tests import ws_auth

from .conftest import STAFF_PASSWORD
from .test_handoff_chat import queue_for_person, receive_until


def sign_in(client, staff_factory, role="agent", name="小王") -> dict:
    username = staff_factory.create(role, display_name=name)
    token = client.post("/api/auth/login", json={"username": username, "password": STAFF_PASSWORD}).json()[
        "token"
    ]
    return {"username": username, "token": token, "headers": {"Authorization": f"Bearer {token}"}}


def closed_with(socket) -> tuple[int, dict]:
    """Reads up to the server's refusal: (close code, the error frame before it)."""
    error = None
    with pytest.raises(WebSocketDisconnect) as closed:
        for _ in range(20):
            frame = socket.receive_json()
            if frame["type"] == "error":
                error = frame["error"]
    return closed.value.code, error


@pytest.fixture
def handoff(client, staff_factory, conversation):
    return queue_for_person(staff_factory, conversation)


def pane(client, handoff_id, agent):
    return ws_auth.connect(client, f"/api/agent/handoffs/{handoff_id}/ws", agent["token"])


def test_an_agent_previewing_the_queue_stops_receiving_once_another_agent_claims(
    client, staff_factory, handoff
):
    first, second = sign_in(client, staff_factory), sign_in(client, staff_factory, name="小李")
    with pane(client, handoff, first) as socket:
        assert receive_until(socket, "handoff")["handoff"]["status"] == "waiting"
        assert (
            client.post(f"/api/agent/handoffs/{handoff}/claim", headers=second["headers"]).status_code == 200
        )
        code, error = closed_with(socket)
    assert code == 4403 and "其他坐席" in error["message"]


@pytest.mark.parametrize("action", ["hand-back", "close"])
def test_the_pane_closes_after_hand_back_or_close(client, staff_factory, handoff, action):
    agent = sign_in(client, staff_factory)
    assert client.post(f"/api/agent/handoffs/{handoff}/claim", headers=agent["headers"]).status_code == 200
    with pane(client, handoff, agent) as socket:
        assert receive_until(socket, "handoff")["handoff"]["status"] == "claimed"
        assert (
            client.post(f"/api/agent/handoffs/{handoff}/{action}", headers=agent["headers"]).status_code
            == 200
        )
        code, error = closed_with(socket)
    assert code == 4410 and error["code"] == "handoff_ended"


def test_the_pane_closes_after_logout(client, staff_factory, handoff):
    agent = sign_in(client, staff_factory)
    client.post(f"/api/agent/handoffs/{handoff}/claim", headers=agent["headers"])
    with pane(client, handoff, agent) as socket:
        receive_until(socket, "handoff")
        assert client.post("/api/auth/logout", headers=agent["headers"]).status_code == 204
        code, error = closed_with(socket)
    assert code == 4401 and "登录" in error["message"]


def test_the_pane_closes_when_the_account_is_disabled_or_the_login_expires(client, staff_factory, handoff):
    agent = sign_in(client, staff_factory)
    client.post(f"/api/agent/handoffs/{handoff}/claim", headers=agent["headers"])
    with pane(client, handoff, agent) as socket:
        receive_until(socket, "handoff")
        with staff_factory.session() as session:
            staff_service.set_active(session=session, username=agent["username"], active=False)
        assert closed_with(socket)[0] == 4401

    supervisor = sign_in(client, staff_factory, role="supervisor", name="主管")
    with pane(client, handoff, supervisor) as socket:
        receive_until(socket, "handoff")
        with staff_factory.session() as session:
            session.execute(
                update(StaffSession)
                .where(StaffSession.token_hash == staff_service.hash_token(supervisor["token"]))
                .values(expires_at=utcnow())
            )
        code, error = closed_with(socket)
    assert code == 4401 and error["code"] == "session_expired"


def test_agents_read_only_the_handoffs_part_of_the_conversation(client, staff_factory, conversation):
    with staff_factory.session() as session:
        for text in ("我的手机号是13812345678", "信用卡年费多少"):
            accepted = conversation_service.accept_customer_message(
                session=session,
                conversation=session.get(conversation_service.Conversation, conversation["conversation_id"]),
                text=text,
            )
            conversation_service.record_replies(
                session=session, message_id=accepted.message.id, replies=[{"text": "这是助手的回答。"}]
            )
        asked = conversation_service.accept_customer_message(
            session=session,
            conversation=session.get(conversation_service.Conversation, conversation["conversation_id"]),
            text="转人工",
        )
    handoff = queue_for_person(staff_factory, conversation)
    agent = sign_in(client, staff_factory)
    client.post(f"/api/agent/handoffs/{handoff}/claim", headers=agent["headers"])
    client.post(
        f"/api/agent/handoffs/{handoff}/messages", json={"text": "您好，请讲。"}, headers=agent["headers"]
    )
    client.post(f"/api/agent/handoffs/{handoff}/hand-back", headers=agent["headers"])
    # The customer goes on with the assistant after the person left.
    after = client.post(
        f"/api/chat/{conversation['conversation_id']}/messages",
        json={"text": "我的身份证号码是什么时候到期"},
        headers=conversation["headers"],
    )
    assert after.status_code == 503  # Rasa is down here; the message is stored

    seen = client.get(f"/api/agent/handoffs/{handoff}/messages", headers=agent["headers"]).json()["messages"]
    texts = [m["text"] for m in seen]
    assert texts[0] == "转人工" and seen[0]["id"] == asked.message.id
    assert "您好，请讲。" in texts and any(m["kind"] == "handoff_ended" for m in seen)
    assert not any("13812345678" in t or "138****5678" in t or "年费" in t for t in texts)  # before it
    assert not any("身份证" in t for t in texts)  # after it
