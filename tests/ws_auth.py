"""Opening the product's WebSockets the way every client must: the token goes in the first frame
({"type": "auth", ...}), never in the URL, and the server answers {"type": "ready"}."""

from __future__ import annotations

import json
from contextlib import contextmanager


def auth_frame(token: str, after_id: int | None = None) -> dict:
    frame = {"type": "auth", "token": token}
    if after_id is not None:
        frame["after_id"] = after_id
    return frame


@contextmanager
def connect(client, path: str, token: str, after_id: int | None = None):
    """A TestClient WebSocket, authenticated and ready."""
    with client.websocket_connect(path) as socket:
        socket.send_json(auth_frame(token, after_id))
        ready = socket.receive_json()
        assert ready == {"type": "ready"}, ready
        yield socket


async def authenticate(socket, token: str, after_id: int | None = None, timeout: float = 30) -> None:
    """Authenticates a `websockets` client connection and waits for "ready"."""
    import asyncio

    await socket.send(json.dumps(auth_frame(token, after_id)))
    ready = json.loads(await asyncio.wait_for(socket.recv(), timeout))
    assert ready == {"type": "ready"}, ready
