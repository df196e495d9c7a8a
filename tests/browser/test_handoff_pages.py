"""A customer asks for a person in the chat page; an agent signs in to /agent in a second page,
claims the conversation, they exchange messages both ways, and the agent hands back. Real Rasa,
action server and API; Debian's Chromium. Screenshots go to test-artifacts/handoff-*.png."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import delete

from bot.db import build_engine
from bot.handoff.models import AgentPresence
from scripts.demo import demo_staff_password
from tests.browser.conftest import open_chat

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def sign_in_agent(page, base_url: str, username: str = "agent1", password: str | None = None) -> None:
    """Opens /agent and signs in; the console sets the agent online."""
    page.goto(f"{base_url}/agent")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password or demo_staff_password())
    page.get_by_role("button", name="登录").click()


@pytest.fixture
def fresh_presence(live_product):
    """Nobody online before, and nobody left online after (presence outlives the page for a few
    minutes, and other tests expect the call-back offer)."""

    def clear() -> None:
        engine = build_engine(live_product.database_url)
        with engine.begin() as connection:
            connection.execute(delete(AgentPresence))
        engine.dispose()

    clear()
    yield
    clear()


def test_customer_and_agent_talk_in_two_pages_and_the_agent_hands_back(
    live_product, new_page, artifacts, fresh_presence
):
    agent = new_page(DESKTOP)
    sign_in_agent(agent, live_product.api_url)
    agent.get_by_text("在线坐席 1 位").wait_for()

    customer = new_page(PHONE)
    open_chat(customer, live_product.api_url + "/")
    customer.get_by_label("输入您的问题").fill("转人工")
    customer.keyboard.press("Enter")
    customer.get_by_text("正在为您转接人工客服").wait_for()
    customer.get_by_role("button", name="取消转人工").wait_for()
    # A message while waiting: the agent will see what the assistant found in it.
    customer.get_by_label("输入您的问题").fill("信用卡被多扣了300块年费")
    customer.keyboard.press("Enter")
    customer.get_by_text("您的消息已记录").wait_for()

    claim = agent.get_by_role("button", name="接入 客户要求转人工客户（第1位）")
    claim.click()
    agent.locator("#chat-state").get_by_text("人工服务中").wait_for()
    agent.locator("#log").get_by_text("转人工", exact=True).wait_for()  # the transcript so far
    agent.locator("#context").get_by_text("request_human").wait_for()  # what the assistant understood
    found = agent.locator("#context .entity")  # and the entities of each turn
    found.filter(has_text="卡种：信用卡").wait_for()
    found.filter(has_text="金额：300元").wait_for()

    customer.get_by_text("人工客服 演示坐席 正在为您服务").wait_for()  # pushed, no reload
    # The badge replaces the assistant's subtitle while a person serves the conversation.
    customer.locator(".panel__subtitle").wait_for(state="hidden")
    agent.get_by_role("button", name="您好，我是人工客服，很高兴为您服务。请问有什么可以帮您？").click()
    agent.get_by_role("button", name="发送", exact=True).click()
    customer.locator(".msg--agent").get_by_text("您好，我是人工客服").wait_for()
    assert "人工客服 演示坐席" in customer.locator(".msg--agent .msg__meta").first.inner_text()

    customer.get_by_label("输入您的问题").fill("我想问一下信用卡年费能不能减免")
    customer.keyboard.press("Enter")
    agent.locator("#log .line--customer").get_by_text("我想问一下信用卡年费能不能减免").wait_for()
    agent.get_by_label("回复客户").fill("可以的，达到刷卡次数即可减免，我已为您记录。")
    agent.keyboard.press("Enter")
    customer.get_by_text("达到刷卡次数即可减免").wait_for()
    agent.screenshot(path=str(artifacts / "handoff-agent-desktop.png"), full_page=True)
    customer.screenshot(path=str(artifacts / "handoff-customer-phone.png"), full_page=True)

    agent.get_by_role("button", name="转回智能助手").click()
    customer.get_by_text("接下来由智能助手继续为您服务").wait_for()
    assert customer.locator("#agent-badge").is_hidden()
    customer.locator(".panel__subtitle", has_text="智能客服助手为您服务").wait_for()
    assert agent.get_by_label("回复客户").is_disabled()

    customer.get_by_label("输入您的问题").fill("转账手续费怎么收")
    customer.keyboard.press("Enter")
    customer.locator(".msg--assistant").filter(has_text="手续费").last.wait_for()
    customer.screenshot(path=str(artifacts / "handoff-customer-back-to-assistant.png"), full_page=True)


def test_the_agent_console_on_a_phone_and_for_an_analyst(live_product, new_page, artifacts):
    page = new_page(PHONE)
    sign_in_agent(page, live_product.api_url, password="wrong-password")
    page.get_by_role("alert").filter(has_text="用户名或密码").wait_for()
    sign_in_agent(page, live_product.api_url)
    page.get_by_role("button", name="队列").wait_for()
    page.get_by_role("heading", name="排队中的客户").wait_for()
    page.get_by_role("button", name="对话").click()
    page.get_by_text("请从左侧选择一个会话").wait_for()
    page.screenshot(path=str(artifacts / "agent-console-phone.png"), full_page=True)
    page.get_by_role("button", name="退出登录").click()
    page.get_by_text("您已安全退出登录").wait_for()

    analyst = new_page(DESKTOP)
    sign_in_agent(analyst, live_product.api_url, username="analyst1")
    analyst.get_by_text("无权限使用人工坐席工作台").wait_for()


def test_the_customer_behind_sees_the_queue_move_without_typing(
    live_product, new_page, artifacts, fresh_presence
):
    """Two customers wait; when the agent takes the one ahead, the other's page says their new
    place by itself (pushed over the WebSocket), and no wait is estimated without past waits."""
    agent = new_page(DESKTOP)
    sign_in_agent(agent, live_product.api_url)
    agent.get_by_text("在线坐席 1 位").wait_for()

    first, second = new_page(PHONE), new_page(PHONE)
    for customer in (first, second):
        open_chat(customer, live_product.api_url + "/chat")
        customer.get_by_label("输入您的问题").fill("转人工")
        customer.get_by_role("button", name="发送").click()
        customer.get_by_text("正在为您转接人工客服").wait_for()
    waiting = second.locator(".msg", has_text="正在为您转接人工客服")
    expect(waiting).to_contain_text(re.compile(r"您前面还有\d+位客户"))
    typed = second.locator(".msg--customer").count()

    # The agent takes whoever is first in the queue; the second customer types nothing.
    agent.get_by_role("button", name=re.compile(r"^接入 .*（第1位）")).click()
    agent.locator("#chat-state").get_by_text("人工服务中").wait_for()
    moved = second.locator(".msg", has_text="排队有进展")
    moved.wait_for()
    expect(moved).to_contain_text(re.compile(r"您现在排在第\d+位"))
    assert second.locator(".msg--customer").count() == typed
    for notice in (waiting, moved):  # an estimate only when past waits support one
        text = notice.inner_text()
        assert ("预计等待约" in text) != ("暂时无法估计等待时间" in text), text
    second.screenshot(path=str(artifacts / "handoff-queue-moved-phone.png"), full_page=True)

    # The newest 取消转人工 is the live one; leaving the queue keeps it empty for the next tests.
    second.locator(".msg__buttons:not(.msg__buttons--past)").get_by_role("button", name="取消转人工").click()
    second.locator(".msg", has_text="已为您取消转人工").wait_for()
    agent.get_by_role("button", name="结束会话").click()
    agent.get_by_role("dialog", name="结束会话").get_by_role("button", name="结束会话").click()
    first.locator(".msg--rating").wait_for()
