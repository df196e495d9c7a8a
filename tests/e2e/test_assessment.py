"""End to end: a logged-in customer takes the risk-tolerance questionnaire through the chat API,
the assessment lands in the database with the right level, and suitability answers follow it."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy.orm import Session

from bot.db import build_engine, utcnow
from bot.identity.tokens import sign_identity
from bot.suitability import service as suitability_service
from tests.e2e.test_conversation import say, texts

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def api(live_product):
    with httpx.Client(base_url=live_product.api_url, timeout=60) as client:
        yield client


def _open(api: httpx.Client, identity_token: str | None = None) -> tuple[str, dict]:
    body = {"channel": "app", **({"identity_token": identity_token} if identity_token else {})}
    session = api.post("/api/chat/sessions", json=body).json()
    return session["conversation_id"], {"Authorization": f"Bearer {session['token']}"}


def _customer_chat(live_product, api) -> tuple[str, str, dict]:
    secret = (live_product.var_dir / "identity_secret").read_text().strip()
    customer = f"E{uuid.uuid4().hex[:8]}"
    token = sign_identity(customer_id=customer, expires_at=utcnow() + timedelta(minutes=30), secret=secret)
    conversation_id, headers = _open(api, token)
    return customer, conversation_id, headers


def _assessments(live_product, customer: str) -> list[tuple]:
    engine = build_engine(live_product.database_url)
    with live_product.its_encryption_key(), Session(engine) as session:
        rows = suitability_service.list_assessments(session=session, customer_id=customer)
        result = [(r.status, r.level, r.total_points, len(r.answers), r.conversation_id) for r in rows]
    engine.dispose()
    return result


def test_a_customer_completes_the_questionnaire_and_the_archive_has_it(live_product, api):
    customer, conversation_id, headers = _customer_chat(live_product, api)
    started = say(api, conversation_id, headers, "我想做一下风险评估")
    assert "共10题" in texts(started)
    assert "第1/10题" in texts(started)
    assert "没能把您的回答" not in texts(started)  # starting is not an answer to question 1
    first_buttons = started["replies"][-1]["buttons"]
    assert [b["title"][0] for b in first_buttons] == ["A", "B", "C", "D"]

    # Words, Chinese numerals, letters, a mid-way question and going back all in one go.
    reply = say(api, conversation_id, headers, "我今年五十多了")
    assert "第2/10题" in texts(reply)
    reply = say(api, conversation_id, headers, "信用卡年费怎么收")
    assert "年费" in texts(reply) and "我们继续刚才的风险评估" in texts(reply)
    assert "第2/10题" in texts(reply)
    reply = say(api, conversation_id, headers, "家里一年大概二十万")
    assert "第3/10题" in texts(reply)
    reply = say(api, conversation_id, headers, "上一题")
    assert "第2/10题" in texts(reply)
    for answer in ["B", "第二个", "没有经验", "A", "C", "B", "能接受小幅波动", "D", "工资收入稳定"]:
        reply = say(api, conversation_id, headers, answer)
    summary = texts(reply)
    assert "请核对您的答案" in summary and "1. 您的年龄是？ C. 51–64岁" in summary

    result = texts(say(api, conversation_id, headers, "确认提交"))
    rows = _assessments(live_product, customer)
    assert len(rows) == 1
    status, level, total, answers, stored_conversation = rows[0]
    assert (status, answers, stored_conversation) == ("completed", 10, conversation_id)
    assert f"总分为{total}分" in result and f"等级为{level}" in result
    assert "面对面" in result and "有效期至" in result

    mine = texts(say(api, conversation_id, headers, "我的风险等级是什么"))
    assert level in mine
    product = texts(say(api, conversation_id, headers, "科技先锋股票基金我能买吗"))
    assert "不建议您购买" in product if level != "C5" else "可以购买" in product


def test_leaving_mid_way_keeps_the_attempt_as_abandoned(live_product, api):
    customer, conversation_id, headers = _customer_chat(live_product, api)
    say(api, conversation_id, headers, "开始风险评估")
    say(api, conversation_id, headers, "A")
    assert "确定要退出" in texts(say(api, conversation_id, headers, "不做了"))
    assert "已退出本次评估" in texts(say(api, conversation_id, headers, "确定退出"))
    assert _assessments(live_product, customer) == [("abandoned", None, None, 1, conversation_id)]
    # The conversation goes on normally afterwards.
    assert "挂失" in texts(say(api, conversation_id, headers, "银行卡丢了怎么办"))


def test_anonymous_customers_are_asked_to_log_in(api):
    conversation_id, headers = _open(api)
    assert "请登录" in texts(say(api, conversation_id, headers, "我要做风险评估"))
    assert "请先登录" in texts(say(api, conversation_id, headers, "我能买R3的产品吗"))


def test_a_demo_customer_with_an_expired_assessment_is_offered_a_new_one(api):
    token = api.post("/api/demo/identity", json={"customer_id": "D1003"}).json()["identity_token"]
    conversation_id, headers = _open(api, token)
    reply = say(api, conversation_id, headers, "R3的理财我可以买吗")
    assert "已于" in texts(reply) and "过期" in texts(reply)
    assert reply["replies"][-1]["buttons"][0]["payload"] == "/start_assessment"
    started = say(api, conversation_id, headers, "好的")
    assert "第1/10题" in texts(started)


def test_a_button_of_question_1_pressed_at_question_3_stores_nothing(live_product, api):
    """The widget disables old buttons, but the server must not trust that: question 1's
    "D. 65岁及以上" sent at question 3 is refused and question 3 is asked again."""
    customer, conversation_id, headers = _customer_chat(live_product, api)
    started = say(api, conversation_id, headers, "我想做一下风险评估")
    old_d = started["replies"][-1]["buttons"][3]
    assert old_d["title"] == "D. 65岁及以上"
    say(api, conversation_id, headers, "B")
    third = say(api, conversation_id, headers, "B")
    assert "第3/10题" in texts(third)

    refused = say(api, conversation_id, headers, old_d["payload"])
    assert "已经失效" in texts(refused) and "第3/10题" in texts(refused)
    answer = say(api, conversation_id, headers, third["replies"][-1]["buttons"][0]["payload"])
    assert "第4/10题" in texts(answer)
    for _ in range(7):
        reply = say(api, conversation_id, headers, "A")
    summary = texts(reply)
    # Question 1 still says B (31–50), question 3 the A its own button sent.
    assert (
        "1. 您的年龄是？ B. 31–50岁" in summary
        and "3. 您计划用于投资的资金占家庭金融资产的比例是？ A." in summary
    )
    say(api, conversation_id, headers, "不做了")
    say(api, conversation_id, headers, "是")
    assert "已经结束" in texts(say(api, conversation_id, headers, old_d["payload"]))
    assert all(status != "completed" for status, *_ in _assessments(live_product, customer))
