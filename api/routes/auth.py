"""Staff login, logout and "who am I" for the agent and analyst consoles."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, Response

from bot.db import utcnow
from bot.staff import roles
from bot.staff import service as staff_service
from bot.staff.models import StaffAccount

from ..deps import SessionDep, SessionFactoryDep, SettingsDep
from ..schemas.auth import LoginRead, LoginRequest, Me, StaffRead
from ..staff_auth import CurrentLogin, StaffTokenDep

router = APIRouter(prefix="/api/auth", tags=["staff auth"])


def staff_view(staff: StaffAccount) -> StaffRead:
    return StaffRead(
        username=staff.username,
        display_name=staff.display_name,
        role=staff.role,
        role_label=roles.ROLE_LABELS[staff.role],
    )


@router.post(
    "/login",
    response_model=LoginRead,
    responses={
        401: {"description": "Wrong username or password."},
        429: {
            "description": "Too many failed logins (this username from this address, this "
            "address, or overall); retry after Retry-After seconds."
        },
    },
)
def login(
    body: LoginRequest, request: Request, factory: SessionFactoryDep, settings: SettingsDep
) -> LoginRead:
    """Checks the password and returns a bearer token for the staff API."""
    now = utcnow()
    with factory() as session:
        try:
            staff = staff_service.authenticate(
                session=session,
                username=body.username,
                password=body.password,
                now=now,
                address=request.client.host if request.client else None,
                max_failures=settings.staff_login_max_failures,
                failure_window=timedelta(minutes=settings.staff_login_window_minutes),
            )
        except staff_service.InvalidCredentials:
            session.commit()  # the failed attempt counts towards the lockout
            raise
        staff_login, token = staff_service.open_session(
            session=session, staff=staff, now=now, hours=settings.staff_session_hours
        )
        session.commit()
        return LoginRead(token=token, expires_at=staff_login.expires_at, staff=staff_view(staff))


@router.post("/logout", status_code=204, responses={401: {"description": "Not signed in."}})
def logout(token: StaffTokenDep, _login: CurrentLogin, session: SessionDep) -> Response:
    """Ends the current login; its token is refused from now on."""
    staff_service.revoke_session(session=session, token=token, now=utcnow())
    return Response(status_code=204)


@router.get("/me", response_model=Me, responses={401: {"description": "Not signed in."}})
def me(login: CurrentLogin) -> Me:
    """The signed-in member of staff and when the login ends."""
    return Me(staff=staff_view(login.staff), expires_at=login.expires_at)
