"""End to end with the real Rasa and action servers: a customer asks for a person, waits, an agent
claims the conversation, they talk both ways (Rasa records everything but predicts nothing), the
agent hands back and the assistant answers again; a second time the agent closes and the customer
rates. With nobody online the customer leaves a call-back request instead."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets
from sqlalchemy import delete

from bot.db import build_engine
from bot.handoff.models import AgentPresence
from scripts.demo import DEFAULT_DEMO_PASSWORD
from tests import ws_auth
from tests.conftest import run_async
from tests.e2e.test_conversation import say, texts

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def api(live_product):
    with httpx.Client(base_url=live_product.api_url, timeout=60) as client:
        yield client


@pytest.fixture
def nobody_online(live_product):
    """Other tests may have left an agent online (presence lasts a few minutes)."""
    engine = build_engine(live_product.database_url)
    with engine.begin() as connection:
        connection.execute(delete(AgentPresence))
    engine.dispose()


def _open(api: httpx.Client) -> tuple[str, dict, str]:
    session = api.post("/api/chat/sessions", json={"channel": "app"}).json()
    return session["conversation_id"], {"Authorization": f"Bearer {session['token']}"}, session["token"]


def _agent(api: httpx.Client) -> dict:
    login = api.post("/api/auth/login", json={"username": "agent1", "password": DEFAULT_DEMO_PASSWORD})
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['token']}"}


def _tracker(live_product, conversation_id: str) -> dict:
    response = httpx.get(
        f"{live_product.rasa_url}/conversations/{conversation_id}/tracker",
        params={"token": live_product.rasa_token},
        timeout=30,
    )
    response.raise_for_status()
    return response.json()


def _history(api, conversation_id, headers) -> list[dict]:
    return api.get(f"/api/chat/{conversation_id}/messages", headers=headers).json()["messages"]


async def _next_push(url: str, token: str, ready: asyncio.Event, timeout: float = 20.0) -> dict:
    async with websockets.connect(url) as socket:
        await ws_auth.authenticate(socket, token)
        ready.set()
        while True:
            frame = json.loads(await asyncio.wait_for(socket.recv(), timeout))
            if frame["type"] == "push":
                return frame["message"]


def test_with_nobody_online_the_customer_leaves_a_call_back_request(api, nobody_online):
    conversation_id, headers, _ = _open(api)
    offer = say(api, conversation_id, headers, "转人工")["replies"][0]
    assert "人工客服都不在线" in offer["text"]
    assert [b["title"] for b in offer["buttons"]] == ["预约回电", "不用了"]
    assert "手机号码" in texts(say(api, conversation_id, headers, "/request_callback"))
    assert "有效的手机号码" in texts(say(api, conversation_id, headers, "138123"))
    assert "方便接听" in texts(say(api, conversation_id, headers, "13812345678"))
    done = texts(say(api, conversation_id, headers, "明天上午十点以后"))
    assert "已为您登记回电" in done and "138****5678" in done

    callbacks = api.get("/api/agent/callbacks", headers=_agent(api)).json()
    mine = [c for c in callbacks if c["conversation_id"] == conversation_id]
    assert [(c["phone_masked"], c["preferred_time"]) for c in mine] == [("138****5678", "明天上午十点以后")]
    # The assistant continues normally afterwards.
    assert "年费" in texts(say(api, conversation_id, headers, "信用卡年费怎么收"))


def test_an_agent_takes_over_talks_and_hands_back_then_closes_and_is_rated(api, live_product, nobody_online):
    agent = _agent(api)
    assert api.put("/api/agent/presence", json={"status": "online"}, headers=agent).status_code == 200
    conversation_id, headers, token = _open(api)
    say(api, conversation_id, headers, "信用卡年费怎么收")

    waiting = say(api, conversation_id, headers, "我要找人工客服")["replies"][-1]
    assert waiting["kind"] == "handoff_waiting"
    # An estimate only from past waits; before any, the customer is told there is none yet.
    assert "预计等待约" in waiting["text"] or "暂时无法估计等待时间" in waiting["text"]
    assert _tracker(live_product, conversation_id)["paused"] is True
    ack = say(api, conversation_id, headers, "我的信用卡年费能减免吗")["replies"]
    assert [r["kind"] for r in ack] == ["handoff_waiting"] and "排在第" in ack[0]["text"]

    queue = api.get("/api/agent/queue", headers=agent).json()["items"]
    [item] = [i for i in queue if i["conversation_id"] == conversation_id]
    assert item["reason"] == "request"
    ws_url = live_product.api_url.replace("http", "ws") + f"/api/chat/{conversation_id}/ws"

    async def claim_while_listening():
        ready = asyncio.Event()
        listening = asyncio.create_task(_next_push(ws_url, token, ready))
        await asyncio.wait_for(ready.wait(), 60)
        async with httpx.AsyncClient(base_url=live_product.api_url, timeout=60) as client:
            claimed = await client.post(f"/api/agent/handoffs/{item['id']}/claim", headers=agent)
            assert claimed.status_code == 200, claimed.text
        return await listening

    joined = run_async(claim_while_listening())
    assert joined["kind"] == "handoff_started" and joined["agent_name"]

    assert say(api, conversation_id, headers, "我的卡号6222021234567890123")["replies"] == []
    seen = api.get(f"/api/agent/handoffs/{item['id']}/messages", headers=agent).json()["messages"]
    customer_texts = [m["text"] for m in seen if m["sender"] == "customer"]
    assert "我的信用卡年费能减免吗" in customer_texts
    assert "我的卡号****0123" in customer_texts  # masked for the agent
    sent = api.post(
        f"/api/agent/handoffs/{item['id']}/messages",
        headers=agent,
        json={"text": "您好，年费可以申请减免，我来帮您登记。"},
    )
    assert sent.status_code == 201, sent.text

    context = api.get(f"/api/agent/handoffs/{item['id']}/context", headers=agent).json()
    intents = [turn["intent"] for turn in context["understanding"]["turns"]]
    assert "request_human" in intents and context["understanding"]["paused"] is True

    tracker = _tracker(live_product, conversation_id)
    agent_events = [
        e for e in tracker["events"] if e["event"] == "bot" and (e.get("metadata") or {}).get("agent")
    ]
    assert [e["text"] for e in agent_events] == ["您好，年费可以申请减免，我来帮您登记。"]
    user_texts = [e["text"] for e in tracker["events"] if e["event"] == "user"]
    assert "我的卡号6222021234567890123" in user_texts  # Rasa recorded it while paused

    assert api.post(f"/api/agent/handoffs/{item['id']}/hand-back", headers=agent).status_code == 200
    assert _tracker(live_product, conversation_id)["paused"] is False
    history = _history(api, conversation_id, headers)
    assert any(m["sender"] == "agent" and m["agent_name"] for m in history)
    assert history[-1]["kind"] == "handoff_ended"
    again = texts(say(api, conversation_id, headers, "转账手续费怎么收"))
    assert "手续费" in again  # the assistant answers again

    # A second time the agent closes the conversation and the customer rates it.
    say(api, conversation_id, headers, "转人工")
    queue = api.get("/api/agent/queue", headers=agent).json()["items"]
    [second] = [i for i in queue if i["conversation_id"] == conversation_id]
    assert api.post(f"/api/agent/handoffs/{second['id']}/claim", headers=agent).status_code == 200
    assert api.post(f"/api/agent/handoffs/{second['id']}/close", headers=agent).status_code == 200
    prompt = _history(api, conversation_id, headers)[-1]
    assert prompt["kind"] == "rating" and len(prompt["buttons"]) == 5
    thanks = texts(say(api, conversation_id, headers, "5分"))
    assert "感谢您的评价（5分）" in thanks
    ended = api.get("/api/agent/handoffs/mine", params={"include_ended": True}, headers=agent).json()
    assert [h["satisfaction"] for h in ended if h["id"] == second["id"]] == [5]
    assert api.put("/api/agent/presence", json={"status": "offline"}, headers=agent).status_code == 200

    # The API's housekeeping copies the whole conversation, masked, into the analysts' store.
    rows = _transcript(
        live_product, conversation_id, until=lambda rows: any(r.sender == "agent" for r in rows)
    )
    senders = {row.sender for row in rows}
    assert senders == {"customer", "assistant", "agent", "system"}
    texts_stored = " ".join(row.text for row in rows)
    assert "6222021234567890123" not in texts_stored and "我的卡号****0123" in texts_stored
    assert [r.intent for r in rows if r.text == "我要找人工客服"] == ["request_human"]


def _transcript(live_product, conversation_id: str, until, timeout: float = 90.0) -> list:
    import time

    from bot.db import build_session_factory
    from bot.transcripts import service as transcripts

    engine = build_engine(live_product.database_url)
    factory = build_session_factory(engine)
    deadline = time.monotonic() + timeout
    try:
        while True:
            with live_product.its_encryption_key(), factory.begin() as session:
                rows = transcripts.conversation_transcript(session, conversation_id)
                session.expunge_all()
            if until(rows) or time.monotonic() > deadline:
                return rows
            time.sleep(2)
    finally:
        engine.dispose()


def test_signs_of_distress_reach_a_person_first(api, live_product, nobody_online):
    agent = _agent(api)
    api.put("/api/agent/presence", json={"status": "online"}, headers=agent)
    conversation_id, headers, _ = _open(api)
    replies = say(api, conversation_id, headers, "我真的不想活了")["replies"]
    assert "12356" in texts({"replies": replies})
    assert replies[-1]["kind"] == "handoff_waiting"
    queue = api.get("/api/agent/queue", headers=agent).json()["items"]
    assert queue[0]["conversation_id"] == conversation_id and queue[0]["reason"] == "distress"
    # Leaves the queue again, and the assistant takes over.
    assert "已为您取消转人工" in texts(say(api, conversation_id, headers, "取消转人工"))
    assert _tracker(live_product, conversation_id)["paused"] is False
    api.put("/api/agent/presence", json={"status": "offline"}, headers=agent)
