"""What the chat and agent WebSockets share: first-frame authentication, close codes and the
cap on open sockets.

No token ever travels in a WebSocket URL (URLs end up in access logs, proxies and browser
history). The client opens the socket and sends, as its first frame, within
WS_AUTH_TIMEOUT_SECONDS:

    {"type": "auth", "token": "<conversation or staff token>", "after_id": <optional int>}

The server answers {"type": "ready"} and the socket is live, or sends one
{"type": "error", "error": {...}} frame (the Chinese `message` is for the person) and closes
with one of the codes below and an English reason.

Protocol errors never drop a socket silently: a binary frame closes it with 1003 and a reason;
a frame that is not a JSON object (invalid, nested too deeply) or holds a lone surrogate gets an
error frame and the socket stays open; an unexpected failure closes it with 1011.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect

from bot.errors import DomainError, Forbidden, NotFound, Unauthenticated

from .errors import error_body, error_text
from .input_guard import INVALID_CHARACTERS, INVALID_CHARACTERS_MESSAGE, has_lone_surrogate
from .params import clamp_row_id

CLOSE_UNAUTHENTICATED = 4401  # no, a wrong, expired or revoked token; a disabled account
CLOSE_FORBIDDEN = 4403  # a token that may not follow this conversation (e.g. another agent's)
CLOSE_NOT_FOUND = 4404  # unknown conversation or handoff
CLOSE_AUTH_TIMEOUT = 4408  # no auth frame in time
CLOSE_ENDED = 4410  # the handoff ended (hand-back, close, the customer left the queue)
CLOSE_TOO_MANY = 4429  # too many sockets open for this conversation or member of staff
CLOSE_UNSUPPORTED_DATA = 1003  # a binary frame: the protocol speaks JSON text frames only
CLOSE_INTERNAL_ERROR = 1011  # an unexpected failure on the server's side


class InvalidFrame(DomainError):
    """A client frame that is not a JSON object."""

    code = "invalid_json"
    customer_message = error_text("invalid_frame_json")


class InvalidCharacters(DomainError):
    code = INVALID_CHARACTERS
    customer_message = INVALID_CHARACTERS_MESSAGE


class AuthFrameMissing(Unauthenticated):
    code = "auth_required"
    customer_message = error_text("auth_required")


class TooManySockets(DomainError):
    code = "too_many_connections"
    customer_message = error_text("too_many_connections")


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


async def close(websocket: WebSocket, code: int, reason: str) -> None:
    """Closes with a code and an English reason (at most 123 bytes), if the socket is open."""
    try:
        await websocket.close(code=code, reason=reason[:120])
    except (WebSocketDisconnect, RuntimeError):  # already gone
        pass


async def receive_text(websocket: WebSocket) -> str:
    """The next text frame. A binary frame closes the socket (1003); a client that left raises
    WebSocketDisconnect."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    if message.get("text") is None:
        await close(websocket, CLOSE_UNSUPPORTED_DATA, "binary frames are not accepted; send JSON text")
        raise WebSocketDisconnect(CLOSE_UNSUPPORTED_DATA)
    return message["text"]


def parse_frame(raw: str) -> dict[str, Any]:
    """A client frame as a JSON object; InvalidFrame or InvalidCharacters otherwise."""
    try:
        frame = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: nested thousands of levels deep
        raise InvalidFrame("frame is not valid JSON (or is nested too deeply)") from None
    if not isinstance(frame, dict):
        raise InvalidFrame("frame is not a JSON object")
    if has_lone_surrogate(frame):
        raise InvalidCharacters("frame holds a lone UTF-16 surrogate")
    return frame


async def receive_auth(websocket: WebSocket, timeout: float) -> dict[str, Any] | None:
    """The first frame, if it is an auth frame with a token; otherwise the socket is refused
    (4408 after `timeout` seconds of silence, 4401 for anything else) and None returned."""
    try:
        raw = await asyncio.wait_for(receive_text(websocket), timeout)
    except TimeoutError:
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
        frame = parse_frame(raw)
    except DomainError:
        frame = None
    if not isinstance(frame, dict) or frame.get("type") != "auth" or not isinstance(frame.get("token"), str):
        await refuse(
            websocket,
            AuthFrameMissing('the first frame must be {"type": "auth", "token": "..."}'),
        )
        return None
    after_id = frame.get("after_id")
    valid = isinstance(after_id, int) and not isinstance(after_id, bool)
    frame["after_id"] = clamp_row_id(after_id) if valid and after_id is not None else None
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
        error = None if task.cancelled() else task.exception()
        if error is not None and not isinstance(error, WebSocketDisconnect):
            raise error


def _consume(task: asyncio.Task) -> None:
    """Retrieves a finished task's outcome so that asyncio does not warn about it."""
    if not task.cancelled():
        task.exception()
