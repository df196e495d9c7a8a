"""What the chat and agent WebSockets share: first-frame authentication, close codes and the
cap on open sockets.

No token ever travels in a WebSocket URL (URLs end up in access logs, proxies and browser
history). The client opens the socket and sends, as its first frame, within
WS_AUTH_TIMEOUT_SECONDS:

    {"type": "auth", "token": "<conversation or staff token>", "after_id": <optional int>}

The server answers {"type": "ready"} and the socket is live, or sends one
{"type": "error", "error": {...}} frame (the Chinese `message` is for the person) and closes
with one of the codes below and an English reason.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect

from bot.errors import DomainError, Forbidden, NotFound, Unauthenticated

from .errors import error_body

CLOSE_UNAUTHENTICATED = 4401  # no, a wrong, expired or revoked token; a disabled account
CLOSE_FORBIDDEN = 4403  # a token that may not follow this conversation (e.g. another agent's)
CLOSE_NOT_FOUND = 4404  # unknown conversation or handoff
CLOSE_AUTH_TIMEOUT = 4408  # no auth frame in time
CLOSE_ENDED = 4410  # the handoff ended (hand-back, close, the customer left the queue)
CLOSE_TOO_MANY = 4429  # too many sockets open for this conversation or member of staff


class AuthFrameMissing(Unauthenticated):
    code = "auth_required"
    customer_message = "连接未通过验证，请刷新页面后重试。"


class TooManySockets(DomainError):
    code = "too_many_connections"
    customer_message = "您打开的对话窗口太多了，请关闭其他窗口后再试。"


def close_code(exc: DomainError) -> int:
    if isinstance(exc, TooManySockets):
        return CLOSE_TOO_MANY
    if isinstance(exc, Unauthenticated):
        return CLOSE_UNAUTHENTICATED
    if isinstance(exc, NotFound):
        return CLOSE_NOT_FOUND
    if isinstance(exc, Forbidden):
        return CLOSE_FORBIDDEN
    return CLOSE_FORBIDDEN


def error_frame(exc: DomainError, **extra: Any) -> dict[str, Any]:
    return {"type": "error", **error_body(exc.code, exc.customer_message, exc.developer_message, **extra)}


async def refuse(websocket: WebSocket, exc: DomainError, code: int | None = None) -> None:
    """Tells the person why (an error frame), then closes with a code and an English reason."""
    try:
        await websocket.send_json(error_frame(exc))
        # A close reason is at most 123 bytes.
        await websocket.close(code=code or close_code(exc), reason=exc.code[:120])
    except (WebSocketDisconnect, RuntimeError):  # already gone
        pass


async def receive_auth(websocket: WebSocket, timeout: float) -> dict[str, Any] | None:
    """The first frame, if it is an auth frame with a token; otherwise the socket is refused
    (4408 after `timeout` seconds of silence, 4401 for anything else) and None returned."""
    try:
        raw = await asyncio.wait_for(websocket.receive_text(), timeout)
    except asyncio.TimeoutError:
        await refuse(
            websocket,
            AuthFrameMissing(f"no auth frame within {timeout:g} s"),
            code=CLOSE_AUTH_TIMEOUT,
        )
        return None
    except (WebSocketDisconnect, KeyError, RuntimeError):  # gone, or a binary first frame
        await refuse(websocket, AuthFrameMissing("the first frame was not a text auth frame"))
        return None
    try:
        frame = json.loads(raw)
    except ValueError:
        frame = None
    if not isinstance(frame, dict) or frame.get("type") != "auth" or not isinstance(frame.get("token"), str):
        await refuse(
            websocket,
            AuthFrameMissing('the first frame must be {"type": "auth", "token": "..."}'),
        )
        return None
    after_id = frame.get("after_id")
    frame["after_id"] = after_id if isinstance(after_id, int) and not isinstance(after_id, bool) else None
    return frame


async def run_until_first_done(*coroutines) -> None:
    """Runs the socket's receive loop and its pusher; when one ends (the client left, or the
    pusher closed the socket), the other is cancelled. The handler returns at once (a pusher
    in the middle of a database read finishes it in the background and stops)."""
    tasks = [asyncio.ensure_future(coroutine) for coroutine in coroutines]
    try:
        done, _pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
            task.add_done_callback(_consume)
    for task in done:
        if not task.cancelled() and task.exception() is not None:
            if not isinstance(task.exception(), WebSocketDisconnect):
                raise task.exception()


def _consume(task: asyncio.Task) -> None:
    """Retrieves a finished task's outcome so that asyncio does not warn about it."""
    if not task.cancelled():
        task.exception()
