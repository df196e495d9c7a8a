"""Operations at the API's edge: the real client address behind trusted proxies, a request id in
every log line (JSON logs with APP_LOG_FORMAT=json), and Prometheus metrics.

Trusted proxies (TRUSTED_PROXIES, comma-separated addresses or networks, empty by default):
`X-Forwarded-For` and `X-Forwarded-Proto` are applied only when the connection comes from one of
them; the client is then the right-most address of `X-Forwarded-For` that is not itself a trusted
proxy (a client cannot forge its way past the proxy by sending its own header). Rate limits and
the audit trail key on that address. uvicorn's own proxy-header handling is switched off
(`--no-proxy-headers`, scripts/stack.py) so this is the only place forwarded headers are read.

Metrics (`GET /metrics`, Prometheus text format) carry no customer data: counts, durations and
the number of customers waiting for an agent. With METRICS_TOKEN set they require
`Authorization: Bearer <METRICS_TOKEN>`; without it only loopback peers (the real peer, never a
forwarded address, and no X-Forwarded-For header: a proxy on the same host must not expose
them) may read them, i.e. a scraper beside the process. Anyone else gets 404.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import re
import time
import uuid
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The ids and the JSON format are shared with the action server and Rasa (bot/logs.py).
from bot.logs import (
    SERVICE_NAME,
    ContextFilter,
    JsonFormatter,
    conversation_id_var,
    request_id_var,
    write_through_root,
)

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_CONVERSATION_PATH = re.compile(r"^/api/chat/(?!sessions/)([A-Za-z0-9_-]{8,64})/")
LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(value: str | Iterable[str]) -> tuple[Network, ...]:
    """TRUSTED_PROXIES: "10.0.0.5, 10.1.0.0/16" -> networks; a bad entry raises ValueError."""
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in items if item.strip())


def _in(address: str, networks: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def is_loopback(address: str | None) -> bool:
    return address is not None and _in(address, LOOPBACK)


class TrustedProxies:
    """Rewrites the ASGI client (and scheme) from forwarded headers sent by trusted proxies only."""

    def __init__(self, app: ASGIApp, *, trusted: tuple[Network, ...] = ()):
        self.app = app
        self.trusted = trusted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.trusted:
            peer = (scope.get("client") or (None, 0))[0]
            if peer and _in(peer, self.trusted):
                scope = dict(scope)
                headers = {k.lower(): v for k, v in scope.get("headers", [])}
                forwarded = headers.get(b"x-forwarded-for", b"").decode("latin-1")
                hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
                client = peer
                for hop in reversed(hops):
                    client = hop
                    if not _in(hop, self.trusted):
                        break
                if client != peer:
                    scope["client"] = (client, 0)
                    scope["bankchat.peer"] = peer
                proto = headers.get(b"x-forwarded-proto", b"").decode("latin-1").strip().lower()
                if proto in ("http", "https"):
                    if scope["type"] == "websocket":
                        scope["scheme"] = "wss" if proto == "https" else "ws"
                    else:
                        scope["scheme"] = proto
        await self.app(scope, receive, send)


class RequestContext:
    """Gives each request an id (a sane incoming X-Request-ID, else a new one), returns it in the
    `X-Request-ID` header and puts it, and the conversation id from the path, in log lines."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = ""
        for name, value in scope.get("headers", []):
            if name.lower() == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        match = _CONVERSATION_PATH.search(scope.get("path", ""))
        tokens = (
            request_id_var.set(request_id),
            conversation_id_var.set(match.group(1) if match else ""),
        )

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(tokens[0])
            conversation_id_var.reset(tokens[1])


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] - %(message)s"


def configure_logging(level: str, log_format: str, service: str = "api") -> None:
    """Root logging for a process: APP_LOG_FORMAT=json (one JSON object a line) or text."""
    if log_format not in ("text", "json"):
        raise ValueError(f"APP_LOG_FORMAT must be text or json, got {log_format!r}")
    SERVICE_NAME[0] = service
    root = logging.getLogger()
    root.setLevel(level)
    handler = next((h for h in root.handlers if getattr(h, "_bankchat", False)), None)
    if handler is None:
        handler = logging.StreamHandler()
        handler._bankchat = True  # type: ignore[attr-defined]
        handler.addFilter(ContextFilter())
        root.addHandler(handler)
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    # uvicorn's loggers propagate to the root in JSON mode, so their lines are JSON too; so do
    # jieba's (it prints its dictionary loading to stderr from import on, at DEBUG).
    if log_format == "json":
        import jieba

        for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
            write_through_root(name, level=None)
        write_through_root(jieba.default_logger.name, level=level)


class Metrics:
    """The API's Prometheus metrics, in a registry of their own (one per app)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.messages = Counter(
            "bankchat_messages_total",
            "Customer messages accepted, by route (assistant, handoff, cancelled, duplicate).",
            ["route"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "bankchat_message_seconds",
            "Time from receiving a customer message to having its replies stored.",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
            registry=self.registry,
        )
        self.rasa_errors = Counter(
            "bankchat_rasa_errors_total",
            "Calls to Rasa that failed (Rasa down, timed out or answered with an error).",
            registry=self.registry,
        )
        self.handoffs_waiting = Gauge(
            "bankchat_handoffs_waiting",
            "Customers currently waiting for an agent (read from the database at each scrape).",
            registry=self.registry,
        )
        self.http_requests = Counter(
            "bankchat_http_requests_total",
            "HTTP requests answered, by status class (2xx, 4xx, 5xx...).",
            ["status"],
            registry=self.registry,
        )


def bearer_matches(authorization: str, token: str) -> bool:
    scheme, _, value = authorization.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip(), token)


class StatusCounter:
    """Counts HTTP answers by status class."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.metrics.http_requests.labels(f"{message['status'] // 100}xx").inc()
            await send(message)

        await self.app(scope, receive, counting_send)


def monotonic() -> float:
    return time.monotonic()
