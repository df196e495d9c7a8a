"""Staff API for complaint cases (agents and supervisors; analysts get 403)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request

from bot.cases import classification, deadlines, lifecycle
from bot.cases import service as case_service
from bot.cases.crypto import CaseCipher
from bot.cases.models import ComplaintCase
from bot.db import utcnow
from bot.staff import service as staff_service

from ..deps import SessionDep, SettingsDep
from ..params import Page
from ..schemas.staff_cases import (
    CaseAnswer,
    CaseAssignment,
    CaseContactRead,
    CaseEventRead,
    CaseExtension,
    CaseListItem,
    CasePageRead,
    CaseRead,
    CaseStatusChange,
    CodeLabel,
)
from ..staff_auth import CaseStaff

router = APIRouter(prefix="/api/staff/cases", tags=["staff cases"])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in, or the login expired."},
    403: {"description": "The role may not handle cases (analysts)."},
    404: {"description": "Unknown case number."},
    409: {"description": "The change is not allowed in the case's current status."},
    422: {"description": "Malformed case number or invalid body."},
}


async def get_case_cipher(request: Request) -> CaseCipher:
    return request.app.state.case_cipher


CipherDep = Annotated[CaseCipher, Depends(get_case_cipher)]


def _code(axis: str, code: str | None) -> CodeLabel | None:
    return CodeLabel(code=code, label=classification.label(axis, code)) if code else None


STAFF_ACTOR = "staff:"


def _item_fields(case: ComplaintCase, *, now: datetime, due_soon_days: int) -> dict[str, Any]:
    """The fields a case shows in the list (and first in its detail)."""
    is_open = lifecycle.is_open(case.status)
    return {
        "number": case.number,
        "status": case.status,
        "status_label": lifecycle.STATUS_LABELS[case.status],
        "received_at": case.received_at,
        "due_at": case.due_at,
        "days_left": deadlines.days_left(case.due_at, now) if is_open else None,
        "deadline_flag": case_service.deadline_flag(case, now=now, due_soon_days=due_soon_days),
        "channel": _code("channel", case.channel_code),
        "business": _code("business", case.business_code),
        "reason": _code("reason", case.reason_code),
        "customer_name_masked": case.customer_name_masked,
        "contact_phone_masked": case.contact_phone_masked,
        "assignee": case.assignee.username if case.assignee else None,
        "assignee_name": case.assignee.display_name if case.assignee else None,
        "extension_count": case.extension_count,
        "summary": case.description[:60],
    }


def case_item(case: ComplaintCase, *, now: datetime, due_soon_days: int) -> CaseListItem:
    return CaseListItem(**_item_fields(case, now=now, due_soon_days=due_soon_days))


def _mentioned_usernames(events) -> set[str]:
    """Staff named by the audit trail: its actors and both sides of each assignment note."""
    names = set()
    for event in events:
        if event.actor.startswith(STAFF_ACTOR):
            names.add(event.actor[len(STAFF_ACTOR) :])
        if event.action == "assigned" and event.note:
            names.update(part.strip() for part in event.note.split("->"))
    return names


def _actor_name(actor: str, names: dict[str, str]) -> str | None:
    return names.get(actor.removeprefix(STAFF_ACTOR)) if actor.startswith(STAFF_ACTOR) else None


def _detail(session, case: ComplaintCase, settings) -> CaseRead:
    events = case_service.list_events(session=session, case=case)
    names = staff_service.display_names(session=session, usernames=_mentioned_usernames(events))
    return CaseRead(
        **_item_fields(case, now=utcnow(), due_soon_days=settings.case_due_soon_days),
        customer_id=case.customer_id,
        description=case.description,
        request=case.request,
        occurred_when=case.occurred_when,
        occurred_on=case.occurred_on,
        amount=case_service.case_amount(case),
        amount_currency=case.amount_currency,
        intake_channel=case.intake_channel,
        conversation_id=case.conversation_id,
        extension_reason=case.extension_reason,
        extension_approval_note=case.extension_approval_note,
        answer_text=case.answer_text,
        answered_at=case.answered_at,
        closed_at=case.closed_at,
        withdrawn_at=case.withdrawn_at,
        satisfaction=case.satisfaction,
        events=[
            CaseEventRead(
                actor=e.actor,
                actor_name=_actor_name(e.actor, names),
                action=e.action,
                from_status=e.from_status,
                to_status=e.to_status,
                note=e.note,
                created_at=e.created_at,
            )
            for e in events
        ],
        staff_names=names,
    )


@router.get("", response_model=CasePageRead, responses=ERRORS)
def list_cases(
    staff: CaseStaff,
    session: SessionDep,
    settings: SettingsDep,
    status: Annotated[list[lifecycle.StatusCode] | None, Query()] = None,
    due: Literal["overdue", "due_soon"] | None = None,
    channel: Annotated[str | None, Query(max_length=8)] = None,
    business: Annotated[str | None, Query(max_length=8)] = None,
    reason: Annotated[str | None, Query(max_length=8)] = None,
    assignee: Annotated[str | None, Query(max_length=64)] = None,
    customer: Annotated[str | None, Query(max_length=64, description="Customer id.")] = None,
    page: Page = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> CasePageRead:
    """Cases matching the filters, most urgent deadline first."""
    now = utcnow()
    result = case_service.list_cases(
        session=session,
        status=status,
        due=due,
        channel_code=channel,
        business_code=business,
        reason_code=reason,
        assignee=assignee,
        customer_id=customer,
        now=now,
        due_soon_days=settings.case_due_soon_days,
        offset=(page - 1) * page_size,
        limit=page_size,
    )
    items = [case_item(c, now=now, due_soon_days=settings.case_due_soon_days) for c in result.items]
    return CasePageRead(items=items, total=result.total, page=page, page_size=page_size)


@router.get("/{number}", response_model=CaseRead, responses=ERRORS)
def get_case(number: str, staff: CaseStaff, session: SessionDep, settings: SettingsDep) -> CaseRead:
    """One case with masked contact and its whole audit trail."""
    case = case_service.get_case_by_number(session=session, number=number)
    return _detail(session, case, settings)


@router.post("/{number}/status", response_model=CaseRead, responses=ERRORS)
def change_status(
    number: str, body: CaseStatusChange, staff: CaseStaff, session: SessionDep, settings: SettingsDep
) -> CaseRead:
    """Moves the case to another status with a note (e.g. 处理中, 已办结, or back for 核查)."""
    case = case_service.change_status(
        session=session,
        number=number,
        to_status=body.status,
        note=body.note,
        actor=staff_service.actor_name(staff),
    )
    return _detail(session, case, settings)


@router.post("/{number}/answer", response_model=CaseRead, responses=ERRORS)
def answer_case(
    number: str, body: CaseAnswer, staff: CaseStaff, session: SessionDep, settings: SettingsDep
) -> CaseRead:
    """Writes the answer the customer sees next time they ask; the case becomes 已答复."""
    case = case_service.answer_case(
        session=session, number=number, text=body.text, actor=staff_service.actor_name(staff)
    )
    return _detail(session, case, settings)


@router.post("/{number}/extend", response_model=CaseRead, responses=ERRORS)
def extend_case(
    number: str, body: CaseExtension, staff: CaseStaff, session: SessionDep, settings: SettingsDep
) -> CaseRead:
    """Extends the deadline to 30 days (reason), or to 60 (supervisor with an approval note)."""
    case = case_service.extend_case(
        session=session,
        number=number,
        reason=body.reason,
        approval_note=body.approval_note,
        actor=staff_service.actor_name(staff),
        actor_role=staff.role,
    )
    return _detail(session, case, settings)


@router.post("/{number}/assign", response_model=CaseRead, responses=ERRORS)
def assign_case(
    number: str, body: CaseAssignment, staff: CaseStaff, session: SessionDep, settings: SettingsDep
) -> CaseRead:
    """Hands the case to an agent or supervisor."""
    case = case_service.assign(
        session=session, number=number, username=body.username, actor=staff_service.actor_name(staff)
    )
    return _detail(session, case, settings)


@router.get("/{number}/contact", response_model=CaseContactRead, responses=ERRORS)
def reveal_contact(number: str, staff: CaseStaff, session: SessionDep, cipher: CipherDep) -> CaseContactRead:
    """The unmasked phone and name, for calling the customer back; every access is audited."""
    case = case_service.get_case_by_number(session=session, number=number)
    contact = case_service.reveal_contact(session=session, number=case.number, staff=staff, cipher=cipher)
    return CaseContactRead(number=case.number, contact_phone=contact.phone, customer_name=contact.name)
