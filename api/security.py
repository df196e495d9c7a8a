"""The API's edge: security headers on every response, a request-body limit that counts the bytes
actually received, the cap on open WebSockets, and log lines that never carry a token.

Headers (README "Security and privacy"):
- every response: `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`, and HSTS
  when the request came over https (HSTS_MODE=auto; "always" behind a TLS proxy that does not
  forward the scheme; "off");
- API responses and pages: `Cache-Control: no-store` (they carry personal data or a login);
  static files (widget, scripts, styles) may be cached;
- our pages get a strict Content-Security-Policy: scripts, styles and connections from our own
  origin only, no inline script or style (none of the pages has one); the staff consoles may not
  be framed at all (`frame-ancestors 'none'`, `X-Frame-Options: DENY`), the public pages only by
  our own origin. The widget embedded on the bank's other sites runs under those sites' policy.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import error_body, error_text

STAFF_PAGES = ("/staff", "/agent", "/analyst", "/kb")
PUBLIC_PAGES = ("/", "/chat")
HSTS_VALUE = "max-age=31536000"

_PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'; frame-ancestors {ancestors}"
)
STAFF_PAGE_CSP = _PAGE_POLICY.format(ancestors="'none'")
PUBLIC_PAGE_CSP = _PAGE_POLICY.format(ancestors="'self'")
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


def _page_headers(path: str) -> list[tuple[bytes, bytes]]:
    if path in STAFF_PAGES:
        return [
            (b"content-security-policy", STAFF_PAGE_CSP.encode()),
            (b"x-frame-options", b"DENY"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"permissions-policy", PERMISSIONS_POLICY.encode()),
        ]
    if path in PUBLIC_PAGES:
        return [
            (b"content-security-policy", PUBLIC_PAGE_CSP.encode()),
            (b"x-frame-options", b"SAMEORIGIN"),
            (b"permissions-policy", PERMISSIONS_POLICY.encode()),
        ]
    return []


def _is_https(scope: Scope) -> bool:
    # uvicorn's proxy-headers middleware has already applied X-Forwarded-Proto from trusted proxies.
    return scope.get("scheme") == "https"


class SecurityHeaders:
    """Adds the security headers to every HTTP response (pure ASGI, so streamed exports too)."""

    def __init__(self, app: ASGIApp, *, hsts_mode: str = "auto"):
        if hsts_mode not in ("auto", "always", "off"):
            raise ValueError(f"HSTS_MODE must be auto, always or off, got {hsts_mode!r}")
        self.app = app
        self.hsts_mode = hsts_mode

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        extra = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
        if not path.startswith("/static/"):
            extra.append((b"cache-control", b"no-store"))
        extra += _page_headers(path)
        if self.hsts_mode == "always" or (self.hsts_mode == "auto" and _is_https(scope)):
            extra.append((b"strict-transport-security", HSTS_VALUE.encode()))
        names = {name for name, _ in extra}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message = {**message, "headers": kept + extra}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Refuses request bodies over `max_bytes` with 413, counting the bytes actually received:
    a declared Content-Length over the limit is refused before anything is read, and a chunked
    (or understated) body is read only up to the limit. The body, at most `max_bytes`, is then
    handed to the route as received (chat bodies are a few KB; nothing here streams uploads)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def _refuse(self, send: Send, detail: str) -> None:
        import json

        body = json.dumps(
            error_body("body_too_large", error_text("body_too_large"), detail),
            ensure_ascii=False,
        ).encode("utf-8")
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send, f"request body of {declared} bytes exceeds {self.max_bytes}")
            return
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay([], message, receive), send)
                return
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_bytes:
                await self._refuse(send, f"request body exceeds {self.max_bytes} bytes")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(chunks, None, receive), send)


def _replay(chunks: list[bytes], last: Message | None, receive: Receive) -> Receive:
    """A receive() that first hands over the body read so far, then the client's own."""
    pending: list[Message] = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]
    if last is not None:
        pending = [last]

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed


class SocketLimiter:
    """Counts the open WebSockets of this process per key (a conversation, a member of staff),
    so nobody can open hundreds of pollers. Each API replica keeps its own count."""

    def __init__(self) -> None:
        self._open: Counter[str] = Counter()

    def acquire(self, key: str, limit: int) -> bool:
        """Takes a place for `key`; False when `limit` sockets are already open (0: no limit)."""
        if limit and self._open[key] >= limit:
            return False
        self._open[key] += 1
        return True

    def release(self, key: str) -> None:
        self._open[key] -= 1
        if self._open[key] <= 0:
            del self._open[key]

    def count(self, key: str) -> int:
        return self._open.get(key, 0)


# Query parameters whose values are credentials; a log line shows them as "***".
SECRET_PARAMETERS = ("token", "access_token", "identity_token", "ticket", "password", "secret", "key")
_SECRET_QUERY = re.compile(
    r"(?P<name>(?:[?&;]|%3F|%26)(?:" + "|".join(SECRET_PARAMETERS) + r")=)[^&\s\"';]*",
    re.IGNORECASE,
)
_URL_PASSWORD = re.compile(r"(?P<scheme>\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]+@", re.IGNORECASE)


def redact(text: str) -> str:
    """The text with credentials in URLs replaced by ***: query parameters such as token=…, and
    passwords in URLs such as redis://:secret@host."""
    text = _SECRET_QUERY.sub(lambda m: m.group("name") + "***", text)
    return _URL_PASSWORD.sub(lambda m: m.group("scheme") + "***@", text)


class RedactSecrets(logging.Filter):
    """Rewrites a log record so that no token or password in a URL reaches a log file."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()}
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


# uvicorn's access log prints every path with its query string; httpx logs every URL it calls
# (Rasa's HTTP API takes its token as ?token=).
REDACTED_LOGGERS = ("uvicorn.access", "uvicorn.error", "httpx", "httpcore")


def install_log_redaction(logger_names: Iterable[str] = REDACTED_LOGGERS) -> None:
    """Adds the redaction filter to these loggers and their handlers (once)."""
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
        for handler in logger.handlers:
            if not any(isinstance(f, RedactSecrets) for f in handler.filters):
                handler.addFilter(RedactSecrets())
    # httpx logs each request at INFO; the API's own log lines say what matters.
    logging.getLogger("httpx").setLevel(logging.WARNING)
