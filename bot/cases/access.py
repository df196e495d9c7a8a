"""The customer's own lookups of complaint cases: who may see a case online, the reference check
with its escalating lockouts, and acting on a case (rating, withdrawing) with the access checked
again. Functions take the session as a keyword argument and flush; the caller owns the
transaction.

Online, a customer reaches a case in one of two ways:
- as its owner: the verified customer who filed it (identity token), or, for a case filed
  anonymously, the very conversation it was filed in. No digits are asked and no lockout applies;
- with its reference (查询码, never the sequential number) and the last four digits of the
  contact phone, for a case filed anonymously. An unknown reference, wrong digits, a case bound
  to someone else's identity and a locked case all get the same answer, and every failure
  counts towards escalating lockouts of the case, the conversation and the client address.
Acting on a case (rating, withdrawing) checks that access again in the database.
"""

from __future__ import annotations

import hmac
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.db import utcnow
from bot.ratelimit import failures, lockout
from bot.text.normalize import to_half_width

from . import numbers, references
from .errors import CaseAccessDenied, CaseNotFound, ContactCheckLocked, InvalidCaseNumber
from .models import ComplaintCase, ComplaintCaseAccess, ComplaintCaseCheckFailure
from .service import _record as record_event
from .service import customer_view, get_case_by_number, list_customer_cases, rate_case, withdraw_case

DEFAULT_CHECK_MAX_FAILURES = 3
DEFAULT_CHECK_LOCK = timedelta(minutes=30)
DEFAULT_ACCESS = timedelta(minutes=15)
# An address may fail this many times more often than a conversation before it is locked:
# a bank's customers behind one office or mobile-network address should not lock each other out.
ADDRESS_FAILURE_FACTOR = 4


@dataclass(frozen=True)
class Requester:
    """Who asks about a case in a chat: the conversation, the verified customer id (None when
    anonymous) and the keyed digest of the client's address (bot.cases.crypto.address_key)."""

    conversation_id: str | None
    customer_id: str | None = None
    address_key: str | None = None


@dataclass(frozen=True)
class LookupPolicy:
    """The escalating lockouts of the reference check (bot.ratelimit.lockout)."""

    conversation: lockout.Lockout
    address: lockout.Lockout
    case: lockout.Lockout
    # How long a passed check lets the conversation rate or withdraw the case.
    access: timedelta = DEFAULT_ACCESS


def lookup_policy(
    *, max_failures: int = DEFAULT_CHECK_MAX_FAILURES, lock: timedelta = DEFAULT_CHECK_LOCK
) -> LookupPolicy:
    """`max_failures` per conversation or case before the first lock of `lock`; an address gets
    ADDRESS_FAILURE_FACTOR times as many, since offices and mobile networks share addresses."""
    return LookupPolicy(
        conversation=lockout.Lockout(step=max_failures, base=lock),
        address=lockout.Lockout(step=max_failures * ADDRESS_FAILURE_FACTOR, base=lock),
        case=lockout.Lockout(step=max_failures, base=lock),
    )


def policy_from_settings(settings) -> LookupPolicy:
    """The lockouts configured by CASE_CHECK_MAX_FAILURES and CASE_CHECK_LOCK_MINUTES
    (bot.config.Settings)."""
    return lookup_policy(
        max_failures=settings.case_check_max_failures,
        lock=timedelta(minutes=settings.case_check_lock_minutes),
    )


def owns(case: ComplaintCase, requester: Requester) -> bool:
    """Whether the requester's verified session is the case's owner."""
    if case.customer_id:
        return requester.customer_id == case.customer_id
    return bool(requester.conversation_id) and case.conversation_id == requester.conversation_id


def list_owned_cases(*, session: Session, requester: Requester) -> list[ComplaintCase]:
    """The cases the requester owns, newest first: an identified customer's, or those an
    anonymous conversation filed itself."""
    if requester.customer_id:
        return list_customer_cases(session=session, customer_id=requester.customer_id)
    if not requester.conversation_id:
        return []
    statement = (
        select(ComplaintCase)
        .where(
            ComplaintCase.customer_id.is_(None), ComplaintCase.conversation_id == requester.conversation_id
        )
        .order_by(ComplaintCase.received_at.desc(), ComplaintCase.id.desc())
    )
    return list(session.scalars(statement))


def find_owned_case(*, session: Session, requester: Requester, number: str) -> ComplaintCase | None:
    """The case with this number when the requester owns it; None otherwise, whether it exists
    or not (the answer says nothing about other people's cases)."""
    canonical = numbers.parse_case_number(number)
    if canonical is None:
        return None
    case = session.scalars(select(ComplaintCase).where(ComplaintCase.number == canonical)).first()
    return case if case is not None and owns(case, requester) else None


def _failure_times(session: Session, condition, policy: lockout.Lockout, now: datetime) -> list[datetime]:
    return failures.failure_times(session, ComplaintCaseCheckFailure.created_at, condition, policy, now)


def _locked_until(session: Session, condition, policy: lockout.Lockout, now: datetime) -> datetime | None:
    return failures.locked_until(session, ComplaintCaseCheckFailure.created_at, condition, policy, now)


def _digits_match(case: ComplaintCase, last4: str) -> bool:
    digits = re.sub(r"\D", "", to_half_width(last4 or ""))
    expected = (case.contact_phone_masked or "")[-4:]
    return len(expected) == 4 and hmac.compare_digest(digits.encode(), expected.encode())


@dataclass(frozen=True)
class ContactCheck:
    """The outcome of a lookup by reference: the case when it opened, else None (whatever the
    reason: unknown reference, wrong digits, another identity's case, a locked case)."""

    case: ComplaintCase | None

    @property
    def ok(self) -> bool:
        return self.case is not None


def verify_contact_last4(
    *,
    session: Session,
    reference: str,
    last4: str,
    requester: Requester,
    now: datetime | None = None,
    policy: LookupPolicy | None = None,
) -> ContactCheck:
    """Opens a case filed anonymously by its reference and the last four digits of its contact
    phone, granting this conversation access to it for a short while.

    Raises ContactCheckLocked (with retry_after_seconds) when the conversation or the address is
    locked, before anything about the case is read. A failure is stored and returned, not raised,
    so the caller's normal commit keeps it. A badly formed reference raises InvalidCaseNumber and
    is not counted (its form says nothing about any case)."""
    now = now or utcnow()
    policy = policy or lookup_policy()
    canonical = references.parse_reference(reference)
    if canonical is None:
        raise InvalidCaseNumber(f"{reference!r} is not a case reference")
    for column, value, scope in (
        (ComplaintCaseCheckFailure.conversation_id, requester.conversation_id, policy.conversation),
        (ComplaintCaseCheckFailure.address_key, requester.address_key, policy.address),
    ):
        until = _locked_until(session, column == value, scope, now) if value else None
        if until is not None:
            raise ContactCheckLocked(
                f"{column.key} locked until {until.isoformat()}",
                retry_after_seconds=max(1, math.ceil((until - now).total_seconds())),
            )
    case = session.scalars(select(ComplaintCase).where(ComplaintCase.reference == canonical)).first()
    opens = (
        case is not None
        and (case.customer_id is None or case.customer_id == requester.customer_id)
        and _locked_until(session, ComplaintCaseCheckFailure.case_id == case.id, policy.case, now) is None
        and _digits_match(case, last4)
    )
    if opens:
        _grant(session, case, requester, now=now, duration=policy.access)
        return ContactCheck(case=case)
    session.add(
        ComplaintCaseCheckFailure(
            case_id=case.id if case is not None else None,
            conversation_id=requester.conversation_id,
            address_key=requester.address_key,
            created_at=now,
        )
    )
    session.flush()
    return ContactCheck(case=None)


def _grant(
    session: Session, case: ComplaintCase, requester: Requester, *, now: datetime, duration: timedelta
) -> None:
    if not requester.conversation_id:
        return
    session.add(
        ComplaintCaseAccess(
            case_id=case.id,
            conversation_id=requester.conversation_id,
            granted_at=now,
            expires_at=now + duration,
        )
    )
    record_event(session, case, actor="customer", action="contact_verified", now=now)


def open_for_customer(
    *, session: Session, number: str, requester: Requester, now: datetime | None = None
) -> ComplaintCase:
    """The case the requester may act on now: one they own, or one whose check this conversation
    passed moments ago (read again from the database, never from the dialogue's memory);
    CaseAccessDenied otherwise, whether the case exists or not."""
    now = now or utcnow()
    try:
        case = get_case_by_number(session=session, number=number)
    except (CaseNotFound, InvalidCaseNumber):
        raise CaseAccessDenied(f"no access to {number!r}") from None
    if owns(case, requester):
        return case
    granted = requester.conversation_id and session.scalar(
        select(ComplaintCaseAccess.id)
        .where(
            ComplaintCaseAccess.case_id == case.id,
            ComplaintCaseAccess.conversation_id == requester.conversation_id,
            ComplaintCaseAccess.expires_at > now,
        )
        .limit(1)
    )
    if not granted:
        raise CaseAccessDenied(f"conversation has no access to {case.number}")
    return case


def owned_case_numbers(*, session: Session, requester: Requester) -> list[str]:
    """The numbers of the requester's own cases, as list_owned_cases orders them."""
    return [case.number for case in list_owned_cases(session=session, requester=requester)]


def view_owned_case(
    *, session: Session, requester: Requester, number: str, now: datetime | None = None
) -> dict | None:
    """The customer view of one of the requester's own cases, or None (someone else's, or no
    such case)."""
    case = find_owned_case(session=session, requester=requester, number=number)
    return customer_view(case, now=now or utcnow()) if case is not None else None


def view_by_reference(
    *,
    session: Session,
    reference: str,
    last4: str,
    requester: Requester,
    policy: LookupPolicy | None = None,
    now: datetime | None = None,
) -> dict | None:
    """verify_contact_last4, answered with the case's customer view, or None on any failure."""
    now = now or utcnow()
    result = verify_contact_last4(
        session=session, reference=reference, last4=last4, requester=requester, now=now, policy=policy
    )
    return customer_view(result.case, now=now) if result.ok and result.case is not None else None


def withdraw_by_customer(
    *,
    session: Session,
    number: str,
    requester: Requester,
    note: str | None = None,
    now: datetime | None = None,
) -> ComplaintCase:
    """The customer withdraws their case online, after their access is checked again."""
    now = now or utcnow()
    case = open_for_customer(session=session, number=number, requester=requester, now=now)
    return withdraw_case(session=session, number=case.number, actor="customer", note=note, now=now)


def rate_by_customer(
    *,
    session: Session,
    number: str,
    requester: Requester,
    satisfaction: int,
    now: datetime | None = None,
) -> ComplaintCase:
    """The customer rates the answer online, after their access is checked again."""
    now = now or utcnow()
    case = open_for_customer(session=session, number=number, requester=requester, now=now)
    return rate_case(session=session, number=case.number, satisfaction=satisfaction, now=now)


def purge_lookup_records(*, session: Session, now: datetime | None = None) -> int:
    """Removes failed checks that no longer count towards any lock and expired accesses."""
    now = now or utcnow()
    failures = session.execute(
        delete(ComplaintCaseCheckFailure).where(ComplaintCaseCheckFailure.created_at <= now - lockout.WINDOW)
    )
    accesses = session.execute(delete(ComplaintCaseAccess).where(ComplaintCaseAccess.expires_at <= now))
    return (failures.rowcount or 0) + (accesses.rowcount or 0)
