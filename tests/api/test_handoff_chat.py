"""A person takes over a conversation: customer and agent WebSockets, queue notices, cancel,
hand-back, close and rating. Rasa is unreachable here (see conftest): messages during a handoff
must still reach the agent, which is also what "Rasa restarting loses nothing" means."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.handoff import service as handoff_service
from bot.handoff.models import Handoff
from tests import ws_auth

from .conftest import STAFF_PASSWORD


@pytest.fixture
def agent(client, staff_factory):
    """An online agent shown to customers as 小王."""
    username = staff_factory.create("agent", display_name="小王")
    token = client.post("/api/auth/login", json={"username": username, "password": STAFF_PASSWORD}).json()[
        "token"
    ]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.put("/api/agent/presence", json={"status": "online"}, headers=headers).status_code == 200
    return {"username": username, "token": token, "headers": headers}


def queue_for_person(staff_factory, conversation, reason="request") -> int:
    """What action_request_human does in the action server: the conversation joins the queue."""
    with staff_factory.session() as session:
        handoff = handoff_service.request_handoff(
            session=session,
            conversation_id=conversation["conversation_id"],
            reason=reason,
            customer_id=None,
            context={"complaint_draft": {"description": "扣了我20元年费"}},
        )
        return handoff.id


def customer_socket(client, conversation, after_id=None):
    return ws_auth.connect(
        client, f"/api/chat/{conversation['conversation_id']}/ws", conversation["token"], after_id
    )


def receive_until(ws, frame_type: str, limit: int = 10) -> dict:
    for _ in range(limit):
        frame = ws.receive_json()
        if frame["type"] == frame_type:
            return frame
    raise AssertionError(f"no {frame_type!r} frame")


def handoff_row(staff_factory, handoff_id) -> Handoff:
    with staff_factory.session() as session:
        return session.scalars(select(Handoff).where(Handoff.id == handoff_id)).one()


def test_agent_and_customer_talk_live_over_two_websockets(client, staff_factory, conversation, agent):
    handoff_id = queue_for_person(staff_factory, conversation)
    with customer_socket(client, conversation) as customer:
        claimed = client.post(f"/api/agent/handoffs/{handoff_id}/claim", headers=agent["headers"])
        assert claimed.status_code == 200, claimed.text
        joined = receive_until(customer, "push")["message"]
        assert joined["kind"] == "handoff_started"
        assert joined["agent_name"] == "小王" and "小王" in joined["text"]

        url = f"/api/agent/handoffs/{handoff_id}/ws"
        with ws_auth.connect(client, url, agent["token"]) as agent_ws:
            assert receive_until(agent_ws, "handoff")["handoff"]["status"] == "claimed"
            # The agent first receives the conversation so far (the join notice).
            assert receive_until(agent_ws, "message")["message"]["kind"] == "handoff_started"

            customer.send_json(
                {
                    "type": "message",
                    "text": "我的卡号是6222021234567890123，被扣了年费",
                    "client_message_id": "c-1",
                }
            )
            assert receive_until(customer, "ack")["client_message_id"] == "c-1"
            replies = receive_until(customer, "replies")
            assert replies["replies"] == []  # the assistant stays silent while a person answers

            seen = receive_until(agent_ws, "message")["message"]
            assert seen["sender"] == "customer"
            assert "被扣了年费" in seen["text"]
            assert "6222021234567890123" not in seen["text"]  # masked for the agent

            sent = client.post(
                f"/api/agent/handoffs/{handoff_id}/messages",
                json={"text": "您好，我来帮您查一下年费的情况。"},
                headers=agent["headers"],
            )
            assert sent.status_code == 201, sent.text
            pushed = receive_until(customer, "push")["message"]
            assert pushed["sender"] == "agent" and pushed["agent_name"] == "小王"
            assert pushed["text"] == "您好，我来帮您查一下年费的情况。"
            assert receive_until(agent_ws, "message")["message"]["sender"] == "agent"

            back = client.post(f"/api/agent/handoffs/{handoff_id}/hand-back", headers=agent["headers"])
            assert back.status_code == 200
            ended = receive_until(customer, "push")["message"]
            assert ended["kind"] == "handoff_ended" and "智能助手" in ended["text"]
            assert receive_until(agent_ws, "handoff")["handoff"]["status"] == "handed_back"

    history = client.get(
        f"/api/chat/{conversation['conversation_id']}/messages", headers=conversation["headers"]
    ).json()["messages"]
    senders = [m["sender"] for m in history]
    assert senders == ["system", "customer", "agent", "system"]
    assert history[1]["status"] == "delivered"  # reached the agent although Rasa was down


def test_waiting_customer_is_told_their_place_and_can_cancel(client, staff_factory, conversation, agent):
    handoff_id = queue_for_person(staff_factory, conversation)
    url = f"/api/chat/{conversation['conversation_id']}/messages"
    waiting = client.post(url, json={"text": "还要等多久"}, headers=conversation["headers"])
    assert waiting.status_code == 200, waiting.text
    notice = waiting.json()["replies"][0]
    assert notice["kind"] == "handoff_waiting"
    queue = client.get("/api/agent/queue", headers=agent["headers"]).json()["items"]
    [mine] = [item for item in queue if item["id"] == handoff_id]
    assert f"排在第{mine['position']}位" in notice["text"]  # the same place the agents see
    [cancel] = notice["buttons"]
    assert cancel["title"] == "取消转人工" and str(handoff_id) in cancel["payload"]

    cancelled = client.post(url, json={"text": cancel["payload"]}, headers=conversation["headers"])
    assert cancelled.status_code == 200
    assert "已为您取消转人工" in cancelled.json()["replies"][0]["text"]
    assert handoff_row(staff_factory, handoff_id).status == "cancelled"
    queue = client.get("/api/agent/queue", headers=agent["headers"]).json()["items"]
    assert handoff_id not in [item["id"] for item in queue]
    # Once claimed by nobody and cancelled, it cannot be claimed any more.
    assert client.post(f"/api/agent/handoffs/{handoff_id}/claim", headers=agent["headers"]).status_code == 409


def test_cancel_button_pressed_after_the_agent_joined_cancels_nothing(
    client, staff_factory, conversation, agent
):
    handoff_id = queue_for_person(staff_factory, conversation)
    url = f"/api/chat/{conversation['conversation_id']}/messages"
    notice = client.post(url, json={"text": "还要等多久"}, headers=conversation["headers"]).json()["replies"][
        0
    ]
    [cancel] = notice["buttons"]
    assert client.post(f"/api/agent/handoffs/{handoff_id}/claim", headers=agent["headers"]).status_code == 200

    pressed = client.post(url, json={"text": cancel["payload"]}, headers=conversation["headers"])
    assert pressed.status_code == 200, pressed.text
    [reply] = pressed.json()["replies"]
    assert (
        reply["sender"] == "system" and "人工客服已经接入" in reply["text"] and "无需再取消" in reply["text"]
    )
    assert handoff_row(staff_factory, handoff_id).status == "claimed"  # still served
    # The agent reads the press as the button's words, not as a payload.
    seen = client.get(f"/api/agent/handoffs/{handoff_id}/messages", headers=agent["headers"]).json()[
        "messages"
    ]
    assert "取消转人工" in [m["text"] for m in seen if m["sender"] == "customer"]
    assert not any(m["text"].startswith("/") for m in seen)

    # After the service ended, the same button ends nothing either (and nothing goes to the agent).
    client.post(f"/api/agent/handoffs/{handoff_id}/hand-back", headers=agent["headers"])
    again = client.post(url, json={"text": cancel["payload"]}, headers=conversation["headers"]).json()
    assert "排队已经结束" in again["replies"][0]["text"]
    assert handoff_row(staff_factory, handoff_id).status == "handed_back"


def test_a_cancel_button_of_an_earlier_wait_leaves_the_new_wait_alone(
    client, staff_factory, conversation, agent
):
    url = f"/api/chat/{conversation['conversation_id']}/messages"
    first = queue_for_person(staff_factory, conversation)
    [old_cancel] = client.post(url, json={"text": "在吗"}, headers=conversation["headers"]).json()["replies"][
        0
    ]["buttons"]
    client.post(url, json={"text": old_cancel["payload"]}, headers=conversation["headers"])
    assert handoff_row(staff_factory, first).status == "cancelled"

    second = queue_for_person(staff_factory, conversation)
    pressed = client.post(url, json={"text": old_cancel["payload"]}, headers=conversation["headers"]).json()
    assert "之前的一次排队" in pressed["replies"][0]["text"]
    assert handoff_row(staff_factory, second).status == "waiting"


def _history(client, conversation) -> list[dict]:
    return client.get(
        f"/api/chat/{conversation['conversation_id']}/messages", headers=conversation["headers"]
    ).json()["messages"]


def test_the_customer_behind_is_told_their_new_place_without_typing(
    client, staff_factory, conversation, agent
):
    second = client.post("/api/chat/sessions", json={"channel": "web"}).json()
    second = {**second, "headers": {"Authorization": f"Bearer {second['token']}"}}
    first_id = queue_for_person(staff_factory, conversation)
    second_id = queue_for_person(staff_factory, second)
    with customer_socket(client, second) as waiting:
        assert (
            client.post(f"/api/agent/handoffs/{first_id}/claim", headers=agent["headers"]).status_code == 200
        )
        pushed = receive_until(waiting, "push")["message"]  # pushed, the customer typed nothing
    assert pushed["kind"] == "handoff_waiting" and pushed["text"].startswith("排队有进展：您现在排在第")
    queue = client.get("/api/agent/queue", headers=agent["headers"]).json()["items"]
    [mine] = [item for item in queue if item["id"] == second_id]
    assert f"排在第{mine['position']}位" in pushed["text"]  # the place the agents see
    [cancel] = pushed["buttons"]
    assert str(second_id) in cancel["payload"]  # its cancel button is bound to this wait
    assert not any("排队有进展" in m["text"] for m in _history(client, conversation))  # not the one taken

    # The one behind also moves up when someone ahead cancels.
    third = client.post("/api/chat/sessions", json={"channel": "web"}).json()
    third = {**third, "headers": {"Authorization": f"Bearer {third['token']}"}}
    queue_for_person(staff_factory, third)
    client.post(
        f"/api/chat/{second['conversation_id']}/messages",
        json={"text": cancel["payload"]},
        headers=second["headers"],
    )
    assert any(m["text"].startswith("排队有进展") for m in _history(client, third))


def test_closing_asks_for_a_rating_that_is_stored(client, staff_factory, conversation, agent):
    handoff_id = queue_for_person(staff_factory, conversation, reason="complaint")
    client.post(f"/api/agent/handoffs/{handoff_id}/claim", headers=agent["headers"])
    with customer_socket(client, conversation) as customer:
        closed = client.post(f"/api/agent/handoffs/{handoff_id}/close", headers=agent["headers"])
        assert closed.status_code == 200
        ended = receive_until(customer, "push")["message"]
        assert ended["kind"] == "handoff_ended"
        prompt = receive_until(customer, "push")["message"]
        assert prompt["kind"] == "rating"
        assert "已结束" in ended["text"] and "已结束" not in prompt["text"]  # one end notice
        assert [b["payload"] for b in prompt["buttons"]] == ["1分", "2分", "3分", "4分", "5分"]

        customer.send_json({"type": "message", "text": "4分", "client_message_id": "r-1"})
        replies = receive_until(customer, "replies")["replies"]
        assert "感谢您的评价（4分）" in replies[0]["text"]
    assert handoff_row(staff_factory, handoff_id).satisfaction == 4


def test_a_customer_reconnecting_gets_what_was_pushed_meanwhile(client, staff_factory, conversation, agent):
    handoff_id = queue_for_person(staff_factory, conversation)
    client.post(f"/api/agent/handoffs/{handoff_id}/claim", headers=agent["headers"])
    client.post(
        f"/api/agent/handoffs/{handoff_id}/messages",
        json={"text": "请问是哪张卡？"},
        headers=agent["headers"],
    )
    with customer_socket(client, conversation, after_id=0) as customer:
        first = receive_until(customer, "push")["message"]
        second = receive_until(customer, "push")["message"]
    assert (first["kind"], second["text"]) == ("handoff_started", "请问是哪张卡？")


def test_only_the_agent_holding_the_conversation_may_reply_or_follow_it(
    client, staff_factory, conversation, agent
):
    handoff_id = queue_for_person(staff_factory, conversation)
    other = staff_factory.headers("agent")
    supervisor = staff_factory.headers("supervisor")
    analyst = staff_factory.headers("analyst")
    url = f"/api/agent/handoffs/{handoff_id}/messages"
    # Nobody has claimed it yet: no reply can be sent.
    assert client.post(url, json={"text": "您好"}, headers=agent["headers"]).status_code == 409
    client.post(f"/api/agent/handoffs/{handoff_id}/claim", headers=agent["headers"])
    refused = client.post(url, json={"text": "您好"}, headers=other)
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "只有接入该会话的坐席可以回复。"
    assert client.get(url, headers=other).status_code == 403
    assert client.get(url, headers=supervisor).status_code == 200
    assert client.get(url, headers=analyst).status_code == 403
    assert client.post(url, json={"text": "   "}, headers=agent["headers"]).status_code == 422
    assert client.post(url, json={"text": "好" * 1001}, headers=agent["headers"]).status_code == 422
    assert client.get("/api/agent/handoffs/999999/messages", headers=agent["headers"]).status_code == 404
    with client.websocket_connect(f"/api/agent/handoffs/{handoff_id}/ws") as ws:
        ws.send_json(ws_auth.auth_frame("wrong"))
        assert ws.receive_json()["type"] == "error"


def test_context_pane_shows_the_draft_and_says_when_the_assistant_is_unreachable(
    client, staff_factory, conversation, agent
):
    handoff_id = queue_for_person(staff_factory, conversation, reason="complaint")
    context = client.get(f"/api/agent/handoffs/{handoff_id}/context", headers=agent["headers"])
    assert context.status_code == 200, context.text
    body = context.json()
    assert body["handoff"]["context"]["complaint_draft"]["description"] == "扣了我20元年费"
    assert body["handoff"]["reason_label"] == "投诉"
    assert body["understanding"] is None  # Rasa is down in these tests
    assert body["assessment"] is None and body["cases"] == []
    quick = client.get("/api/agent/quick-replies", headers=agent["headers"]).json()
    assert any("人工客服" in reply for reply in quick)


def test_overdue_waiting_customers_are_told_and_offered_a_call_back(client, staff_factory, conversation):
    from datetime import timedelta

    from bot.db import utcnow

    handoff_id = queue_for_person(staff_factory, conversation)
    bridge = client.app.state.handoff_bridge
    later = utcnow() + timedelta(minutes=client.app.state.settings.handoff_max_wait_minutes + 1)
    assert conversation["conversation_id"] in client.portal.call(bridge.expire_waiting, later)
    assert handoff_row(staff_factory, handoff_id).status == "expired"
    history = client.get(
        f"/api/chat/{conversation['conversation_id']}/messages", headers=conversation["headers"]
    ).json()["messages"]
    assert history[-1]["kind"] == "handoff_ended"
    assert "预约回电" in [button["title"] for button in history[-1]["buttons"]]
    assert conversation["conversation_id"] not in client.portal.call(bridge.expire_waiting, later)
