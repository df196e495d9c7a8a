"""History paging and idempotent resends through the public chat API (Rasa is down here, so every
message is kept with status "failed" and a 503 — exactly the case where apps resend)."""

from __future__ import annotations


def post(client, conversation, text, client_message_id=None):
    body = {"text": text, **({"client_message_id": client_message_id} if client_message_id else {})}
    return client.post(
        f"/api/chat/{conversation['conversation_id']}/messages", json=body, headers=conversation["headers"]
    )


def history(client, conversation, **params):
    response = client.get(
        f"/api/chat/{conversation['conversation_id']}/messages",
        params=params,
        headers=conversation["headers"],
    )
    assert response.status_code == 200, response.text
    return response.json()["messages"]


def test_history_pages_in_order_without_gaps_or_overlaps(client, conversation):
    texts = [f"第{n}条消息" for n in range(1, 8)]
    for n, text in enumerate(texts):
        assert post(client, conversation, text, f"page-{n}").status_code == 503
    seen, after = [], 0
    while True:
        page = history(client, conversation, after_id=after, limit=3)
        if not page:
            break
        assert len(page) <= 3
        seen += page
        after = page[-1]["id"]
    assert [m["text"] for m in seen] == texts
    assert [m["id"] for m in seen] == sorted(m["id"] for m in seen)
    assert all(m["status"] == "failed" and m["created_at"] for m in seen)
    assert [m["client_message_id"] for m in seen] == [f"page-{n}" for n in range(7)]
    assert (
        client.get(
            f"/api/chat/{conversation['conversation_id']}/messages",
            params={"limit": 0},
            headers=conversation["headers"],
        ).status_code
        == 422
    )


def test_resending_with_the_same_client_id_stores_the_message_once(client, conversation):
    first = post(client, conversation, "我的卡被冻结了", "same-id")
    again = post(client, conversation, "我的卡被冻结了", "same-id")
    assert first.status_code == again.status_code == 503
    assert first.json()["error"]["message_id"] == again.json()["error"]["message_id"]
    assert [m["text"] for m in history(client, conversation)] == ["我的卡被冻结了"]
    other_text = post(client, conversation, "另一句话", "same-id")
    assert other_text.status_code == 422  # one id, one text
