"""axe-core (from the npm registry, installed by scripts/ensure_axe.sh) finds no critical or
serious violation on any page in the states people see: the bank page with the chat closed and
open, the chat page, and each console signed out and signed in (label-content-name-mismatch, an
experimental rule, is switched on). No page asks for a file that is not there (favicon.ico).
Reports: test-artifacts/axe-*.json; screenshots: test-artifacts/a11y-*.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from scripts.demo import demo_staff_password

from .conftest import PAGE_TIMEOUT_MS, assert_accessible, open_chat

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

DESKTOP = {"width": 1280, "height": 800}


def watch_missing(page) -> list[str]:
    """Every 4xx answer the page's own requests get (a missing favicon shows up here)."""
    missing: list[str] = []
    page.on(
        "response",
        lambda response: (
            missing.append(f"{response.status} {response.url}")
            if response.status >= 400 and "/api/" not in response.url
            else None
        ),
    )
    return missing


def sign_in(page, url: str, path: str, username: str) -> None:
    page.goto(url + path)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(demo_staff_password())
    page.get_by_role("button", name="登录", exact=True).click()
    page.get_by_role("button", name="退出登录").wait_for()


@pytest.mark.parametrize("path", ["/", "/chat"])
def test_the_chat_pages(new_page, live_product, artifacts, path):
    page = new_page(DESKTOP)
    missing = watch_missing(page)
    page.goto(live_product.api_url + path)
    page.locator("#bankchat").wait_for(state="attached")
    if path == "/":
        page.get_by_role("button", name="在线客服").wait_for()
        assert_accessible(page, "home-closed")
    open_chat(page, live_product.api_url + path)
    name = "home-open" if path == "/" else "chat"
    assert_accessible(page, name)
    page.screenshot(path=str(artifacts / f"a11y-{name}.png"))
    page.wait_for_load_state("networkidle")
    assert missing == []


@pytest.mark.parametrize("path", ["/staff", "/agent", "/analyst", "/kb"])
def test_the_consoles_signed_out(new_page, live_product, path):
    page = new_page(DESKTOP)
    missing = watch_missing(page)
    page.goto(live_product.api_url + path)
    expect(page.get_by_label("用户名")).to_be_visible()
    assert_accessible(page, path.strip("/") + "-login")
    page.wait_for_load_state("networkidle")
    assert missing == []


@pytest.mark.parametrize(
    "path, username",
    [("/staff", "supervisor1"), ("/agent", "agent1"), ("/analyst", "analyst1"), ("/kb", "kbreviewer1")],
)
def test_the_consoles_signed_in(new_page, live_product, artifacts, path, username):
    page = new_page(DESKTOP)
    sign_in(page, live_product.api_url, path, username)
    name = path.strip("/")
    if name == "staff":
        page.locator("#page-info").get_by_text("页").wait_for()
    if name == "agent":
        page.get_by_text("在线坐席").wait_for()
        try:
            assert_accessible(page, "agent-signed-in")
        finally:
            page.get_by_label("我的在线状态").select_option("offline")  # others expect nobody online
    if name == "analyst":
        page.locator("#list-status").get_by_text("会话").or_(
            page.locator("#conversation-rows .empty-row")
        ).first.wait_for()
        assert_accessible(page, "analyst-list")
        page.get_by_role("button", name="质量看板").click()
        page.locator("#kpis .kpi").first.wait_for()
        name = "analyst-dashboard"
    if name == "kb":
        page.locator("#topic-rows .case-row").first.wait_for()
        assert_accessible(page, "kb-list")
        page.locator("#topic-rows").get_by_role("button", name="转账手续费", exact=True).click()
        page.locator("#versions .version").first.wait_for()
        name = "kb-topic"
    if name != "agent":
        assert_accessible(page, name + "-signed-in")
    page.screenshot(path=str(artifacts / f"a11y-{name}-signed-in.png"), full_page=True)


def test_the_widget_on_a_phone_is_accessible_too(new_page, live_product):
    page = new_page({"width": 390, "height": 844})
    open_chat(page, live_product.api_url + "/")
    assert_accessible(page, "home-open-phone")
    expect(page.locator(".msg--assistant")).to_have_count(1, timeout=PAGE_TIMEOUT_MS)
