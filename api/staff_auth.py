"""Staff authentication dependencies: `CurrentStaff` and `require_role(...)`.

    @router.get("/api/staff/things")
    def list_things(staff: Annotated[StaffAccount, Depends(require_role("agent"))]): ...

A missing, unknown, revoked or expired bearer token is a 401; a role that may not use the route
is a 403 (a supervisor may use every route an agent may).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bot.db import utcnow
from bot.errors import Forbidden, Unauthenticated
from bot.staff import roles
from bot.staff import service as staff_service
from bot.staff.models import StaffAccount, StaffSession

from .deps import SessionDep

# Documents the staff token in OpenAPI as a bearer security scheme; auto_error=False so that a
# missing token is our own 401 (error envelope, WWW-Authenticate: Bearer), not FastAPI's 403.
staff_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="StaffToken",
    description="The token of POST /api/auth/login, as `Authorization: Bearer <token>`.",
)


async def staff_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(staff_bearer)],
) -> str:
    """The token from `Authorization: Bearer <token>`; 401 when there is none."""
    token = credentials.credentials.strip() if credentials else ""
    if not token:
        raise Unauthenticated("missing Authorization: Bearer <token> header")
    return token


StaffTokenDep = Annotated[str, Depends(staff_token)]


def current_login(token: StaffTokenDep, session: SessionDep) -> StaffSession:
    """The live staff login behind the bearer token."""
    return staff_service.resolve_session(session=session, token=token, now=utcnow())


CurrentLogin = Annotated[StaffSession, Depends(current_login)]


def current_staff(login: CurrentLogin) -> StaffAccount:
    """The signed-in member of staff."""
    return login.staff


CurrentStaff = Annotated[StaffAccount, Depends(current_staff)]


def require_role(*allowed: str) -> Callable[[StaffAccount], StaffAccount]:
    """A dependency admitting only staff holding one of `allowed` (supervisor implies agent)."""
    unknown = set(allowed) - set(roles.ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    def dependency(staff: CurrentStaff) -> StaffAccount:
        if not roles.has_role(staff.role, allowed):
            raise Forbidden(f"role {staff.role!r} may not use this route (needs one of {allowed})")
        return staff

    return dependency


# Complaint cases: agents and supervisors, never analysts.
CaseStaff = Annotated[StaffAccount, Depends(require_role(*roles.CASE_ROLES))]
