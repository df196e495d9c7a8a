"""Public customer chat API (web page and mobile app): sessions, messages, WebSocket."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request, Response, WebSocket, WebSocketDisconnect
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from bot.conversations import service as conversation_service
from bot.conversations import welcome
from bot.conversations.service import MAX_CLIENT_MESSAGE_ID_CHARS
from bot.db import utcnow
from bot.errors import DomainError
from bot.handoff import usecases as handoff_usecases
from bot.ratelimit import service as ratelimit_service

from .. import ws
from ..chat_gateway import ChatGateway, message_view
from ..deps import SessionDep
from ..errors import AssistantUnavailable, error_body, error_text
from ..params import AfterId, clamp_row_id
from ..realtime import QUEUE_TOPIC, conversation_topic
from ..schemas.chat import (
    History,
    MessageCreate,
    MessageExchange,
    SessionCreate,
    SessionCreated,
    SessionResume,
    SessionResumed,
)

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api/chat", tags=["chat"])

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "Invalid JSON."},
    401: {
        "description": "The conversation token has expired (idle or maximum lifetime): open a new conversation."
    },
    403: {"description": "Wrong, missing or revoked conversation token."},
    404: {"description": "Unknown conversation."},
    409: {"description": "The same client_message_id is still being answered."},
    422: {"description": "Missing, empty or too long text."},
    429: {"description": "Over the rate limit (per conversation or client address); see Retry-After."},
    503: {"description": "The assistant is unavailable; the message is stored, resend it later."},
}


# `async def`: a plain `def` dependency runs in the threadpool, a thread hop for each message.
async def get_gateway(request: Request) -> ChatGateway:
    return request.app.state.gateway


GatewayDep = Annotated[ChatGateway, Depends(get_gateway)]


# The conversation token as a bearer security scheme in OpenAPI; auto_error=False because a
# missing or wrong token is the service's own 403 (bot.conversations).
conversation_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ConversationToken",
    description="The token of POST /api/chat/sessions, as `Authorization: Bearer <token>`.",
)


async def bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(conversation_bearer)],
) -> str | None:
    """The conversation token from `Authorization: Bearer <token>`."""
    return credentials.credentials.strip() if credentials else None


TokenDep = Annotated[str | None, Depends(bearer_token)]


@router.post(
    "/sessions",
    response_model=SessionCreated,
    status_code=201,
    responses={
        401: {"description": "The identity token is invalid or expired."},
        429: {"description": "Too many new conversations from this address; see Retry-After."},
    },
)
def create_session(
    request: Request, session: SessionDep, body: Annotated[SessionCreate | None, Body()] = None
) -> dict[str, Any]:
    """Opens a conversation; the returned token must accompany every later call on it."""
    body = body or SessionCreate()
    settings = request.app.state.settings
    if request.client:
        ratelimit_service.hit(
            session=session,
            key=f"ip:{request.client.host}:sessions",
            limit=ratelimit_service.Limit(settings.rate_limit_ip_sessions_per_hour, timedelta(hours=1)),
            now=utcnow(),
        )
    customer_id = None
    if body.identity_token is not None:
        customer_id = request.app.state.identity.verify(body.identity_token, now=utcnow())
    conversation, token = conversation_service.open_conversation(
        session=session, channel=body.channel, customer_id=customer_id
    )
    return {
        "conversation_id": conversation.id,
        "token": token,
        "customer_id": customer_id,
        **_expiry(request, conversation),
        "welcome": welcome.welcome(),
    }


def _expiry(request: Request, conversation) -> dict[str, Any]:
    lifetime = request.app.state.gateway.lifetime
    return {
        "expires_at": conversation.created_at + lifetime.maximum,
        "idle_timeout_seconds": int(lifetime.idle.total_seconds()),
    }


@router.post(
    "/{conversation_id}/resume",
    response_model=SessionResumed,
    responses={
        **ERROR_RESPONSES,
        401: {"description": "The conversation has expired, or the identity token is invalid or expired."},
        403: {
            "description": "Wrong token, or the conversation belongs to another identity (or to "
            "one, and none was sent): open a new conversation."
        },
    },
)
def resume_session(
    conversation_id: str,
    token: TokenDep,
    request: Request,
    session: SessionDep,
    body: Annotated[SessionResume | None, Body()] = None,
) -> dict[str, Any]:
    """Before continuing a stored conversation (after a reload, an app restart, a new login),
    a client proves that the customer signed in now is the one it was opened for: a
    conversation opened with an identity continues only with a token for the same customer, an
    anonymous one only without identity. Otherwise the client opens a new conversation and never
    shows the old one's history."""
    body = body or SessionResume()
    customer_id = None
    if body.identity_token is not None:
        customer_id = request.app.state.identity.verify(body.identity_token, now=utcnow())
    conversation = conversation_service.resume_conversation(
        session=session,
        conversation_id=conversation_id,
        token=token,
        customer_id=customer_id,
        lifetime=request.app.state.gateway.lifetime,
    )
    return {
        "conversation_id": conversation.id,
        "customer_id": conversation.customer_id,
        **_expiry(request, conversation),
    }


@router.post("/{conversation_id}/end", status_code=204, responses=ERROR_RESPONSES)
async def end_session(conversation_id: str, token: TokenDep, request: Request) -> Response:
    """Ends the conversation for this client (`BankChat.restart()` on logout): its token is
    revoked at once, a wait for a person is cancelled, and an agent serving it is told the
    customer left."""
    gateway: ChatGateway = request.app.state.gateway

    def work(session) -> list[str]:
        conversation = conversation_service.get_authorized(
            session=session, conversation_id=conversation_id, token=token, lifetime=gateway.lifetime
        )
        conversation_service.end_conversation(session=session, conversation=conversation)
        outcome = handoff_usecases.leave(
            session=session, settings=gateway.settings, conversation_id=conversation_id
        )
        return [
            *map(conversation_topic, outcome.conversations),
            *([QUEUE_TOPIC] if outcome.queue_changed else []),
        ]

    topics = await run_in_threadpool(gateway.in_transaction, work)
    if topics:
        await gateway.notifier.publish(*topics)
    return Response(status_code=204)


@router.post("/{conversation_id}/messages", response_model=MessageExchange, responses=ERROR_RESPONSES)
async def post_message(
    conversation_id: str, body: MessageCreate, token: TokenDep, gateway: GatewayDep, request: Request
) -> dict[str, Any]:
    """Sends the customer's message and returns the assistant's replies (text and buttons).

    Over the rate limits (per conversation and per client address) the answer is 429 with
    Retry-After; nothing is stored, so the client sends the same message again later."""
    return await gateway.exchange(
        conversation_id=conversation_id,
        token=token,
        text=body.text,
        client_message_id=body.client_message_id,
        client_ip=request.client.host if request.client else None,
    )


@router.get("/{conversation_id}/messages", response_model=History, responses=ERROR_RESPONSES)
def get_history(
    conversation_id: str,
    token: TokenDep,
    session: SessionDep,
    request: Request,
    after_id: AfterId = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
) -> dict[str, Any]:
    """The conversation's messages in order (customer and assistant), after `after_id`."""
    conversation_service.get_authorized(
        session=session,
        conversation_id=conversation_id,
        token=token,
        lifetime=request.app.state.gateway.lifetime,
    )
    messages = conversation_service.list_messages(
        session=session, conversation_id=conversation_id, after_id=after_id, limit=limit
    )
    return {"conversation_id": conversation_id, "messages": [message_view(m) for m in messages]}


def _domain_error_frame(exc: DomainError) -> dict[str, Any]:
    extra = {}
    retry_after = getattr(exc, "retry_after_seconds", None)
    if retry_after:  # rate limited: when to send again
        extra["retry_after_seconds"] = retry_after
    return {
        "type": "error",
        **error_body(exc.code, exc.customer_message, exc.developer_message, **extra),
    }


@router.websocket("/{conversation_id}/ws")
async def chat_socket(websocket: WebSocket, conversation_id: str, after_id: int | None = None):
    """The same exchange over a WebSocket, plus what nobody asked for: an agent's replies and
    notices (queue position, an agent joining or leaving, the rating prompt) are pushed.

    First frame, within WS_AUTH_TIMEOUT_SECONDS: {"type": "auth", "token": "<conversation
    token>", "after_id": <optional>} → {"type": "ready"} (never a token in the URL). Then client
    frames {"type": "message", "text": "...", "client_message_id": "..."} and {"type": "ping"};
    server frames "ack" (message stored), "replies", "push" (one message), "pong" and "error".
    `after_id`: the last message the client has; pushed messages after it are sent at once
    (default: only new ones). The token is checked again on every push round: once it expires
    or is revoked the socket closes (4401). Close codes: api/ws.py.
    """
    gateway: ChatGateway = websocket.app.state.gateway
    settings = websocket.app.state.settings
    sockets = websocket.app.state.sockets
    await websocket.accept()
    auth = await ws.receive_auth(websocket, settings.ws_auth_timeout_seconds)
    if auth is None:
        return
    token = auth["token"]
    try:
        await run_in_threadpool(gateway.authorize, conversation_id, token)
    except DomainError as exc:
        await ws.refuse(websocket, exc)
        return
    slot = f"conversation:{conversation_id}"
    if not sockets.acquire(slot, settings.ws_max_per_conversation):
        await ws.refuse(
            websocket,
            ws.TooManySockets(
                f"{settings.ws_max_per_conversation} sockets already open for this conversation"
            ),
        )
        return
    try:
        lock = asyncio.Lock()

        async def send(frame: dict[str, Any]) -> None:
            async with lock:  # the receive loop and the pusher share the socket
                await websocket.send_json(frame)

        start = auth["after_id"] if auth["after_id"] is not None else after_id
        if start is not None:
            start = clamp_row_id(start)
        if start is None or start < 0:
            start = await run_in_threadpool(gateway.last_message_id, conversation_id)
        await send({"type": "ready"})

        async def receive_loop() -> None:
            while True:
                raw = await ws.receive_text(websocket)
                await _handle_frame(send, websocket, gateway, conversation_id, token, raw)

        await ws.run_until_first_done(
            receive_loop(), _push(send, websocket, gateway, conversation_id, token, start)
        )
    except WebSocketDisconnect:
        return
    except Exception:  # never drop the socket without a close frame
        logger.exception("chat socket of conversation %s failed", conversation_id)
        await ws.close(websocket, ws.CLOSE_INTERNAL_ERROR, "internal error; reconnect")
    finally:
        sockets.release(slot)


async def _push(
    send, websocket: WebSocket, gateway: ChatGateway, conversation_id: str, token: str, after_id: int
) -> None:
    """Sends agent replies and notices as they are stored, by this replica or another; checks the
    token again every round and closes the socket once it has expired or been revoked."""
    notifier = gateway.notifier
    with notifier.subscribe([conversation_topic(conversation_id)]) as subscription:
        while True:
            subscription.clear()
            try:
                messages = await run_in_threadpool(
                    gateway.authorized_pushes, conversation_id, token, after_id
                )
                for message in messages:
                    await send({"type": "push", "message": message})
                    after_id = message["id"]
            except DomainError as exc:
                await ws.refuse(websocket, exc)
                return
            except WebSocketDisconnect:
                return
            except Exception:  # the database briefly unreachable: try again next round
                logger.warning("pushing to conversation %s failed", conversation_id, exc_info=True)
            await subscription.wait(notifier.pusher_poll_seconds)


async def _handle_frame(
    send, websocket: WebSocket, gateway: ChatGateway, conversation_id: str, token: str | None, raw: str
) -> None:
    try:
        frame = ws.parse_frame(raw)
    except DomainError as exc:
        await send(_domain_error_frame(exc))
        return
    kind = frame.get("type")
    if kind == "ping":
        await send({"type": "pong"})
        return
    if kind != "message" or not isinstance(frame.get("text"), str):
        await send(
            {
                "type": "error",
                **error_body(
                    "invalid_frame",
                    error_text("invalid_frame"),
                    'expected {"type": "message", "text": "..."} or {"type": "ping"}',
                ),
            }
        )
        return
    client_message_id = frame.get("client_message_id")
    if client_message_id is not None and not isinstance(client_message_id, str):
        client_message_id = json.dumps(client_message_id)[: MAX_CLIENT_MESSAGE_ID_CHARS + 1]
    try:
        result = await gateway.exchange(
            conversation_id=conversation_id,
            token=token,
            text=frame["text"],
            client_message_id=client_message_id,
            client_ip=websocket.client.host if websocket.client else None,
            on_accepted=lambda message_id: send(
                {"type": "ack", "message_id": message_id, "client_message_id": client_message_id}
            ),
        )
    except DomainError as exc:
        await send({**_domain_error_frame(exc), "client_message_id": client_message_id})
        return
    except AssistantUnavailable as exc:
        await send(
            {
                "type": "error",
                "client_message_id": client_message_id,
                **error_body(
                    exc.code,
                    exc.customer_message,
                    exc.developer_message,
                    message_id=exc.message_id,
                    retry_after_seconds=exc.retry_after_seconds,
                ),
            }
        )
        return
    except (WebSocketDisconnect, asyncio.CancelledError):
        raise
    except Exception as exc:  # answered like a REST 500: an error frame, the socket stays open
        logger.exception("message frame of conversation %s failed", conversation_id)
        await send(
            {
                "type": "error",
                "client_message_id": client_message_id,
                **error_body(
                    "internal_error",
                    error_text("internal_error"),
                    f"unexpected {type(exc).__name__}; see server logs",
                ),
            }
        )
        return
    await send({"type": "replies", **result})
