"""Creating staff accounts, checking passwords and opening, resolving and revoking logins.

Functions take the session as a keyword argument and flush; the caller owns the transaction.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, true
from sqlalchemy.orm import Session

from bot.errors import Conflict, InvalidInput, NotFound, TooManyAttempts, Unauthenticated
from bot.ratelimit import failures, lockout

from . import passwords, roles
from .models import StaffAccount, StaffLoginFailure, StaffSession

DEFAULT_SESSION_HOURS = 12
DEFAULT_MAX_FAILURES = 5
DEFAULT_FAILURE_WINDOW = timedelta(minutes=15)
MAX_USERNAME_CHARS = 64
MAX_ADDRESS_CHARS = 64
# One address may fail this many times as often as one username from it before it is locked:
# an office behind one address has many agents who mistype now and then.
ADDRESS_FAILURE_FACTOR = 4


class InvalidCredentials(Unauthenticated):
    code = "invalid_credentials"
    # The same answer for an unknown username and a wrong password.
    customer_message = "用户名或密码错误。"


class LoginLocked(TooManyAttempts):
    code = "login_locked"
    customer_message = "登录失败次数过多，该账号已被暂时锁定，请15分钟后再试。"


class LoginThrottled(TooManyAttempts):
    """Many failures for this username from everywhere, or overall: a short wait, never a lock."""

    code = "login_throttled"
    customer_message = "登录尝试过于频繁，请稍候几秒再试。"


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
    """Creates an active staff account with an Argon2id-hashed password."""
    username = normalize_username(username)
    if not username or not username.replace("_", "").replace("-", "").replace(".", "").isalnum():
        raise InvalidInput(
            f"username {username!r} must be letters, digits, '.', '_' or '-'",
            customer_message="用户名只能包含字母、数字、点、下划线或连字符。",
        )
    if role not in roles.ROLES:
        raise InvalidInput(f"role {role!r} is not one of {roles.ROLES}", customer_message="员工角色不正确。")
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
    statement = select(StaffAccount).where(StaffAccount.username == normalize_username(username))
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


@dataclass(frozen=True)
class LoginPolicy:
    """How failed logins hold back further tries (bot.ratelimit.lockout rules)."""

    # One username from one address: locked, escalating. Someone guessing elsewhere never locks
    # the real agent out.
    pair: lockout.Lockout
    # One address, any usernames: locked, escalating (password spraying from one place).
    address: lockout.Lockout
    # One username from anywhere: a short delay that grows with the failures and is capped low,
    # so a distributed guesser is slowed and nobody is locked out.
    username: lockout.Lockout
    # Every login overall: past `step` failures everywhere, each client that fails waits a delay
    # growing with the total before its next try (clients that did not fail are not held back).
    overall: lockout.Lockout


def login_policy(
    *, max_failures: int = DEFAULT_MAX_FAILURES, window: timedelta = DEFAULT_FAILURE_WINDOW
) -> LoginPolicy:
    """`max_failures` from one address lock a username there for `window`, doubling per further
    `max_failures` (up to a day); an address gets ADDRESS_FAILURE_FACTOR times as many across
    usernames; a username from everywhere waits 1 s after `max_failures` failures within an
    hour, doubling up to 60 s; past 100 failures everywhere within 15 minutes, a client that
    failed waits 1 s before its next try, doubling per further 100 up to 10 s."""
    day = timedelta(hours=24)
    return LoginPolicy(
        pair=lockout.Lockout(step=max_failures, base=window, cap=day, window=day),
        address=lockout.Lockout(step=max_failures * ADDRESS_FAILURE_FACTOR, base=window, cap=day, window=day),
        username=lockout.Lockout(
            step=max_failures, base=timedelta(seconds=1), cap=timedelta(seconds=60), window=timedelta(hours=1)
        ),
        overall=lockout.Lockout(
            step=100, base=timedelta(seconds=1), cap=timedelta(seconds=10), window=timedelta(minutes=15)
        ),
    )


def _failure_times(session: Session, condition, policy: lockout.Lockout, now: datetime) -> list[datetime]:
    return failures.failure_times(session, StaffLoginFailure.created_at, condition, policy, now)


def _locked_until(session: Session, condition, policy: lockout.Lockout, now: datetime) -> datetime | None:
    return failures.locked_until(session, StaffLoginFailure.created_at, condition, policy, now)


def _overall_until(session: Session, own_failures, policy: lockout.Lockout, now: datetime) -> datetime | None:
    """Under a storm of failed logins everywhere, a client that failed itself waits a delay that
    grows with the storm before its next try; a client that has not failed is never held back,
    so the storm cannot keep agents out."""
    delay = lockout.lock_duration(len(_failure_times(session, true(), policy, now)), policy)
    if not delay:
        return None
    own = _failure_times(session, own_failures, policy, now)
    until = max(own) + delay if own else None
    return until if until is not None and until > now else None


def _seconds(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))


def _same_address(address: str | None):
    column = StaffLoginFailure.address
    return column.is_(None) if address is None else column == address


def _check_not_held_back(
    *, session: Session, username: str, address: str | None, now: datetime, policy: LoginPolicy
) -> None:
    """Raises LoginLocked or LoginThrottled (with retry_after_seconds) before any password is
    checked; says nothing about whether the username exists."""
    same_user = StaffLoginFailure.username == username
    for condition, scope in (
        (same_user & _same_address(address), policy.pair),
        (_same_address(address), policy.address if address else None),
    ):
        until = _locked_until(session, condition, scope, now) if scope else None
        if until is not None:
            retry_after = _seconds(until, now)
            minutes = max(1, -(-retry_after // 60))
            raise LoginLocked(
                f"failed logins lock {username!r} from {address!r} until {until.isoformat()}",
                retry_after_seconds=retry_after,
                customer_message=f"登录失败次数过多，已暂时锁定，请{minutes}分钟后再试。",
            )
    own_failures = _same_address(address) if address else same_user
    for until in (
        _locked_until(session, same_user, policy.username, now),
        _overall_until(session, own_failures, policy.overall, now),
    ):
        if until is not None:
            retry_after = _seconds(until, now)
            raise LoginThrottled(
                f"failed logins slow down {username!r} until {until.isoformat()}",
                retry_after_seconds=retry_after,
                customer_message=f"登录尝试过于频繁，请{retry_after}秒后再试。",
            )


def authenticate(
    *,
    session: Session,
    username: str,
    password: str,
    now: datetime,
    address: str | None = None,
    max_failures: int = DEFAULT_MAX_FAILURES,
    failure_window: timedelta = DEFAULT_FAILURE_WINDOW,
    policy: LoginPolicy | None = None,
) -> StaffAccount:
    """The active account these credentials prove, from the client `address`; InvalidCredentials
    (the failure is flushed and must be committed by the caller), LoginLocked or LoginThrottled.
    A legacy or weaker password hash is replaced by a fresh Argon2id one on success."""
    username = normalize_username(username)
    address = address[:MAX_ADDRESS_CHARS] if address else None
    policy = policy or login_policy(max_failures=max_failures, window=failure_window)
    _check_not_held_back(session=session, username=username, address=address, now=now, policy=policy)
    staff = get_staff_by_username(session=session, username=username)
    # Always verify a hash so an unknown username takes as long as a wrong password.
    stored = staff.password_hash if staff is not None else passwords.DUMMY_HASH
    matches = passwords.verify_password(password, stored)
    if staff is None or not staff.active or not matches:
        session.add(StaffLoginFailure(username=username, address=address, created_at=now))
        session.flush()
        raise InvalidCredentials(f"login refused for {username!r}")
    if passwords.needs_rehash(staff.password_hash):
        staff.password_hash = passwords.hash_password(password)
    # Only this address's failures: the user's success must not reset a guesser elsewhere.
    session.execute(
        delete(StaffLoginFailure).where(StaffLoginFailure.username == username, _same_address(address))
    )
    session.flush()
    return staff


def purge_login_failures(*, session: Session, now: datetime) -> int:
    """Removes failed logins older than any rule still counts (a day)."""
    cutoff = now - timedelta(hours=24)
    result = session.execute(delete(StaffLoginFailure).where(StaffLoginFailure.created_at <= cutoff))
    return result.rowcount or 0


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
    login = session.scalars(select(StaffSession).where(StaffSession.token_hash == hash_token(token))).first()
    if login is None or login.revoked_at is not None:
        raise SessionInvalid("unknown or revoked staff token")
    if not login.staff.active:
        raise SessionInvalid(f"staff account {login.staff.username!r} is disabled")
    if login.expires_at <= now:
        raise SessionExpired(f"staff token expired at {login.expires_at.isoformat()}")
    return login


def revoke_session(*, session: Session, token: str, now: datetime) -> None:
    """Ends a login (logout); later use of its token is refused."""
    login = session.scalars(select(StaffSession).where(StaffSession.token_hash == hash_token(token))).first()
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
    return dict(
        session.execute(
            select(StaffAccount.username, StaffAccount.display_name).where(StaffAccount.username.in_(wanted))
        ).all()
    )
