"""End to end: what the customer names in a message is understood and used. The complaint intake
confirms the day, the sum, the channel and the business it read instead of asking again (and the
case keeps the day and the sum), a product is resolved from its short name, a case number is
found inside a sentence, and a transfer question naming another bank keeps that bank in view."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import httpx
import pytest

from bot.entities.dates import CHINA
from scripts.demo import DEFAULT_DEMO_PASSWORD
from tests.e2e.test_conversation import say, texts

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def api(live_product):
    with httpx.Client(base_url=live_product.api_url, timeout=60) as client:
        yield client


def _open(api: httpx.Client, customer: str | None = None) -> tuple[str, dict]:
    body: dict = {"channel": "app"}
    if customer:
        body["identity_token"] = api.post("/api/demo/identity", json={"customer_id": customer}).json()[
            "identity_token"
        ]
    session = api.post("/api/chat/sessions", json=body).json()
    return session["conversation_id"], {"Authorization": f"Bearer {session['token']}"}


def test_the_complaint_intake_confirms_what_the_customer_already_said_and_keeps_it(api):
    conversation_id, headers = _open(api)
    opening = texts(
        say(
            api,
            conversation_id,
            headers,
            "我要投诉，上周五手机银行转了5000元到工商银行，钱扣了到现在都没到账，也没人管",
        )
    )
    assert "非常抱歉" in opening
    today = datetime.now(CHINA).date()
    last_friday = today - timedelta(days=today.weekday() + 3)

    facts = texts(say(api, conversation_id, headers, "说完了"))
    assert f"发生时间：上周五（{last_friday.year}年{last_friday.month}月{last_friday.day}日）" in facts
    assert "涉及金额：5,000元" in facts and "办理渠道：手机银行/移动客户端" in facts
    assert "业务类型：支付结算" in facts
    # One "对的" and the intake moves on to what it does not know: neither the channel, nor the
    # business type, nor when it happened is asked again.
    reason = texts(say(api, conversation_id, headers, "对的"))
    assert "投诉原因" in reason and "渠道" not in reason and "业务类型" not in reason
    assert "怎么处理" in texts(say(api, conversation_id, headers, "其他"))
    asked = texts(say(api, conversation_id, headers, "尽快把钱退回来"))
    assert "手机号" in asked and "什么时候发生" not in asked
    say(api, conversation_id, headers, "13812345678")
    summary = texts(say(api, conversation_id, headers, "王小明"))
    assert "涉及金额：5,000元" in summary
    filed = texts(say(api, conversation_id, headers, "确认提交"))
    number = re.search(r"TS\d{14}", filed).group(0)

    login = api.post("/api/auth/login", json={"username": "agent1", "password": DEFAULT_DEMO_PASSWORD})
    staff = {"Authorization": f"Bearer {login.json()['token']}"}
    case = api.get(f"/api/staff/cases/{number}", headers=staff).json()
    assert (case["occurred_when"], case["occurred_on"]) == ("上周五", last_friday.isoformat())
    assert (case["amount"], case["amount_currency"]) == (5000.0, "CNY")
    assert (case["channel"]["code"], case["business"]["code"]) == ("CH05", "BT04")

    # In the conversation that filed it, the case number named inside a sentence, read out digit
    # by digit in Chinese, is found: this conversation owns the case, so one tap on its number
    # opens it, without the reference or the phone's digits.
    spoken = "".join("零一二三四五六七八九"[int(d)] for d in number[2:])
    asked = say(api, conversation_id, headers, f"我那个TS{spoken}的投诉呢")
    assert [b["payload"] for b in asked["replies"][-1]["buttons"]] == [number]
    status = texts(say(api, conversation_id, headers, number))
    assert number in status and "后四位" not in status

    # Later, the customer names the case's reference (查询码) inside a sentence, typed in lower
    # case with spaces: the assistant goes straight to the check of the phone's last four digits.
    reference = re.search(r"查询码是 ([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})", filed).group(1)
    later_id, later = _open(api)
    typed = reference.lower().replace("-", " ")
    asked = texts(say(api, later_id, later, f"我那个投诉怎么样了，查询码是{typed}"))
    assert "后四位" in asked and "查询码（12位" not in asked
    assert number in texts(say(api, later_id, later, "5678"))


def test_a_product_is_resolved_from_its_short_name(api):
    conversation_id, headers = _open(api, customer="D1002")  # 李女士, a valid C3 assessment
    suitable = texts(say(api, conversation_id, headers, "稳享90天那个理财我能买吗"))
    assert "“稳享90天理财”（WM-R2-090，风险等级R2）" in suitable and "可以购买" in suitable
    unsuitable = texts(say(api, conversation_id, headers, "科技先锋基金适合我吗"))
    assert "“科技先锋股票基金”（FD-R5-TEC，风险等级R5）" in unsuitable and "不建议您购买" in unsuitable


def test_a_transfer_question_naming_a_bank_keeps_the_bank_in_the_answers(api):
    conversation_id, headers = _open(api)
    first = say(api, conversation_id, headers, "转账到工行一般多久能到")
    assert "与中国工商银行之间的跨行转账" in texts(first)
    assert len(first["replies"]) >= 2  # the bank first, then the answer itself
    follow_up = texts(say(api, conversation_id, headers, "那手续费呢"))
    assert "与中国工商银行之间的跨行转账" in follow_up and "手续费" in follow_up
    other = texts(say(api, conversation_id, headers, "信用卡年费怎么收"))
    assert "工商银行" not in other
