"""Our pages under their strict Content-Security-Policy in Chromium: everything they need loads
and runs (the widget opens its conversation over the WebSocket, the consoles show their sign-in
form), and the browser reports no blocked script, style or connection."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import open_chat

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def watch_policy(page) -> list[str]:
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return violations


@pytest.mark.parametrize("path", ["/", "/chat"])
def test_the_chat_pages_work_under_their_policy(new_page, live_product, path):
    page = new_page({"width": 1280, "height": 800})
    violations = watch_policy(page)
    open_chat(page, live_product.api_url + path)
    expect(page.locator(".msg--assistant")).to_have_count(1)  # the welcome
    assert page.evaluate("getComputedStyle(document.body).margin") == "0px"  # the page's own CSS file
    assert violations == []


@pytest.mark.parametrize("path", ["/staff", "/agent", "/analyst", "/kb"])
def test_the_staff_consoles_work_under_their_policy(new_page, live_product, path):
    page = new_page({"width": 1280, "height": 800})
    violations = watch_policy(page)
    page.goto(live_product.api_url + path)
    expect(page.get_by_label("用户名")).to_be_visible()
    assert violations == []
