"""Staff sign in with a password, get a bearer token, and are refused when they should be."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Depends

from api.staff_auth import require_role
from bot.db import utcnow
from bot.staff import service as staff_service
from bot.staff.models import StaffAccount
from tests.api.conftest import STAFF_PASSWORD
from tests.api.test_chat_api import assert_error


def _login(client, username, password=STAFF_PASSWORD):
    return client.post("/api/auth/login", json={"username": username, "password": password})


def test_login_returns_a_token_that_identifies_the_staff_member(client, staff_factory):
    username = staff_factory.create("supervisor", display_name="李主管")
    response = _login(client, username.upper())
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["token"]) >= 32
    assert body["staff"] == {
        "username": username,
        "display_name": "李主管",
        "role": "supervisor",
        "role_label": "客服主管",
    }
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.json()["staff"]["username"] == username
    assert me.json()["expires_at"] == body["expires_at"]


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(client, staff_factory):
    username = staff_factory.create()
    wrong = assert_error(_login(client, username, "not-the-password"), 401, "invalid_credentials")
    unknown = assert_error(_login(client, "nobody-here"), 401, "invalid_credentials")
    assert wrong["message"] == unknown["message"] == "用户名或密码错误。"


def test_without_a_valid_token_the_staff_api_answers_401(client):
    assert_error(client.get("/api/auth/me"), 401, "unauthenticated")
    assert_error(client.get("/api/auth/me", headers={"Authorization": "Bearer made-up"}), 401)
    assert_error(client.get("/api/auth/me", headers={"Authorization": "Basic abc"}), 401)


def test_logout_revokes_the_token(client, staff_factory):
    headers = staff_factory.headers()
    assert client.post("/api/auth/logout", headers=headers).status_code == 204
    error = assert_error(client.get("/api/auth/me", headers=headers), 401, "session_invalid")
    assert "重新登录" in error["message"]


def test_an_expired_login_answers_401_asking_to_sign_in_again(client, staff_factory):
    username = staff_factory.create()
    with staff_factory.session() as session:
        staff = staff_service.get_staff_by_username(session=session, username=username)
        _login_row, token = staff_service.open_session(
            session=session, staff=staff, now=utcnow() - timedelta(hours=13), hours=12
        )
    response = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    error = assert_error(response, 401, "session_expired")
    assert error["message"] == "登录已过期，请重新登录。"


def test_a_route_for_one_role_refuses_the_others_with_403(client, staff_factory):
    @client.app.get("/test/supervisors-only")
    def supervisors_only(staff: Annotated[StaffAccount, Depends(require_role("supervisor"))]):
        return {"username": staff.username}

    assert (
        client.get("/test/supervisors-only", headers=staff_factory.headers("supervisor")).status_code == 200
    )
    assert_error(client.get("/test/supervisors-only", headers=staff_factory.headers("agent")), 403)
    assert_error(client.get("/test/supervisors-only", headers=staff_factory.headers("analyst")), 403)
    assert_error(client.get("/test/supervisors-only"), 401)


def test_five_failed_logins_lock_the_username_with_429(client, staff_factory):
    username = staff_factory.create()
    for _ in range(5):
        assert_error(_login(client, username, "guess-again"), 401)
    locked = _login(client, username)  # even the right password is refused now
    error = assert_error(locked, 429, "login_locked")
    assert "分钟后再试" in error["message"]
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    other = staff_factory.create()
    assert _login(client, other).status_code == 200, "other usernames are not affected"
