"""The agent console in Debian's Chromium with the real product: a new customer in the queue is
announced (title count, a tone made in the browser, a desktop notification once allowed); the
context pane gives dates with their year; ending a conversation asks in the page (labelled
dialog, focus kept inside, Esc cancels); call-back requests show who, why and the conversation.
Screenshots: test-artifacts/agent-*.png."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from bot.cases.crypto import CaseCipher, load_or_create_key
from bot.conversations import service as conversation_service
from bot.db import build_engine, build_session_factory
from bot.handoff import service as handoff_service

from .conftest import PAGE_TIMEOUT_MS, assert_accessible, open_chat
from .test_handoff_pages import DESKTOP, PHONE, fresh_presence, sign_in_agent  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

# Counts what the console asks of the browser's own Web Audio and Notification APIs (it wraps
# them; sound and notifications still go through the real ones).
ALERT_SPY = """
window.__alerts = { tones: 0, notifications: [] };
const RealAudioContext = window.AudioContext;
window.AudioContext = class extends RealAudioContext {
  createOscillator() {
    const oscillator = super.createOscillator();
    const start = oscillator.start.bind(oscillator);
    oscillator.start = (...args) => { window.__alerts.tones += 1; return start(...args); };
    return oscillator;
  }
};
const RealNotification = window.Notification;
window.Notification = class extends RealNotification {
  constructor(title, options) { super(title, options); window.__alerts.notifications.push((options || {}).body); }
  static get permission() { return RealNotification.permission; }
  static requestPermission(...args) { return RealNotification.requestPermission(...args); }
};
"""


def wait_until(page, expression: str, timeout: float = PAGE_TIMEOUT_MS / 1000) -> None:
    """Polls `expression` in the page (wait_for_function would need 'unsafe-eval', which the
    console's CSP rightly refuses)."""
    import time

    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout:.0f} s: {expression}"
        time.sleep(0.2)


def test_a_new_customer_is_announced_and_ending_asks_in_the_page(
    live_product,
    browser,
    new_page,
    artifacts,
    fresh_presence,  # noqa: F811
):
    context = browser.new_context(viewport=DESKTOP)
    context.grant_permissions(["notifications"], origin=live_product.api_url)
    agent = context.new_page()
    agent.set_default_timeout(PAGE_TIMEOUT_MS)
    agent.add_init_script(ALERT_SPY)
    try:
        sign_in_agent(agent, live_product.api_url)
        agent.get_by_text("在线坐席 1 位").wait_for()
        agent.get_by_text("桌面通知已开启").wait_for()  # allowed already: nothing to ask
        expect(agent.get_by_role("button", name="开启桌面通知")).to_be_hidden()
        expect(agent).to_have_title("人工坐席工作台")

        customer = new_page(PHONE)
        open_chat(customer, live_product.api_url + "/")
        customer.get_by_label("选择演示客户").select_option("D1002")  # 李女士, assessment valid for a year
        customer.locator(".msg--system", has_text="已切换演示身份").wait_for()
        expect(customer.locator("#send")).to_be_enabled()
        # The agent's tab goes to the background, as while serving others (Playwright pretends
        # every page has the focus unless told otherwise).
        cdp = context.new_cdp_session(agent)
        window = cdp.send("Browser.getWindowForTarget")["windowId"]
        cdp.send("Browser.setWindowBounds", {"windowId": window, "bounds": {"windowState": "minimized"}})
        cdp.send("Emulation.setFocusEmulationEnabled", {"enabled": False})
        assert agent.evaluate("document.hasFocus()") is False
        customer.get_by_label("输入您的问题").fill("转人工")
        customer.get_by_label("输入您的问题").press("Enter")
        customer.get_by_text("正在为您转接人工客服").wait_for()

        expect(agent).to_have_title("（1）人工坐席工作台")
        expect(agent.locator("#queue-alert")).to_contain_text("有 1 位新客户在排队：客户要求转人工")
        wait_until(agent, "window.__alerts.tones >= 2")  # the two-note tone
        wait_until(agent, "window.__alerts.notifications.length >= 1")
        assert "新客户在排队" in agent.evaluate("window.__alerts.notifications[0]")

        cdp.send("Browser.setWindowBounds", {"windowId": window, "bounds": {"windowState": "normal"}})
        cdp.send("Emulation.setFocusEmulationEnabled", {"enabled": True})
        agent.bring_to_front()
        agent.get_by_role("button", name=re.compile("^接入 客户要求转人工客户")).click()
        agent.locator("#chat-state").get_by_text("人工服务中").wait_for()
        expect(agent).to_have_title("人工坐席工作台")
        validity = agent.locator("#context dt", has_text="有效期至").locator("xpath=following-sibling::dd[1]")
        expect(validity).to_have_text(re.compile(r"^20\d\d/\d\d/\d\d$"))  # the year is there
        expect(agent.locator("#context")).to_contain_text("转人工（request_human）")
        assert_accessible(agent, "agent-serving")

        # Ending asks in the page: a labelled modal dialog; Esc cancels and changes nothing.
        agent.get_by_role("button", name="结束会话").click()
        dialog = agent.get_by_role("dialog", name="结束会话")
        expect(dialog).to_be_visible()
        expect(dialog).to_contain_text("客户将被邀请为本次服务评分")
        for _ in range(5):  # Tab stays inside the dialog
            agent.keyboard.press("Tab")
            assert agent.evaluate(
                "document.getElementById('confirm-dialog').contains(document.activeElement)"
            )
        agent.screenshot(path=str(artifacts / "agent-confirm-dialog.png"))
        agent.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        expect(agent.locator("#chat-state")).to_contain_text("人工服务中")
        expect(agent.get_by_role("button", name="结束会话")).to_be_focused()

        agent.get_by_role("button", name="结束会话").click()
        dialog.get_by_role("button", name="结束会话").click()
        expect(agent.locator("#chat-state")).to_contain_text("已结束")
        customer.locator(".msg--rating").wait_for()
        # One end notice for the customer, and one rating widget.
        expect(customer.locator(".msg", has_text="人工服务已结束")).to_have_count(1)
        expect(customer.locator(".msg--rating")).to_have_count(1)
        agent.screenshot(path=str(artifacts / "agent-console-desktop.png"), full_page=True)
    finally:
        context.close()


def seed_callback(live_product, reason: str) -> tuple[int, str]:
    """A conversation in which the customer reported a fraud and asked for a call-back."""
    engine = build_engine(live_product.database_url)
    customer = f"D-CB-{uuid.uuid4().hex[:4]}"
    try:
        with live_product.its_encryption_key(), build_session_factory(engine).begin() as session:
            conversation, _ = conversation_service.open_conversation(session=session, customer_id=customer)
            asked = conversation_service.accept_customer_message(
                session=session, conversation=conversation, text="我被骗了，刚把验证码告诉了13812345678那个人"
            )
            conversation_service.record_replies(
                session=session,
                message_id=asked.message.id,
                replies=[
                    {
                        "text": "请立即冻结账户。目前人工客服不在线，可以为您预约回电。",
                        "buttons": [{"title": "预约回电", "payload": "/request_callback"}],
                    }
                ],
            )
            key = live_product.env.get("CASE_ENCRYPTION_KEY") or load_or_create_key(live_product.var_dir)
            callback = handoff_service.request_callback(
                session=session,
                phone="13912345678",
                preferred_time="尽快",
                conversation_id=conversation.id,
                customer_id=customer,
                reason=reason,
                cipher=CaseCipher(key),
            )
            return callback.id, customer
    finally:
        engine.dispose()


def test_a_call_back_shows_who_why_and_the_conversation(live_product, new_page, artifacts, fresh_presence):  # noqa: F811
    callback_id, customer = seed_callback(live_product, "fraud")
    agent = new_page(DESKTOP)
    sign_in_agent(agent, live_product.api_url)
    # Notifications are not allowed yet: the console offers to ask (on a click, never by itself).
    expect(agent.get_by_role("button", name="开启桌面通知")).to_be_visible()
    item = agent.locator(f"#callback-{callback_id}")
    expect(item).to_contain_text("疑似诈骗")
    expect(item).to_contain_text(f"客户 {customer}")
    expect(item).to_contain_text("139****5678")
    link = item.get_by_role("link", name="查看对话")
    assert link.get_attribute("href") == f"/agent#callback-{callback_id}"
    link.click()
    log = agent.locator("#log")
    expect(log).to_contain_text("刚把验证码告诉了138****5678那个人")  # masked for the agent
    expect(log).to_contain_text("按钮：预约回电")
    assert "13812345678" not in log.inner_text()
    expect(agent.get_by_label("回复客户")).to_be_disabled()  # read-only
    agent.screenshot(path=str(artifacts / "agent-callback.png"), full_page=True)

    # The link works on its own, e.g. opened in a new tab.
    other = new_page(DESKTOP)
    other.goto(f"{live_product.api_url}/agent#callback-{callback_id}")  # the tab shares no login
    other.get_by_label("用户名").fill("agent1")
    from scripts.demo import demo_staff_password

    other.get_by_label("密码").fill(demo_staff_password())
    other.get_by_role("button", name="登录").click()
    expect(other.locator("#log")).to_contain_text("刚把验证码告诉了138****5678那个人")
