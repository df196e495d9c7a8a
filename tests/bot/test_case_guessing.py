"""Case guessing on a real database: a guesser learns nothing, is locked out for longer and longer,
and never locks the owner's verified session out; acting on a case is checked again."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet

from bot.cases import access, references, service
from bot.cases.crypto import CaseCipher
from bot.cases.errors import CaseAccessDenied, ContactCheckLocked, InvalidCaseNumber
from bot.ratelimit import lockout

NOW = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)
CIPHER = CaseCipher(Fernet.generate_key().decode())
POLICY = access.lookup_policy(max_failures=3, lock=timedelta(minutes=30))


def _open(session, *, customer_id=None, conversation_id=None, phone="13812345678"):
    return service.open_case(
        session=session,
        description="网点柜员态度差",
        intake_channel="web",
        contact_phone=phone,
        customer_name="李四",
        customer_id=customer_id,
        conversation_id=conversation_id,
        now=NOW,
        cipher=CIPHER,
    )


def _who(conversation=None, customer=None, address=None) -> access.Requester:
    return access.Requester(
        conversation_id=conversation or f"c-{uuid.uuid4().hex[:10]}",
        customer_id=customer,
        address_key=address,
    )


def _check(session, reference, last4, requester, now):
    return access.verify_contact_last4(
        session=session, reference=reference, last4=last4, requester=requester, now=now, policy=POLICY
    )


def _outcome(session, reference, last4, requester, now) -> str:
    """What a guesser can observe: opened, refused (one answer) or locked with a wait."""
    try:
        return "opened" if _check(session, reference, last4, requester, now).ok else "refused"
    except ContactCheckLocked as locked:
        return f"locked:{locked.retry_after_seconds}"


def test_the_sequential_number_never_opens_a_case_to_a_stranger(session):
    case = _open(session, conversation_id="conv-filer")
    assert len(case.reference) == 12 and references.parse_reference(case.reference) == case.reference
    stranger = _who()
    assert access.find_owned_case(session=session, requester=stranger, number=case.number) is None
    with pytest.raises(InvalidCaseNumber):  # a case number is not a reference
        _check(session, case.number, "5678", stranger, NOW)
    with pytest.raises(CaseAccessDenied):
        access.withdraw_by_customer(session=session, number=case.number, requester=stranger, now=NOW)
    assert case.status == "received"


def test_unknown_references_wrong_digits_and_other_peoples_cases_look_the_same(session):
    anonymous = _open(session)
    bound = _open(session, customer_id=f"C-{uuid.uuid4().hex[:8]}")
    unknown = references.new_reference()
    observed = set()
    for reference, last4 in ((unknown, "5678"), (anonymous.reference, "0000"), (bound.reference, "5678")):
        guesser = _who(address=uuid.uuid4().hex)  # fresh each time: no lock in the way
        result = _check(session, reference, last4, guesser, NOW)
        observed.add((result.ok, result.case))
    assert observed == {(False, None)}
    # The right pair opens an anonymous case, and only for a while lets this conversation act on it
    owner = _who()
    assert _check(
        session, references.format_reference(anonymous.reference).lower(), "５６７８", owner, NOW
    ).ok
    assert (
        access.open_for_customer(session=session, number=anonymous.number, requester=owner, now=NOW)
        is anonymous
    )
    with pytest.raises(CaseAccessDenied):
        access.open_for_customer(
            session=session,
            number=anonymous.number,
            requester=owner,
            now=NOW + POLICY.access + timedelta(seconds=1),
        )


def test_guessing_is_locked_out_for_longer_and_longer(session):
    case = _open(session)
    guesser = _who(address="addr-guesser")
    now = NOW
    waits = []
    for attempt in range(40):
        outcome = _outcome(session, case.reference, f"{attempt:04d}", guesser, now)
        assert outcome != "opened"
        if outcome.startswith("locked:"):
            wait = int(outcome.split(":")[1])
            waits.append(wait)
            now += timedelta(seconds=wait)  # come back exactly when allowed
        else:
            now += timedelta(seconds=10)
    # Three quick tries, then locks that double: 30 min, 30, 30, 1 h, ... capped at a day.
    assert 29 * 60 < waits[0] <= 30 * 60 and max(waits) > 4 * 3600 and waits == sorted(waits)
    guesses = 40 - len(waits)
    assert guesses < 25 and now - NOW > timedelta(days=1), f"{guesses} guesses took {now - NOW}"


def test_a_guesser_spreading_over_conversations_hits_the_address_and_case_locks(session):
    case = _open(session)
    address = "addr-spreading"
    outcomes = [
        _outcome(session, case.reference, f"{n:04d}", _who(address=address), NOW + timedelta(seconds=n))
        for n in range(4)
    ]
    # Each conversation is fresh, but the case is locked after three failures: the right digits
    # from a fourth conversation are refused with the same answer as a wrong guess.
    assert outcomes == ["refused"] * 4
    assert _outcome(session, case.reference, "5678", _who(), NOW + timedelta(seconds=5)) == "refused"
    assert _outcome(session, case.reference, "5678", _who(), NOW + timedelta(minutes=31)) == "opened"
    # Unknown references from many conversations behind one address lock the address.
    results = [
        _outcome(
            session, references.new_reference(), "5678", _who(address=address), NOW + timedelta(minutes=32)
        )
        for _ in range(POLICY.address.step + 1)
    ]
    assert results[-1].startswith("locked:")


def test_the_owner_gets_in_while_the_case_is_under_attack(session):
    customer = f"C-{uuid.uuid4().hex[:8]}"
    bound = _open(session, customer_id=customer)
    filed_here = _open(session, conversation_id="conv-anon-filer")
    guesser = _who(address="addr-attacker")
    for n in range(30):
        for case in (bound, filed_here):
            _outcome(session, case.reference, f"{n:04d}", guesser, NOW + timedelta(seconds=n))
    # The verified customer sees and acts on their case: no digits, no lockout.
    owner = _who(customer=customer)
    assert access.find_owned_case(session=session, requester=owner, number=bound.number.lower()) is bound
    assert [c.id for c in access.list_owned_cases(session=session, requester=owner)] == [bound.id]
    assert (
        access.withdraw_by_customer(session=session, number=bound.number, requester=owner, now=NOW).status
        == "withdrawn"
    )
    # So does the conversation that filed an anonymous case.
    filer = _who(conversation="conv-anon-filer")
    assert access.find_owned_case(session=session, requester=filer, number=filed_here.number) is filed_here
    # Another identified customer never sees it, by number or by reference.
    other = _who(customer=f"C-{uuid.uuid4().hex[:8]}")
    assert access.find_owned_case(session=session, requester=other, number=bound.number) is None
    assert not _check(session, bound.reference, "5678", other, NOW + timedelta(days=2)).ok


def test_expired_lookup_records_are_purged(session):
    case = _open(session)
    _check(session, case.reference, "0000", _who(), NOW)
    _check(session, case.reference, "5678", _who(), NOW + timedelta(minutes=1))
    assert access.purge_lookup_records(session=session, now=NOW + timedelta(minutes=5)) == 0
    assert access.purge_lookup_records(session=session, now=NOW + lockout.WINDOW + timedelta(days=1)) >= 2
