"""Operations keep an answer current on /kb in Chromium, with four eyes: an editor changes the
transfer-fee answer (and cannot approve it), a reviewer compares and approves it, a customer
asking "跨行转账要手续费吗" in the widget gets the new wording at once, and an analyst sees which
answer version the customer was shown. The live product (Rasa, action server, API) runs it."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

import httpx
import pytest
from playwright.sync_api import expect

from scripts.demo import demo_staff_password
from tests.conftest import ROOT
from tests.kb_helpers import EDITOR, REVIEWER, current_version, publish, staff_headers

from .conftest import PAGE_TIMEOUT_MS, open_chat

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

DESKTOP = {"width": 1440, "height": 1000}
TOPIC = "transfer_fee"
TRANSCRIPT_WAIT_SECONDS = 120


def sign_in(page, url: str, path: str, username: str) -> None:
    page.goto(url + path)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(demo_staff_password())
    page.get_by_role("button", name="登录", exact=True).click()
    page.get_by_role("button", name="退出登录").wait_for()


def open_transfer_fee(page) -> None:
    page.get_by_label("搜索").fill("转账手续费")
    page.get_by_role("button", name="查询", exact=True).click()
    page.locator("#topic-rows").get_by_role("button", name="转账手续费", exact=True).click()
    page.locator("#versions .version").first.wait_for()


def consume_transcripts(live_product) -> None:
    """The transcript store takes the new events in now (the follower does it every 5 seconds)."""
    consumed = subprocess.run(
        [sys.executable, "-m", "scripts.transcripts", "consume"],
        cwd=ROOT,
        env=live_product.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert consumed.returncode == 0, consumed.stderr


def conversations_shown(live_product, version_id: int) -> list[str]:
    headers = staff_headers(live_product.api_url, "analyst1")
    response = httpx.get(
        f"{live_product.api_url}/api/analyst/conversations",
        params={"answer_version_id": version_id},
        headers=headers,
        timeout=30,
    )
    response.raise_for_status()
    return [item["conversation_id"] for item in response.json()["items"]]


def test_an_edited_answer_is_reviewed_and_reaches_the_customer_and_the_analyst(
    new_page, live_product, artifacts
):
    url = live_product.api_url
    original = current_version(url, TOPIC)
    marker = uuid.uuid4().hex[:6].upper()
    new_text = f"自2027年1月1日起，本行手机银行跨行转账免收手续费（通知编号{marker}）；柜台转账按公告标准收取，详情可在手机银行“费用说明”中查看。"
    try:
        # The editor writes the new wording and sees it as the customer will.
        editor = new_page(DESKTOP)
        sign_in(editor, url, "/kb", EDITOR)
        open_transfer_fee(editor)
        text_box = editor.get_by_label("答案内容")
        expect(text_box).to_have_value(original["text"])
        text_box.fill(new_text)
        expect(editor.locator("#preview .msg__bubble")).to_have_text(new_text)
        expect(editor.locator("#preview .msg__button")).to_have_count(len(original["related"]))
        editor.get_by_label("修改说明").fill("跨行转账手续费调整")
        editor.get_by_role("button", name="提交审核").click()
        expect(editor.locator("#detail-status")).to_contain_text("已提交，等待审核人员审核")
        pending = editor.locator("#versions .version--pending").first
        expect(pending).to_contain_text(new_text)
        # No way to approve one's own draft: no button, and the API refuses it.
        expect(pending.get_by_role("button", name="审核通过")).to_have_count(0)
        draft_id = int(pending.get_attribute("data-version-id"))
        own = httpx.post(
            f"{url}/api/kb/versions/{draft_id}/approve",
            json={},
            headers=staff_headers(url, EDITOR),
            timeout=30,
        )
        assert own.status_code == 403
        editor.screenshot(path=str(artifacts / "kb-editor-draft.png"), full_page=True)

        # The reviewer finds it waiting, compares it with the published wording and approves it.
        reviewer = new_page(DESKTOP)
        sign_in(reviewer, url, "/kb", REVIEWER)
        reviewer.get_by_label("状态").select_option("pending")
        reviewer.get_by_role("button", name="查询", exact=True).click()
        row = reviewer.locator("#topic-rows .case-row", has_text="转账手续费")
        expect(row).to_contain_text("待审核")
        open_transfer_fee(reviewer)
        waiting = reviewer.locator(f'#versions .version[data-version-id="{draft_id}"]')
        waiting.get_by_role("button", name="与当前发布版本对比").click()
        expect(reviewer.locator("#diff-right ins").first).to_be_visible()
        expect(reviewer.locator("#diff-right")).to_have_text(new_text)
        reviewer.screenshot(path=str(artifacts / "kb-reviewer-diff.png"), full_page=True)
        waiting.get_by_label("审核意见").fill("已核对收费公告，同意发布。")
        waiting.get_by_role("button", name="审核通过").click()
        expect(reviewer.locator("#detail-status")).to_contain_text("客户从下一次提问起即收到新答案")
        expect(reviewer.locator(f'#versions .version[data-version-id="{draft_id}"]')).to_contain_text(
            "已发布"
        )
        expect(reviewer.locator("#events")).to_contain_text("审核通过")

        # A customer asks in the widget and gets the new wording at once.
        customer = new_page(DESKTOP)
        open_chat(customer, url + "/chat")
        box = customer.get_by_label("输入您的问题")
        box.fill("跨行转账要手续费吗")
        box.press("Enter")
        expect(customer.locator(".msg--assistant", has_text=marker)).to_be_visible(timeout=PAGE_TIMEOUT_MS)
        customer.screenshot(path=str(artifacts / "kb-customer-new-answer.png"))

        # The analyst sees which version the customer was shown, and filters by it.
        consume_transcripts(live_product)
        deadline = time.monotonic() + TRANSCRIPT_WAIT_SECONDS
        while not conversations_shown(live_product, draft_id):
            assert time.monotonic() < deadline, "the conversation never reached the transcript store"
            consume_transcripts(live_product)
        analyst = new_page(DESKTOP)
        sign_in(analyst, url, "/analyst", "analyst1")
        analyst.get_by_label("答案版本").fill(str(draft_id))
        analyst.get_by_role("button", name="查询", exact=True).click()
        expect(analyst.locator("#list-status")).to_contain_text("共找到 1 个会话")
        analyst.locator("#conversation-rows .case-row").first.click()
        shown = analyst.locator(".bubble--assistant", has_text=marker)
        expect(shown.get_by_role("button", name=f"答案版本 #{draft_id}")).to_be_visible()
        analyst.screenshot(path=str(artifacts / "kb-analyst-version.png"), full_page=True)
    finally:
        # Other end-to-end tests expect the shipped wording.
        if current_version(url, TOPIC)["text"] != original["text"]:
            publish(url, TOPIC, original["text"], original["related"])
