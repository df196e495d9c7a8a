"""Shared devices in Chromium: after customer A, the next person on the same browser (B, or
nobody signed in) sees nothing of A's conversation, whether the bank's page calls
BankChat.restart() on logout or forgets to; the server refuses A's token once the conversation
was ended; an expired conversation starts afresh with a polite notice.
Screenshots: test-artifacts/widget-privacy-*.png."""

from __future__ import annotations

import functools
import http.server
import json
import threading
from datetime import timedelta
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from bot.conversations.models import Conversation
from bot.db import build_engine, utcnow
from bot.identity.tokens import sign_identity
from scripts.stack import free_port

from .conftest import open_chat

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

DESKTOP = {"width": 1280, "height": 800}
PRIVATE_QUESTION = "信用卡年费怎么收"

# The bank's page: signs the customer in (the identity token its back end issued, here from the
# address) and embeds the widget; its "退出登录" button calls BankChat.restart(), as the README
# asks of host pages.
HOST_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>网上银行</title></head>
<body><h1>网上银行</h1><button id="logout" type="button">退出登录</button>
<script>
  const identity = new URLSearchParams(location.search).get("identity") || "";
  const widget = document.createElement("script");
  widget.src = "{api}/static/widget.js";
  widget.dataset.apiUrl = "{api}";
  if (identity) widget.dataset.identityToken = identity;
  document.body.appendChild(widget);
  document.getElementById("logout").addEventListener("click", function () {{ window.BankChat.restart(); }});
</script></body></html>"""


@pytest.fixture
def bank_site(live_product, tmp_path):
    (tmp_path / "index.html").write_text(HOST_PAGE.format(api=live_product.api_url), encoding="utf-8")
    port = free_port()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{port}/index.html"
    server.shutdown()


def signed_in(live_product, bank_site: str, customer_id: str | None) -> str:
    if customer_id is None:
        return bank_site
    secret = (live_product.var_dir / "identity_secret").read_text().strip()
    token = sign_identity(customer_id=customer_id, expires_at=utcnow() + timedelta(minutes=30), secret=secret)
    return f"{bank_site}?identity={quote(token)}"


def stored(page, api_url: str) -> dict:
    return json.loads(page.evaluate(f"localStorage.getItem('bankchat:{api_url}')") or "{}")


def chat_as_a(page, live_product, bank_site) -> dict:
    open_chat(page, signed_in(live_product, bank_site, "C7001"))
    box = page.get_by_label("输入您的问题")
    box.fill(PRIVATE_QUESTION)
    box.press("Enter")
    expect(page.locator(".msg--assistant")).to_have_count(2)  # the welcome and the answer
    expect(page.locator(".msg--customer .msg__meta").last).to_contain_text("已送达")
    return stored(page, live_product.api_url)["conversation"]


def expect_nothing_of_a(page) -> None:
    expect(page.locator("#send")).to_be_enabled()
    expect(page.locator(".msg--customer")).to_have_count(0)
    expect(page.locator("#messages")).not_to_contain_text(PRIVATE_QUESTION)
    # Only the new conversation's greeting is there (its suggested questions name topics, "信用卡年费"
    # among them, but no answer about them).
    expect(page.locator(".msg--assistant")).to_have_count(1)
    expect(page.locator(".msg--assistant .msg__bubble")).not_to_contain_text("年费")


def history_status(live_product, conversation: dict) -> int:
    return httpx.get(
        f"{live_product.api_url}/api/chat/{conversation['conversation_id']}/messages",
        headers={"Authorization": f"Bearer {conversation['token']}"},
        timeout=30,
    ).status_code


def test_after_logout_the_next_customer_sees_nothing_and_a_copied_token_is_useless(
    new_page, live_product, bank_site, artifacts
):
    page = new_page(DESKTOP)
    a = chat_as_a(page, live_product, bank_site)

    page.reload()  # A again: the conversation resumes, history included
    open_chat(page, signed_in(live_product, bank_site, "C7001"))
    expect(page.locator(".msg--customer")).to_contain_text(PRIVATE_QUESTION)

    page.get_by_role("button", name="退出登录").click()  # the bank's page calls BankChat.restart()
    expect_nothing_of_a(page)
    assert stored(page, live_product.api_url)["conversation"]["conversation_id"] != a["conversation_id"]
    assert history_status(live_product, a) == 403  # ended on the server: a copy of the token is useless

    open_chat(page, signed_in(live_product, bank_site, "C7002"))  # B signs in on the same browser
    expect_nothing_of_a(page)
    page.screenshot(path=str(artifacts / "widget-privacy-next-customer.png"))
    assert PRIVATE_QUESTION not in page.evaluate("JSON.stringify(localStorage)")


@pytest.mark.parametrize("next_person", ["C7002", None], ids=["another-customer", "nobody-signed-in"])
def test_without_a_restart_another_or_no_identity_still_sees_nothing(
    new_page, live_product, bank_site, next_person
):
    page = new_page(DESKTOP)
    a = chat_as_a(page, live_product, bank_site)
    open_chat(page, signed_in(live_product, bank_site, next_person))  # the page forgot restart()
    expect_nothing_of_a(page)
    mine = stored(page, live_product.api_url)
    assert mine["conversation"]["conversation_id"] != a["conversation_id"] and mine["outbox"] == []
    # The server, asked by the widget, refused to resume A's conversation for this person.
    body = (
        {"identity_token": signed_in(live_product, "", next_person).split("identity=")[1]}
        if next_person
        else {}
    )
    refused = httpx.post(
        f"{live_product.api_url}/api/chat/{a['conversation_id']}/resume",
        json=body,
        headers={"Authorization": f"Bearer {a['token']}"},
        timeout=30,
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "identity_mismatch"


def test_an_expired_conversation_starts_afresh_with_a_polite_notice(
    new_page, live_product, bank_site, artifacts
):
    page = new_page(DESKTOP)
    a = chat_as_a(page, live_product, bank_site)
    engine = build_engine(live_product.database_url)
    with engine.begin() as connection:  # A left the page open and went away for an hour
        connection.execute(
            update(Conversation)
            .where(Conversation.id == a["conversation_id"])
            .values(created_at=utcnow() - timedelta(hours=1), last_activity_at=utcnow() - timedelta(hours=1))
        )
    engine.dispose()
    # One new load (open_chat navigates): a reload before it raced the navigation, and a first
    # load that had already replaced the expired conversation left the second with nothing to say.
    open_chat(page, signed_in(live_product, bank_site, "C7001"))
    expect(page.locator(".msg--system")).to_contain_text("由于长时间未操作，之前的会话已结束")
    expect_nothing_of_a(page)
    page.screenshot(path=str(artifacts / "widget-privacy-expired.png"))
    assert history_status(live_product, a) == 401
