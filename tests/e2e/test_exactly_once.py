"""Exactly once to Rasa, against the real product: the API's message id travels into Rasa's
tracker with the message; a message an API process delivered before it died is answered, on
resend, from what Rasa applied (never forwarded twice), and taken over as soon as the dead
process's delivery lease ends; two copies of one message reaching Rasa at once are processed once."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import httpx
import pytest

from bot.conversations import service as conversation_service
from bot.conversations.models import Conversation
from bot.db import build_engine, build_session_factory, utcnow
from tests.conftest import run_async

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def api(live_product):
    with httpx.Client(base_url=live_product.api_url, timeout=60) as client:
        yield client


def open_chat(api: httpx.Client) -> tuple[str, dict]:
    body = api.post("/api/chat/sessions", json={"channel": "web"}).json()
    return body["conversation_id"], {"Authorization": f"Bearer {body['token']}"}


def user_events(live_product, conversation_id: str, message_id: int) -> list[dict]:
    tracker = httpx.get(
        f"{live_product.rasa_url}/conversations/{conversation_id}/tracker",
        params={"token": live_product.rasa_token, "include_events": "ALL"},
        timeout=30,
    ).json()
    return [
        e
        for e in tracker["events"]
        if e["event"] == "user" and (e.get("metadata") or {}).get("message_id") == message_id
    ]


def store_like_a_dying_api(
    live_product, conversation_id: str, text: str, client_message_id: str, lease_seconds: float
) -> int:
    """What an API process leaves behind when it dies while delivering: the message stored under
    its delivery lease (until now + lease_seconds), never marked answered."""
    engine = build_engine(live_product.database_url)
    try:
        with live_product.its_encryption_key(), build_session_factory(engine).begin() as session:
            conversation = session.get(Conversation, conversation_id)
            accepted = conversation_service.accept_customer_message(
                session=session,
                conversation=conversation,
                text=text,
                client_message_id=client_message_id,
                in_flight_timeout=timedelta(seconds=lease_seconds),
                holder="api-that-died",
                now=utcnow(),
            )
            return accepted.message.id
    finally:
        engine.dispose()


def deliver_to_rasa(live_product, conversation_id: str, text: str, message_id: int) -> list[dict]:
    body = {"sender": conversation_id, "message": text, "metadata": {"message_id": message_id}}
    response = httpx.post(f"{live_product.rasa_url}/webhooks/rest/webhook", json=body, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_message_rasa_applied_before_its_api_died_is_answered_from_the_tracker(live_product, api):
    conversation_id, headers = open_chat(api)
    message_id = store_like_a_dying_api(
        live_product, conversation_id, "信用卡年费怎么收", "died-1", lease_seconds=0
    )
    rasa_replies = deliver_to_rasa(live_product, conversation_id, "信用卡年费怎么收", message_id)
    assert rasa_replies  # Rasa answered; the API died before storing it

    resent = api.post(
        f"/api/chat/{conversation_id}/messages",
        headers=headers,
        json={"text": "信用卡年费怎么收", "client_message_id": "died-1"},
    )

    assert resent.status_code == 200, resent.text
    assert resent.json()["message_id"] == message_id
    assert [r["text"] for r in resent.json()["replies"]] == [r.get("text") or "" for r in rasa_replies]
    assert len(user_events(live_product, conversation_id, message_id)) == 1  # applied once
    history = api.get(f"/api/chat/{conversation_id}/messages", headers=headers).json()["messages"]
    assert [m["sender"] for m in history].count("customer") == 1
    assert history[0]["status"] == "delivered"


def test_a_message_whose_api_died_before_rasa_got_it_is_delivered_once(live_product, api):
    conversation_id, headers = open_chat(api)
    message_id = store_like_a_dying_api(live_product, conversation_id, "你好", "died-2", lease_seconds=0)

    resent = api.post(
        f"/api/chat/{conversation_id}/messages",
        headers=headers,
        json={"text": "你好", "client_message_id": "died-2"},
    )

    assert resent.status_code == 200, resent.text
    assert "您好" in " ".join(r["text"] for r in resent.json()["replies"])
    assert len(user_events(live_product, conversation_id, message_id)) == 1


def test_a_resend_during_the_dead_apis_lease_gets_409_with_retry_after_then_is_taken_over(live_product, api):
    conversation_id, headers = open_chat(api)
    store_like_a_dying_api(live_product, conversation_id, "你好", "died-3", lease_seconds=3)
    body = {"text": "你好", "client_message_id": "died-3"}

    first = api.post(f"/api/chat/{conversation_id}/messages", headers=headers, json=body)
    assert first.status_code == 409
    wait = int(first.headers["Retry-After"])
    assert 1 <= wait <= 3

    # The client follows Retry-After, as clients/bankchat_client.py does, until it is answered.
    for _attempt in range(20):
        time.sleep(wait)  # what the server asked for
        again = api.post(f"/api/chat/{conversation_id}/messages", headers=headers, json=body)
        if again.status_code != 409:
            break
        wait = int(again.headers["Retry-After"])
    assert again.status_code == 200, again.text


def test_two_copies_of_one_message_reaching_rasa_at_once_are_processed_once(live_product, api):
    conversation_id, _headers = open_chat(api)
    message_id = store_like_a_dying_api(
        live_product, conversation_id, "转账要多久到账", "twice-1", lease_seconds=0
    )

    async def both():
        body = {
            "sender": conversation_id,
            "message": "转账要多久到账",
            "metadata": {"message_id": message_id},
        }
        async with httpx.AsyncClient(timeout=60) as client:
            url = f"{live_product.rasa_url}/webhooks/rest/webhook"
            return await asyncio.gather(client.post(url, json=body), client.post(url, json=body))

    first, second = run_async(both())
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json() and first.json()
    assert len(user_events(live_product, conversation_id, message_id)) == 1


def test_button_payloads_leave_no_error_in_rasas_log(live_product, api):
    """Rasa renders `{…}` in a response as a slot placeholder: the FAQ buttons' JSON payloads
    used to log an interpolation ERROR for every button sent (issue 16)."""
    conversation_id, headers = open_chat(api)
    answer = api.post(
        f"/api/chat/{conversation_id}/messages", headers=headers, json={"text": "信用卡年费怎么收"}
    ).json()
    payloads = [b["payload"] for r in answer["replies"] for b in r["buttons"]]
    assert any(p.startswith('/faq_choose{"faq_topic":') for p in payloads), payloads
    chosen = api.post(
        f"/api/chat/{conversation_id}/messages",
        headers=headers,
        json={"text": next(p for p in payloads if p.startswith("/faq_choose"))},
    )
    assert chosen.status_code == 200 and chosen.json()["replies"]
    log = (live_product.var_dir / "log" / "rasa.log").read_text(errors="replace")
    assert "interpolator.interpolate.text" not in log
