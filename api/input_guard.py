"""Text that cannot be stored: JSON strings holding lone UTF-16 surrogates.

JSON may escape any code point as `\\uXXXX`, so a body or a WebSocket frame can carry half of a
surrogate pair ("\\ud800"). Python decodes it into a string that no database driver, hash or
log encoder accepts (UnicodeEncodeError deep inside a service: a 500). Such input is refused at
the edge instead: 422 `invalid_characters` for a request body, an error frame on a WebSocket."""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import error_body, error_text

INVALID_CHARACTERS = "invalid_characters"
INVALID_CHARACTERS_MESSAGE = error_text(INVALID_CHARACTERS)

# A JSON escape of a surrogate code point (D800–DFFF); only then is the body decoded and walked.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def has_lone_surrogate(value: Any) -> bool:
    """True when a decoded JSON value holds a string (or key) with a lone surrogate. Valid pairs
    were already combined by the decoder, so any surrogate left is a lone one."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def body_has_lone_surrogate(body: bytes) -> bool:
    """True when a JSON body decodes to a value with a lone surrogate (bodies that are not JSON
    are left to the route, which answers 400)."""
    if not _SURROGATE_ESCAPE.search(body):
        return False
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return False
    return has_lone_surrogate(value)


class RejectLoneSurrogates:
    """Answers 422 `invalid_characters` to a request body with a lone surrogate (pure ASGI;
    placed inside BodyLimit, so the body it reads is already bounded)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        chunks: list[bytes] = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        if body_has_lone_surrogate(b"".join(chunks)):
            body = json.dumps(
                error_body(
                    INVALID_CHARACTERS,
                    INVALID_CHARACTERS_MESSAGE,
                    "the JSON body holds a lone UTF-16 surrogate (\\ud800-\\udfff)",
                ),
                ensure_ascii=False,
            ).encode("utf-8")
            await send(
                {
                    "type": "http.response.start",
                    "status": 422,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return

        async def replay() -> Message:
            if messages:
                return messages.pop(0)
            return await receive()

        await self.app(scope, replay, send)
