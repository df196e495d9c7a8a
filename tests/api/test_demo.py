"""Demo customers: a tester can chat as a seeded customer, and only while DEMO_MODE is on."""

from __future__ import annotations

import dataclasses

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from bot.db import utcnow
from bot.identity.demo import seed_demo_assessments
from bot.identity.tokens import InvalidIdentity, verify_identity
from bot.suitability import service as suitability_service

from .conftest import IDENTITY_SECRET


def test_the_demo_customers_are_listed_and_get_a_genuine_identity(client):
    customers = client.get("/api/demo/customers").json()
    assert [c["id"] for c in customers] == ["D1001", "D1002", "D1003", "D1004"]
    assert all(c["name"] and c["note"] for c in customers)

    body = client.post("/api/demo/identity", json={"customer_id": "D1002"}).json()
    assert client.app.state.identity.verify(body["identity_token"], now=utcnow()) == "D1002"
    # Signed with the demo's own key and issuer, never with the bank's secret.
    with pytest.raises(InvalidIdentity):
        verify_identity(body["identity_token"], secret=IDENTITY_SECRET, now=utcnow())
    session = client.post(
        "/api/chat/sessions", json={"channel": "web", "identity_token": body["identity_token"]}
    ).json()
    assert session["customer_id"] == "D1002"


def test_an_unknown_demo_customer_is_a_clear_404(client):
    response = client.post("/api/demo/identity", json={"customer_id": "C0001"})
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "没有找到您要的内容。"
    assert client.post("/api/demo/identity", json={}).status_code == 422


def test_with_demo_mode_off_nobody_can_sign_an_identity(client):
    demo_token = client.post("/api/demo/identity", json={"customer_id": "D1002"}).json()["identity_token"]
    settings = dataclasses.replace(client.app.state.settings, demo_mode=False)
    with TestClient(create_app(settings)) as production:
        assert production.get("/api/demo/customers").status_code == 404
        assert production.post("/api/demo/identity", json={"customer_id": "D1002"}).status_code == 404
        assert 'data-demo="true"' not in production.get("/").text  # no demo-customer picker
        # A demo identity signed while demo mode was on names nobody once it is off.
        refused = production.post("/api/chat/sessions", json={"identity_token": demo_token})
        assert refused.status_code == 401
    assert 'data-demo="true"' in client.get("/").text


def test_seeding_gives_each_demo_customer_its_situation_once(session):
    now = utcnow()
    assert seed_demo_assessments(session=session, now=now) == 3
    assert seed_demo_assessments(session=session, now=now) == 0

    def standing(customer_id):
        answer = suitability_service.customer_standing(session=session, customer_id=customer_id, now=now)
        return answer.status, answer.customer_level

    assert standing("D1001") == ("no_assessment", None)
    assert standing("D1002") == ("valid", "C3")
    assert standing("D1003") == ("expired", "C4")
    assert standing("D1004") == ("valid", "C4")
