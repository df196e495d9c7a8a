"""Agent console API: queue, claim (one winner), hand-back and close, presence, call-backs; roles."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import delete

from bot.cases.crypto import CaseCipher
from bot.conversations import service as conversation_service
from bot.db import utcnow
from bot.handoff import service as handoff_service
from bot.handoff.models import CallbackRequest, Handoff

from .conftest import CASE_ENCRYPTION_KEY

ENDPOINTS = [
    ("get", "/api/agent/queue", None),
    ("post", "/api/agent/handoffs/1/claim", None),
    ("post", "/api/agent/handoffs/1/hand-back", None),
    ("post", "/api/agent/handoffs/1/close", None),
    ("get", "/api/agent/handoffs/mine", None),
    ("put", "/api/agent/presence", {"status": "online"}),
    ("get", "/api/agent/callbacks", None),
    ("post", "/api/agent/callbacks/1/done", None),
    ("post", "/api/agent/callbacks/1/phone", None),
]


@pytest.fixture
def handoffs(staff_factory):
    """Creates committed handoffs in the API's database and removes them afterwards."""
    created: list[int] = []
    callbacks: list[int] = []

    class Handoffs:
        def request(self, reason: str = "request", minutes_ago: int = 0) -> int:
            with staff_factory.session() as session:
                conversation, _ = conversation_service.open_conversation(session=session)
                handoff = handoff_service.request_handoff(
                    session=session,
                    conversation_id=conversation.id,
                    reason=reason,
                    customer_id="C100",
                    context={"summary": "信用卡年费"},
                    now=utcnow() - timedelta(minutes=minutes_ago),
                )
                created.append(handoff.id)
                return handoff.id

        def callback(
            self, phone: str = "13912345678", conversation_id: str | None = None, reason: str | None = None
        ) -> int:
            with staff_factory.session() as session:
                callback = handoff_service.request_callback(
                    session=session,
                    phone=phone,
                    preferred_time="工作日晚上",
                    conversation_id=conversation_id or uuid.uuid4().hex,
                    reason=reason,
                    cipher=CaseCipher(CASE_ENCRYPTION_KEY),
                )
                callbacks.append(callback.id)
                return callback.id

    yield Handoffs()
    with staff_factory.session() as session:
        session.execute(delete(Handoff).where(Handoff.id.in_(created)))
        session.execute(delete(CallbackRequest).where(CallbackRequest.id.in_(callbacks)))


@pytest.mark.parametrize("method, path, body", ENDPOINTS)
def test_signed_out_is_401_and_analysts_are_403(client, staff_factory, method, path, body):
    assert client.request(method, path, json=body).status_code == 401
    response = client.request(method, path, json=body, headers=staff_factory.headers("analyst"))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_queue_lists_urgent_first_with_position_and_estimate(client, staff_factory, handoffs):
    older = handoffs.request("request", minutes_ago=5)
    fraud = handoffs.request("fraud", minutes_ago=1)
    response = client.get("/api/agent/queue", headers=staff_factory.headers("supervisor"))
    assert response.status_code == 200, response.text
    body = response.json()
    mine = [item for item in body["items"] if item["id"] in (older, fraud)]
    assert [item["id"] for item in mine] == [fraud, older]
    assert mine[0]["position"] < mine[1]["position"]
    assert mine[0]["reason_label"] == "疑似诈骗" and mine[0]["status_label"] == "排队中"
    assert mine[1]["context"] == {"summary": "信用卡年费"}
    assert all(item["estimated_wait_minutes"] >= 1 for item in mine)
    assert isinstance(body["service_open"], bool) and body["agents_online"] >= 0


def test_claim_hand_back_close_and_mine(client, staff_factory, handoffs):
    first, second = staff_factory.headers(), staff_factory.headers()
    handoff_id = handoffs.request()
    response = client.post(f"/api/agent/handoffs/{handoff_id}/claim", headers=first)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "claimed" and response.json()["agent"].startswith("agent-")

    loser = client.post(f"/api/agent/handoffs/{handoff_id}/claim", headers=second)
    assert loser.status_code == 409
    assert loser.json()["error"]["code"] == "handoff_already_claimed"
    assert "已被" in loser.json()["error"]["message"]

    assert client.post(f"/api/agent/handoffs/{handoff_id}/hand-back", headers=second).status_code == 403
    mine = client.get("/api/agent/handoffs/mine", headers=first).json()
    assert [h["id"] for h in mine] == [handoff_id]
    assert client.get("/api/agent/handoffs/mine", headers=second).json() == []

    back = client.post(
        f"/api/agent/handoffs/{handoff_id}/hand-back", json={"note": "已解答年费问题"}, headers=first
    )
    assert back.status_code == 200 and back.json()["status"] == "handed_back"
    again = client.post(f"/api/agent/handoffs/{handoff_id}/close", headers=first)
    assert again.status_code == 409 and again.json()["error"]["code"] == "illegal_handoff_transition"
    assert client.get("/api/agent/handoffs/mine", headers=first).json() == []
    ended = client.get("/api/agent/handoffs/mine", params={"include_ended": "true"}, headers=first).json()
    assert [h["status"] for h in ended] == ["handed_back"]

    other = handoffs.request()
    client.post(f"/api/agent/handoffs/{other}/claim", headers=first)
    closed = client.post(f"/api/agent/handoffs/{other}/close", headers=first)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert client.post("/api/agent/handoffs/987654/claim", headers=first).status_code == 404


def test_two_agents_claiming_over_http_one_gets_409(client, staff_factory, handoffs):
    agents = [staff_factory.headers(), staff_factory.headers()]
    handoff_id = handoffs.request("complaint")
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def attempt(headers):
        barrier.wait(timeout=10)
        statuses.append(client.post(f"/api/agent/handoffs/{handoff_id}/claim", headers=headers).status_code)

    threads = [threading.Thread(target=attempt, args=(headers,)) for headers in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [200, 409]


def test_presence(client, staff_factory):
    headers = staff_factory.headers()
    response = client.put("/api/agent/presence", json={"status": "online"}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "online" and response.json()["agents_online"] >= 1
    assert client.put("/api/agent/presence", json={"status": "busy"}, headers=headers).status_code == 422
    assert (
        client.put("/api/agent/presence", json={"status": "offline"}, headers=headers).json()["status"]
        == "offline"
    )


def test_callbacks_masked_list_audited_reveal_and_done(client, staff_factory, handoffs):
    headers = staff_factory.headers()
    callback_id = handoffs.callback()
    listed = client.get("/api/agent/callbacks", headers=headers).json()
    item = next(c for c in listed if c["id"] == callback_id)
    assert item["phone_masked"] == "139****5678" and item["preferred_time"] == "工作日晚上"
    assert "13912345678" not in str(listed)

    revealed = client.post(f"/api/agent/callbacks/{callback_id}/phone", headers=headers)
    assert revealed.status_code == 200 and revealed.json()["phone"] == "13912345678"

    done = client.post(f"/api/agent/callbacks/{callback_id}/done", json={"note": "已回电"}, headers=headers)
    assert done.status_code == 200 and done.json()["status"] == "done" and done.json()["done_by"]
    assert callback_id not in [c["id"] for c in client.get("/api/agent/callbacks", headers=headers).json()]
    everything = client.get("/api/agent/callbacks", params={"status": "all"}, headers=headers).json()
    assert callback_id in [c["id"] for c in everything]
    assert client.post(f"/api/agent/callbacks/{callback_id}/done", headers=headers).status_code == 409
    assert client.post("/api/agent/callbacks/987654/done", headers=headers).status_code == 404


def test_a_call_back_shows_who_why_and_the_conversation_masked(client, staff_factory, handoffs):
    headers = staff_factory.headers()
    with staff_factory.session() as session:
        conversation, _ = conversation_service.open_conversation(session=session, customer_id="D1002")
        asked = conversation_service.accept_customer_message(
            session=session, conversation=conversation, text="我被骗了，对方让我转账到13812345678的账户"
        )
        conversation_service.record_replies(
            session=session, message_id=asked.message.id, replies=[{"text": "请立即拨打热线冻结账户……"}]
        )
        conversation_service.accept_customer_message(
            session=session, conversation=conversation, text="预约回电"
        )
    callback_id = handoffs.callback(conversation_id=conversation.id, reason="fraud")
    item = next(
        c for c in client.get("/api/agent/callbacks", headers=headers).json() if c["id"] == callback_id
    )
    assert (item["reason"], item["reason_label"]) == ("fraud", "疑似诈骗")
    assert item["conversation_url"] == f"/agent#callback-{callback_id}"

    view = client.get(f"/api/agent/callbacks/{callback_id}/messages", headers=headers)
    assert view.status_code == 200
    texts = [m["text"] for m in view.json()["messages"]]
    assert texts == ["我被骗了，对方让我转账到138****5678的账户", "请立即拨打热线冻结账户……", "预约回电"]
    assert "13812345678" not in view.text
    assert client.get("/api/agent/callbacks/987654/messages", headers=headers).status_code == 404
    analyst = client.get(
        f"/api/agent/callbacks/{callback_id}/messages", headers=staff_factory.headers("analyst")
    )
    assert analyst.status_code == 403
