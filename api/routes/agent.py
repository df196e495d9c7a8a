"""Agent console API: the handoff queue, claiming, hand-back and closing, presence and call-backs.

Agents and supervisors; analysts get 403. Plain `def` routes (run in the threadpool).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal, Optional

from fastapi import APIRouter, Depends

from bot.db import utcnow
from bot.handoff import hours, lifecycle
from bot.handoff import service as handoff_service
from bot.handoff.models import CallbackRequest, Handoff
from bot.staff import roles
from bot.staff.models import StaffAccount

from ..agent_schemas import (
    CallbackPhoneRead,
    CallbackRead,
    HandoffNote,
    HandoffRead,
    PresenceRead,
    PresenceUpdate,
    QueueRead,
)
from ..deps import SessionDep, SettingsDep
from ..staff_auth import require_role
from .staff_cases import CipherDep

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
        session=session, sample_size=settings.agent_wait_sample_size,
        default=timedelta(minutes=settings.agent_default_wait_minutes),
    )  # fmt: skip
    entries = handoff_service.queue(
        session=session, now=now, agents=len(online), sample_size=settings.agent_wait_sample_size,
        default_wait=timedelta(minutes=settings.agent_default_wait_minutes),
    )  # fmt: skip
    return {
        "items": [
            {**handoff_item(e.handoff), "position": e.position, "estimated_wait_minutes": e.estimated_wait_minutes}
            for e in entries
        ],
        "agents_online": len(online),
        "service_open": hours.is_service_time(now, settings),
        "wait_samples": estimate.samples,
    }


@router.post("/handoffs/{handoff_id}/claim", response_model=HandoffRead, responses=ERRORS)
def claim_handoff(handoff_id: int, staff: AgentStaff, session: SessionDep) -> dict[str, Any]:
    """Takes the waiting conversation; 409 when another agent was first."""
    return handoff_item(handoff_service.claim(session=session, handoff_id=handoff_id, staff=staff))


@router.post("/handoffs/{handoff_id}/hand-back", response_model=HandoffRead, responses=ERRORS)
def hand_back(
    handoff_id: int, staff: AgentStaff, session: SessionDep, body: Optional[HandoffNote] = None
) -> dict[str, Any]:
    """Returns the conversation to the assistant."""
    handoff = handoff_service.hand_back(
        session=session, handoff_id=handoff_id, staff=staff, note=body.note if body else None
    )
    return handoff_item(handoff)


@router.post("/handoffs/{handoff_id}/close", response_model=HandoffRead, responses=ERRORS)
def close_handoff(
    handoff_id: int, staff: AgentStaff, session: SessionDep, body: Optional[HandoffNote] = None
) -> dict[str, Any]:
    """Ends the human conversation; the customer is then asked to rate it."""
    handoff = handoff_service.close(
        session=session, handoff_id=handoff_id, staff=staff, note=body.note if body else None
    )
    return handoff_item(handoff)


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


@router.post("/callbacks/{callback_id}/done", response_model=CallbackRead, responses=ERRORS)
def callback_done(
    callback_id: int, staff: AgentStaff, session: SessionDep, body: Optional[HandoffNote] = None
) -> dict[str, Any]:
    """Marks the call-back as made."""
    callback = handoff_service.mark_callback_done(
        session=session, callback_id=callback_id, staff=staff, note=body.note if body else None
    )
    return callback_item(callback)


@router.post("/callbacks/{callback_id}/phone", response_model=CallbackPhoneRead, responses=ERRORS)
def reveal_callback_phone(
    callback_id: int, staff: AgentStaff, session: SessionDep, cipher: CipherDep
) -> dict[str, Any]:
    """The full phone number to call; every access is audited."""
    phone = handoff_service.reveal_callback_phone(
        session=session, callback_id=callback_id, staff=staff, cipher=cipher
    )
    return {"id": callback_id, "phone": phone}
