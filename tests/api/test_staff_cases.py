"""Agents and supervisors handle complaint cases through the staff API; analysts cannot."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from bot.cases import service as case_service
from bot.cases.crypto import CaseCipher
from bot.db import utcnow
from tests.api.conftest import CASE_ENCRYPTION_KEY
from tests.api.test_chat_api import assert_error

CIPHER = CaseCipher(CASE_ENCRYPTION_KEY)


@pytest.fixture
def open_case(staff_factory):
    """Files a complaint the way the assistant does, committed in the API's database."""

    def open_(customer_id=None, received_ago=timedelta(0), **fields) -> str:
        defaults = dict(
            description="信用卡莫名其妙被乱扣年费，之前没告知我",
            request="退还年费",
            intake_channel="web",
            contact_phone="13912345678",
            customer_name="陈静",
        )
        with staff_factory.session() as db:
            case = case_service.open_case(
                session=db,
                customer_id=customer_id or f"C-{uuid.uuid4().hex[:8]}",
                now=utcnow() - received_ago,
                cipher=CIPHER,
                **{**defaults, **fields},
            )
            return case.number

    return open_


@pytest.fixture
def agent(staff_factory):
    return staff_factory.headers("agent")


def test_without_a_login_the_case_api_answers_401(client, open_case):
    number = open_case()
    assert_error(client.get("/api/staff/cases"), 401)
    assert_error(client.get(f"/api/staff/cases/{number}"), 401)
    assert_error(client.post(f"/api/staff/cases/{number}/answer", json={"text": "好"}), 401)


def test_analysts_may_not_see_or_touch_cases(client, staff_factory, open_case):
    number = open_case()
    analyst = staff_factory.headers("analyst")
    assert_error(client.get("/api/staff/cases", headers=analyst), 403)
    assert_error(client.get(f"/api/staff/cases/{number}", headers=analyst), 403)
    assert_error(client.get(f"/api/staff/cases/{number}/contact", headers=analyst), 403)
    assert_error(
        client.post(f"/api/staff/cases/{number}/status", json={"status": "in_progress"}, headers=analyst), 403
    )


def test_a_case_shows_masked_contact_labels_deadline_and_audit_trail(client, agent, open_case):
    number = open_case()
    response = client.get(f"/api/staff/cases/{number.lower()}", headers=agent)
    assert response.status_code == 200, response.text
    case = response.json()
    assert case["number"] == number and case["status_label"] == "已受理"
    assert case["contact_phone_masked"] == "139****5678" and case["customer_name_masked"] == "陈*"
    assert "13912345678" not in response.text and "陈静" not in response.text
    assert case["business"] == {"code": "BT03", "label": "银行卡"}
    assert case["reason"]["label"] == "定价收费"
    assert case["days_left"] == 15 and case["deadline_flag"] is None
    assert [(e["actor"], e["action"]) for e in case["events"]] == [("assistant", "opened")]
    assert (case["occurred_on"], case["amount"], case["amount_currency"]) == (None, None, None)


def test_a_case_shows_the_day_and_the_sum_the_customers_words_resolved_to(client, agent, open_case):
    from datetime import date
    from decimal import Decimal

    number = open_case(
        occurred_at="上周五下午",
        occurred_on=date(2026, 11, 27),
        amount=Decimal("5000"),
        received_ago=timedelta(days=1),
    )
    case = client.get(f"/api/staff/cases/{number}", headers=agent).json()
    assert (case["occurred_when"], case["occurred_on"], case["amount"], case["amount_currency"]) == (
        "上周五下午",
        "2026-11-27",
        5000.0,
        "CNY",
    )


def test_unknown_and_malformed_numbers_get_clear_errors(client, agent):
    error = assert_error(
        client.get("/api/staff/cases/TS20991231999999", headers=agent), 404, "case_not_found"
    )
    assert "TS" in error["message"]
    assert_error(client.get("/api/staff/cases/not-a-number", headers=agent), 422, "invalid_case_number")


def test_the_whole_lifecycle_through_the_api(client, staff_factory, open_case):
    agent_name = staff_factory.create("agent")
    supervisor = staff_factory.headers("supervisor")
    number = open_case()
    url = f"/api/staff/cases/{number}"

    assigned = client.post(f"{url}/assign", json={"username": agent_name}, headers=supervisor)
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["assignee"] == agent_name
    moved = client.post(
        f"{url}/status", json={"status": "in_progress", "note": "已电话联系客户"}, headers=supervisor
    )
    assert moved.json()["status_label"] == "处理中"
    extended = client.post(f"{url}/extend", json={"reason": "需向发卡中心调取记录"}, headers=supervisor)
    assert extended.json()["extension_count"] == 1 and extended.json()["days_left"] == 30
    answered = client.post(f"{url}/answer", json={"text": "年费已退还至您的信用卡账户。"}, headers=supervisor)
    body = answered.json()
    assert body["status"] == "answered" and body["answer_text"] == "年费已退还至您的信用卡账户。"
    assert body["deadline_flag"] is None and body["days_left"] is None
    closed = client.post(f"{url}/status", json={"status": "closed", "note": "客户无异议"}, headers=supervisor)
    assert closed.json()["status_label"] == "已办结"
    trail = [(e["action"], e["from_status"], e["to_status"], e["note"]) for e in closed.json()["events"]]
    assert trail[1:] == [
        ("assigned", None, None, f"- -> {agent_name}"),
        ("status_changed", "received", "in_progress", "已电话联系客户"),
        ("extended", None, None, "extension 1: 需向发卡中心调取记录"),
        ("answered", "in_progress", "answered", None),
        ("status_changed", "answered", "closed", "客户无异议"),
    ]
    assert all(e["actor"].startswith("staff:supervisor-") for e in closed.json()["events"][1:])
    # Consoles show display names, not login names.
    assert {e["actor_name"] for e in closed.json()["events"][1:]} == {"测试supervisor"}
    assert (
        closed.json()["staff_names"][agent_name] == "测试agent"
        and closed.json()["assignee_name"] == "测试agent"
    )


def test_an_illegal_transition_is_a_409_in_chinese(client, agent, open_case):
    number = open_case()
    error = assert_error(
        client.post(f"/api/staff/cases/{number}/status", json={"status": "closed"}, headers=agent),
        409,
        "illegal_transition",
    )
    assert error["message"] == "该投诉当前状态为「已受理」，不能变更为「已办结」。"
    assert_error(
        client.post(f"/api/staff/cases/{number}/status", json={"status": "archived"}, headers=agent), 422
    )


def test_only_a_supervisor_may_grant_the_second_extension(client, staff_factory, agent, open_case):
    number = open_case()
    url = f"/api/staff/cases/{number}/extend"
    assert_error(client.post(url, json={"reason": "  "}, headers=agent), 422, "invalid_case_field")
    assert client.post(url, json={"reason": "情况复杂"}, headers=agent).status_code == 200
    assert_error(
        client.post(url, json={"reason": "涉及第三方", "approval_note": "同意"}, headers=agent),
        403,
        "extension_needs_supervisor",
    )
    supervisor = staff_factory.headers("supervisor")
    assert_error(client.post(url, json={"reason": "涉及第三方"}, headers=supervisor), 422)
    granted = client.post(
        url, json={"reason": "涉及第三方", "approval_note": "分管行长批准"}, headers=supervisor
    )
    assert granted.status_code == 200 and granted.json()["days_left"] == 60
    assert granted.json()["extension_approval_note"] == "分管行长批准"
    assert_error(client.post(url, json={"reason": "再延", "approval_note": "同意"}, headers=supervisor), 409)


def test_the_unmasked_contact_is_shown_to_agents_and_audited(client, agent, open_case):
    number = open_case()
    contact = client.get(f"/api/staff/cases/{number}/contact", headers=agent)
    assert contact.json() == {"number": number, "contact_phone": "13912345678", "customer_name": "陈静"}
    events = client.get(f"/api/staff/cases/{number}", headers=agent).json()["events"]
    assert events[-1]["action"] == "contact_revealed" and events[-1]["actor"].startswith("staff:agent-")


def test_assigning_to_an_analyst_or_an_unknown_user_is_refused(client, staff_factory, agent, open_case):
    number = open_case()
    analyst = staff_factory.create("analyst")
    assert_error(
        client.post(f"/api/staff/cases/{number}/assign", json={"username": analyst}, headers=agent), 422
    )
    assert_error(
        client.post(f"/api/staff/cases/{number}/assign", json={"username": "ghost"}, headers=agent), 404
    )


def test_the_list_filters_by_deadline_status_and_classification_with_paging(client, agent, open_case):
    customer = f"C-{uuid.uuid4().hex[:8]}"
    fresh = open_case(customer, description="手机银行转账失败")
    soon = open_case(customer, received_ago=timedelta(days=13), description="网点柜员态度很差")
    late = open_case(customer, received_ago=timedelta(days=20), description="房贷提前还款收违约金")

    def numbers(**params):
        response = client.get("/api/staff/cases", params={"customer": customer, **params}, headers=agent)
        assert response.status_code == 200, response.text
        return [item["number"] for item in response.json()["items"]]

    assert numbers() == [late, soon, fresh]
    assert numbers(due="overdue") == [late]
    assert numbers(due="due_soon") == [soon]
    assert numbers(business="BT02") == [late]
    assert numbers(channel="CH01") == [soon]
    assert numbers(status=["received", "in_progress"]) == [late, soon, fresh]
    assert numbers(status="closed") == []
    page = client.get(
        "/api/staff/cases", params={"customer": customer, "page": 2, "page_size": 2}, headers=agent
    )
    assert page.json()["total"] == 3 and [i["number"] for i in page.json()["items"]] == [fresh]
    overdue = client.get("/api/staff/cases", params={"customer": customer, "due": "overdue"}, headers=agent)
    assert overdue.json()["items"][0]["deadline_flag"] == "overdue"
    assert overdue.json()["items"][0]["days_left"] < 0
    assert_error(client.get("/api/staff/cases", params={"due": "tomorrow"}, headers=agent), 422)
