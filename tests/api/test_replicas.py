"""Two API processes (replicas) on one database: a customer connected to one and an agent working
through the other still talk in real time, with Redis pub/sub and, without Redis, through the
database alone. Restarting a replica during the handoff loses nothing. Rasa is not running: the
handoff does not depend on it.

Built for a busy machine: every wait is for a condition with a generous deadline (WAIT); no
assertion assumes how fast an idle machine would be. Delivery times are printed as figures."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager

import httpx
import pytest
import websockets

from bot.conversations import service as conversation_service
from bot.db import build_engine, build_session_factory, utcnow
from bot.handoff import service as handoff_service
from bot.staff import service as staff_service
from scripts.stack import free_port
from tests import ws_auth
from tests.conftest import ROOT, run_async

PASSWORD = "replica-test-password"
REDIS_URL = "redis://127.0.0.1:6379/0"
# How long any single step may take on a loaded CI machine before the test fails.
WAIT = 90.0


def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


class Replica:
    """`uvicorn api.main:create_app --factory` in its own process."""

    def __init__(self, database_url: str, var_dir, redis_url: str = "", poll_seconds: float = 1.0):
        self.port = free_port()
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "VAR_DIR": str(var_dir),
            "RASA_URL": f"http://127.0.0.1:{free_port()}",
            "RASA_TIMEOUT_SECONDS": "2",
            "REALTIME_REDIS_URL": redis_url,
            "REALTIME_POLL_SECONDS": str(poll_seconds),
            "CUSTOMER_IDENTITY_SECRET": "replica-identity-secret-of-32-bytes-or-more",
            "LOG_LEVEL": "WARNING",
            "CASE_ENCRYPTION_KEY": "CgE5Hwdr6lkLKvYSU8Vhx0M1QyGn7W7v3r2CxH0vJYI=",
        }
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Replica:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "api.main:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"replica exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}/livez", timeout=5).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("replica did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=WAIT)


@contextmanager
def replicas(database_url, tmp_path, redis_url="", poll_seconds=1.0):
    pair = [Replica(database_url, tmp_path, redis_url, poll_seconds).start() for _ in range(2)]
    try:
        yield pair
    finally:
        for replica in pair:
            replica.stop()


def prepare(database_url) -> tuple[str, str, str, int]:
    """An online agent, a conversation with its token, and the conversation waiting in the queue."""
    engine = build_engine(database_url)
    factory = build_session_factory(engine)
    username = f"agent-{uuid.uuid4().hex[:8]}"
    with factory.begin() as session:
        staff = staff_service.create_staff(
            session=session,
            username=username,
            display_name="小李",
            role="agent",
            password=PASSWORD,
            now=utcnow(),
        )
        handoff_service.set_presence(session=session, staff=staff, status="online", now=utcnow())
        conversation, token = conversation_service.open_conversation(session=session)
        handoff = handoff_service.request_handoff(
            session=session, conversation_id=conversation.id, reason="request"
        )
        ids = (username, conversation.id, token, handoff.id)
    engine.dispose()
    return ids


async def next_frame(socket_, kind: str, timeout: float) -> dict:
    while True:
        frame = json.loads(await asyncio.wait_for(socket_.recv(), timeout))
        if frame["type"] == kind:
            return frame


async def talk_across(customer_side: Replica, agent_side: Replica, database_url: str, timeout: float = WAIT):
    """Customer on one replica, agent on the other; returns the delivery times in seconds."""
    username, conversation_id, token, handoff_id = prepare(database_url)
    async with httpx.AsyncClient(base_url=agent_side.url, timeout=WAIT) as agent_api:
        login = await agent_api.post("/api/auth/login", json={"username": username, "password": PASSWORD})
        staff_token = login.json()["token"]
        headers = {"Authorization": f"Bearer {staff_token}"}
        customer_ws = customer_side.url.replace("http", "ws") + f"/api/chat/{conversation_id}/ws"
        agent_ws = agent_side.url.replace("http", "ws") + f"/api/agent/handoffs/{handoff_id}/ws"
        async with websockets.connect(customer_ws, open_timeout=WAIT) as customer:
            await ws_auth.authenticate(customer, token, timeout=WAIT)
            started = time.monotonic()
            assert (
                await agent_api.post(f"/api/agent/handoffs/{handoff_id}/claim", headers=headers)
            ).status_code == 200
            joined = (await next_frame(customer, "push", timeout))["message"]
            claim_seconds = time.monotonic() - started
            assert joined["kind"] == "handoff_started" and joined["agent_name"] == "小李"

            started = time.monotonic()
            sent = await agent_api.post(
                f"/api/agent/handoffs/{handoff_id}/messages",
                headers=headers,
                json={"text": "您好，我是人工客服小李。"},
            )
            assert sent.status_code == 201
            reply = (await next_frame(customer, "push", timeout))["message"]
            agent_to_customer = time.monotonic() - started
            assert (reply["sender"], reply["text"]) == ("agent", "您好，我是人工客服小李。")

            async with websockets.connect(agent_ws, open_timeout=WAIT) as agent:
                await ws_auth.authenticate(agent, staff_token, timeout=WAIT)
                await next_frame(agent, "handoff", timeout)
                for _ in range(2):  # the conversation so far: join notice, agent reply
                    await next_frame(agent, "message", timeout)
                started = time.monotonic()
                await customer.send(
                    json.dumps({"type": "message", "text": "谢谢，我想问年费", "client_message_id": "m1"})
                )
                seen = (await next_frame(agent, "message", timeout))["message"]
                customer_to_agent = time.monotonic() - started
                assert (seen["sender"], seen["text"]) == ("customer", "谢谢，我想问年费")
    return claim_seconds, agent_to_customer, customer_to_agent


@pytest.mark.skipif(not redis_reachable(), reason="Redis is not running on 127.0.0.1:6379")
def test_two_replicas_deliver_at_once_through_redis(database_url, tmp_path):
    # The database poll is set to an hour, so every delivery below can only come through Redis.
    with replicas(database_url, tmp_path, REDIS_URL, poll_seconds=3600) as (first, second):
        timings = run_async(talk_across(first, second, database_url))
    print(
        "delivery across replicas with Redis (claim, agent→customer, customer→agent): "
        + ", ".join(f"{t * 1000:.0f} ms" for t in timings)
    )


def test_two_replicas_without_redis_agree_through_the_database(database_url, tmp_path):
    with replicas(database_url, tmp_path) as (first, second):
        timings = run_async(talk_across(first, second, database_url))
    print("delivery across replicas without Redis: " + ", ".join(f"{t * 1000:.0f} ms" for t in timings))


def test_restarting_a_replica_during_a_handoff_loses_nothing(database_url, tmp_path):
    with replicas(database_url, tmp_path) as (first, second):
        username, conversation_id, token, handoff_id = prepare(database_url)
        agent = httpx.Client(base_url=second.url, timeout=WAIT)
        staff_token = agent.post("/api/auth/login", json={"username": username, "password": PASSWORD}).json()[
            "token"
        ]
        headers = {"Authorization": f"Bearer {staff_token}"}
        assert agent.post(f"/api/agent/handoffs/{handoff_id}/claim", headers=headers).status_code == 200
        customer_headers = {"Authorization": f"Bearer {token}"}
        sent = httpx.post(
            f"{first.url}/api/chat/{conversation_id}/messages",
            json={"text": "在吗", "client_message_id": "r1"},
            headers=customer_headers,
            timeout=WAIT,
        )
        assert sent.status_code == 200 and sent.json()["replies"] == []

        first.stop()  # the customer's replica goes away mid-conversation …
        agent.post(
            f"/api/agent/handoffs/{handoff_id}/messages", headers=headers, json={"text": "在的，请讲。"}
        )
        first.start()  # … and comes back
        history = httpx.get(
            f"{first.url}/api/chat/{conversation_id}/messages", headers=customer_headers, timeout=WAIT
        ).json()
        assert [(m["sender"], m["text"]) for m in history["messages"]][-2:] == [
            ("customer", "在吗"),
            ("agent", "在的，请讲。"),
        ]
        # Still with the agent: the next message goes to them, not to the assistant.
        again = httpx.post(
            f"{first.url}/api/chat/{conversation_id}/messages",
            json={"text": "我想问年费"},
            headers=customer_headers,
            timeout=WAIT,
        )
        assert again.status_code == 200 and again.json()["replies"] == []
        seen = agent.get(f"/api/agent/handoffs/{handoff_id}/messages", headers=headers).json()
        assert seen["handoff"]["status"] == "claimed"
        assert [m["text"] for m in seen["messages"] if m["sender"] == "customer"] == ["在吗", "我想问年费"]
        agent.close()
