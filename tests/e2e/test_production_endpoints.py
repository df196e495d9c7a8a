"""The production example (endpoints.production.yml) against the PostgreSQL, Redis and RabbitMQ
servers of this machine: a real Rasa server with two Sanic workers (SANIC_WORKERS, as production
runs it) keeps trackers in PostgreSQL, locks conversations in Redis and publishes every event to
RabbitMQ. Skipped, with the reason, when one is unreachable."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid

import httpx
import pytest
from sqlalchemy import text

from bot.cases.crypto import FERNET_PREFIX, CaseCipher, load_or_create_key
from bot.db import build_engine
from scripts.stack import ROOT, Stack, StackConfig, free_port
from scripts.train import ensure_model
from tests.conftest import (
    create_postgres_database,
    drop_postgres_database,
    migrate,
    postgres_reachable,
    run_async,
)

pytestmark = pytest.mark.e2e

REDIS = ("127.0.0.1", 6379)
RABBITMQ = ("127.0.0.1", 5672)


def _unreachable(address: tuple[str, int], name: str) -> str | None:
    try:
        socket.create_connection(address, timeout=2).close()
    except OSError as exc:
        return f"{name} at {address[0]}:{address[1]} is unreachable ({exc})"
    return None


@pytest.fixture(scope="module")
def production_stack(tmp_path_factory):
    reasons = [
        postgres_reachable(),
        _unreachable(REDIS, "Redis"),
        _unreachable(RABBITMQ, "RabbitMQ"),
    ]
    reasons = [reason for reason in reasons if reason]
    if reasons:
        pytest.skip("; ".join(reasons))

    tracker_db_url = create_postgres_database()
    app_db_url = create_postgres_database()
    queue = f"bankbot_test_{uuid.uuid4().hex[:8]}"
    key_prefix = f"bankbot_test_{uuid.uuid4().hex[:8]}"
    migrate(app_db_url)
    tracker_db = tracker_db_url.rsplit("/", 1)[1]
    config = StackConfig(
        model=ensure_model(quiet=True),
        api_port=free_port(),
        rasa_port=free_port(),
        action_port=free_port(),
        var_dir=tmp_path_factory.mktemp("production"),
        database_url=app_db_url,
        endpoints=ROOT / "endpoints.production.yml",
        extra_env={
            "TRACKER_DB_HOST": "127.0.0.1",
            "TRACKER_DB_PORT": "5432",
            "TRACKER_DB_USER": "postgres",
            "TRACKER_DB_PASSWORD": "",
            "TRACKER_DB_NAME": tracker_db,
            "TRACKER_LOGIN_DB": "postgres",
            "REDIS_HOST": REDIS[0],
            "REDIS_PORT": str(REDIS[1]),
            "REDIS_DB": "0",
            "REDIS_KEY_PREFIX": key_prefix,
            "RABBITMQ_HOST": RABBITMQ[0],
            "RABBITMQ_PORT": str(RABBITMQ[1]),
            "RABBITMQ_USER": "guest",
            "RABBITMQ_PASSWORD": "guest",
            "RABBITMQ_QUEUE": queue,
            # Production's worker count (deploy/kubernetes/base/config.env): both cores.
            "SANIC_WORKERS": "2",
        },
    )
    stack = Stack(config)
    try:
        stack.start()
        yield stack, tracker_db_url, queue
    finally:
        stack.stop()
        drop_postgres_database(tracker_db_url)
        drop_postgres_database(app_db_url)
        _delete_queue(queue)


RABBITMQ_URL = f"amqp://guest:guest@{RABBITMQ[0]}:{RABBITMQ[1]}/"


async def _queue_action(queue: str, *, delete: bool = False) -> list[dict]:
    """Reads every event waiting in the queue (or deletes the queue)."""
    import aio_pika

    connection = await aio_pika.connect(RABBITMQ_URL)
    try:
        channel = await connection.channel()
        if delete:
            await channel.queue_delete(queue)
            return []
        declared = await channel.declare_queue(queue, durable=True)
        events = []
        while (message := await declared.get(no_ack=True, fail=False)) is not None:
            events.append(json.loads(message.body))
        return events
    finally:
        await connection.close()


def _delete_queue(queue: str) -> None:
    try:
        run_async(_queue_action(queue, delete=True))
    except Exception:  # cleanup only; the queue is uniquely named
        pass


def _drain(queue: str) -> list[dict]:
    return run_async(_queue_action(queue))


def test_a_conversation_is_stored_in_postgresql_and_published_to_rabbitmq(production_stack):
    stack, tracker_db_url, queue = production_stack
    with httpx.Client(base_url=stack.api_url, timeout=60) as api:
        session = api.post("/api/chat/sessions").json()
        headers = {"Authorization": f"Bearer {session['token']}"}
        reply = api.post(
            f"/api/chat/{session['conversation_id']}/messages", json={"text": "你好"}, headers=headers
        )
    assert reply.status_code == 200, reply.text
    assert "您好" in reply.json()["replies"][0]["text"]

    engine = build_engine(tracker_db_url)
    with engine.connect() as connection:
        stored = connection.execute(
            text("SELECT type_name, data FROM events WHERE sender_id = :sender ORDER BY id"),
            {"sender": session["conversation_id"]},
        ).all()
    engine.dispose()
    assert "user" in [row.type_name for row in stored]
    # Encrypted at rest (rasa_components.stores.BankSQLTrackerStore) with the stack's key.
    cipher = CaseCipher(load_or_create_key(stack.config.var_dir))
    assert all(row.data.startswith(FERNET_PREFIX) for row in stored)
    assert any(json.loads(cipher.decrypt(row.data)).get("text") == "你好" for row in stored)

    published = [e for e in _drain(queue) if e.get("sender_id") == session["conversation_id"]]
    assert any(e.get("event") == "user" and e.get("text") == "你好" for e in published)


def test_the_production_lock_store_is_redis(production_stack, monkeypatch):
    """Rasa builds a Redis lock store from the production file and it locks conversations."""
    from rasa.core.lock_store import LockStore, RedisLockStore
    from rasa.utils.endpoints import read_endpoint_config

    stack, _tracker_db_url, _queue = production_stack
    for name, value in stack.config.environment().items():
        monkeypatch.setenv(name, value)
    endpoint = read_endpoint_config(str(ROOT / "endpoints.production.yml"), "lock_store")
    lock_store = LockStore.create(endpoint)
    assert isinstance(lock_store, RedisLockStore)

    async def hold_lock() -> bool:
        async with lock_store.lock("conversation-under-test"):
            return lock_store.get_lock("conversation-under-test") is not None

    assert run_async(hold_lock())
    assert lock_store.get_lock("conversation-under-test") is None, "released after use"


def test_five_messages_of_one_conversation_sent_at_once_are_answered_in_order(production_stack):
    """Two Rasa workers take the five messages at once; the Redis lock lets one turn run at a time,
    so each message gets its own answer and the conversation reads question, answer, question."""
    stack, _tracker_db_url, _queue = production_stack
    questions = [
        "你好",
        "银行卡丢了怎么办",
        "跨行转账多久到账",
        "信用卡怎么提额",
        "理财产品的风险等级是什么意思",
    ]

    async def send_all() -> tuple[str, list[httpx.Response]]:
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=60) as api:
            session = (await api.post("/api/chat/sessions")).json()
            headers = {"Authorization": f"Bearer {session['token']}"}
            path = f"/api/chat/{session['conversation_id']}/messages"
            responses = await asyncio.gather(
                *(api.post(path, json={"text": question}, headers=headers) for question in questions)
            )
            return session["conversation_id"], list(responses)

    conversation_id, responses = run_async(send_all())
    assert [response.status_code for response in responses] == [200] * 5, [r.text for r in responses]
    answered = {response.json()["message_id"]: response.json()["replies"] for response in responses}
    assert len(answered) == 5 and all(answered.values()), answered

    rasa_url = f"http://127.0.0.1:{stack.config.rasa_port}"
    tracker = httpx.get(
        f"{rasa_url}/conversations/{conversation_id}/tracker",
        params={"token": stack.config.rasa_token, "include_events": "ALL"},
        timeout=30,
    ).json()
    # The tracker cut at each customer message: the assistant's words until the next one.
    turns: list[tuple[int, list[str]]] = []
    for event in tracker["events"]:
        if event["event"] == "user":
            turns.append(((event.get("metadata") or {}).get("message_id"), []))
        elif event["event"] == "bot" and turns:
            turns[-1][1].append(event["text"])
    assert sorted(message_id for message_id, _ in turns) == sorted(answered), "each message once"
    for message_id, said in turns:
        # What followed each message in the conversation is exactly what its sender was answered.
        assert said == [reply["text"] for reply in answered[message_id]], message_id
    by_text = dict(zip(questions, responses, strict=True))
    assert "您好" in by_text["你好"].json()["replies"][0]["text"]
