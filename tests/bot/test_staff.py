"""Staff accounts: passwords are checked safely, logins expire and end, guessing is limited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.errors import Conflict, InvalidInput
from bot.staff import passwords, roles
from bot.staff import service as staff_service
from bot.staff.models import StaffAccount, StaffSession

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse 2026"


def _create(session, username="agent7", role="agent", password=PASSWORD):
    return staff_service.create_staff(
        session=session, username=username, display_name="王小明", role=role, password=password, now=NOW
    )


def test_a_password_is_stored_salted_and_only_the_right_one_matches():
    first, second = passwords.hash_password(PASSWORD), passwords.hash_password(PASSWORD)
    assert first != second, "each hash has its own salt"
    assert PASSWORD not in first
    assert passwords.verify_password(PASSWORD, first)
    assert not passwords.verify_password("correct horse 2027", first)
    assert not passwords.verify_password(PASSWORD, "garbage")


def test_a_supervisor_may_do_what_an_agent_may_but_an_analyst_may_not():
    assert roles.has_role("supervisor", roles.CASE_ROLES)
    assert roles.has_role("supervisor", ["agent"])
    assert roles.has_role("agent", ["agent"])
    assert not roles.has_role("agent", ["supervisor"])
    assert not roles.has_role("analyst", roles.CASE_ROLES)


def test_created_staff_signs_in_with_the_password_and_any_username_case(session):
    created = _create(session)
    staff = staff_service.authenticate(session=session, username=" Agent7 ", password=PASSWORD, now=NOW)
    assert staff.id == created.id and staff.role == "agent"
    stored = session.scalars(select(StaffAccount).where(StaffAccount.id == created.id)).one()
    assert stored.password_hash.startswith("$argon2id$") and PASSWORD not in stored.password_hash


def test_usernames_are_unique_and_roles_and_passwords_checked(session):
    _create(session)
    with pytest.raises(Conflict):
        _create(session, username="AGENT7")
    with pytest.raises(InvalidInput):
        _create(session, username="boss", role="owner")
    with pytest.raises(InvalidInput):
        _create(session, username="shorty", password="123456")


def test_unknown_user_and_wrong_password_get_the_same_error(session):
    _create(session)
    with pytest.raises(staff_service.InvalidCredentials) as wrong:
        staff_service.authenticate(session=session, username="agent7", password="nope", now=NOW)
    with pytest.raises(staff_service.InvalidCredentials) as unknown:
        staff_service.authenticate(session=session, username="ghost", password="nope", now=NOW)
    assert wrong.value.customer_message == unknown.value.customer_message == "用户名或密码错误。"
    assert wrong.value.code == unknown.value.code


def test_a_disabled_account_cannot_sign_in_or_use_an_open_login(session):
    staff = _create(session)
    _login, token = staff_service.open_session(session=session, staff=staff, now=NOW)
    staff_service.set_active(session=session, username="agent7", active=False)
    with pytest.raises(staff_service.InvalidCredentials):
        staff_service.authenticate(session=session, username="agent7", password=PASSWORD, now=NOW)
    with pytest.raises(staff_service.SessionInvalid):
        staff_service.resolve_session(session=session, token=token, now=NOW)


def _fail(session, username="agent7", *, at, address="10.0.0.66", password="guess"):
    with pytest.raises(staff_service.InvalidCredentials):
        staff_service.authenticate(
            session=session, username=username, password=password, now=at, address=address
        )


def _held_back(session, username="agent7", *, at, address="10.0.0.66", password=PASSWORD):
    """The refusal before the password is even checked, or None when the login goes through."""
    try:
        staff_service.authenticate(
            session=session, username=username, password=password, now=at, address=address
        )
    except (staff_service.LoginLocked, staff_service.LoginThrottled) as refused:
        return refused
    return None


def test_failures_from_one_address_lock_the_username_there_for_longer_and_longer(session):
    _create(session)
    for second in range(5):
        _fail(session, at=NOW + timedelta(seconds=second))
    locked = _held_back(session, at=NOW + timedelta(minutes=5))
    assert isinstance(locked, staff_service.LoginLocked) and locked.retry_after_seconds == 10 * 60 + 4
    assert "11分钟" in locked.customer_message
    # Each further failure, made when allowed, renews the lock; it doubles at every fifth
    at, waits = NOW + timedelta(seconds=4), []
    for _ in range(6):
        at += timedelta(seconds=_held_back(session, at=at + timedelta(seconds=1)).retry_after_seconds + 1)
        _fail(session, at=at)
        waits.append(_held_back(session, at=at).retry_after_seconds)
    assert waits == [15 * 60] * 4 + [30 * 60] * 2


def test_a_guesser_elsewhere_never_locks_the_real_agent_out(session):
    _create(session)
    for second in range(5):  # a guesser at one address is locked there
        _fail(session, at=NOW + timedelta(seconds=second), address="203.0.113.9")
    assert isinstance(
        _held_back(session, at=NOW + timedelta(seconds=41), address="203.0.113.9"), staff_service.LoginLocked
    )
    at, delays = NOW + timedelta(seconds=5), []
    for n in range(35):  # and goes on from many addresses, one guess each, as fast as allowed
        try:
            _fail(session, at=at, address=f"198.18.0.{n}")
        except staff_service.LoginThrottled as throttled:
            delays.append(throttled.retry_after_seconds)
            at += timedelta(seconds=throttled.retry_after_seconds)
            _fail(session, at=at, address=f"198.18.0.{n}")
    assert delays == sorted(delays) and delays[-1] > 8, "the username's delay grows with the failures"
    # The agent at the office waits at most a minute (the username's delay), then signs in
    throttled = _held_back(session, at=at, address="10.0.0.8")
    assert isinstance(throttled, staff_service.LoginThrottled) and throttled.retry_after_seconds <= 60
    assert "秒后再试" in throttled.customer_message
    assert _held_back(session, at=at + timedelta(seconds=60), address="10.0.0.8") is None


def test_spraying_many_usernames_from_one_address_locks_the_address(session):
    _create(session)
    step = staff_service.login_policy().address.step
    for n in range(step):
        _fail(session, f"user{n}", at=NOW + timedelta(seconds=n), address="198.51.100.7")
    refused = _held_back(session, "agent7", at=NOW + timedelta(seconds=step), address="198.51.100.7")
    assert isinstance(refused, staff_service.LoginLocked)
    assert _held_back(session, "agent7", at=NOW + timedelta(seconds=step), address="10.0.0.8") is None


def test_a_storm_of_failures_slows_every_failing_client_but_locks_nobody_out(session):
    _create(session)
    policy = staff_service.login_policy()
    for n in range(policy.overall.step):  # a botnet: every guess from its own address and username
        _fail(session, f"bot{n}", at=NOW, address=f"192.0.2.{n % 250}-{n}")
    # A botnet address that guesses again waits; its next guess is only let through later
    throttled = _held_back(session, "bot7", at=NOW + timedelta(milliseconds=200), address="192.0.2.7-7")
    assert isinstance(throttled, staff_service.LoginThrottled) and throttled.retry_after_seconds <= 10
    # An agent who mistypes once waits a moment too; one who did not signs in at once
    _fail(session, at=NOW + timedelta(milliseconds=300), address="10.0.0.9")
    assert isinstance(
        _held_back(session, at=NOW + timedelta(milliseconds=400), address="10.0.0.9"),
        staff_service.LoginThrottled,
    )
    assert _held_back(session, at=NOW + timedelta(milliseconds=400), address="10.0.0.8") is None
    assert _held_back(session, at=NOW + timedelta(seconds=2), address="10.0.0.9") is None


def test_a_successful_login_clears_earlier_failures_from_that_address_only(session):
    _create(session)
    minute = iter(NOW + timedelta(minutes=n) for n in range(100))  # past the username's short delay
    for _ in range(4):
        _fail(session, at=next(minute))
        _fail(session, at=next(minute), address="203.0.113.9")
    assert _held_back(session, at=next(minute)) is None
    for _ in range(4):
        _fail(session, at=next(minute))
    assert _held_back(session, at=next(minute)) is None
    _fail(session, at=next(minute), address="203.0.113.9")  # the fifth there: the guesser's lock stands
    assert isinstance(_held_back(session, at=next(minute), address="203.0.113.9"), staff_service.LoginLocked)


def test_a_legacy_scrypt_hash_still_signs_in_and_is_replaced_by_argon2id(session):
    import hashlib

    staff = _create(session)
    salt = bytes(range(16))
    digest = hashlib.scrypt(
        PASSWORD.encode(), salt=salt, n=2**14, r=8, p=1, maxmem=64 * 1024 * 1024, dklen=32
    )
    staff.password_hash = f"scrypt${2**14}$8$1${salt.hex()}${digest.hex()}"
    session.flush()
    assert passwords.verify_password(PASSWORD, staff.password_hash) and passwords.needs_rehash(
        staff.password_hash
    )
    _fail(session, at=NOW)  # a wrong password changes nothing
    assert staff.password_hash.startswith("scrypt$")
    staff_service.authenticate(session=session, username="agent7", password=PASSWORD, now=NOW)
    assert staff.password_hash.startswith("$argon2id$") and not passwords.needs_rehash(staff.password_hash)
    assert (
        staff_service.authenticate(session=session, username="agent7", password=PASSWORD, now=NOW).id
        == staff.id
    )


def test_a_login_token_is_stored_only_as_a_hash_and_resolves_until_it_expires(session):
    staff = _create(session)
    login, token = staff_service.open_session(session=session, staff=staff, now=NOW, hours=12)
    assert login.expires_at == NOW + timedelta(hours=12)
    stored = session.scalars(select(StaffSession.token_hash)).all()
    assert token not in stored and staff_service.hash_token(token) in stored
    resolved = staff_service.resolve_session(session=session, token=token, now=NOW + timedelta(hours=11))
    assert resolved.staff.username == "agent7"
    with pytest.raises(staff_service.SessionExpired):
        staff_service.resolve_session(session=session, token=token, now=NOW + timedelta(hours=12))
    with pytest.raises(staff_service.SessionInvalid):
        staff_service.resolve_session(session=session, token="made-up", now=NOW)


def test_a_revoked_login_is_refused(session):
    staff = _create(session)
    _login, token = staff_service.open_session(session=session, staff=staff, now=NOW)
    _other, other_token = staff_service.open_session(session=session, staff=staff, now=NOW)
    staff_service.revoke_session(session=session, token=token, now=NOW)
    with pytest.raises(staff_service.SessionInvalid):
        staff_service.resolve_session(session=session, token=token, now=NOW)
    assert staff_service.resolve_session(session=session, token=other_token, now=NOW).staff.id == staff.id


def test_an_admin_holds_every_role_and_an_analyst_only_their_own():
    from bot.staff import roles

    assert all(
        roles.has_role(roles.ADMIN, (role,)) for role in (roles.AGENT, roles.SUPERVISOR, roles.ANALYST)
    )
    assert not roles.has_role(roles.ANALYST, (roles.AGENT,))
    assert not roles.has_role(roles.AGENT, (roles.ANALYST,))
    assert roles.ROLE_LABELS[roles.ADMIN] == "系统管理员"
