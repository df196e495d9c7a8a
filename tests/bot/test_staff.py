"""Staff accounts: passwords are checked safely, logins expire and end, guessing is limited."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.errors import Conflict, InvalidInput
from bot.staff import passwords, roles
from bot.staff import service as staff_service
from bot.staff.models import StaffAccount, StaffSession

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
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
    assert stored.password_hash.startswith("scrypt$") and PASSWORD not in stored.password_hash


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


def test_five_failures_lock_the_username_for_the_rest_of_the_window(session):
    _create(session)
    for minute in range(5):
        with pytest.raises(staff_service.InvalidCredentials):
            staff_service.authenticate(
                session=session, username="agent7", password="guess", now=NOW + timedelta(minutes=minute)
            )
    later = NOW + timedelta(minutes=5)
    with pytest.raises(staff_service.LoginLocked) as locked:
        staff_service.authenticate(session=session, username="agent7", password=PASSWORD, now=later)
    assert locked.value.retry_after_seconds == 10 * 60
    assert "10分钟" in locked.value.customer_message
    # 15 minutes after the first failure only four remain in the window: the right password works.
    unlocked = NOW + timedelta(minutes=15)
    staff_service.authenticate(session=session, username="agent7", password=PASSWORD, now=unlocked)


def test_a_successful_login_clears_earlier_failures(session):
    _create(session)
    for _ in range(4):
        with pytest.raises(staff_service.InvalidCredentials):
            staff_service.authenticate(session=session, username="agent7", password="guess", now=NOW)
    staff_service.authenticate(session=session, username="agent7", password=PASSWORD, now=NOW)
    for _ in range(4):
        with pytest.raises(staff_service.InvalidCredentials):
            staff_service.authenticate(session=session, username="agent7", password="guess", now=NOW)
    staff_service.authenticate(session=session, username="agent7", password=PASSWORD, now=NOW)


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

    assert all(roles.has_role(roles.ADMIN, (role,)) for role in (roles.AGENT, roles.SUPERVISOR, roles.ANALYST))
    assert not roles.has_role(roles.ANALYST, (roles.AGENT,))
    assert not roles.has_role(roles.AGENT, (roles.ANALYST,))
    assert roles.ROLE_LABELS[roles.ADMIN] == "系统管理员"
