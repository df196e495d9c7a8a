"""nginx from Debian in front of two real API replicas, configured with the compose file's
locations (deploy/nginx/bankbot-locations.conf) by scripts/cluster.py, as `make cluster-test`
does, without Rasa (that run takes minutes; this one seconds). Chat over REST and WebSocket goes
through the proxy, /metrics does not, and a replica killed mid-way is routed around."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket

import httpx
import pytest
import websockets

from scripts.cluster import NGINX, Cluster, ClusterConfig
from tests.conftest import postgres_reachable, run_async


def _reachable(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    assert NGINX.exists(), f"{NGINX} is missing: `make test` installs it (scripts/ensure_nginx.sh)"
    reasons = [postgres_reachable()]
    reasons += [
        f"{name} is not running"
        for name, port in (("Redis", 6379), ("RabbitMQ", 5672))
        if not _reachable(port)
    ]
    reasons += ["rabbitmqctl is missing"] if not shutil.which("rabbitmqctl") else []
    if any(reasons):
        pytest.skip("; ".join(r for r in reasons if r))
    running = Cluster(ClusterConfig(model=None, api=2, work_dir=tmp_path_factory.mktemp("cluster")))
    running.start(timeout=120)
    yield running
    running.stop()


async def _chat_over_websocket(cluster: Cluster, conversation_id: str, token: str) -> list[dict]:
    url = cluster.url.replace("http://", "ws://") + f"/api/chat/{conversation_id}/ws"
    async with websockets.connect(url, open_timeout=60) as ws:
        await ws.send(json.dumps({"type": "auth", "token": token}))
        frames = [json.loads(await asyncio.wait_for(ws.recv(), 60))]
        await ws.send(json.dumps({"type": "message", "text": "你好", "client_message_id": "proxy-1"}))
        while frames[-1]["type"] not in ("replies", "error"):
            frames.append(json.loads(await asyncio.wait_for(ws.recv(), 60)))
    return frames


def test_chat_passes_through_the_proxy_over_rest_and_websocket(cluster):
    with httpx.Client(base_url=cluster.url, timeout=60) as client:
        session = client.post("/api/chat/sessions", json={})
        assert session.status_code == 201, session.text
        body = session.json()
        assert body["welcome"]
        assert session.headers["x-request-id"], "nginx passes its request id on"
        frames = run_async(_chat_over_websocket(cluster, body["conversation_id"], body["token"]))
    kinds = [frame["type"] for frame in frames]
    assert kinds[0] == "ready" and "ack" in kinds, kinds
    # No Rasa in this cluster: the message is kept and the customer told to send it again.
    assert frames[-1]["type"] == "error" and frames[-1]["error"]["code"] == "assistant_unavailable"


def test_metrics_are_not_served_through_the_public_door(cluster):
    assert httpx.get(f"{cluster.url}/metrics", timeout=30).status_code == 404


def test_a_killed_replica_is_routed_around(cluster):
    cluster.kill("api-1")
    with httpx.Client(base_url=cluster.url, timeout=60) as client:
        answers = [client.post("/api/chat/sessions", json={}).status_code for _ in range(10)]
        assert answers == [201] * 10
        body = client.post("/api/chat/sessions", json={}).json()
    frames = run_async(_chat_over_websocket(cluster, body["conversation_id"], body["token"]))
    assert frames[0]["type"] == "ready"
