"""Creating staff accounts, checking passwords and opening, resolving and revoking logins.

Functions take the session as a keyword argument and flush; the caller owns the transaction.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.errors import Conflict, InvalidInput, NotFound, TooManyAttempts, Unauthenticated

from . import passwords, roles
from .models import StaffAccount, StaffLoginFailure, StaffSession

DEFAULT_SESSION_HOURS = 12
DEFAULT_MAX_FAILURES = 5
DEFAULT_FAILURE_WINDOW = timedelta(minutes=15)
MAX_USERNAME_CHARS = 64


class InvalidCredentials(Unauthenticated):
    code = "invalid_credentials"
    # The same answer for an unknown username and a wrong password.
    customer_message = "用户名或密码错误。"


class LoginLocked(TooManyAttempts):
    code = "login_locked"
    customer_message = "登录失败次数过多，该账号已被暂时锁定，请15分钟后再试。"


class SessionInvalid(Unauthenticated):
    code = "session_invalid"
    customer_message = "登录状态无效，请重新登录。"


class SessionExpired(Unauthenticated):
    code = "session_expired"
    customer_message = "登录已过期，请重新登录。"


class StaffNotFound(NotFound):
    code = "staff_not_found"
    customer_message = "没有找到该员工账号。"


def normalize_username(username: str) -> str:
    """Usernames are compared trimmed and in lower case."""
    return username.strip().lower()[:MAX_USERNAME_CHARS]


def hash_token(token: str) -> str:
    """The SHA-256 (hex) under which a session token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def actor_name(staff: StaffAccount) -> str:
    """How a member of staff is named in audit trails: "staff:<username>"."""
    return f"staff:{staff.username}"


def create_staff(
    *,
    session: Session,
    username: str,
    display_name: str,
    role: str,
    password: str,
    now: datetime,
) -> StaffAccount:
    """Creates an active staff account with a scrypt-hashed password."""
    username = normalize_username(username)
    if not username or not username.replace("_", "").replace("-", "").replace(".", "").isalnum():
        raise InvalidInput(
            f"username {username!r} must be letters, digits, '.', '_' or '-'",
            customer_message="用户名只能包含字母、数字、点、下划线或连字符。",
        )
    if role not in roles.ROLES:
        raise InvalidInput(
            f"role {role!r} is not one of {roles.ROLES}", customer_message="员工角色不正确。"
        )
    if not display_name.strip():
        raise InvalidInput("display_name is empty", customer_message="请填写员工姓名。")
    if len(password) < passwords.MIN_PASSWORD_CHARS:
        raise InvalidInput(
            f"password shorter than {passwords.MIN_PASSWORD_CHARS} characters",
            customer_message=f"密码至少需要 {passwords.MIN_PASSWORD_CHARS} 个字符。",
        )
    if get_staff_by_username(session=session, username=username) is not None:
        raise Conflict(f"username {username!r} exists", customer_message="该用户名已被使用。")
    staff = StaffAccount(
        username=username,
        display_name=display_name.strip(),
        role=role,
        password_hash=passwords.hash_password(password),
        active=True,
        created_at=now,
    )
    session.add(staff)
    session.flush()
    return staff


def get_staff_by_username(*, session: Session, username: str) -> StaffAccount | None:
    """The account with this username (any case), or None."""
    statement = select(StaffAccount).where(
        StaffAccount.username == normalize_username(username)
    )
    return session.scalars(statement).first()


def require_staff(*, session: Session, username: str) -> StaffAccount:
    """The active account with this username; StaffNotFound otherwise."""
    staff = get_staff_by_username(session=session, username=username)
    if staff is None or not staff.active:
        raise StaffNotFound(f"no active staff account {username!r}")
    return staff


def set_active(*, session: Session, username: str, active: bool) -> StaffAccount:
    """Enables or disables an account; disabling also ends its open logins at their next use."""
    staff = get_staff_by_username(session=session, username=username)
    if staff is None:
        raise StaffNotFound(f"no staff account {username!r}")
    staff.active = active
    session.flush()
    return staff


def _check_not_locked(
    *, session: Session, username: str, now: datetime, max_failures: int, window: timedelta
) -> None:
    statement = (
        select(StaffLoginFailure.created_at)
        .where(StaffLoginFailure.username == username, StaffLoginFailure.created_at > now - window)
        .order_by(StaffLoginFailure.created_at.desc())
        .limit(max_failures)
    )
    recent = list(session.scalars(statement))
    if len(recent) < max_failures:
        return
    unlocks_at = recent[-1] + window
    retry_after = max(1, math.ceil((unlocks_at - now).total_seconds()))
    minutes = max(1, -(-retry_after // 60))
    raise LoginLocked(
        f"{len(recent)} failed logins for {username!r} within {window}",
        retry_after_seconds=retry_after,
        customer_message=f"登录失败次数过多，该账号已被暂时锁定，请{minutes}分钟后再试。",
    )


def authenticate(
    *,
    session: Session,
    username: str,
    password: str,
    now: datetime,
    max_failures: int = DEFAULT_MAX_FAILURES,
    failure_window: timedelta = DEFAULT_FAILURE_WINDOW,
) -> StaffAccount:
    """The active account these credentials prove; InvalidCredentials (the failure is flushed and
    must be committed by the caller) or LoginLocked after too many recent failures."""
    username = normalize_username(username)
    _check_not_locked(
        session=session, username=username, now=now, max_failures=max_failures, window=failure_window
    )
    staff = get_staff_by_username(session=session, username=username)
    # Always run scrypt so an unknown username takes as long as a wrong password.
    matches = passwords.verify_password(
        password, staff.password_hash if staff is not None else passwords.DUMMY_HASH
    )
    if staff is None or not staff.active or not matches:
        session.add(StaffLoginFailure(username=username, created_at=now))
        session.flush()
        raise InvalidCredentials(f"login refused for {username!r}")
    session.execute(delete(StaffLoginFailure).where(StaffLoginFailure.username == username))
    return staff


def open_session(
    *, session: Session, staff: StaffAccount, now: datetime, hours: int = DEFAULT_SESSION_HOURS
) -> tuple[StaffSession, str]:
    """Starts a login for the account; returns it and the bearer token (shown only once)."""
    token = secrets.token_urlsafe(32)
    login = StaffSession(
        token_hash=hash_token(token),
        staff_id=staff.id,
        created_at=now,
        expires_at=now + timedelta(hours=hours),
    )
    login.staff = staff
    session.add(login)
    session.flush()
    return login, token


def resolve_session(*, session: Session, token: str, now: datetime) -> StaffSession:
    """The live login behind a bearer token; SessionInvalid or SessionExpired otherwise."""
    login = session.scalars(
        select(StaffSession).where(StaffSession.token_hash == hash_token(token))
    ).first()
    if login is None or login.revoked_at is not None:
        raise SessionInvalid("unknown or revoked staff token")
    if not login.staff.active:
        raise SessionInvalid(f"staff account {login.staff.username!r} is disabled")
    if login.expires_at <= now:
        raise SessionExpired(f"staff token expired at {login.expires_at.isoformat()}")
    return login


def revoke_session(*, session: Session, token: str, now: datetime) -> None:
    """Ends a login (logout); later use of its token is refused."""
    login = session.scalars(
        select(StaffSession).where(StaffSession.token_hash == hash_token(token))
    ).first()
    if login is None:
        raise SessionInvalid("unknown staff token")
    if login.revoked_at is None:
        login.revoked_at = now
        session.flush()


def display_names(*, session: Session, usernames: Iterable[str]) -> dict[str, str]:
    """{username: display name} of the staff accounts among `usernames` (what consoles show
    instead of login names; unknown usernames are left out)."""
    wanted = {name for name in usernames if name}
    if not wanted:
        return {}
    return dict(session.execute(
        select(StaffAccount.username, StaffAccount.display_name).where(StaffAccount.username.in_(wanted))
    ).all())  # fmt: skip
