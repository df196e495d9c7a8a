"""The chat widget on the mock bank page, in Debian's Chromium: desktop and phone, buttons, the
network dropping while the customer types (every message delivered exactly once), WebSockets
blocked (REST polling takes over), reload, keyboard-only use, and embedding on another origin.
Screenshots go to test-artifacts/widget-*.png."""

from __future__ import annotations

import functools
import http.server
import json
import threading
import time

import httpx
import pytest
from playwright.sync_api import expect

from scripts.stack import free_port

from .conftest import PAGE_TIMEOUT_MS, open_chat

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def stored_conversation(page, api_url: str) -> dict:
    """The conversation (id and token) the widget saved in localStorage."""
    return json.loads(page.evaluate(f"localStorage.getItem('bankchat:{api_url}')"))["conversation"]


def server_history(api_url: str, conversation: dict) -> list[dict]:
    response = httpx.get(
        f"{api_url}/api/chat/{conversation['conversation_id']}/messages",
        headers={"Authorization": f"Bearer {conversation['token']}"},
        params={"limit": 200},
        timeout=30,
    )
    response.raise_for_status()
    return response.json()["messages"]


def type_and_send(page, text: str) -> None:
    box = page.get_by_label("输入您的问题")
    box.fill(text)
    box.press("Enter")


@pytest.mark.parametrize("device", VIEWPORTS)
def test_the_widget_on_the_bank_page_answers_and_its_buttons_work(new_page, live_product, artifacts, device):
    page = new_page(VIEWPORTS[device])
    page.goto(live_product.api_url + "/")
    page.get_by_role("heading", name="安心存、放心贷、稳健理财").wait_for()
    open_chat(page, live_product.api_url + "/")
    type_and_send(page, "转人工")
    offer = page.locator(".msg--assistant", has_text="预约回电")
    offer.wait_for()
    page.screenshot(path=str(artifacts / f"widget-{device}.png"))
    page.get_by_role("button", name="不用了").click()
    page.locator(".msg--customer .msg__bubble", has_text="不用了").wait_for()
    page.locator(".msg--assistant", has_text="请问还有什么可以帮您").wait_for()
    expect(page.locator(".msg--customer .msg__meta").last).to_contain_text("已送达")


def test_messages_typed_while_offline_are_delivered_exactly_once(new_page, live_product, artifacts):
    page = new_page(VIEWPORTS["phone"])
    blocked = {"on": False}

    def websocket(route):
        if blocked["on"]:
            route.close()
        else:
            route.connect_to_server()

    page.route_web_socket("**/api/chat/**", websocket)
    open_chat(page, live_product.api_url + "/chat")
    type_and_send(page, "你好")
    expect(page.locator(".msg--customer .msg__meta").last).to_contain_text("已送达")
    expect(page.locator(".msg--assistant")).to_have_count(2)  # the welcome and the answer

    blocked["on"] = True
    page.context.set_offline(True)
    page.evaluate("window.dispatchEvent(new Event('offline'))")
    for text in ["信用卡年费怎么收", "转账手续费呢", "😀 請問網點幾點開門"]:
        type_and_send(page, text)
    page.get_by_text("网络连接中断，恢复后会自动重发").wait_for()
    expect(page.locator(".msg--pending")).to_have_count(3)
    page.screenshot(path=str(artifacts / "widget-offline.png"))

    blocked["on"] = False
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator(".msg--pending")).to_have_count(0, timeout=PAGE_TIMEOUT_MS)
    conversation = stored_conversation(page, live_product.api_url)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:  # the assistant answers the three, one after another
        history = server_history(live_product.api_url, conversation)
        if (
            all(m["status"] == "delivered" for m in history if m["sender"] == "customer")
            and len(history) >= 8
        ):
            break
        time.sleep(1)
    sent = [m["text"] for m in history if m["sender"] == "customer"]
    assert sent == ["你好", "信用卡年费怎么收", "转账手续费呢", "😀 請問網點幾點開門"]  # once each, in order
    # Reloading shows the same conversation, each message once.
    page.reload()
    page.locator(".msg--customer .msg__bubble", has_text="转账手续费呢").wait_for()
    expect(page.locator(".msg--customer .msg__bubble", has_text="信用卡年费怎么收")).to_have_count(1)
    page.screenshot(path=str(artifacts / "widget-after-reconnect.png"))


def test_with_websockets_blocked_the_widget_polls_over_rest(new_page, live_product):
    page = new_page(VIEWPORTS["desktop"])
    page.route_web_socket("**/api/chat/**", lambda route: route.close())
    open_chat(page, live_product.api_url + "/chat")
    type_and_send(page, "大额存单多少钱起存")
    page.locator(".msg--assistant", has_text="大额存单").last.wait_for()
    expect(page.locator(".msg--customer .msg__meta").last).to_contain_text("已送达")


def test_keyboard_only_and_the_character_counter(new_page, live_product):
    page = new_page(VIEWPORTS["desktop"])
    page.goto(live_product.api_url + "/")
    launcher = page.get_by_role("button", name="在线客服")
    launcher.focus()
    page.keyboard.press("Enter")
    box = page.get_by_label("输入您的问题")
    expect(box).to_be_focused()
    expect(page.locator("#send")).to_be_enabled(timeout=PAGE_TIMEOUT_MS)
    page.keyboard.type("你好")
    page.keyboard.press("Enter")
    expect(page.locator(".msg--assistant")).to_have_count(2)  # the welcome and the answer
    box.fill("长" * 1200)
    assert box.input_value() == "长" * 1000
    expect(page.locator("#counter")).to_have_text("1000/1000")
    page.keyboard.press("Escape")
    expect(launcher).to_be_focused()
    expect(page.get_by_role("dialog", name="在线客服对话")).to_be_hidden()


def test_the_widget_works_embedded_on_another_origin(new_page, live_product, tmp_path):
    """One script tag on a page served from a different origin (CORS on the chat API)."""
    (tmp_path / "index.html").write_text(
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>合作方页面</title></head>'
        f'<body><h1>合作方页面</h1><script src="{live_product.api_url}/static/widget.js" '
        f'data-api-url="{live_product.api_url}" defer></script></body></html>',
        encoding="utf-8",
    )
    port = free_port()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page = new_page(VIEWPORTS["desktop"])
        open_chat(page, f"http://127.0.0.1:{port}/index.html")
        type_and_send(page, "你好")
        expect(page.locator(".msg--assistant")).to_have_count(2)
        expect(page.locator(".msg--customer .msg__meta").last).to_contain_text("已送达")
    finally:
        server.shutdown()
