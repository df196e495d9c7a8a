"""The Python reference client (clients/bankchat_client.py) against the running product: replies,
history paging, a response lost on the network delivered exactly once, WebSocket frames, errors."""

from __future__ import annotations

import httpx
import pytest

from clients.bankchat_client import ChatClient, ChatError
from tests.conftest import run_async

pytestmark = pytest.mark.e2e


class LoseFirstMessageResponse(httpx.HTTPTransport):
    """Delivers the first message to the server, then loses the server's answer on the way back."""

    def __init__(self) -> None:
        super().__init__()
        self.lost = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if not self.lost and request.method == "POST" and request.url.path.endswith("/messages"):
            self.lost += 1
            response.read()
            response.close()
            raise httpx.ReadError("connection dropped after the server answered", request=request)
        return response


@pytest.fixture
def chat(live_product):
    network = LoseFirstMessageResponse()
    client = ChatClient(live_product.api_url, channel="app", transport=network, sleep=lambda _s: None)
    client.open()
    yield client, network
    client.close()


def test_a_lost_response_is_resent_and_answered_exactly_once(chat):
    client, network = chat
    replies = client.send("银行卡丢了怎么办")
    assert network.lost == 1  # the first answer never reached the app
    assert "挂失" in " ".join(r["text"] for r in replies)
    client.send("谢谢")
    history = client.history(page_size=2)  # several pages
    customer = [m["text"] for m in history if m["sender"] == "customer"]
    assert customer == ["银行卡丢了怎么办", "谢谢"]
    assert [m["id"] for m in history] == sorted(m["id"] for m in history)
    assert len(history) == len({m["id"] for m in history})


def test_the_websocket_acknowledges_then_replies(chat):
    client, _ = chat
    frames = run_async(client.send_over_websocket(["你好"]))
    assert [f["type"] for f in frames] == ["ack", "replies"]
    assert frames[1]["replies"][0]["sender"] == "assistant"


def test_a_refused_message_raises_with_the_text_for_the_customer(chat):
    client, _ = chat
    with pytest.raises(ChatError) as refused:
        client.send("")
    assert refused.value.status == 422
    assert refused.value.message == "请输入您想咨询的内容。"
    assert [m["text"] for m in client.history()] == []  # nothing was stored
