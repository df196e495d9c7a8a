"""Public customer chat API (web page and mobile app): sessions, messages, WebSocket."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta
from typing import Annotated, Any, Optional

from fastapi import APIRouter, Body, Depends, Header, Query, Request, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from bot.conversations import service as conversation_service
from bot.db import utcnow
from bot.identity import tokens as identity_tokens
from bot.ratelimit import service as ratelimit_service
from bot.errors import DomainError, Forbidden

from ..chat_gateway import ChatGateway, message_view
from ..deps import SessionDep
from ..errors import AssistantUnavailable, error_body
from ..realtime import conversation_topic
from ..schemas import History, MessageCreate, MessageExchange, SessionCreate, SessionCreated

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api/chat", tags=["chat"])

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "Invalid JSON."},
    403: {"description": "Wrong or missing conversation token."},
    404: {"description": "Unknown conversation."},
    409: {"description": "The same client_message_id is still being answered."},
    422: {"description": "Missing, empty or too long text."},
    429: {"description": "Over the rate limit (per conversation or client address); see Retry-After."},
    503: {"description": "The assistant is unavailable; the message is stored, resend it later."},
}


def get_gateway(request: Request) -> ChatGateway:
    return request.app.state.gateway


GatewayDep = Annotated[ChatGateway, Depends(get_gateway)]


def bearer_token(authorization: Annotated[Optional[str], Header()] = None) -> Optional[str]:
    """The conversation token from `Authorization: Bearer <token>`."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


TokenDep = Annotated[Optional[str], Depends(bearer_token)]


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
    request: Request, session: SessionDep, body: Annotated[Optional[SessionCreate], Body()] = None
) -> dict[str, Any]:
    """Opens a conversation; the returned token must accompany every later call on it."""
    body = body or SessionCreate()
    settings = request.app.state.settings
    if request.client:
        ratelimit_service.hit(
            session=session, key=f"ip:{request.client.host}:sessions",
            limit=ratelimit_service.Limit(settings.rate_limit_ip_sessions_per_hour, timedelta(hours=1)),
            now=utcnow(),
        )  # fmt: skip
    customer_id = None
    if body.identity_token is not None:
        customer_id = identity_tokens.verify_identity(
            body.identity_token, secret=request.app.state.identity_secret, now=utcnow()
        )
    conversation, token = conversation_service.open_conversation(
        session=session, channel=body.channel, customer_id=customer_id
    )
    return {"conversation_id": conversation.id, "token": token, "customer_id": customer_id}


@router.post(
    "/{conversation_id}/messages", response_model=MessageExchange, responses=ERROR_RESPONSES
)
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
    after_id: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
) -> dict[str, Any]:
    """The conversation's messages in order (customer and assistant), after `after_id`."""
    conversation_service.get_authorized(
        session=session, conversation_id=conversation_id, token=token
    )
    messages = conversation_service.list_messages(
        session=session, conversation_id=conversation_id, after_id=after_id, limit=limit
    )
    return {"conversation_id": conversation_id, "messages": [message_view(m) for m in messages]}


def _domain_error_frame(exc: DomainError) -> dict[str, Any]:
    extra = {}
    if getattr(exc, "retry_after_seconds", None):  # rate limited: when to send again
        extra["retry_after_seconds"] = exc.retry_after_seconds
    return {
        "type": "error",
        **error_body(exc.code, exc.customer_message, exc.developer_message, **extra),
    }


@router.websocket("/{conversation_id}/ws")
async def chat_socket(
    websocket: WebSocket,
    conversation_id: str,
    token: Optional[str] = None,
    after_id: Optional[int] = None,
):
    """The same exchange over a WebSocket, plus what nobody asked for: an agent's replies and
    notices (queue position, an agent joining or leaving, the rating prompt) are pushed.

    Client frames: {"type": "message", "text": "...", "client_message_id": "..."} and
    {"type": "ping"}. Server frames: "ack" (message stored), "replies", "push" (one message),
    "pong" and "error". `after_id`: the last message the client has; pushed messages after it
    are sent at once (default: only new ones).
    """
    gateway: ChatGateway = websocket.app.state.gateway
    await websocket.accept()
    try:
        await run_in_threadpool(gateway.authorize, conversation_id, token)
    except DomainError as exc:
        await websocket.send_json(_domain_error_frame(exc))
        await websocket.close(code=4403 if isinstance(exc, Forbidden) else 4404)
        return
    lock = asyncio.Lock()

    async def send(frame: dict[str, Any]) -> None:
        async with lock:  # the receive loop and the pusher share the socket
            await websocket.send_json(frame)

    if after_id is None or after_id < 0:
        after_id = await run_in_threadpool(gateway.last_message_id, conversation_id)
    pusher = asyncio.create_task(_push(send, gateway, conversation_id, after_id))
    try:
        while True:
            raw = await websocket.receive_text()
            await _handle_frame(send, websocket, gateway, conversation_id, token, raw)
    except WebSocketDisconnect:
        return
    finally:
        pusher.cancel()


async def _push(send, gateway: ChatGateway, conversation_id: str, after_id: int) -> None:
    """Sends agent replies and notices as they are stored, by this replica or another."""
    notifier = gateway.notifier
    with notifier.subscribe([conversation_topic(conversation_id)]) as subscription:
        while True:
            subscription.clear()
            try:
                for message in await run_in_threadpool(gateway.pushed_since, conversation_id, after_id):
                    await send({"type": "push", "message": message})
                    after_id = message["id"]
            except WebSocketDisconnect:
                return
            except Exception:  # the database briefly unreachable: try again next round
                logger.warning("pushing to conversation %s failed", conversation_id, exc_info=True)
            await subscription.wait(notifier.pusher_poll_seconds)


async def _handle_frame(
    send, websocket: WebSocket, gateway: ChatGateway, conversation_id: str, token: str | None, raw: str
) -> None:
    try:
        frame = json.loads(raw)
    except ValueError:
        frame = None
    if not isinstance(frame, dict):
        await send(
            {
                "type": "error",
                **error_body("invalid_json", "消息格式不正确。", "frame is not a JSON object"),
            }
        )
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
                    "请发送文字消息内容。",
                    'expected {"type": "message", "text": "..."} or {"type": "ping"}',
                ),
            }
        )
        return
    client_message_id = frame.get("client_message_id")
    if client_message_id is not None and not isinstance(client_message_id, str):
        client_message_id = str(client_message_id)
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
        await send(
            {**_domain_error_frame(exc), "client_message_id": client_message_id}
        )
        return
    except AssistantUnavailable as exc:
        await send(
            {
                "type": "error",
                "client_message_id": client_message_id,
                **error_body(
                    exc.code, exc.customer_message, exc.developer_message, message_id=exc.message_id
                ),
            }
        )
        return
    await send({"type": "replies", **result})
