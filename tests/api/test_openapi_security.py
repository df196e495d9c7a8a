"""The OpenAPI document names the two bearer tokens as security schemes (no raw `authorization`
header parameter), and reading the token that way left every refusal exactly as it was."""

from __future__ import annotations

import pytest

STAFF_PREFIXES = (
    "/api/staff/",
    "/api/agent/",
    "/api/analyst/",
    "/api/kb/",
    "/api/auth/logout",
    "/api/auth/me",
)


def _operations(spec):
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            yield f"{method.upper()} {path}", path, operation


def test_the_openapi_document_has_bearer_schemes_and_no_raw_authorization_parameter(client):
    spec = client.get("/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["StaffToken"]["type"] == schemes["ConversationToken"]["type"] == "http"
    assert schemes["StaffToken"]["scheme"] == schemes["ConversationToken"]["scheme"] == "bearer"
    raw = [
        name
        for name, _path, operation in _operations(spec)
        if any(
            p["in"] == "header" and p["name"].lower() == "authorization"
            for p in operation.get("parameters", [])
        )
    ]
    assert raw == []
    for name, path, operation in _operations(spec):
        if path.startswith(STAFF_PREFIXES):
            assert operation.get("security") == [{"StaffToken": []}], name
        elif path.startswith("/api/chat/{conversation_id}/"):
            assert operation.get("security") == [{"ConversationToken": []}], name
        else:
            assert "security" not in operation, name


UNAUTHENTICATED = {
    "error": {
        "code": "unauthenticated",
        "message": "请先登录后再操作。",
        "detail": "missing Authorization: Bearer <token> header",
    }
}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer "},
        {"Authorization": "Token abc"},
        {"Authorization": ""},
    ],
)
def test_a_missing_staff_token_is_the_same_401_as_before(client, headers):
    response = client.get("/api/auth/me", headers=headers)
    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_staff_token_is_read_case_insensitively_and_trimmed(client, staff_factory):
    token = staff_factory.headers()["Authorization"].split(" ", 1)[1]
    for value in (f"Bearer {token}", f"bearer {token}", f"BEARER  {token}"):
        assert client.get("/api/auth/me", headers={"Authorization": value}).status_code == 200, value


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer "}, {"Authorization": "Bearer wrong"}],
)
def test_a_missing_or_wrong_conversation_token_is_the_same_403_as_before(client, conversation, headers):
    response = client.get(f"/api/chat/{conversation['conversation_id']}/messages", headers=headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "invalid_conversation_token"
    assert "www-authenticate" not in response.headers
    token = conversation["token"]
    ok = client.get(
        f"/api/chat/{conversation['conversation_id']}/messages", headers={"Authorization": f"bearer  {token}"}
    )
    assert ok.status_code == 200
