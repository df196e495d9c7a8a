"""A complaint through the widget at phone size, in Chromium: "说完了" is offered from the first
prompt, the reasons are everyday words, the summary keeps the customer's words and Chinese
punctuation, and the case number comes on its own card with a copy button. Screenshots:
test-artifacts/complaint-summary-phone.png, complaint-filed-phone.png."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import PAGE_TIMEOUT_MS, assert_accessible, open_chat

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

ANSWERS = {"怎么处理": "希望当面道歉", "什么时候": "昨天上午", "手机号": "13812345678", "怎么称呼": "李华"}


def send(page, text: str) -> None:
    page.get_by_label("输入您的问题").fill(text)
    page.locator("#send").click()


def latest_assistant(page):
    return page.locator(".msg--assistant").last


def test_a_complaint_in_the_widget_ends_with_the_case_number_on_a_card(new_page, live_product, artifacts):
    page = new_page({"width": 390, "height": 844})
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_product.api_url)
    open_chat(page, live_product.api_url + "/chat")
    send(page, "我要投诉")
    first = page.locator(".msg--assistant", has_text="请您说说具体发生了什么")
    first.wait_for()
    expect(first.get_by_role("button", name="说完了")).to_be_enabled()  # offered from the first prompt

    send(page, "我要投诉,柜台工作人员态度很差,让我等了一个多小时!")
    more = page.locator(".msg--assistant", has_text="还有要补充的吗").last
    more.wait_for()
    count = page.locator(".msg--assistant").count()
    more.get_by_role("button", name="说完了").click()
    for _ in range(12):
        expect(page.locator(".msg--assistant")).not_to_have_count(count, timeout=PAGE_TIMEOUT_MS)
        # The turn is complete once the "正在输入" line is gone (its replies render together).
        expect(page.locator(".typing")).to_be_hidden(timeout=PAGE_TIMEOUT_MS)
        last = latest_assistant(page)
        text = last.inner_text()
        if "请核对您的投诉信息" in text:
            break
        if "投诉原因" in text:
            # Everyday words, not the standard's names.
            titles = last.locator(".msg__buttons button:not([disabled])").all_inner_texts()
            assert "收费不合理或被多扣钱" in titles or "服务态度不好或服务不周到" in titles
            assert not {"信息披露", "自主选择权"} & set(titles)
        answer = next((a for key, a in ANSWERS.items() if key in text), None)
        count = page.locator(".msg--assistant").count()
        if answer:
            send(page, answer)
        else:  # a question with buttons: the first one ("对的", "是的" or the first choice)
            last.locator(".msg__buttons button:not([disabled])").first.click()
    summary = latest_assistant(page)
    text = summary.inner_text()
    assert "经过：柜台工作人员态度很差，让我等了一个多小时！" in text  # the customer's words and punctuation
    assert "我要投诉" not in text.split("经过：", 1)[1].split("\n", 1)[0]
    page.screenshot(path=str(artifacts / "complaint-summary-phone.png"), full_page=True)

    summary.get_by_role("button", name="确认提交").click()
    card = page.locator(".case-card")
    card.wait_for()
    number = card.locator(".case-card__number").inner_text()
    assert re.fullmatch(r"TS\d{14}", number)
    card.get_by_role("button", name="复制编号").click()
    expect(card.get_by_role("status")).to_have_text(re.compile("已复制|请长按编号复制"))
    if card.get_by_role("status").inner_text() == "已复制":
        assert page.evaluate("navigator.clipboard.readText()") == number
    page.locator(".msg--assistant", has_text="15日内").wait_for()
    page.screenshot(path=str(artifacts / "complaint-filed-phone.png"), full_page=True)
    assert_accessible(page, "complaint-filed-phone")
