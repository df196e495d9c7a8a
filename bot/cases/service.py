"""Opening, finding and handling complaint cases. Every change is one call that leaves an audit row.

Functions take the session as a keyword argument and flush; the caller owns the transaction.
`actor` names who acted in the audit trail: "customer", "assistant", "system" or "staff:<username>".
`now` defaults to the current time; tests pass it explicitly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.db import utcnow
from bot.errors import Forbidden
from bot.staff import roles
from bot.staff import service as staff_service
from bot.staff.models import StaffAccount
from bot.text import phones
from bot.text.china_time import china_date
from bot.text.masking import mask_mobile, mask_name

from . import classification, deadlines, lifecycle, numbers, references
from .crypto import CaseCipher, default_cipher
from .errors import (
    CaseNotFound,
    IllegalTransition,
    InvalidCaseField,
    InvalidCaseNumber,
)
from .models import (
    ComplaintCase,
    ComplaintCaseAccess,
    ComplaintCaseCheckFailure,
    ComplaintCaseCounter,
    ComplaintCaseEvent,
)

INTAKE_CHANNELS = ("web", "app", "phone", "branch", "staff")
MAX_DESCRIPTION_CHARS = 2000
MAX_TEXT_CHARS = 4000
DEFAULT_RETENTION_YEARS = 3


# --- small helpers -------------------------------------------------------------------------------


def _record(
    session: Session,
    case: ComplaintCase,
    *,
    actor: str,
    action: str,
    now: datetime,
    from_status: str | None = None,
    to_status: str | None = None,
    note: str | None = None,
) -> ComplaintCaseEvent:
    event = ComplaintCaseEvent(
        case_id=case.id,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note,
        created_at=now,
    )
    session.add(event)
    case.updated_at = now
    session.flush()
    return event


def _clean(value: str | None, *, field: str, max_chars: int = MAX_TEXT_CHARS) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) > max_chars:
        raise InvalidCaseField(
            f"{field} longer than {max_chars} characters",
            customer_message=f"内容过长，请控制在{max_chars}字以内。",
        )
    return value or None


def _required(value: str | None, *, field: str, message: str, max_chars: int = MAX_TEXT_CHARS) -> str:
    cleaned = _clean(value, field=field, max_chars=max_chars)
    if not cleaned:
        raise InvalidCaseField(f"{field} is required", customer_message=message)
    return cleaned


def normalize_mobile(phone: str) -> str:
    """ "+86 138-1234-5678" or full-width → "13812345678"; InvalidCaseField when not a mobile."""
    digits = phones.mobile_digits(phone)
    if digits is None:
        raise InvalidCaseField(
            "contact phone is not a mainland mobile number",
            customer_message="请提供有效的11位手机号码，以便我们答复您。",
        )
    return digits


def _check_code(axis: str, code: str | None) -> str | None:
    if code is not None and not classification.is_valid(axis, code):
        raise InvalidCaseField(f"unknown {axis} code {code!r}", customer_message="投诉分类代码不正确。")
    return code


def _check_occurred_on(day: date | None, now: datetime) -> date | None:
    """The day it happened, unless it lies ahead or decades back (then only the customer's
    words in `occurred_when` are kept: a filing never fails over how a date was read)."""
    if day is None or day > china_date(now) or day.year < 1990:
        return None
    return day


def _cents(amount: Decimal | None) -> int | None:
    """The sum in whole hundredths (5000 → 500000), or None when there is none."""
    if amount is None:
        return None
    if not Decimal(0) < amount < Decimal(10) ** 12:
        raise InvalidCaseField(f"amount {amount} out of range", customer_message="金额不正确，请核对后再试。")
    return int((amount * 100).to_integral_value())


def case_amount(case: ComplaintCase) -> Decimal | None:
    """The sum in dispute as a number (500000 hundredths → 5000.00)."""
    return None if case.amount_cents is None else Decimal(case.amount_cents) / 100


def _next_sequence(session: Session, day: str) -> int:
    """Increments the day's counter inside the caller's transaction (row-locked until commit)."""
    table = ComplaintCaseCounter.__table__
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(table).values(day=day, last_value=1)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.day], set_={"last_value": table.c.last_value + 1}
        )
        session.execute(statement)
    else:  # other engines: lock the row, then update or insert
        row = session.get(ComplaintCaseCounter, day, with_for_update=True)
        if row is None:
            session.add(ComplaintCaseCounter(day=day, last_value=1))
        else:
            row.last_value += 1
        session.flush()
    return session.execute(select(table.c.last_value).where(table.c.day == day)).scalar_one()


def allocate_case_number(*, session: Session, received_at: datetime) -> str:
    """The next free number for the Asia/Shanghai day of receipt (safe across replicas)."""
    day = china_date(received_at)
    sequence = _next_sequence(session, f"{day:%Y%m%d}")
    return numbers.format_case_number(day, sequence)


# --- opening and reading -------------------------------------------------------------------------


def open_case(
    *,
    session: Session,
    description: str,
    intake_channel: str,
    customer_id: str | None = None,
    conversation_id: str | None = None,
    business_code: str | None = None,
    channel_code: str | None = None,
    reason_code: str | None = None,
    request: str | None = None,
    occurred_at: str | None = None,
    occurred_on: date | None = None,
    amount: Decimal | None = None,
    amount_currency: str | None = None,
    contact_phone: str | None = None,
    customer_name: str | None = None,
    actor: str = "assistant",
    now: datetime | None = None,
    cipher: CaseCipher | None = None,
) -> ComplaintCase:
    """Registers a complaint (已受理) with its number and 15-day deadline; axes not given are
    guessed from the description and request. `occurred_at` is when it happened in the
    customer's words, `occurred_on` the day they resolve to; `amount` the sum in dispute."""
    now = now or utcnow()
    description = _required(
        description, field="description", message="请描述您要投诉的问题。", max_chars=MAX_DESCRIPTION_CHARS
    )
    if intake_channel not in INTAKE_CHANNELS:
        raise InvalidCaseField(
            f"unknown intake channel {intake_channel!r}", customer_message="受理渠道不正确。"
        )
    request = _clean(request, field="request")
    guess = classification.infer_classification(f"{description} {request or ''}")
    cipher = cipher or default_cipher()
    phone = normalize_mobile(contact_phone) if contact_phone else None
    name = _clean(customer_name, field="customer_name", max_chars=50)
    case = ComplaintCase(
        number=allocate_case_number(session=session, received_at=now),
        reference=references.new_reference(),
        customer_id=customer_id,
        contact_phone_encrypted=cipher.encrypt(phone),
        contact_phone_masked=mask_mobile(phone) if phone else None,
        customer_name_encrypted=cipher.encrypt(name),
        customer_name_masked=mask_name(name) if name else None,
        channel_code=_check_code("channel", channel_code) or guess.channel_code,
        business_code=_check_code("business", business_code) or guess.business_code,
        reason_code=_check_code("reason", reason_code) or guess.reason_code,
        description=description,
        request=request,
        occurred_when=_clean(occurred_at, field="occurred_at", max_chars=100),
        occurred_on=_check_occurred_on(occurred_on, now),
        amount_cents=_cents(amount),
        amount_currency=(amount_currency or "CNY").upper()[:3] if amount is not None else None,
        intake_channel=intake_channel,
        conversation_id=conversation_id,
        status=lifecycle.RECEIVED,
        received_at=now,
        deadline_starts_at=now,
        due_at=deadlines.due_at(now),
        extension_count=0,
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    session.flush()
    _record(session, case, actor=actor, action="opened", now=now, to_status=lifecycle.RECEIVED)
    return case


def get_case_by_number(*, session: Session, number: str) -> ComplaintCase:
    """The case with this number (typed forms accepted); InvalidCaseNumber or CaseNotFound."""
    canonical = numbers.parse_case_number(number)
    if canonical is None:
        raise InvalidCaseNumber(f"{number!r} is not a case number")
    case = session.scalars(select(ComplaintCase).where(ComplaintCase.number == canonical)).first()
    if case is None:
        raise CaseNotFound(f"no case {canonical}")
    return case


def list_events(*, session: Session, case: ComplaintCase) -> list[ComplaintCaseEvent]:
    """The case's audit trail, oldest first."""
    statement = (
        select(ComplaintCaseEvent)
        .where(ComplaintCaseEvent.case_id == case.id)
        .order_by(ComplaintCaseEvent.id)
    )
    return list(session.scalars(statement))


@dataclass(frozen=True)
class CasePage:
    items: list[ComplaintCase]
    total: int


def list_cases(
    *,
    session: Session,
    status: str | Sequence[str] | None = None,
    due: str | None = None,
    channel_code: str | None = None,
    business_code: str | None = None,
    reason_code: str | None = None,
    customer_id: str | None = None,
    assignee: str | None = None,
    now: datetime | None = None,
    due_soon_days: int = deadlines.DEFAULT_DUE_SOON_DAYS,
    offset: int = 0,
    limit: int = 50,
) -> CasePage:
    """Cases matching the filters, most urgent deadline first; `due` is "overdue" or "due_soon"."""
    now = now or utcnow()
    conditions = []
    if status:
        statuses = [status] if isinstance(status, str) else list(status)
        unknown = set(statuses) - set(lifecycle.STATUSES)
        if unknown:
            raise InvalidCaseField(f"unknown status {sorted(unknown)}", customer_message="投诉状态不正确。")
        conditions.append(ComplaintCase.status.in_(statuses))
    if due == deadlines.OVERDUE:
        conditions += [ComplaintCase.status.in_(lifecycle.OPEN_STATUSES), ComplaintCase.due_at < now]
    elif due == deadlines.DUE_SOON:
        conditions += [
            ComplaintCase.status.in_(lifecycle.OPEN_STATUSES),
            ComplaintCase.due_at >= now,
            ComplaintCase.due_at <= deadlines.due_soon_cutoff(now, due_soon_days),
        ]
    elif due is not None:
        raise InvalidCaseField(f"unknown due filter {due!r}", customer_message="期限筛选条件不正确。")
    for column, value in (
        (ComplaintCase.channel_code, channel_code),
        (ComplaintCase.business_code, business_code),
        (ComplaintCase.reason_code, reason_code),
        (ComplaintCase.customer_id, customer_id),
    ):
        if value is not None:
            conditions.append(column == value)
    if assignee is not None:
        conditions.append(
            ComplaintCase.assignee.has(StaffAccount.username == staff_service.normalize_username(assignee))
        )
    total = session.scalar(select(func.count(ComplaintCase.id)).where(*conditions))
    statement = (
        select(ComplaintCase)
        .where(*conditions)
        .order_by(ComplaintCase.due_at, ComplaintCase.id)
        .offset(offset)
        .limit(limit)
    )
    return CasePage(items=list(session.scalars(statement)), total=total)


def list_customer_cases(*, session: Session, customer_id: str) -> list[ComplaintCase]:
    """An identified customer's cases, newest first."""
    statement = (
        select(ComplaintCase)
        .where(ComplaintCase.customer_id == customer_id)
        .order_by(ComplaintCase.received_at.desc(), ComplaintCase.id.desc())
    )
    return list(session.scalars(statement))


def deadline_flag(
    case: ComplaintCase, *, now: datetime, due_soon_days: int = deadlines.DEFAULT_DUE_SOON_DAYS
) -> str | None:
    """ "overdue", "due_soon" or None for the case at `now`."""
    return deadlines.deadline_flag(
        due=case.due_at, now=now, is_open=lifecycle.is_open(case.status), due_soon_days=due_soon_days
    )


def customer_view(case: ComplaintCase, *, now: datetime) -> dict:
    """What the customer may be told about their case (masked contact, no internal notes)."""
    return {
        "number": case.number,
        "status": case.status,
        "status_label": lifecycle.STATUS_LABELS[case.status],
        "received_on": china_date(case.received_at),
        "due_on": china_date(case.due_at),
        "days_left": deadlines.days_left(case.due_at, now) if lifecycle.is_open(case.status) else None,
        "extension_count": case.extension_count,
        "extension_reason": case.extension_reason,
        "answer": case.answer_text if case.status in (lifecycle.ANSWERED, lifecycle.CLOSED) else None,
        "answered_at": case.answered_at,
        "needs_rating": case.status in (lifecycle.ANSWERED, lifecycle.CLOSED) and case.satisfaction is None,
        "contact_phone_masked": case.contact_phone_masked,
    }


# --- handling ------------------------------------------------------------------------------------


def _transition(
    session: Session,
    case: ComplaintCase,
    to_status: str,
    *,
    actor: str,
    action: str,
    note: str | None,
    now: datetime,
) -> ComplaintCase:
    from_status = case.status
    lifecycle.check_transition(from_status, to_status, answered_at=case.answered_at, now=now)
    if lifecycle.is_review(from_status, to_status):
        # A review is handled like a new receipt: the clock restarts from the request.
        action = "reopened"
        case.deadline_starts_at = now
        case.due_at = deadlines.due_at(now)
        case.extension_count = 0
        case.closed_at = None
    if to_status == lifecycle.CLOSED:
        case.closed_at = now
    elif to_status == lifecycle.WITHDRAWN:
        case.withdrawn_at = now
    case.status = to_status
    _record(
        session,
        case,
        actor=actor,
        action=action,
        now=now,
        from_status=from_status,
        to_status=to_status,
        note=note,
    )
    return case


def change_status(
    *,
    session: Session,
    number: str,
    to_status: str,
    actor: str,
    note: str | None = None,
    now: datetime | None = None,
) -> ComplaintCase:
    """Moves the case to a new status with a note (an answer needs `answer_case`)."""
    now = now or utcnow()
    case = get_case_by_number(session=session, number=number)
    if to_status == lifecycle.ANSWERED:
        raise IllegalTransition(
            "answering needs the answer text: use answer_case",
            customer_message="请通过“答复客户”填写答复内容，系统会自动变更为「已答复」。",
        )
    return _transition(
        session,
        case,
        to_status,
        actor=actor,
        action="status_changed",
        note=_clean(note, field="note"),
        now=now,
    )


def assign(
    *, session: Session, number: str, username: str, actor: str, now: datetime | None = None
) -> ComplaintCase:
    """Hands the case to an agent or supervisor (首问负责: the owner until routed on)."""
    now = now or utcnow()
    case = get_case_by_number(session=session, number=number)
    staff = staff_service.require_staff(session=session, username=username)
    if not roles.has_role(staff.role, roles.CASE_ROLES):
        raise InvalidCaseField(
            f"{staff.username} ({staff.role}) cannot handle cases",
            customer_message="只能分派给客服坐席或客服主管。",
        )
    if case.status == lifecycle.WITHDRAWN:
        raise IllegalTransition("a withdrawn case is not assigned", customer_message="已撤回的投诉无需分派。")
    previous = case.assignee.username if case.assignee else None
    case.assignee = staff
    _record(
        session,
        case,
        actor=actor,
        action="assigned",
        now=now,
        note=f"{previous or '-'} -> {staff.username}",
    )
    return case


def answer_case(
    *, session: Session, number: str, text: str, actor: str, now: datetime | None = None
) -> ComplaintCase:
    """Writes the answer the customer will see and marks the case 已答复."""
    now = now or utcnow()
    case = get_case_by_number(session=session, number=number)
    answer = _required(text, field="answer", message="请填写给客户的答复内容。")
    _transition(session, case, lifecycle.ANSWERED, actor=actor, action="answered", note=None, now=now)
    case.answer_text = answer
    case.answered_at = now
    session.flush()
    return case


def extend_case(
    *,
    session: Session,
    number: str,
    reason: str | None,
    actor: str,
    actor_role: str,
    approval_note: str | None = None,
    now: datetime | None = None,
) -> ComplaintCase:
    """Extends an open case to 30 days (reason), then to 60 (supervisor, approval note); the
    reason is shown to the customer."""
    now = now or utcnow()
    case = get_case_by_number(session=session, number=number)
    if not lifecycle.is_open(case.status):
        raise IllegalTransition(
            f"a {case.status} case is not extended",
            customer_message=f"该投诉当前状态为「{lifecycle.STATUS_LABELS[case.status]}」，无需延期。",
        )
    reason = _clean(reason, field="reason")
    approval_note = _clean(approval_note, field="approval_note")
    count = deadlines.check_extension(
        extensions=case.extension_count, reason=reason, approval_note=approval_note, actor_role=actor_role
    )
    case.extension_count = count
    case.extension_reason = reason
    if approval_note:
        case.extension_approval_note = approval_note
    case.due_at = deadlines.due_at(case.deadline_starts_at, count)
    note = f"extension {count}: {reason}" + (f" (approval: {approval_note})" if approval_note else "")
    _record(session, case, actor=actor, action="extended", now=now, note=note)
    return case


def withdraw_case(
    *,
    session: Session,
    number: str,
    actor: str = "customer",
    note: str | None = None,
    now: datetime | None = None,
) -> ComplaintCase:
    """Withdraws an open case (the customer's request, confirmed by the caller); handling stops."""
    now = now or utcnow()
    case = get_case_by_number(session=session, number=number)
    return _transition(
        session,
        case,
        lifecycle.WITHDRAWN,
        actor=actor,
        action="withdrawn",
        note=_clean(note, field="note"),
        now=now,
    )


def reopen_case(
    *,
    session: Session,
    number: str,
    actor: str = "customer",
    note: str | None = None,
    now: datetime | None = None,
) -> ComplaintCase:
    """Reopens an answered or closed case for review (核查) within 30 days of the answer."""
    now = now or utcnow()
    case = get_case_by_number(session=session, number=number)
    if case.status not in (lifecycle.ANSWERED, lifecycle.CLOSED):
        raise IllegalTransition(
            f"a {case.status} case is not reopened",
            customer_message=f"该投诉当前状态为「{lifecycle.STATUS_LABELS[case.status]}」，无需申请核查。",
        )
    return _transition(
        session,
        case,
        lifecycle.IN_PROGRESS,
        actor=actor,
        action="reopened",
        note=_clean(note, field="note"),
        now=now,
    )


def rate_case(
    *,
    session: Session,
    number: str,
    satisfaction: int,
    actor: str = "customer",
    now: datetime | None = None,
) -> ComplaintCase:
    """Stores the customer's satisfaction (1–5) with the answer."""
    now = now or utcnow()
    case = get_case_by_number(session=session, number=number)
    if isinstance(satisfaction, bool) or not isinstance(satisfaction, int) or not 1 <= satisfaction <= 5:
        raise InvalidCaseField(
            f"satisfaction {satisfaction!r} not in 1..5",
            customer_message="请用 1 到 5 分评价（5 分最满意）。",
        )
    if case.status not in (lifecycle.ANSWERED, lifecycle.CLOSED):
        raise IllegalTransition(
            f"a {case.status} case cannot be rated",
            customer_message="该投诉尚未答复，答复后再请您评价。",
        )
    previous = case.satisfaction
    case.satisfaction = satisfaction
    case.rated_at = now
    _record(
        session,
        case,
        actor=actor,
        action="rated",
        now=now,
        note=f"{previous} -> {satisfaction}" if previous else str(satisfaction),
    )
    return case


@dataclass(frozen=True)
class Contact:
    phone: str | None
    name: str | None


def reveal_contact(
    *,
    session: Session,
    number: str,
    staff: StaffAccount,
    now: datetime | None = None,
    cipher: CaseCipher | None = None,
) -> Contact:
    """The unmasked contact phone and name for an agent or supervisor; the access is audited."""
    now = now or utcnow()
    if not roles.has_role(staff.role, roles.CASE_ROLES):
        raise Forbidden(f"role {staff.role!r} may not see unmasked contacts")
    case = get_case_by_number(session=session, number=number)
    cipher = cipher or default_cipher()
    contact = Contact(
        phone=cipher.decrypt(case.contact_phone_encrypted),
        name=cipher.decrypt(case.customer_name_encrypted),
    )
    _record(session, case, actor=staff_service.actor_name(staff), action="contact_revealed", now=now)
    return contact


# --- retention -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PurgedCase:
    number: str
    status: str
    ended_at: datetime


def _years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


def purge_closed_cases(
    *,
    session: Session,
    older_than_years: int = DEFAULT_RETENTION_YEARS,
    now: datetime | None = None,
    dry_run: bool = False,
) -> list[PurgedCase]:
    """Deletes closed or withdrawn cases that ended more than `older_than_years` ago, with their
    audit trail; returns what it removed (or would remove). Open cases are never touched."""
    if older_than_years < 1:
        raise InvalidCaseField("retention under one year", customer_message="保存期限至少为1年。")
    now = now or utcnow()
    cutoff = _years_before(now, older_than_years)
    statement = (
        select(ComplaintCase)
        .where(
            or_(
                (ComplaintCase.status == lifecycle.CLOSED) & (ComplaintCase.closed_at < cutoff),
                (ComplaintCase.status == lifecycle.WITHDRAWN) & (ComplaintCase.withdrawn_at < cutoff),
            )
        )
        .order_by(ComplaintCase.id)
    )
    cases = list(session.scalars(statement))
    purged = [
        PurgedCase(number=c.number, status=c.status, ended_at=c.closed_at or c.withdrawn_at) for c in cases
    ]
    if cases and not dry_run:
        ids = [c.id for c in cases]
        session.execute(delete(ComplaintCaseEvent).where(ComplaintCaseEvent.case_id.in_(ids)))
        session.execute(delete(ComplaintCaseCheckFailure).where(ComplaintCaseCheckFailure.case_id.in_(ids)))
        session.execute(delete(ComplaintCaseAccess).where(ComplaintCaseAccess.case_id.in_(ids)))
        session.execute(delete(ComplaintCase).where(ComplaintCase.id.in_(ids)))
        for case in cases:
            session.expunge(case)
    return purged
