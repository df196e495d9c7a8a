"""The public chat API refuses bad input politely and never loses an accepted message."""

from __future__ import annotations

import re

import pytest

from tests import ws_auth

CJK = re.compile(r"[\u4e00-\u9fff]")


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert CJK.search(error["message"]), "the customer gets a Chinese message"
    assert error["detail"] and not CJK.search(error["detail"]), "developers get an English detail"
    if code:
        assert error["code"] == code
    return error


def test_a_session_returns_a_conversation_id_and_a_token(client):
    response = client.post("/api/chat/sessions")
    assert response.status_code == 201
    body = response.json()
    assert len(body["conversation_id"]) == 32 and len(body["token"]) >= 32
    # The greeting with suggested questions the chat shows first.
    assert body["welcome"]["text"].startswith("您好") and body["welcome"]["buttons"]


def test_an_unknown_channel_is_refused(client):
    assert_error(client.post("/api/chat/sessions", json={"channel": "fax"}), 422)


def test_invalid_json_is_refused(client, conversation):
    response = client.post(
        f"/api/chat/{conversation['conversation_id']}/messages",
        content=b"{not json",
        headers={**conversation["headers"], "Content-Type": "application/json"},
    )
    assert_error(response, 400, "invalid_json")


@pytest.mark.parametrize(
    "body, code",
    [
        ({}, "invalid_text"),
        ({"text": 5}, "invalid_text"),
        ({"text": ""}, "empty_message"),
        ({"text": "   "}, "empty_message"),
        ({"text": "字" * 1001}, "message_too_long"),
    ],
)
def test_missing_empty_or_too_long_text_is_refused(client, conversation, body, code):
    url = f"/api/chat/{conversation['conversation_id']}/messages"
    error = assert_error(client.post(url, json=body, headers=conversation["headers"]), 422, code)
    if code == "message_too_long":
        assert "1000" in error["message"]
    history = client.get(url, headers=conversation["headers"]).json()
    assert history["messages"] == [], "a refused message is not stored"


def test_a_huge_body_is_refused_before_it_is_read(client, conversation):
    url = f"/api/chat/{conversation['conversation_id']}/messages"
    response = client.post(url, json={"text": "字" * 100_000}, headers=conversation["headers"])
    assert_error(response, 413, "body_too_large")
    assert client.get(url, headers=conversation["headers"]).json()["messages"] == []


def test_a_wrong_or_missing_token_cannot_read_or_write(client, conversation):
    url = f"/api/chat/{conversation['conversation_id']}/messages"
    other = client.post("/api/chat/sessions").json()
    wrong = {"Authorization": f"Bearer {other['token']}"}
    assert_error(client.post(url, json={"text": "你好"}, headers=wrong), 403)
    assert_error(client.get(url, headers=wrong), 403)
    assert_error(client.get(url), 403)


def test_an_unknown_conversation_is_404(client, conversation):
    response = client.post(
        "/api/chat/0123456789abcdef0123456789abcdef/messages",
        json={"text": "你好"},
        headers=conversation["headers"],
    )
    assert_error(response, 404, "conversation_not_found")


def test_when_rasa_is_down_the_message_is_kept_and_503_says_so(client, conversation):
    url = f"/api/chat/{conversation['conversation_id']}/messages"
    response = client.post(
        url, json={"text": "我想查余额", "client_message_id": "m-1"}, headers=conversation["headers"]
    )
    error = assert_error(response, 503, "assistant_unavailable")
    assert "已保存" in error["message"]
    assert response.headers["Retry-After"]

    history = client.get(url, headers=conversation["headers"]).json()["messages"]
    assert [(m["id"], m["text"], m["status"]) for m in history] == [
        (error["message_id"], "我想查余额", "failed")
    ]

    # Resending with the same client id still finds one message, not two.
    client.post(url, json={"text": "我想查余额", "client_message_id": "m-1"}, headers=conversation["headers"])
    assert len(client.get(url, headers=conversation["headers"]).json()["messages"]) == 1


def test_health_reports_each_component(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    components = response.json()["components"]
    assert components["database"]["status"] == "ok"
    assert components["rasa"]["status"] == "down"
    assert components["action_server"]["status"] == "down"


def test_the_websocket_refuses_a_wrong_token(client, conversation):
    url = f"/api/chat/{conversation['conversation_id']}/ws"
    with client.websocket_connect(url) as socket:
        socket.send_json(ws_auth.auth_frame("wrong"))
        frame = socket.receive_json()
    assert frame["type"] == "error" and frame["error"]["code"] == "invalid_conversation_token"


def test_the_websocket_answers_bad_frames_and_pings_without_closing(client, conversation):
    url = f"/api/chat/{conversation['conversation_id']}/ws"
    with ws_auth.connect(client, url, conversation["token"]) as socket:
        socket.send_text("not json")
        assert socket.receive_json()["error"]["code"] == "invalid_json"
        socket.send_json({"type": "message", "text": ""})
        assert socket.receive_json()["error"]["code"] == "empty_message"
        socket.send_json({"type": "ping"})
        assert socket.receive_json() == {"type": "pong"}


def test_openapi_documents_the_chat_api(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/chat/sessions" in paths
    assert "/api/chat/{conversation_id}/messages" in paths
    assert client.get("/docs").status_code == 200


def test_the_bank_page_embeds_the_widget_with_one_script_tag_and_chat_fills_a_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert 'lang="zh-CN"' in response.text and "在线客服" in response.text
    assert response.text.count('<script src="/static/widget.js"') == 1
    page = client.get("/chat")
    assert page.status_code == 200 and 'data-mode="page"' in page.text
    assert client.get("/static/widget.js").status_code == 200
    assert client.get("/static/widget.css").status_code == 200


def test_the_chat_api_answers_other_origins_but_staff_apis_do_not(client):
    preflight = {
        "Origin": "https://partner.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    chat = client.options("/api/chat/sessions", headers=preflight)
    assert chat.status_code == 200 and chat.headers["access-control-allow-origin"] == "*"
    opened = client.post("/api/chat/sessions", json={}, headers={"Origin": "https://partner.example"})
    assert opened.headers["access-control-allow-origin"] == "*"
    staff = client.post(
        "/api/auth/login",
        json={"username": "x", "password": "y"},
        headers={"Origin": "https://partner.example"},
    )
    assert "access-control-allow-origin" not in staff.headers


def test_a_signed_identity_names_the_customer_of_the_conversation(client):
    from datetime import timedelta

    from bot.db import utcnow
    from bot.identity.tokens import sign_identity
    from tests.api.conftest import IDENTITY_SECRET

    token = sign_identity(
        customer_id="C0042", expires_at=utcnow() + timedelta(minutes=10), secret=IDENTITY_SECRET
    )
    response = client.post("/api/chat/sessions", json={"channel": "app", "identity_token": token})
    assert response.status_code == 201
    assert response.json()["customer_id"] == "C0042"


@pytest.mark.parametrize("problem", ["expired", "wrong_secret", "tampered"])
def test_a_bad_identity_is_refused_with_401(client, problem):
    from datetime import timedelta

    from bot.db import utcnow
    from bot.identity.tokens import sign_identity
    from tests.api.conftest import IDENTITY_SECRET

    expires = utcnow() + (timedelta(seconds=-1) if problem == "expired" else timedelta(minutes=10))
    secret = "not-the-shared-secret-but-32-bytes-long" if problem == "wrong_secret" else IDENTITY_SECRET
    token = sign_identity(customer_id="C0042", expires_at=expires, secret=secret)
    if problem == "tampered":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = client.post("/api/chat/sessions", json={"identity_token": token})
    error = assert_error(response, 401)
    assert "登录" in error["message"]


@pytest.mark.parametrize(
    "token",
    ["令牌.令牌.令牌", "\u00e9\u00e9.\u00e9.\u00e9", "a.b.c", "%%%.%%%.%%%", "x" * 5000, "eyJ9.e30.e30"],
)
def test_a_garbage_or_non_ascii_identity_token_is_a_401_never_a_500(client, token):
    response = client.post("/api/chat/sessions", json={"identity_token": token})
    error = assert_error(response, 401, "invalid_identity")
    assert "登录" in error["message"]


def test_an_identity_expiring_years_ahead_is_refused(client):
    from datetime import timedelta

    from bot.db import utcnow
    from bot.identity.tokens import sign_identity
    from tests.api.conftest import IDENTITY_SECRET

    token = sign_identity(
        customer_id="C0042", expires_at=utcnow() + timedelta(days=3650), secret=IDENTITY_SECRET
    )
    assert_error(client.post("/api/chat/sessions", json={"identity_token": token}), 401, "invalid_identity")


def test_too_long_text_is_refused_by_the_schema_which_openapi_shows(client, conversation):
    schema = client.get("/openapi.json").json()["components"]["schemas"]["MessageCreate"]
    assert schema["properties"]["text"]["maxLength"] == 4000
    url = f"/api/chat/{conversation['conversation_id']}/messages"
    error = assert_error(client.post(url, json={"text": "好" * 4001}, headers=conversation["headers"]), 422)
    assert error["code"] == "message_too_long" and "太长" in error["message"]
