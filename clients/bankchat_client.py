"""A small reference client for the public chat API, for the bank's mobile developers.

It shows how to integrate without ever losing or duplicating a customer's message:

* every message gets a client message id before it is first sent, and a resend uses the same id,
  so the server answers it exactly once however often the network drops;
* 503 (assistant unavailable; the message is stored) and 429 (rate limited; nothing stored) are
  retried after the server's `Retry-After`; 4xx answers are errors shown to the customer in the
  Chinese `error.message` the server sends;
* history is read page by page with `after_id`, e.g. to show what was missed after a reconnect;
* a stored conversation is resumed only through `resume()`, which the server refuses for another
  identity (or none) than the one it was opened for, or once it has expired; on logout `end()`.

Only `httpx` (and `websockets` for `send_over_websocket`) is needed:

    client = ChatClient("https://chat.example-bank.cn", channel="app", identity_token=token)
    client.open()
    for reply in client.send("信用卡年费怎么收"):
        print(reply["sender"], reply["text"], [b["title"] for b in reply["buttons"]])
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

RETRYABLE = {429, 503}


class ChatError(Exception):
    """The server refused the request; `message` is the Chinese text to show the customer."""

    def __init__(self, status: int, code: str, message: str, detail: str = ""):
        super().__init__(f"{status} {code}: {detail or message}")
        self.status, self.code, self.message, self.detail = status, code, message, detail


@dataclass
class ChatClient:
    base_url: str
    channel: str = "app"
    identity_token: str | None = None
    max_attempts: int = 5
    max_retry_wait: float = 30.0
    timeout: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    transport: httpx.BaseTransport | None = None  # tests inject a flaky network here
    conversation_id: str | None = None
    token: str | None = None
    _http: httpx.Client = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._http = httpx.Client(
            base_url=self.base_url.rstrip("/"), timeout=self.timeout, transport=self.transport
        )

    # --- lifecycle ---------------------------------------------------------------------------

    def open(self) -> str:
        """Opens a conversation (keep `conversation_id` and `token` to resume it later)."""
        body: dict[str, Any] = {"channel": self.channel}
        if self.identity_token:
            body["identity_token"] = self.identity_token
        data = self._call("POST", "/api/chat/sessions", json=body)
        self.conversation_id, self.token = data["conversation_id"], data["token"]
        return self.conversation_id

    def resume(self, conversation_id: str, token: str) -> None:
        """Continues a conversation opened earlier (e.g. after the app restarts), if the server
        agrees that the customer signed in now (`identity_token`, or nobody) is the one it was
        opened for. ChatError otherwise: 401 `conversation_expired` (idle or too old) or 403
        `identity_mismatch` / invalid token — then call `open()` and show nothing of the old one."""
        body: dict[str, Any] = {"identity_token": self.identity_token} if self.identity_token else {}
        self._call(
            "POST",
            f"/api/chat/{conversation_id}/resume",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        )
        self.conversation_id, self.token = conversation_id, token

    def end(self) -> None:
        """Ends the conversation on the server (call it when the customer logs out): its token
        stops working at once, even for a copy of it."""
        if self.conversation_id and self.token:
            self._call("POST", f"/api/chat/{self.conversation_id}/end")
        self.conversation_id = self.token = None

    def close(self) -> None:
        self._http.close()

    # --- messages ------------------------------------------------------------------------------

    @staticmethod
    def new_message_id() -> str:
        """Create the id once per message and keep it with the message until it is answered."""
        return uuid.uuid4().hex

    def send(self, text: str, client_message_id: str | None = None) -> list[dict[str, Any]]:
        """Sends one message and returns the replies; retries (same id) when the server asks to."""
        client_message_id = client_message_id or self.new_message_id()
        data = self._call(
            "POST",
            f"/api/chat/{self.conversation_id}/messages",
            json={"text": text, "client_message_id": client_message_id},
        )
        return data["replies"]

    def history(self, after_id: int = 0, page_size: int = 100) -> list[dict[str, Any]]:
        """Every message after `after_id`, following the pages until the end."""
        messages: list[dict[str, Any]] = []
        while True:
            page = self._call(
                "GET",
                f"/api/chat/{self.conversation_id}/messages",
                params={"after_id": after_id, "limit": page_size},
            )["messages"]
            messages += page
            if len(page) < page_size:
                return messages
            after_id = page[-1]["id"]

    async def send_over_websocket(self, texts: list[str], ws_url: str | None = None) -> list[dict[str, Any]]:
        """Sends messages over the WebSocket, waiting for each "ack" then its "replies" frame.

        Heartbeats: send {"type": "ping"} every ~30 s on an idle socket; the server answers
        {"type": "pong"}. A message without an ack when the socket drops must be sent again with
        the same client_message_id (the server will not duplicate it)."""
        import websockets

        url = ws_url or self.base_url.replace("http", "ws", 1).rstrip("/")
        frames: list[dict[str, Any]] = []
        path = f"{url}/api/chat/{self.conversation_id}/ws"  # never a token in the URL
        async with websockets.connect(path) as socket:
            # First frame: the token; the server answers "ready" (or an error frame and closes).
            await socket.send(json.dumps({"type": "auth", "token": self.token}))
            ready = json.loads(await socket.recv())
            if ready.get("type") != "ready":
                error = ready.get("error") or {}
                raise ChatError(401, error.get("code", ""), error.get("message", ""), error.get("detail", ""))
            for text in texts:
                message_id = self.new_message_id()
                frame = {"type": "message", "text": text, "client_message_id": message_id}
                await socket.send(json.dumps(frame, ensure_ascii=False))
                while True:
                    frame = json.loads(await socket.recv())
                    frames.append(frame)
                    done = frame["type"] in {"replies", "error"}
                    if done and frame.get("client_message_id") in {message_id, None}:
                        break
        return frames

    # --- transport -----------------------------------------------------------------------------

    def _call(
        self, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        if headers is None:
            headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        for attempt in range(1, self.max_attempts + 1):
            try:
                response = self._http.request(method, path, headers=headers, **kwargs)
            except httpx.TransportError:
                if attempt == self.max_attempts:
                    raise
                self.sleep(min(2**attempt, self.max_retry_wait))
                continue  # same request, same client message id: never a duplicate
            if response.status_code in RETRYABLE and attempt < self.max_attempts:
                self.sleep(min(float(response.headers.get("Retry-After", "5")), self.max_retry_wait))
                continue
            if response.is_error:
                error = _error_of(response)
                raise ChatError(
                    response.status_code,
                    error.get("code", ""),
                    error.get("message", ""),
                    error.get("detail", ""),
                )
            return response.json() if response.content else {}
        raise AssertionError("unreachable")


def _error_of(response: httpx.Response) -> dict[str, Any]:
    try:
        return response.json().get("error") or {}
    except ValueError:
        return {"code": f"http_{response.status_code}", "message": "请求失败，请稍后再试。"}
