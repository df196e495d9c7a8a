"""A tester picks a demo customer on the page and answers the questionnaire with its buttons."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import open_chat

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

PHONE = {"width": 390, "height": 844}


def test_a_demo_customer_answers_questions_by_clicking_options(new_page, live_product, artifacts):
    page = new_page(PHONE)
    open_chat(page, f"{live_product.api_url}/chat")
    picker = page.get_by_label("选择演示客户")
    picker.locator("option", has_text="张先生").wait_for(state="attached")
    picker.select_option("D1001")
    page.locator(".msg--assistant .msg__bubble", has_text="请问有什么可以帮您").wait_for()
    expect(page.locator("#send")).to_be_enabled()

    box = page.get_by_label("输入您的问题")
    box.fill("我要做风险评估")
    box.press("Enter")
    page.locator(".msg--assistant .msg__bubble", has_text="第1/10题").wait_for()
    page.get_by_role("button", name="B. 31–50岁").click()
    page.locator(".msg--customer .msg__bubble", has_text="B. 31–50岁").wait_for()
    page.locator(".msg--assistant .msg__bubble", has_text="第2/10题").wait_for()
    page.screenshot(path=str(artifacts / "assessment-phone.png"), full_page=True)

    # The identity stays with the conversation after a reload.
    page.reload()
    page.locator(".msg--assistant .msg__bubble", has_text="第2/10题").wait_for()
    assert page.get_by_label("选择演示客户").input_value() == "D1001"
