"""Operations at the API's edge: liveness vs readiness, Prometheus metrics and who may read them,
the real client address behind trusted proxies only, and request ids in JSON log lines."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import uuid

from fastapi.testclient import TestClient

from api.main import create_app
from api.operations import ContextFilter, JsonFormatter

METRICS_TOKEN = "metrics-token-for-tests-0123456789abcdef"
PROXY = "10.20.0.7"


def _app(client, address: str | None = None, **changes) -> TestClient:
    settings = dataclasses.replace(client.app.state.settings, **changes)
    address = address or f"198.51.100.{uuid.uuid4().int % 250 + 1}"
    return TestClient(create_app(settings), client=(address, 50000))


def test_liveness_holds_while_rasa_is_down_and_readiness_does_not(client):
    assert client.get("/livez").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["components"] == {
        "rasa": {"status": "down"},
        "database": {"status": "ok"},
        "event_loop": {"status": "ok"},
    }
    # /healthz keeps its former answer for existing monitors
    assert client.get("/healthz").json()["components"]["action_server"] == {"status": "down"}


def test_metrics_need_the_token_and_count_messages_and_rasa_errors(client):
    with _app(client, metrics_token=METRICS_TOKEN) as api:
        auth = {"Authorization": f"Bearer {METRICS_TOKEN}"}
        assert api.get("/metrics").status_code == 404
        assert api.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
        session = api.post("/api/chat/sessions", json={"channel": "web"}).json()
        sent = api.post(
            f"/api/chat/{session['conversation_id']}/messages",
            json={"text": "信用卡年费是多少"},
            headers={"Authorization": f"Bearer {session['token']}"},
        )
        assert sent.status_code == 503  # Rasa is down: stored, answered later
        text = api.get("/metrics", headers=auth)
        assert text.status_code == 200 and text.headers["content-type"].startswith("text/plain")
        body = text.text
        assert "bankchat_rasa_errors_total 1.0" in body
        assert "bankchat_handoffs_waiting 0.0" in body
        assert 'bankchat_http_requests_total{status="5xx"} 1.0' in body
        assert "信用卡" not in body and session["conversation_id"] not in body  # no customer data


def test_without_a_token_only_a_loopback_peer_not_relayed_reads_metrics(client):
    with _app(client, address="127.0.0.1") as local:
        assert local.get("/metrics").status_code == 200
        relayed = local.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        assert relayed.status_code == 404  # a proxy on this host must not expose them
    with _app(client, address="203.0.113.9") as remote:
        assert remote.get("/metrics").status_code == 404


def test_rate_limits_key_on_the_forwarded_address_only_behind_a_trusted_proxy(client):
    limits = dict(rate_limit_ip_sessions_per_hour=2, trusted_proxies=f"{PROXY}/32")
    with _app(client, address=PROXY, **limits) as proxy:
        for customer in ("203.0.113.10", "203.0.113.11"):
            statuses = [
                proxy.post("/api/chat/sessions", json={}, headers={"X-Forwarded-For": customer}).status_code
                for _ in range(3)
            ]
            assert statuses == [201, 201, 429], customer  # each customer has their own limit
        # a customer forging the header in front of the proxy is still keyed on their address:
        # the proxy appends the real one, and only the right-most untrusted hop counts
        forged = proxy.post(
            "/api/chat/sessions",
            json={},
            headers={"X-Forwarded-For": "198.51.100.99, 203.0.113.10"},
        )
        assert forged.status_code == 429
    untrusted = f"192.0.2.{uuid.uuid4().int % 250 + 1}"
    with _app(client, address=untrusted, **limits) as direct:
        statuses = [
            direct.post(
                "/api/chat/sessions", json={}, headers={"X-Forwarded-For": f"203.0.113.{n}"}
            ).status_code
            for n in range(50, 53)
        ]
        assert statuses == [201, 201, 429]  # the header is ignored from an untrusted peer


def test_a_trusted_proxy_forwards_the_scheme_for_hsts(client):
    with _app(client, address=PROXY, trusted_proxies=PROXY) as proxy:
        answer = proxy.get("/livez", headers={"X-Forwarded-Proto": "https"})
        assert answer.headers["strict-transport-security"] == "max-age=31536000"
    with _app(client, address="192.0.2.200", trusted_proxies=PROXY) as direct:
        answer = direct.get("/livez", headers={"X-Forwarded-Proto": "https"})
        assert "strict-transport-security" not in answer.headers


def test_json_log_lines_carry_the_request_and_conversation_ids(client, conversation):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    gateway_log = logging.getLogger("api.chat_gateway")
    gateway_log.addHandler(handler)
    try:
        sent = client.post(
            f"/api/chat/{conversation['conversation_id']}/messages",
            json={"text": "你好"},
            headers={**conversation["headers"], "X-Request-ID": "req-from-proxy-0001"},
        )
    finally:
        gateway_log.removeHandler(handler)
    assert sent.headers["x-request-id"] == "req-from-proxy-0001"
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines, "the undelivered message is logged"
    line = lines[0]
    assert line["request_id"] == "req-from-proxy-0001"
    assert line["conversation_id"] == conversation["conversation_id"]
    assert line["level"] == "WARNING" and line["time"].endswith("+00:00")
    # an unusable incoming id is replaced by a fresh one
    other = client.get("/livez", headers={"X-Request-ID": "bad id\n"})
    assert len(other.headers["x-request-id"]) == 32
