"""Urgent help in the widget, in Chromium at phone size: a customer who has just been scammed gets
numbered steps (a real numbered list) with the bank's 24-hour number and 110 / 96110 as tap-to-call
links, and, with nobody to take them, the 24-hour number before the call-back. Screenshot:
test-artifacts/urgent-fraud-phone.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import delete

from bot.db import build_engine
from bot.handoff.models import AgentPresence

from .conftest import assert_accessible, open_chat

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.fixture
def nobody_online(live_product):
    engine = build_engine(live_product.database_url)
    with engine.begin() as connection:
        connection.execute(delete(AgentPresence))
    engine.dispose()


def test_a_scammed_customer_gets_numbered_steps_with_numbers_to_tap(
    new_page, live_product, artifacts, nobody_online
):
    page = new_page({"width": 390, "height": 844})
    open_chat(page, live_product.api_url + "/chat")
    box = page.get_by_label("输入您的问题")
    box.fill("我被骗了，刚把验证码告诉了对方")
    page.locator("#send").click()

    steps = page.locator(".msg--assistant ol.msg__list--steps").first
    steps.wait_for()
    items = steps.locator("li")
    expect(items).to_have_count(3)
    # Shown as 1. 2. 3. (decimal markers), not bullets.
    assert steps.evaluate("node => getComputedStyle(node).listStyleType") == "decimal"
    expect(items.nth(0)).to_contain_text("24小时客服热线95000")
    hotline = items.nth(0).get_by_role("link", name="拨打 95000")
    expect(hotline).to_have_attribute("href", "tel:95000")
    expect(items.nth(1).get_by_role("link", name="拨打 110")).to_have_attribute("href", "tel:110")
    expect(items.nth(1).get_by_role("link", name="拨打 96110")).to_have_attribute("href", "tel:96110")
    assert "验证码告诉任何人" not in page.locator(".messages").inner_text()  # no advice that is too late

    # Nobody online: the 24-hour number first, then a call-back, and the offer's buttons.
    offer = page.locator(".msg--assistant", has_text="预约回电").last
    offer.wait_for()
    expect(offer.get_by_role("link", name="拨打 95000")).to_have_attribute("href", "tel:95000")
    text = offer.locator(".msg__bubble").inner_text()
    assert text.index("95000") < text.index("预约回电")
    expect(offer.get_by_role("button", name="预约回电")).to_be_enabled()
    page.screenshot(path=str(artifacts / "urgent-fraud-phone.png"))
    assert_accessible(page, "urgent-fraud-phone")
