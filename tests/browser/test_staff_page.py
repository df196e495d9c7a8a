"""Staff sign in to the console's complaint-case page in a real browser and work a case."""

from __future__ import annotations

import json
import urllib.request
import uuid
from datetime import timedelta

import pytest

from bot.cases import service as case_service
from bot.cases.crypto import CaseCipher, load_or_create_key
from bot.db import build_engine, build_session_factory, utcnow
from scripts.demo import demo_staff_password

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def live_cipher(live_product) -> CaseCipher:
    """The cipher the live API uses: CASE_ENCRYPTION_KEY, or the key file in its VAR_DIR."""
    key = live_product.env.get("CASE_ENCRYPTION_KEY") or load_or_create_key(live_product.var_dir)
    return CaseCipher(key)


def file_case(live_product, received_ago: timedelta = timedelta(0), **fields) -> str:
    """Files a complaint directly in the live product's database; returns its number."""
    engine = build_engine(live_product.database_url)
    try:
        with live_product.its_encryption_key(), build_session_factory(engine).begin() as session:
            case = case_service.open_case(
                session=session,
                **{
                    "description": "上周在网点换汇，柜员没告知手续费，短信提醒才发现多扣了两百元",
                    "request": "退还多收的手续费",
                    "occurred_at": "上周五下午",
                    "intake_channel": "web",
                    "channel_code": "CH07",
                    "business_code": "BT07",
                    "reason_code": "RS08",
                    "customer_id": "D-BROWSER-1",
                    "contact_phone": "13912345678",
                    "customer_name": "陈静",
                    **fields,
                },
                now=utcnow() - received_ago,
                cipher=live_cipher(live_product),
            )
            return case.number
    finally:
        engine.dispose()


@pytest.fixture
def live_case(live_product) -> str:
    return file_case(live_product)


def sign_in(page, url: str, username: str, password: str) -> None:
    page.goto(f"{url}/staff")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录", exact=True).click()


def test_an_agent_finds_a_case_works_it_and_answers_the_customer(
    new_page, live_product, live_case, artifacts
):
    page = new_page(DESKTOP)
    sign_in(page, live_product.api_url, "agent1", "not-the-password")
    page.locator("#login-error", has_text="用户名或密码错误").wait_for()

    page.get_by_label("密码").fill(demo_staff_password())
    page.get_by_role("button", name="登录", exact=True).click()
    page.locator("#who-name", has_text="演示坐席（客服坐席）").wait_for()
    page.get_by_role("button", name="退出登录").wait_for()

    # Narrow the list to the case's classification, then open it from the table.
    page.get_by_label("投诉渠道").select_option(label="短信")
    page.get_by_label("业务类型").select_option(label="外汇")
    row = page.locator(f"tr[data-number='{live_case}']")
    row.wait_for()
    assert "已受理" in row.inner_text() and "定价收费" in row.inner_text()
    row.get_by_role("button", name=live_case).click()

    detail = page.locator("#detail")
    detail.get_by_role("heading", name=f"投诉 {live_case}").wait_for()
    assert "柜员没告知手续费" in detail.inner_text() and "退还多收的手续费" in detail.inner_text()
    assert page.locator("#contact-phone").inner_text() == "139****5678"

    # The full number is shown on request, and the access is audited.
    page.get_by_role("button", name="查看完整号码").click()
    page.locator("#contact-phone", has_text="13912345678").wait_for()
    page.locator("#events", has_text="查看完整联系方式").wait_for()

    page.get_by_role("button", name="分派给我").click()
    page.locator("#detail-status", has_text="已分派给您处理").wait_for()

    # The case actions fold away; one open at a time keeps one primary button in view.
    assert visible_primary_buttons(page) == []
    page.locator("summary", has_text="变更状态").click()
    assert visible_primary_buttons(page) == ["确认变更"]
    status_form = page.locator("#status-form")
    status_form.get_by_label("新状态").select_option(label="处理中")
    status_form.get_by_label("备注").fill("已联系网点核实收费记录")
    status_form.get_by_role("button", name="确认变更").click()
    page.locator("#detail-flags", has_text="处理中").wait_for()
    row.locator(".badge", has_text="处理中").wait_for()

    page.locator("summary", has_text="答复客户").click()
    assert visible_primary_buttons(page) == ["提交答复"]
    answer_form = page.locator("#answer-form")
    answer_form.get_by_label("答复内容").fill("经核实，该笔手续费属于误收，已于今日退回您的账户。")
    answer_form.get_by_role("button", name="提交答复").click()
    page.locator("#detail-flags", has_text="已答复").wait_for()
    row.locator(".badge", has_text="已答复").wait_for()
    assert "已于今日退回您的账户" in detail.inner_text()
    assert answer_form.is_hidden(), "an answered case is not answered again"

    events = page.locator("#events li")
    trail = [events.nth(i).inner_text() for i in range(events.count())]
    assert "受理投诉" in trail[0]
    # Display names, as the header shows them, never login names.
    assert any("演示坐席" in e and "处理中" in e and "已联系网点核实收费记录" in e for e in trail)
    assert not any("agent1" in e for e in trail)
    assert any("未分派 → 演示坐席" in e for e in trail)
    assert "演示坐席" in row.inner_text() and "agent1" not in row.inner_text()
    assert any("答复客户" in e and "处理中 → 已答复" in e for e in trail)
    assert any("分派处理人" in e for e in trail)
    page.screenshot(path=str(artifacts / "staff-cases.png"), full_page=True)

    # A login that ends elsewhere sends the page back to the sign-in form with the API's reason.
    token = json.loads(page.evaluate("sessionStorage.getItem('bank-staff-login')"))["token"]
    request = urllib.request.Request(
        f"{live_product.api_url}/api/auth/logout", method="POST", headers={"Authorization": f"Bearer {token}"}
    )
    assert urllib.request.urlopen(request, timeout=30).status == 204
    page.get_by_role("button", name="查询").click()
    page.locator("#login-info", has_text="请重新登录").wait_for()
    assert page.locator("#login-view").is_visible() and page.locator("#cases-view").is_hidden()


def test_the_case_page_is_usable_on_a_phone(new_page, live_product, live_case, artifacts):
    page = new_page(PHONE)
    sign_in(page, live_product.api_url, "supervisor1", demo_staff_password())
    page.locator("#who-name", has_text="客服主管").wait_for()
    page.get_by_label("投诉渠道").select_option(label="短信")
    row = page.locator(f"tr[data-number='{live_case}']")
    row.get_by_role("button", name=live_case).click()
    page.locator("#detail").get_by_role("heading", name=f"投诉 {live_case}").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "no sideways scrolling"

    # A supervisor extends twice: to 30 days with a reason, then to 60 with an approval note.
    extend_form = page.locator("#extend-form")
    page.locator("summary", has_text="延期处理").click()
    assert extend_form.get_by_label("主管审批意见").is_hidden()
    extend_form.get_by_label("延期原因").fill("需向外汇业务部门调取交易记录")
    extend_form.get_by_role("button", name="确认延期").click()
    page.locator("#detail-facts", has_text="已延期 1 次").wait_for()
    # the detail has finished reloading the case (its history shows the first extension) before
    # the second one is asked for, as a person would see it
    page.locator("#events", has_text="第1次延期").wait_for()
    page.locator("summary", has_text="延期处理").click()
    extend_form.get_by_label("主管审批意见").fill("同意，涉及跨部门核查")
    extend_form.get_by_label("延期原因").fill("需等待清算机构回复")
    extend_form.get_by_role("button", name="确认延期").click()
    page.locator("#detail-facts", has_text="已延期 2 次").wait_for()
    assert extend_form.is_hidden(), "60 days is the limit"
    page.locator(
        "#events", has_text="第2次延期：需等待清算机构回复（审批意见：同意，涉及跨部门核查）"
    ).wait_for()
    page.screenshot(path=str(artifacts / "staff-cases-phone.png"), full_page=True)

    page.get_by_role("button", name="退出登录").click()
    page.locator("#login-info", has_text="已安全退出登录").wait_for()


def visible_primary_buttons(page) -> list[str]:
    """The filled (primary) buttons in view in the case detail."""
    return page.locator("#detail .button:not(.button--light)").evaluate_all(
        "nodes => nodes.filter(n => n.checkVisibility()).map(n => n.textContent.trim())"
    )


def test_an_analyst_is_told_politely_that_cases_are_not_theirs(new_page, live_product):
    page = new_page(DESKTOP)
    sign_in(page, live_product.api_url, "analyst1", demo_staff_password())
    notice = page.locator("#forbidden-view")
    notice.get_by_role("heading", name="无权限查看投诉工单").wait_for()
    assert "质检分析员" in notice.inner_text()
    assert page.locator("#cases-view").is_hidden()
    assert page.locator("#case-rows tr").count() == 0


def test_deadline_flags_are_shown_in_words_and_can_be_filtered(new_page, live_product):
    from playwright.sync_api import expect

    overdue = file_case(live_product, received_ago=timedelta(days=17), channel_code="CH02")
    due_soon = file_case(live_product, received_ago=timedelta(days=14), channel_code="CH02")
    page = new_page(DESKTOP)
    sign_in(page, live_product.api_url, "agent1", demo_staff_password())
    page.get_by_label("投诉渠道").select_option(label="自助机具")

    page.get_by_label("截止期限").select_option("overdue")
    page.locator(f"tr[data-number='{overdue}'] .flag--overdue", has_text="已逾期 2 天").wait_for()
    expect(page.locator(f"tr[data-number='{due_soon}']")).to_have_count(0, timeout=30_000)

    page.get_by_label("截止期限").select_option("due_soon")
    page.locator(f"tr[data-number='{due_soon}'] .flag--soon", has_text="即将到期 · 剩 1 天").wait_for()
    expect(page.locator(f"tr[data-number='{overdue}']")).to_have_count(0, timeout=30_000)


def test_too_many_wrong_passwords_lock_the_username_with_the_apis_message(new_page, live_product):
    username = f"nobody-{uuid.uuid4().hex[:8]}"
    max_failures = int(live_product.env.get("STAFF_LOGIN_MAX_FAILURES") or 5)
    page = new_page(PHONE)
    page.goto(f"{live_product.api_url}/staff")
    page.get_by_label("用户名").fill(username)
    for _ in range(max_failures):
        page.get_by_label("密码").fill("wrong-password")
        page.get_by_role("button", name="登录", exact=True).click()
        page.locator("#login-error", has_text="用户名或密码错误").wait_for()
        page.wait_for_function("!document.querySelector('#login-form button').disabled")
        page.evaluate("document.getElementById('login-error').textContent = ''")
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录", exact=True).click()
    page.locator("#login-error", has_text="已暂时锁定").wait_for()


@pytest.mark.parametrize("width", [1440, 1100, 390])
def test_the_list_uses_the_width_and_chinese_is_never_broken_per_character(
    new_page, live_product, live_case, artifacts, width
):
    from playwright.sync_api import expect

    from .conftest import assert_accessible, single_character_lines

    page = new_page({"width": width, "height": 900})
    sign_in(page, live_product.api_url, "agent1", demo_staff_password())
    row = page.locator(f"tr[data-number='{live_case}']")
    row.wait_for()
    cases, workspace = page.locator("section.cases"), page.locator("#cases-view")
    # Before a case is opened the list has the whole width.
    assert cases.bounding_box()["width"] >= workspace.bounding_box()["width"] - 2
    assert single_character_lines(page, "#cases-view th, #cases-view td, #cases-view label") == []
    row.get_by_role("button", name=live_case).click()
    page.locator("#detail").get_by_role("heading", name=f"投诉 {live_case}").wait_for()
    if width >= 1100:  # list and detail side by side
        assert page.locator("#detail").bounding_box()["x"] > cases.bounding_box()["x"] + 300
    assert (
        single_character_lines(
            page, "#cases-view th, #cases-view td, #detail dt, #detail dd, #detail summary"
        )
        == []
    )
    expect(page.locator("#detail .button:not(.button--light):visible")).to_have_count(0)  # actions folded
    assert_accessible(page, f"staff-case-{width}")
    page.screenshot(path=str(artifacts / f"staff-case-{width}.png"), full_page=True)


def test_an_empty_list_says_so_calmly(new_page, live_product):
    page = new_page(DESKTOP)
    sign_in(page, live_product.api_url, "agent1", demo_staff_password())
    page.locator("#who-name", has_text="演示坐席").wait_for()
    page.get_by_label("业务类型").select_option(label="外汇")
    page.get_by_label("投诉渠道").select_option(label="第三方渠道")
    page.get_by_label("投诉原因").select_option(label="消费者信息安全")
    from playwright.sync_api import expect

    empty = page.locator("#case-rows .empty-row")
    empty.get_by_text("暂无符合条件的投诉工单").wait_for()
    # Each filter choice reloads the list, so the row may be replaced while it is read: the check
    # retries on whichever row is current. The body's grey, not an error's red or a success green.
    expect(empty.locator(".empty")).to_have_css("color", "rgb(61, 72, 83)", timeout=30_000)
