"""The knowledge-base API: who may do what (kb_editor writes, kb_reviewer decides, nobody decides
their own draft, an admin neither), validation, scheduling, previews, the comparison and the audit
trail. The real app on a migrated database (SQLite and PostgreSQL), seeded from the answer files.

Other tests share the database and may change some topics' answers, so each test here works on a
topic of its own and reads states relative to what it finds."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.db import utcnow
from bot.faq.catalog import load_catalog

NEW_TEXT = "自下月起，本行手机银行跨行转账免收手续费；详情可致电客服热线{bank_hotline}咨询，或在手机银行费用说明中查看。"


@pytest.fixture
def kb(client, staff_factory):
    """Signed-in headers of two editors, two reviewers and an admin."""
    return {
        "editor": staff_factory.headers("kb_editor"),
        "editor2": staff_factory.headers("kb_editor"),
        "reviewer": staff_factory.headers("kb_reviewer"),
        "reviewer2": staff_factory.headers("kb_reviewer"),
        "admin": staff_factory.headers("admin"),
        "analyst": staff_factory.headers("analyst"),
        "agent": staff_factory.headers("agent"),
    }


def _draft(client, headers, topic="deposit_rate", **body):
    response = client.post(
        f"/api/kb/topics/{topic}/drafts", json={"text": NEW_TEXT, "related": [], **body}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


def _topic(client, headers, topic):
    response = client.get(f"/api/kb/topics/{topic}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_topic_list_shows_every_topic_with_its_state_and_filters(client, kb):
    response = client.get("/api/kb/topics", headers=kb["reviewer"])
    assert response.status_code == 200
    body = response.json()
    assert {item["topic_id"] for item in body["items"]} == set(load_catalog().topics)  # every topic
    assert {g["code"] for g in body["groups"]} >= {"transfer", "deposit"}
    fee = next(item for item in body["items"] if item["topic_id"] == "transfer_fee")
    assert fee["title"] == "转账手续费" and fee["group_label"] == "转账汇款与支付结算"
    assert "published" in fee["states"] and "已发布" in fee["state_labels"]
    assert fee["wording_count"] >= 12 and fee["current"]["number"] >= 1

    transfer = client.get(
        "/api/kb/topics", params={"group": "transfer", "q": "手续费"}, headers=kb["editor"]
    ).json()
    assert transfer["items"] and all(item["group"] == "transfer" for item in transfer["items"])
    assert "transfer_fee" in {item["topic_id"] for item in transfer["items"]}

    _draft(client, kb["editor"], topic="atm_withdrawal_fee")
    pending = client.get("/api/kb/topics", params={"state": "pending"}, headers=kb["editor"]).json()
    assert "atm_withdrawal_fee" in {item["topic_id"] for item in pending["items"]}
    assert all("pending" in item["states"] for item in pending["items"])


def test_an_editor_drafts_and_another_person_approves_it_with_an_audit_trail(client, kb):
    draft = _draft(client, kb["editor"], topic="deposit_rate", related=["large_cd"], note="利率调整")
    assert (draft["status"], draft["state"], draft["state_label"]) == ("pending", "pending", "待审核")
    assert draft["rendered_text"].startswith("自下月起") and "{bank_hotline}" not in draft["rendered_text"]
    assert draft["buttons"] == [{"title": "大额存单", "payload": '/faq_choose{"faq_topic": "large_cd"}'}]
    assert draft["author_name"] == "测试kb_editor" and draft["note"] == "利率调整"

    # Four eyes: the editor has no reviewer role; a reviewer may not decide a draft they wrote.
    assert (
        client.post(f"/api/kb/versions/{draft['id']}/approve", json={}, headers=kb["editor"]).status_code
        == 403
    )
    approved = client.post(
        f"/api/kb/versions/{draft['id']}/approve", json={"comment": "合规"}, headers=kb["reviewer"]
    )
    assert approved.status_code == 200, approved.text
    assert (approved.json()["state"], approved.json()["reviewer_name"]) == ("published", "测试kb_reviewer")

    topic = _topic(client, kb["editor"], "deposit_rate")
    assert topic["topic"]["current"]["id"] == draft["id"]
    assert [v["state"] for v in topic["versions"]][:2] == ["published", "superseded"]
    assert [(e["action"], e["action_label"]) for e in topic["events"]][:2] == [
        ("approved", "审核通过"),
        ("drafted", "提交草稿"),
    ]
    assert topic["events"][0]["comment"] == "合规" and topic["events"][-1]["actor_name"] == "系统导入"

    again = client.post(f"/api/kb/versions/{draft['id']}/approve", json={}, headers=kb["reviewer2"])
    assert again.status_code == 409
    audit = client.get("/api/kb/events", params={"topic_id": "deposit_rate"}, headers=kb["reviewer2"]).json()
    assert audit["items"][0]["version_id"] == draft["id"] and audit["items"][0]["action"] == "approved"


def test_nobody_approves_their_own_draft_not_even_an_admin(client, kb):
    draft = _draft(client, kb["admin"], topic="deposit_insurance")
    for action, body in (("approve", {}), ("reject", {"comment": "自己退回"})):
        response = client.post(f"/api/kb/versions/{draft['id']}/{action}", json=body, headers=kb["admin"])
        assert response.status_code == 403, response.text
        assert response.json()["error"]["message"] == "不能审核自己提交的版本，请由另一位审核人员处理。"
    assert _topic(client, kb["admin"], "deposit_insurance")["versions"][0]["state"] == "pending"
    # Another reviewer may.
    assert (
        client.post(f"/api/kb/versions/{draft['id']}/approve", json={}, headers=kb["reviewer"]).status_code
        == 200
    )


def test_a_rejection_needs_a_comment_and_the_author_alone_withdraws(client, kb):
    draft = _draft(client, kb["editor"], topic="early_withdrawal")
    refused = client.post(
        f"/api/kb/versions/{draft['id']}/reject", json={"comment": "  "}, headers=kb["reviewer"]
    )
    assert refused.status_code == 422
    rejected = client.post(
        f"/api/kb/versions/{draft['id']}/reject",
        json={"comment": "请补充提前支取的计息方式"},
        headers=kb["reviewer"],
    )
    assert rejected.status_code == 200 and rejected.json()["state_label"] == "已退回"
    assert rejected.json()["review_comment"] == "请补充提前支取的计息方式"

    second = _draft(client, kb["editor"], topic="early_withdrawal")
    other = client.post(f"/api/kb/versions/{second['id']}/withdraw", headers=kb["editor2"])
    assert other.status_code == 403
    mine = client.post(f"/api/kb/versions/{second['id']}/withdraw", headers=kb["editor"])
    assert mine.status_code == 200 and mine.json()["state"] == "withdrawn"
    assert (
        client.post(f"/api/kb/versions/{second['id']}/approve", json={}, headers=kb["reviewer"]).status_code
        == 409
    )


@pytest.mark.parametrize(
    "body, status",
    [
        ({"text": "请致电{bank_phone}。"}, 422),
        ({"text": "请致电{bank_hotline。"}, 422),
        ({"text": "手续费以公告为准。", "related": ["no_such_topic"]}, 422),
        ({"text": "手续费以公告为准。", "related": [{"intent": "complain"}]}, 422),
        ({"text": ""}, 422),
        ({"text": "长" * 1001}, 422),
        ({"text": "手续费以公告为准。", "effective_from": "2026-12-31T09:00:00"}, 422),  # no time zone
    ],
)
def test_drafts_breaking_the_rules_are_refused(client, kb, body, status):
    response = client.post("/api/kb/topics/atm_withdrawal_fee/drafts", json=body, headers=kb["editor"])
    assert response.status_code == status, response.text
    assert response.json()["error"]["message"]


def test_unknown_topics_and_versions_are_404(client, kb):
    assert client.get("/api/kb/topics/no_such_topic", headers=kb["editor"]).status_code == 404
    draft = client.post("/api/kb/topics/no_such_topic/drafts", json={"text": "好的"}, headers=kb["editor"])
    assert draft.status_code == 404
    assert client.get("/api/kb/versions/2147483000", headers=kb["editor"]).status_code == 404
    assert (
        client.post("/api/kb/versions/2147483000/approve", json={}, headers=kb["reviewer"]).status_code == 404
    )


def test_roles_without_the_knowledge_base_get_403(client, kb):
    for who in ("analyst", "agent"):
        assert client.get("/api/kb/topics", headers=kb[who]).status_code == 403
    assert client.get("/api/kb/topics").status_code == 401
    # A reviewer reads and decides but does not write; an editor writes but does not decide.
    assert client.get("/api/kb/topics", headers=kb["reviewer"]).status_code == 200
    response = client.post(
        "/api/kb/topics/atm_withdrawal_fee/drafts", json={"text": "好的"}, headers=kb["reviewer"]
    )
    assert response.status_code == 403
    draft = _draft(client, kb["editor2"], topic="atm_withdrawal_fee")
    assert (
        client.post(
            f"/api/kb/versions/{draft['id']}/reject", json={"comment": "x"}, headers=kb["editor"]
        ).status_code
        == 403
    )


def test_a_scheduled_version_is_shown_as_scheduled_until_its_time(client, kb):
    start = utcnow() + timedelta(days=10)
    draft = _draft(client, kb["editor"], topic="annual_fee", effective_from=start.isoformat())
    approved = client.post(f"/api/kb/versions/{draft['id']}/approve", json={}, headers=kb["reviewer"]).json()
    assert approved["state"] == "scheduled" and approved["state_label"] == "已排期"
    topic = _topic(client, kb["editor"], "annual_fee")["topic"]
    assert "scheduled" in topic["states"] and topic["current"]["id"] != draft["id"]
    assert topic["next_scheduled_at"].startswith(start.strftime("%Y-%m-%dT%H:%M"))


def test_the_preview_renders_like_the_widget_and_warns(client, kb):
    response = client.post(
        "/api/kb/preview",
        json={
            "topic_id": "transfer_limit",
            "text": "转账限额为单笔5万元。如有疑问请联系客户经理13812345678。" + "请注意。" * 40,
            "related": ["transfer_limit_adjust", {"intent": "complain", "title": "我要投诉"}],
        },
        headers=kb["reviewer"],
    )
    assert response.status_code == 200
    body = response.json()
    assert body["error"] is None
    assert body["buttons"] == [
        {"title": "调整转账限额", "payload": '/faq_choose{"faq_topic": "transfer_limit_adjust"}'},
        {"title": "我要投诉", "payload": "/complain"},
    ]
    codes = [w["code"] for w in body["warnings"]]
    assert codes == ["too_long", "figure_guidance_missing", "personal_data"]

    broken = client.post(
        "/api/kb/preview",
        json={"topic_id": "transfer_limit", "text": "请致电{bank_phone}", "related": ["gone_topic"]},
        headers=kb["editor"],
    ).json()
    assert broken["error"] and broken["text"] == "请致电{bank_phone}"
    assert [w["code"] for w in broken["warnings"]] == ["figure_guidance_missing", "unknown_related_topic"]


def test_two_versions_compare_side_by_side(client, kb):
    topic = _topic(client, kb["editor"], "app_register")
    current = topic["topic"]["current"]["id"]
    draft = _draft(client, kb["editor"], topic="app_register")
    diff = client.get("/api/kb/diff", params={"old": current, "new": draft["id"]}, headers=kb["reviewer"])
    assert diff.status_code == 200
    body = diff.json()
    assert "".join(s["text"] for s in body["right"]) == NEW_TEXT
    assert {s["kind"] for s in body["left"]} <= {"same", "removed"} and any(
        s["kind"] == "added" for s in body["right"]
    )
    other = _topic(client, kb["editor"], "atm_withdrawal_fee")["topic"]["current"]["id"]
    assert (
        client.get(
            "/api/kb/diff", params={"old": other, "new": draft["id"]}, headers=kb["editor"]
        ).status_code
        == 422
    )


def test_suggestions_are_listed(client, kb):
    response = client.get("/api/kb/suggestions", headers=kb["editor"])
    assert response.status_code == 200 and isinstance(response.json()["items"], list)


def test_the_console_page_is_served_in_chinese_with_its_filters(client):
    response = client.get("/kb")
    assert response.status_code == 200
    page = response.text
    assert 'lang="zh-CN"' in page and "知识库管理" in page and "用户名" in page
    for text in (
        "搜索",
        "业务分类",
        "状态",
        "已发布",
        "待审核",
        "已排期",
        "客户看到的效果",
        "版本记录",
        "操作记录",
    ):
        assert text in page, text
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    for asset in ("/static/kb.js", "/static/kb.css", "/static/staff_session.js"):
        assert client.get(asset).status_code == 200
