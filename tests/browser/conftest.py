"""Headless Debian Chromium driven by Playwright; screenshots go to test-artifacts/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (make test installs Debian's chromium when it can)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


# Replies come from a real Rasa server on two shared cores; generous waits keep the browser
# tests about behaviour, not about how busy the machine is.
PAGE_TIMEOUT_MS = 90_000


@pytest.fixture
def new_page(browser):
    """Opens a page of the given viewport; closed after the test."""
    pages = []

    def open_page(viewport: dict):
        page = browser.new_page(viewport=viewport)
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        pages.append(page)
        return page

    yield open_page
    for page in pages:
        page.close()


def open_chat(page, url: str) -> None:
    """Loads a page with the chat widget (opening it from the launcher if it has one) and waits
    until its conversation is open (the send button is enabled). Locators reach into the
    widget's open shadow root."""
    from playwright.sync_api import expect

    page.goto(url)
    launcher = page.get_by_role("button", name="在线客服")
    if not url.rstrip("/").endswith("/chat"):
        launcher.click()
    expect(page.locator("#send")).to_be_enabled(timeout=PAGE_TIMEOUT_MS)
