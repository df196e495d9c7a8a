"""Staff list a customer's assessments; customers and analysts cannot."""

from __future__ import annotations

import uuid
from datetime import timedelta

from bot.db import build_engine, build_session_factory, utcnow
from bot.suitability import service as suitability_service
from bot.suitability.questionnaire import load_questionnaire


def _seed(database_url: str, customer: str) -> None:
    questionnaire = load_questionnaire()
    engine = build_engine(database_url)
    with build_session_factory(engine).begin() as session:
        old = {q.id: 3 for q in questionnaire.questions}
        suitability_service.record_assessment(
            session=session,
            customer_id=customer,
            questionnaire=questionnaire,
            answers=old,
            channel="web",
            conversation_id="c-old",
            now=utcnow() - timedelta(days=400),
        )
        suitability_service.record_abandoned(
            session=session,
            customer_id=customer,
            questionnaire=questionnaire,
            answers={"age": 1, "household_income": 0},
            channel="app",
            conversation_id="c-new",
            now=utcnow(),
        )
    engine.dispose()


def test_an_agent_sees_every_assessment_newest_first(client, database_url, staff_factory):
    customer = f"S{uuid.uuid4().hex[:8]}"
    _seed(database_url, customer)
    response = client.get(
        f"/api/staff/customers/{customer}/assessments", headers=staff_factory.headers("agent")
    )
    assert response.status_code == 200
    newest, oldest = response.json()
    assert (newest["status"], newest["level"], newest["channel"]) == ("abandoned", None, "app")
    assert [a["option_label"] for a in newest["answers"]] == ["31–50岁", "10万元以下"]
    assert (oldest["status"], oldest["level"], oldest["level_name"]) == ("completed", "C5", "激进型")
    assert oldest["valid"] is False and oldest["questionnaire_version"] == 1
    assert len(oldest["answers"]) == 10 and oldest["answers"][0]["question_text"] == "您的年龄是？"

    supervisor = staff_factory.headers("supervisor")
    assert client.get("/api/staff/customers/nobody/assessments", headers=supervisor).json() == []


def test_customers_and_analysts_cannot_list_assessments(client, staff_factory, conversation):
    url = "/api/staff/customers/D1002/assessments"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=conversation["headers"]).status_code == 401
    denied = client.get(url, headers=staff_factory.headers("analyst"))
    assert denied.status_code == 403
    assert denied.json()["error"]["message"] == "您没有权限进行此操作。"
