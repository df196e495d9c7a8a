"""Agent console API: the handoff queue, claiming, hand-back and closing, presence and call-backs.

Agents and supervisors; analysts get 403. Reads are plain `def` routes (run in the threadpool);
claim, hand-back, close and replies go through the HandoffBridge (the customer is told, Rasa is
resumed, every replica's pushers are woken). The live chat pane is a WebSocket.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.encoders import jsonable_encoder

from bot.db import utcnow
from bot.errors import DomainError, Forbidden
from bot.handoff import conversation as handoff_rules
from bot.handoff import hours, lifecycle
from bot.handoff import service as handoff_service
from bot.handoff.models import CallbackRequest, Handoff
from bot.staff import roles
from bot.staff import service as staff_service
from bot.staff.models import StaffAccount

from .. import ws
from ..agent_context import customer_context, understanding_of
from ..deps import RasaDep, SessionDep, SettingsDep
from ..handoff_bridge import HandoffBridge, agent_message_view
from ..params import AfterId, RowId, clamp_row_id
from ..rasa_client import RasaUnavailable
from ..realtime import conversation_topic
from ..schemas.agent import (
    AgentMessageCreate,
    AgentMessageRead,
    CallbackMessagesRead,
    CallbackPhoneRead,
    CallbackRead,
    ConversationMessagesRead,
    HandoffContextRead,
    HandoffNote,
    HandoffRead,
    PresenceRead,
    PresenceUpdate,
    QueueRead,
)
from ..staff_auth import require_role
from .staff_cases import CipherDep

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api/agent", tags=["agent console"])
AgentStaff = Annotated[StaffAccount, Depends(require_role(roles.AGENT))]

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in, or the login expired."},
    403: {"description": "Analysts, or another agent's conversation."},
    404: {"description": "Unknown handoff or call-back request."},
    409: {"description": "Already claimed by another agent, or not allowed in the current status."},
}


def handoff_item(handoff: Handoff) -> dict[str, Any]:
    return {
        "id": handoff.id,
        "conversation_id": handoff.conversation_id,
        "customer_id": handoff.customer_id,
        "reason": handoff.reason,
        "reason_label": lifecycle.REASON_LABELS.get(handoff.reason, handoff.reason),
        "priority": handoff.priority,
        "status": handoff.status,
        "status_label": lifecycle.STATUS_LABELS.get(handoff.status, handoff.status),
        "agent": handoff.agent.username if handoff.agent else None,
        "agent_name": handoff.agent.display_name if handoff.agent else None,
        "requested_at": handoff.requested_at,
        "claimed_at": handoff.claimed_at,
        "ended_at": handoff.ended_at,
        "satisfaction": handoff.satisfaction,
        "context": handoff_service.context_of(handoff),
    }


def callback_item(callback: CallbackRequest) -> dict[str, Any]:
    return {
        "id": callback.id,
        "conversation_id": callback.conversation_id,
        "customer_id": callback.customer_id,
        "reason": callback.reason,
        "reason_label": handoff_service.CALLBACK_REASON_LABELS.get(callback.reason or "", "未记录原因"),
        "conversation_url": f"/agent#callback-{callback.id}" if callback.conversation_id else None,
        "phone_masked": callback.phone_masked,
        "preferred_time": callback.preferred_time,
        "status": callback.status,
        "created_at": callback.created_at,
        "done_at": callback.done_at,
        "done_by": callback.done_by.username if callback.done_by else None,
    }


@router.get("/queue", response_model=QueueRead, responses=ERRORS)
def get_queue(staff: AgentStaff, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    """Waiting customers, most urgent first then oldest, with position and wait estimate."""
    now = utcnow()
    online = handoff_service.agents_online(
        session=session, now=now, within=timedelta(minutes=settings.agent_presence_minutes)
    )
    estimate = handoff_service.estimate_wait(
        session=session,
        sample_size=settings.agent_wait_sample_size,
        default=timedelta(minutes=settings.agent_default_wait_minutes),
    )
    entries = handoff_service.queue(
        session=session,
        now=now,
        agents=len(online),
        sample_size=settings.agent_wait_sample_size,
        default_wait=timedelta(minutes=settings.agent_default_wait_minutes),
    )
    return {
        "items": [
            {
                **handoff_item(e.handoff),
                "position": e.position,
                "estimated_wait_minutes": e.estimated_wait_minutes,
            }
            for e in entries
        ],
        "agents_online": len(online),
        "service_open": hours.is_service_time(now, settings),
        "wait_samples": estimate.samples,
    }


async def get_bridge(request: Request) -> HandoffBridge:
    return request.app.state.handoff_bridge


BridgeDep = Annotated[HandoffBridge, Depends(get_bridge)]


@router.post("/handoffs/{handoff_id}/claim", response_model=HandoffRead, responses=ERRORS)
async def claim_handoff(handoff_id: RowId, staff: AgentStaff, bridge: BridgeDep) -> dict[str, Any]:
    """Takes the waiting conversation (the customer is told who answers); 409 when another agent
    was first."""
    return await bridge.claim(handoff_id, staff.id, handoff_item)


@router.post("/handoffs/{handoff_id}/hand-back", response_model=HandoffRead, responses=ERRORS)
async def hand_back(
    handoff_id: RowId, staff: AgentStaff, bridge: BridgeDep, body: HandoffNote | None = None
) -> dict[str, Any]:
    """Returns the conversation to the assistant, which tells the customer and continues."""
    return await bridge.end(
        handoff_id, staff.id, close=False, note=body.note if body else None, view=handoff_item
    )


@router.post("/handoffs/{handoff_id}/close", response_model=HandoffRead, responses=ERRORS)
async def close_handoff(
    handoff_id: RowId, staff: AgentStaff, bridge: BridgeDep, body: HandoffNote | None = None
) -> dict[str, Any]:
    """Ends the human conversation; the customer is then asked for a 1–5 rating."""
    return await bridge.end(
        handoff_id, staff.id, close=True, note=body.note if body else None, view=handoff_item
    )


def _followed_handoff(session, staff: StaffAccount, handoff_id: int) -> Handoff:
    handoff = handoff_service.get_handoff(session=session, handoff_id=handoff_id)
    if handoff.status != lifecycle.WAITING and not handoff_service.holds_or_supervises(staff, handoff):
        raise Forbidden(
            f"staff {staff.id} does not hold handoff {handoff_id}",
            customer_message="该会话由其他坐席接待，您无法查看。",
        )
    return handoff


@router.get("/handoffs/{handoff_id}/messages", response_model=ConversationMessagesRead, responses=ERRORS)
def handoff_messages(
    handoff_id: RowId,
    staff: AgentStaff,
    session: SessionDep,
    after_id: AfterId = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> dict[str, Any]:
    """The handoff's part of the conversation (from the customer's request for a person until
    the handoff ended; see bot.handoff.service.handoff_messages), customer text masked; the
    console polls with `after_id` when its WebSocket is unavailable."""
    handoff = _followed_handoff(session, staff, handoff_id)
    messages = handoff_service.handoff_messages(
        session=session, handoff=handoff, after_id=after_id, limit=limit
    )
    return {"handoff": handoff_item(handoff), "messages": [agent_message_view(m) for m in messages]}


@router.post(
    "/handoffs/{handoff_id}/messages",
    response_model=AgentMessageRead,
    status_code=201,
    responses={**ERRORS, 422: {"description": "Empty or too long text."}},
)
async def send_message(
    handoff_id: RowId, body: AgentMessageCreate, staff: AgentStaff, bridge: BridgeDep
) -> dict[str, Any]:
    """The agent's reply, pushed to the customer at once; only the agent holding the conversation."""
    return await bridge.send(handoff_id, staff.id, body.text)


@router.get("/handoffs/{handoff_id}/context", response_model=HandoffContextRead, responses=ERRORS)
async def handoff_context(
    handoff_id: RowId, staff: AgentStaff, bridge: BridgeDep, rasa: RasaDep
) -> dict[str, Any]:
    """What the assistant knew: the intents it detected with their confidence, the slots, the
    customer's latest risk assessment and complaint cases (masked), and what the flow collected
    (e.g. a complaint draft)."""

    def work(session):
        handoff = _followed_handoff(session, staff, handoff_id)
        return handoff.conversation_id, {
            "handoff": handoff_item(handoff),
            **customer_context(session, handoff.customer_id),
        }

    conversation_id, context = await bridge.run(work)
    try:
        tracker = await rasa.tracker(conversation_id, include_events="ALL")
        context["understanding"] = understanding_of(tracker)
    except RasaUnavailable:
        context["understanding"] = None  # the console says the assistant's view is unavailable
    return context


@router.get("/quick-replies", response_model=list[str], responses=ERRORS)
def quick_replies(staff: AgentStaff) -> list[str]:
    """Ready-made replies the console offers (the agent may edit them before sending)."""
    return handoff_rules.agent_quick_replies()


@router.get("/handoffs/mine", response_model=list[HandoffRead], responses=ERRORS)
def my_handoffs(staff: AgentStaff, session: SessionDep, include_ended: bool = False) -> list[dict[str, Any]]:
    """The conversations the agent holds, newest first (with `include_ended`, also recent ended ones)."""
    handoffs = handoff_service.agent_handoffs(session=session, staff=staff, include_ended=include_ended)
    return [handoff_item(h) for h in handoffs]


@router.put("/presence", response_model=PresenceRead, responses=ERRORS)
def put_presence(
    body: PresenceUpdate, staff: AgentStaff, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    """Sets the agent's status; the console repeats it as a heartbeat while open."""
    now = utcnow()
    presence = handoff_service.set_presence(session=session, staff=staff, status=body.status, now=now)
    online = handoff_service.agents_online(
        session=session, now=now, within=timedelta(minutes=settings.agent_presence_minutes)
    )
    return {"status": presence.status, "updated_at": presence.updated_at, "agents_online": len(online)}


@router.get("/callbacks", response_model=list[CallbackRead], responses=ERRORS)
def list_callbacks(
    staff: AgentStaff, session: SessionDep, status: Literal["requested", "done", "all"] = "requested"
) -> list[dict[str, Any]]:
    """Call-back requests, oldest first (those still to call by default); phones masked."""
    callbacks = handoff_service.list_callbacks(session=session, status=None if status == "all" else status)
    return [callback_item(c) for c in callbacks]


@router.get("/callbacks/{callback_id}/messages", response_model=CallbackMessagesRead, responses=ERRORS)
def callback_conversation(
    callback_id: RowId,
    staff: AgentStaff,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
) -> dict[str, Any]:
    """What the customer said before asking to be called back (the conversation up to the
    request, customer text masked), so the agent knows why they call."""
    callback = handoff_service.get_callback(session=session, callback_id=callback_id)
    messages = handoff_service.callback_messages(session=session, callback=callback, limit=limit)
    return {"callback": callback_item(callback), "messages": [agent_message_view(m) for m in messages]}


@router.post("/callbacks/{callback_id}/done", response_model=CallbackRead, responses=ERRORS)
def callback_done(
    callback_id: RowId, staff: AgentStaff, session: SessionDep, body: HandoffNote | None = None
) -> dict[str, Any]:
    """Marks the call-back as made."""
    callback = handoff_service.mark_callback_done(
        session=session, callback_id=callback_id, staff=staff, note=body.note if body else None
    )
    return callback_item(callback)


@router.post("/callbacks/{callback_id}/phone", response_model=CallbackPhoneRead, responses=ERRORS)
def reveal_callback_phone(
    callback_id: RowId, staff: AgentStaff, session: SessionDep, cipher: CipherDep
) -> dict[str, Any]:
    """The full phone number to call; every access is audited."""
    phone = handoff_service.reveal_callback_phone(
        session=session, callback_id=callback_id, staff=staff, cipher=cipher
    )
    return {"id": callback_id, "phone": phone}


class HandoffEnded(DomainError):
    code = "handoff_ended"
    customer_message = "该会话的人工服务已结束。"


@router.websocket("/handoffs/{handoff_id}/ws")
async def handoff_socket(websocket: WebSocket, handoff_id: RowId, after_id: int = 0):
    """The live chat pane: the handoff's messages after `after_id` (customer text masked) as
    {"type": "message", "message": {...}}, and {"type": "handoff", "handoff": {...}} when its
    status changes. First frame, within WS_AUTH_TIMEOUT_SECONDS: {"type": "auth", "token":
    "<staff token>", "after_id": <optional>} → {"type": "ready"} (never a token in the URL).
    Replies are sent with POST /api/agent/handoffs/{id}/messages; {"type": "ping"} → "pong".

    Every push round checks again that the login is live (not logged out, expired or disabled:
    close 4401) and that this member of staff may still follow the handoff (another agent
    claimed it: 4403); once the handoff has ended (hand-back, close, the customer left the
    queue) its last messages and status are sent and the socket closes with 4410."""
    bridge: HandoffBridge = websocket.app.state.handoff_bridge
    settings = websocket.app.state.settings
    sockets = websocket.app.state.sockets
    await websocket.accept()
    auth = await ws.receive_auth(websocket, settings.ws_auth_timeout_seconds)
    if auth is None:
        return
    token = auth["token"]
    after_id = clamp_row_id(auth["after_id"] if auth["after_id"] is not None else after_id)

    def authorize(session):
        login = staff_service.resolve_session(session=session, token=token, now=utcnow())
        if not roles.has_role(login.staff.role, (roles.AGENT,)):
            raise Forbidden(f"role {login.staff.role!r} may not follow conversations")
        handoff = _followed_handoff(session, login.staff, handoff_id)
        return login.staff.id, handoff

    try:
        staff_id, _handoff = await bridge.run(authorize)
    except DomainError as exc:
        await ws.refuse(websocket, exc)
        return
    slot = f"staff:{staff_id}"
    if not sockets.acquire(slot, settings.ws_max_per_staff):
        await ws.refuse(
            websocket,
            ws.TooManySockets(f"{settings.ws_max_per_staff} sockets already open for this member of staff"),
        )
        return
    lock = asyncio.Lock()

    async def send(frame: dict[str, Any]) -> None:
        async with lock:
            await websocket.send_json(jsonable_encoder(frame))

    async def push() -> None:
        nonlocal after_id
        status = None
        with bridge.notifier.subscribe([conversation_topic(_handoff.conversation_id)]) as subscription:
            while True:
                subscription.clear()
                try:

                    def read(session, after_id=after_id):
                        _staff_id, handoff = authorize(session)  # the login and the right, again
                        messages = handoff_service.handoff_messages(
                            session=session, handoff=handoff, after_id=after_id
                        )
                        return handoff_item(handoff), [agent_message_view(m) for m in messages]

                    item, messages = await bridge.run(read)
                    if item["status"] != status:
                        status = item["status"]
                        await send({"type": "handoff", "handoff": item})
                    for message in messages:
                        await send({"type": "message", "message": message})
                        after_id = message["id"]
                    if status not in lifecycle.ACTIVE_STATUSES:
                        await ws.refuse(
                            websocket, HandoffEnded(f"handoff {handoff_id} is {status}"), code=ws.CLOSE_ENDED
                        )
                        return
                except DomainError as exc:
                    await ws.refuse(websocket, exc)
                    return
                except WebSocketDisconnect:
                    return
                except Exception:
                    logger.warning("pushing handoff %s failed", handoff_id, exc_info=True)
                await subscription.wait(bridge.notifier.pusher_poll_seconds)

    async def receive_loop() -> None:
        while True:
            raw = await ws.receive_text(websocket)
            if '"ping"' in raw:
                await send({"type": "pong"})

    try:
        await send({"type": "ready"})
        await ws.run_until_first_done(receive_loop(), push())
    except WebSocketDisconnect:
        return
    except Exception:  # never drop the socket without a close frame
        logger.exception("agent socket of handoff %s failed", handoff_id)
        await ws.close(websocket, ws.CLOSE_INTERNAL_ERROR, "internal error; reconnect")
    finally:
        sockets.release(slot)
