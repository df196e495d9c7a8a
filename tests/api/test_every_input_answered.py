"""Every input gets an answer a client can act on, never a 500 and never a dropped socket:
out-of-range ids, lone surrogates and non-ASCII text in tokens, ids and names, the same
client_message_id sent many times at once, invisible-only messages, and WebSocket protocol
errors. The last test lets schemathesis fuzz every operation of the served API."""

from __future__ import annotations

import json
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from starlette.websockets import WebSocketDisconnect

from api.params import MAX_ROW_ID
from tests import ws_auth
from tests.conftest import ROOT

JSON = {"Content-Type": "application/json"}


def test_out_of_range_ids_are_422_and_the_bounds_are_in_the_openapi_document(
    client, conversation, staff_factory
):
    cid, headers = conversation["conversation_id"], conversation["headers"]
    for after_id in (2**63, 2**63 - 1, MAX_ROW_ID + 1, -1):
        response = client.get(f"/api/chat/{cid}/messages", params={"after_id": after_id}, headers=headers)
        assert response.status_code == 422, (after_id, response.text)
        assert response.json()["error"]["code"] == "invalid_request"
    assert (
        client.get(f"/api/chat/{cid}/messages", params={"after_id": MAX_ROW_ID}, headers=headers).status_code
        == 200
    )

    agent = staff_factory.headers("admin")
    for path in (f"/api/agent/handoffs/{2**64}/claim", f"/api/agent/callbacks/{2**63}/done"):
        assert client.post(path, headers=agent).status_code == 422, path
    assert client.get(f"/api/agent/handoffs/{2**63}/messages", headers=agent).status_code == 422
    assert (
        client.delete(f"/api/analyst/conversations/{cid}/annotations/{2**63}", headers=agent).status_code
        == 422
    )
    annotated = client.post(
        f"/api/analyst/conversations/{cid}/annotations", json={"message_id": 2**63}, headers=agent
    )
    assert annotated.status_code == 422
    assert client.get("/api/staff/cases", params={"page": 2**62}, headers=agent).status_code == 422

    spec = client.get("/openapi.json").json()
    history = spec["paths"]["/api/chat/{conversation_id}/messages"]["get"]["parameters"]
    after = next(p for p in history if p["name"] == "after_id")["schema"]
    assert after["minimum"] == 0 and after["maximum"] == MAX_ROW_ID
    claim = spec["paths"]["/api/agent/handoffs/{handoff_id}/claim"]["post"]["parameters"]
    assert next(p for p in claim if p["name"] == "handoff_id")["schema"]["maximum"] == MAX_ROW_ID


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/chat/sessions", b'{"identity_token": "\\ud800"}'),
        ("/api/auth/login", b'{"username": "\\ud800", "password": "\\udfff"}'),
        ("/api/demo/identity", b'{"customer_id": "\\udc00"}'),
    ],
)
def test_a_lone_surrogate_in_a_body_is_422(client, path, body):
    response = client.post(path, content=body, headers=JSON)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_characters"
    assert "字符" in error["message"]


def test_surrogates_and_non_ascii_in_tokens_ids_and_names_are_refused_politely(client, conversation):
    cid, headers = conversation["conversation_id"], conversation["headers"]
    lone = client.post(
        f"/api/chat/{cid}/messages",
        content=b'{"text": "hi", "client_message_id": "\\udc00"}',
        headers={**headers, **JSON},
    )
    assert lone.status_code == 422 and lone.json()["error"]["code"] == "invalid_characters"
    # A valid pair (an emoji) is ordinary text.
    pair = client.post(
        f"/api/chat/{cid}/messages",
        content=b'{"text": "\\ud83d\\ude00", "client_message_id": "e1"}',
        headers={**headers, **JSON},
    )
    assert pair.status_code == 503  # stored; the assistant is down in this fixture
    assert client.post("/api/chat/sessions", json={"identity_token": "中文令牌"}).status_code == 401
    assert client.post("/api/auth/login", json={"username": "张三", "password": "密码"}).status_code == 401
    latin = {"Authorization": "Bearer é".encode("latin-1")}
    assert client.get(f"/api/chat/{cid}/messages", headers=latin).status_code == 403
    assert client.get("/api/auth/me", headers=latin).status_code == 401


@pytest.mark.parametrize("text", ["\u200d", "\ufe0f", "\u200d\ufe0f\u200b", " \u3000\u200d ", "\U000e0100"])
def test_a_message_of_invisible_characters_only_is_empty(client, conversation, text):
    cid, headers = conversation["conversation_id"], conversation["headers"]
    response = client.post(f"/api/chat/{cid}/messages", json={"text": text}, headers=headers)
    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "empty_message",
        "message": "请输入您想咨询的内容。",
        "detail": "text is empty after removing whitespace and control characters",
    }
    history = client.get(f"/api/chat/{cid}/messages", headers=headers).json()["messages"]
    assert history == []


def test_the_same_client_message_id_sent_at_once_is_stored_once_and_never_a_500(client, conversation):
    cid, headers = conversation["conversation_id"], conversation["headers"]
    start = threading.Barrier(8)

    def send(_):
        start.wait()
        return client.post(
            f"/api/chat/{cid}/messages",
            json={"text": "信用卡年费怎么收", "client_message_id": "same-1"},
            headers=headers,
        )

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(send, range(8)))
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {409, 503}, statuses  # the assistant is down: 503, message kept
    for response in responses:
        assert 1 <= int(response.headers["Retry-After"]) < 5  # never uvicorn's keep-alive (5 s)
    history = client.get(f"/api/chat/{cid}/messages", headers=headers).json()["messages"]
    assert [m["client_message_id"] for m in history] == ["same-1"]


def _closed(socket) -> dict:
    """Reads until the server closes the socket; returns the close message."""
    while True:
        try:
            socket.receive_json()
        except WebSocketDisconnect as closed:
            return {"code": closed.code, "reason": closed.reason}


def test_a_binary_frame_closes_the_socket_with_1003_and_a_reason(client, conversation):
    path = f"/api/chat/{conversation['conversation_id']}/ws"
    with ws_auth.connect(client, path, conversation["token"]) as socket:
        socket.send_bytes(b"\x00\x01binary")
        closed = _closed(socket)
    assert closed["code"] == 1003 and "binary" in closed["reason"]
    with client.websocket_connect(path) as socket:  # a binary auth frame too
        socket.send_bytes(json.dumps(ws_auth.auth_frame(conversation["token"])).encode())
        assert _closed(socket)["code"] == 1003


def test_nested_json_surrogates_and_odd_ids_over_the_socket_get_error_frames(client, conversation):
    path = f"/api/chat/{conversation['conversation_id']}/ws"
    with ws_auth.connect(client, path, conversation["token"], after_id=2**70) as socket:
        socket.send_text("[" * 50_000 + "]" * 50_000)
        assert socket.receive_json()["error"]["code"] == "invalid_json"
        socket.send_text('{"type": "message", "text": "hi", "client_message_id": "\\ud800"}')
        assert socket.receive_json()["error"]["code"] == "invalid_characters"
        socket.send_text(
            json.dumps({"type": "message", "text": "你好", "client_message_id": {"a": [1] * 100}})
        )
        assert socket.receive_json()["error"]["code"] == "invalid_client_message_id"
        socket.send_text(json.dumps({"type": "message", "text": "\u200d"}))
        assert socket.receive_json()["error"]["code"] == "empty_message"
        socket.send_json({"type": "ping"})  # still open and answering
        assert socket.receive_json() == {"type": "pong"}


# --- schemathesis against the served API -------------------------------------------------------


def test_schemathesis_finds_no_server_error(served_api, tmp_path):
    """Every operation fuzzed (positive and negative data, bounded examples), once anonymously
    with an admin's staff token and once on the chat paths with a live conversation. A 503 is
    the documented answer while Rasa is down (health, a message kept for resend); any other 5xx
    fails."""
    served = served_api
    url, conversation, admin_token, log = served.url, served.conversation, served.admin_token, served.log
    schemathesis = ROOT / ".venv-tools" / "bin" / "schemathesis"
    assert schemathesis.exists(), "run `make tools` (make test does) to install schemathesis"
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        '[checks.not_a_server_error]\nexpected-statuses = ["2xx", "3xx", "4xx", "503"]\n'
        f'[parameters]\n"path.conversation_id" = "{conversation["conversation_id"]}"\n'
    )
    staff_config = tmp_path / "staff.toml"
    staff_config.write_text('[checks.not_a_server_error]\nexpected-statuses = ["2xx", "3xx", "4xx", "503"]\n')
    # Ending the conversation and logging out revoke the tokens the other operations need: last.
    revoking = "(/end|/api/auth/logout)$"
    runs = [
        (
            config,
            conversation["token"],
            ["--include-path-regex", "^/api/chat/", "--exclude-path-regex", revoking],
        ),
        (staff_config, admin_token, ["--exclude-path-regex", f"^/api/chat/|{revoking}"]),
        (config, conversation["token"], ["--include-path-regex", "/end$"]),
        (staff_config, admin_token, ["--include-path-regex", "/api/auth/logout$"]),
    ]
    for config_file, token, selection in runs:
        result = subprocess.run(
            [
                str(schemathesis),
                "--config-file",
                str(config_file),
                "run",
                f"{url}/openapi.json",
                "--checks",
                "not_a_server_error",
                "--max-examples",
                "15",
                "--seed",
                "16",
                "--workers",
                "1",
                "--generation-database",
                "none",
                "--no-color",
                "--request-timeout",
                "30",
                "-H",
                f"Authorization: Bearer {token}",
                *selection,
            ],
            capture_output=True,
            text=True,
            timeout=900,
            cwd=tmp_path,  # its cache stays out of the repo
        )
        assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
        assert "Server error" not in result.stdout
        if "/end" not in selection[-1] and "logout" not in selection[-1]:
            assert "Authentication failed" not in result.stdout, result.stdout[-3000:]
        summary = result.stdout[result.stdout.index("Test cases:") :].splitlines()[1].strip()
        print(f"schemathesis {' '.join(selection)}: {summary}")  # e.g. "2391 generated, 2391 passed"
    assert "Traceback" not in log.read_text()
