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
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
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


# --- accessibility: axe-core (npm registry, installed by scripts/ensure_axe.sh) ------------------

AXE_SCRIPT = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
# Impacts that fail a page. `label-content-name-mismatch` is experimental in axe (off by default)
# and checked on purpose: speech-input users say the words they see on a control.
AXE_FAILING = ("critical", "serious")
AXE_OPTIONS = {"rules": {"label-content-name-mismatch": {"enabled": True}}, "resultTypes": ["violations"]}


def axe_violations(page, name: str) -> list[dict]:
    """Runs axe-core on the page as it is now (open shadow roots included) and returns its
    critical and serious violations; the whole report goes to test-artifacts/axe-<name>.json."""
    import json

    if not AXE_SCRIPT.exists():
        pytest.skip(
            f"{AXE_SCRIPT} is missing (make test installs axe-core from the npm registry when it can)"
        )
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))  # DevTools evaluation: no CSP exception needed
    report = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"axe-{name}.json").write_text(
        json.dumps(report["violations"], ensure_ascii=False, indent=1)
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in report["violations"]
        if v["impact"] in AXE_FAILING
    ]


def assert_accessible(page, name: str) -> None:
    violations = axe_violations(page, name)
    assert violations == [], f"axe-core on {name}: {violations}"


# --- Chinese text never broken one character per line --------------------------------------------

# For every element matching `selector` whose own text is Chinese of two or more characters, the
# number of characters on each rendered line (Range rects per character); returns the elements
# with a line holding a single character while the text has more.
ORPHAN_LINES_JS = """selector => {
  const found = [];
  for (const el of document.querySelectorAll(selector)) {
    if (!el.offsetParent) continue;
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode())) {
      const text = node.textContent;
      if (!/[\\u4e00-\\u9fff]/.test(text) || text.trim().length < 2 || text.trim().length > 24) continue;
      const lines = new Map();
      for (let i = 0; i < text.length; i++) {
        if (!text[i].trim()) continue;
        const range = document.createRange();
        range.setStart(node, i); range.setEnd(node, i + 1);
        const rect = range.getClientRects()[0];
        if (!rect) continue;
        const top = Math.round(rect.top);
        lines.set(top, (lines.get(top) || 0) + 1);
      }
      if (lines.size > 1 && [...lines.values()].some(count => count === 1)) {
        found.push(text.trim().slice(0, 30));
      }
    }
  }
  return found;
}"""


def single_character_lines(page, selector: str) -> list[str]:
    """Texts under `selector` that the browser broke so that a line holds one character."""
    return page.evaluate(ORPHAN_LINES_JS, selector)
