"""End to end: a customer files a complaint through the chat API, staff work it through the staff
API, and the customer sees the answer in the conversation and rates it."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cases.models import ComplaintCase
from bot.db import build_engine
from scripts.demo import DEFAULT_DEMO_PASSWORD
from tests.e2e.test_conversation import say, texts

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def api(live_product):
    with httpx.Client(base_url=live_product.api_url, timeout=60) as client:
        yield client


def _open(api: httpx.Client) -> tuple[str, dict]:
    session = api.post("/api/chat/sessions", json={"channel": "web"}).json()
    return session["conversation_id"], {"Authorization": f"Bearer {session['token']}"}


def _staff(api: httpx.Client) -> dict:
    login = api.post("/api/auth/login", json={"username": "agent1", "password": DEFAULT_DEMO_PASSWORD})
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['token']}"}


def test_a_complaint_is_filed_worked_by_staff_and_answered_in_the_conversation(api):
    conversation_id, headers = _open(api)
    opening = texts(say(api, conversation_id, headers, "你们手机银行乱扣我钱"))
    assert "非常抱歉" in opening and "补充" in opening
    assert "没能记录" not in opening  # starting the form is not an answer to its first question
    say(api, conversation_id, headers, "上个月信用卡被扣了两次年费")
    facts = texts(say(api, conversation_id, headers, "说完了"))  # confirmed in one go
    assert "发生时间：上个月" in facts and "业务类型：银行卡" in facts and "手机银行" in facts
    assert "收费不合理或被多扣钱" in texts(say(api, conversation_id, headers, "是的"))  # then the reason
    assert "怎么处理" in texts(say(api, conversation_id, headers, "是的"))
    # When it happened is known already: the phone comes next.
    assert "手机号" in texts(say(api, conversation_id, headers, "退还多扣的年费"))
    assert "不是有效的手机号" in texts(say(api, conversation_id, headers, "12345"))
    say(api, conversation_id, headers, "13812345678")
    summary = texts(say(api, conversation_id, headers, "王小明"))
    assert "138****5678" in summary
    filed_replies = say(api, conversation_id, headers, "确认提交")["replies"]
    filed = texts({"replies": filed_replies})
    number = re.search(r"TS\d{14}", filed).group(0)
    assert "15日内" in filed and "查询码" in filed  # filed without logging in
    # The number on a card of its own, first; what happens next after it.
    assert filed_replies[0]["kind"] == "case_number" and number in filed_replies[0]["text"]
    assert "15日内" not in filed_replies[0]["text"]

    staff = _staff(api)
    case = api.get(f"/api/staff/cases/{number}", headers=staff).json()
    assert case["status"] == "received" and case["business"]["code"] == "BT03"
    assert case["conversation_id"] == conversation_id and case["contact_phone_masked"] == "138****5678"
    assert (
        api.post(
            f"/api/staff/cases/{number}/status",
            headers=staff,
            json={"status": "in_progress", "note": "已联系客户"},
        ).status_code
        == 200
    )
    answer = "经核实，多扣的一笔年费已于今日退回您的信用卡账户，给您带来不便深表歉意。"
    assert (
        api.post(f"/api/staff/cases/{number}/answer", headers=staff, json={"text": answer}).status_code == 200
    )

    # The conversation that filed it sees it at once; anyone else needs the reference and digits.
    asked = say(api, conversation_id, headers, "我的投诉怎么样了")
    assert number in [b["payload"] for reply in asked["replies"] for b in reply.get("buttons", [])]
    status = say(api, conversation_id, headers, number)
    assert "已答复" in texts(status) and "多扣的一笔年费已于今日退回" in texts(status)
    # The same rating as after a service by a person: stars, 1 to 5, 5 the best.
    prompt = status["replies"][-1]
    assert prompt["kind"] == "rating" and [b["payload"] for b in prompt["buttons"]] == [
        "1分",
        "2分",
        "3分",
        "4分",
        "5分",
    ]
    assert "5分最满意" in prompt["text"]
    assert "感谢您的评价（4分）" in texts(say(api, conversation_id, headers, "4分"))
    case = api.get(f"/api/staff/cases/{number}", headers=staff).json()
    assert case["satisfaction"] == 4


def test_old_intake_buttons_pressed_after_filing_change_nothing(live_product, api):
    """ "确认提交" and "取消投诉" stay on screen after the case was filed: pressing them again files
    no second case, withdraws nothing, and the customer is told the case number once more."""
    conversation_id, headers = _open(api)
    opening = say(api, conversation_id, headers, "我要投诉")
    done = next(b for b in opening["replies"][-1]["buttons"] if b["title"] == "说完了")
    assert done["payload"].startswith("/answer_option")  # offered from the first prompt
    say(api, conversation_id, headers, "柜台工作人员态度很差，让我等了一个小时")
    reply = say(api, conversation_id, headers, done["payload"])
    answers = {
        "对吗": "对的",
        "怎么处理": "希望道歉",
        "什么时候": "昨天上午",
        "手机号": "13812345678",
        "怎么称呼": "李华",
        "请选择": None,
    }
    for _ in range(10):
        if "请核对您的投诉信息" in texts(reply):
            break
        asked = reply["replies"][-1]
        answer = next(a for key, a in answers.items() if key in asked["text"])
        reply = say(api, conversation_id, headers, answer or asked["buttons"][0]["payload"])
    buttons = {b["title"]: b["payload"] for b in reply["replies"][-1]["buttons"]}
    assert set(buttons) == {"确认提交", "修改信息", "取消投诉"}
    filed = texts(say(api, conversation_id, headers, buttons["确认提交"]))
    number = re.search(r"TS\d{14}", filed).group(0)

    again = texts(say(api, conversation_id, headers, buttons["确认提交"]))
    assert f"已经提交，案件编号：{number}" in again
    cancel = texts(say(api, conversation_id, headers, buttons["取消投诉"]))
    assert number in cancel and "撤回" not in cancel
    engine = build_engine(live_product.database_url)
    with live_product.its_encryption_key(), Session(engine) as session:
        cases = session.scalars(select(ComplaintCase).where(ComplaintCase.conversation_id == conversation_id))
        assert [(case.number, case.status) for case in cases] == [(number, "received")]
    engine.dispose()


def _file_anonymously(api: httpx.Client) -> tuple[str, str]:
    conversation_id, headers = _open(api)
    for text in (
        "你们手机银行乱扣我钱",
        "上个月信用卡被扣了两次年费",
        "说完了",
        "是的",
        "是的",
        "退还多扣的年费",
        "13812345678",
        "王小明",
    ):
        say(api, conversation_id, headers, text)
    filed = texts(say(api, conversation_id, headers, "确认提交"))
    number = re.search(r"TS\d{14}", filed).group(0)
    return number, re.search(r"查询码是 ([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})", filed).group(1)


def test_a_stranger_cannot_tell_a_wrong_reference_from_wrong_digits(api):
    number, reference = _file_anonymously(api)
    conversation_id, headers = _open(api)
    asked = texts(say(api, conversation_id, headers, "查询投诉进度"))
    assert "查询码" in asked and "请核对后再输入" not in asked
    assert "而不是案件编号" in texts(say(api, conversation_id, headers, number))
    wrong_reference = reference[:-1] + ("0" if reference[-1] != "0" else "1")  # fails its check symbol
    assert "查询码" in texts(say(api, conversation_id, headers, wrong_reference))
    say(api, conversation_id, headers, reference)
    wrong_digits = texts(say(api, conversation_id, headers, "1234"))
    assert "没有找到与该查询码和手机号后四位相符的投诉" in wrong_digits
    assert number not in wrong_digits
    say(api, conversation_id, headers, reference)
    assert "已受理" in texts(say(api, conversation_id, headers, "5678"))
