"""End to end: the run command starts Rasa, the action server and the API; a customer chats in
Chinese through the public API (REST and WebSocket), and nothing accepted is ever lost."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import time

import httpx
import pytest
import websockets
import yaml
from fastapi.testclient import TestClient

from api.main import create_app
from bot.config import load_settings
from scripts.stack import ROOT, free_port, port_in_use
from tests import ws_auth
from tests.conftest import run_async

pytestmark = pytest.mark.e2e

# Messages that the model must not understand, used to drive the fallback.
# Chinese the assistant cannot read (Latin keyboard mash is answered as another language).
GIBBERISH = ["啊吧啊吧", "咕噜咕噜嘎嘎"]


# Small talk about the weather: any of its variants (Rasa picks one at random).
WEATHER_ANSWERS = [
    variant["text"]
    for variant in yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"][
        "utter_chitchat/weather"
    ]
]


def open_chat(api: httpx.Client) -> tuple[str, dict]:
    body = api.post("/api/chat/sessions", json={"channel": "app"}).json()
    return body["conversation_id"], {"Authorization": f"Bearer {body['token']}"}


def say(api: httpx.Client, conversation_id: str, headers: dict, text: str, **extra) -> dict:
    response = api.post(
        f"/api/chat/{conversation_id}/messages", json={"text": text, **extra}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


def texts(exchange: dict) -> str:
    return " ".join(reply["text"] for reply in exchange["replies"])


@pytest.fixture(scope="module")
def api(live_product):
    with httpx.Client(base_url=live_product.api_url, timeout=60) as client:
        yield client


def test_health_reports_all_three_components_up(api):
    response = api.get("/healthz")
    assert response.status_code == 200, response.text
    components = response.json()["components"]
    assert {name: c["status"] for name, c in components.items()} == {
        "rasa": "ok",
        "action_server": "ok",
        "database": "ok",
    }


def test_a_customer_holds_a_conversation_in_chinese(api):
    conversation_id, headers = open_chat(api)

    assert "您好" in texts(say(api, conversation_id, headers, "你好"))
    assert "不是真人" in texts(say(api, conversation_id, headers, "你是机器人吗？"))
    assert texts(say(api, conversation_id, headers, "今天天气怎么样")) in WEATHER_ANSWERS  # small talk
    assert "暂时无法解答" in texts(say(api, conversation_id, headers, "帮我订一张去上海的机票"))
    assert "不客气" in texts(say(api, conversation_id, headers, "谢谢你"))
    assert "再见" in texts(say(api, conversation_id, headers, "好的，再见"))

    history = api.get(f"/api/chat/{conversation_id}/messages", headers=headers).json()["messages"]
    customer_lines = [m["text"] for m in history if m["sender"] == "customer"]
    assert customer_lines == [
        "你好",
        "你是机器人吗？",
        "今天天气怎么样",
        "帮我订一张去上海的机票",
        "谢谢你",
        "好的，再见",
    ]
    assert all(m["status"] == "delivered" for m in history if m["sender"] == "customer")


def test_after_two_misunderstandings_a_person_is_offered(api):
    conversation_id, headers = open_chat(api)

    first = say(api, conversation_id, headers, GIBBERISH[0])
    assert "换个说法" in texts(first)
    assert not first["replies"][0]["buttons"]

    second = say(api, conversation_id, headers, GIBBERISH[1])
    assert "人工客服" in texts(second)
    buttons = {b["title"]: b["payload"] for b in second["replies"][0]["buttons"]}
    assert buttons["转人工客服"] == "/request_human"

    clicked = say(api, conversation_id, headers, buttons["转人工客服"])
    assert "人工客服" in texts(clicked)


def test_emoji_and_traditional_characters_get_a_polite_answer(api):
    conversation_id, headers = open_chat(api)
    for text in ["👍👍👍", "你好👋", "請問你是機器人嗎"]:
        exchange = say(api, conversation_id, headers, text)
        assert exchange["replies"] and all(reply["text"] for reply in exchange["replies"])


def test_a_resend_with_the_same_client_id_is_answered_once(api):
    conversation_id, headers = open_chat(api)
    first = say(api, conversation_id, headers, "你好", client_message_id="resend-1")
    again = say(api, conversation_id, headers, "你好", client_message_id="resend-1")

    assert again == first
    history = api.get(f"/api/chat/{conversation_id}/messages", headers=headers).json()["messages"]
    assert [m["sender"] for m in history].count("customer") == 1


def test_the_websocket_acknowledges_then_pushes_the_replies(live_product, api):
    conversation_id, headers = open_chat(api)
    token = headers["Authorization"].split()[1]
    url = f"ws://127.0.0.1:{live_product.api_port}/api/chat/{conversation_id}/ws"

    async def chat() -> list[dict]:
        async with websockets.connect(url) as socket:
            await ws_auth.authenticate(socket, token)
            await socket.send(json.dumps({"type": "message", "text": "你好", "client_message_id": "w1"}))
            frames = [json.loads(await socket.recv()), json.loads(await socket.recv())]
            await socket.send(json.dumps({"type": "ping"}))
            frames.append(json.loads(await socket.recv()))
            return frames

    ack, replies, pong = run_async(chat())
    assert ack["type"] == "ack" and ack["client_message_id"] == "w1"
    assert replies["type"] == "replies" and replies["message_id"] == ack["message_id"]
    assert "您好" in replies["replies"][0]["text"]
    assert pong == {"type": "pong"}


def test_rasa_keeps_the_dialogue_and_the_event_broker_publishes_it(live_product, api):
    conversation_id, headers = open_chat(api)
    say(api, conversation_id, headers, "你好")

    tracker = httpx.get(
        f"{live_product.rasa_url}/conversations/{conversation_id}/tracker",
        params={"token": live_product.rasa_token},
        timeout=10,
    ).json()
    user_events = [e for e in tracker["events"] if e["event"] == "user"]
    assert user_events[-1]["text"] == "你好"
    assert user_events[-1]["parse_data"]["intent"]["name"] == "greet"

    with sqlite3.connect(live_product.var_dir / "rasa_events.db") as events_db:
        published = events_db.execute(
            "SELECT data FROM events WHERE sender_id = ?", (conversation_id,)
        ).fetchall()
    assert published and all(row[0].startswith("gAAAAA") for row in published)  # encrypted at rest
    assert any(json.loads(live_product.decrypt(row[0])).get("text") == "你好" for row in published)


def test_a_message_accepted_while_rasa_is_down_is_delivered_on_resend(live_product, api, monkeypatch):
    """An API replica that cannot reach Rasa stores the message; a resend delivers it once."""
    conversation_id, headers = open_chat(api)
    # Replicas share the installation's keys (messages are encrypted at rest): here its var/.
    monkeypatch.setenv("VAR_DIR", str(live_product.var_dir))
    cut_off = dataclasses.replace(
        load_settings(),
        database_url=live_product.database_url,
        rasa_url=f"http://127.0.0.1:{free_port()}",
        rasa_timeout_seconds=3,
    )
    with TestClient(create_app(cut_off)) as replica:
        refused = replica.post(
            f"/api/chat/{conversation_id}/messages",
            json={"text": "你好", "client_message_id": "outage-1"},
            headers=headers,
        )
    assert refused.status_code == 503
    kept_id = refused.json()["error"]["message_id"]

    delivered = say(api, conversation_id, headers, "你好", client_message_id="outage-1")

    assert delivered["message_id"] == kept_id
    assert "您好" in texts(delivered)
    history = api.get(f"/api/chat/{conversation_id}/messages", headers=headers).json()["messages"]
    assert [(m["sender"], m["status"]) for m in history][0] == ("customer", "delivered")
    assert [m["sender"] for m in history].count("customer") == 1


@pytest.mark.stops_live_product
def test_ctrl_c_stops_all_three_processes(live_product):
    """The run command exits cleanly on Ctrl-C and frees every port (runs last)."""
    ports = [live_product.api_port, live_product.rasa_port, live_product.action_port]
    assert all(port_in_use(port) for port in ports)

    exit_code = live_product.interrupt()

    assert exit_code == 0, "".join(live_product.output[-20:])
    deadline = time.monotonic() + 10
    while any(port_in_use(port) for port in ports) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(port_in_use(port) for port in ports)
    assert "Stopped." in "".join(live_product.output)


def test_a_signed_customer_identity_reaches_rasa_with_every_message(live_product, api):
    from datetime import timedelta

    from bot.db import utcnow
    from bot.identity.tokens import sign_identity

    secret = (live_product.var_dir / "identity_secret").read_text().strip()
    token = sign_identity(customer_id="C0007", expires_at=utcnow() + timedelta(minutes=5), secret=secret)
    session = api.post("/api/chat/sessions", json={"channel": "app", "identity_token": token}).json()
    assert session["customer_id"] == "C0007"
    headers = {"Authorization": f"Bearer {session['token']}"}
    say(api, session["conversation_id"], headers, "你好")

    tracker = httpx.get(
        f"{live_product.rasa_url}/conversations/{session['conversation_id']}/tracker",
        params={"token": live_product.rasa_token},
        timeout=10,
    ).json()
    user_event = [e for e in tracker["events"] if e["event"] == "user"][-1]
    assert user_event["metadata"]["customer_id"] == "C0007"
    assert user_event["metadata"]["channel"] == "app"
