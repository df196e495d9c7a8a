"""The chat on a phone, in Debian's Chromium with a phone's viewport, touch and user agent: the
panel follows the visible viewport, the input is 16px and not focused on open, targets are 44px,
the placeholder says nothing about keys; with the keyboard up (a 390×470 viewport) the header and
the composer leave most of the screen to the conversation. Suggested questions open the chat;
buttons of past turns go inert (for the mouse, the keyboard and screen readers alike); switching
the demo customer says so. Screenshots: test-artifacts/phone-*.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import PAGE_TIMEOUT_MS, assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

PHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
PHONE = {"width": 390, "height": 844}
KEYBOARD_UP = {"width": 390, "height": 470}  # an iPhone's visible area with the keyboard open


@pytest.fixture
def phone(browser):
    """A phone-like browser context: viewport, touch, mobile user agent."""
    contexts = []

    def open_phone(viewport: dict = PHONE):
        context = browser.new_context(
            viewport=viewport, has_touch=True, is_mobile=True, user_agent=PHONE_UA, device_scale_factor=2
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        return page

    yield open_phone
    for context in contexts:
        context.close()


def widget(page, script: str):
    """Evaluates `script` (a function of the widget's shadow root) in the page."""
    return page.evaluate(
        f"(() => {{ const root = document.getElementById('bankchat').shadowRoot; return ({script})(root); }})()"
    )


def wait_until_open(page) -> None:
    expect(page.locator("#send")).to_be_enabled(timeout=PAGE_TIMEOUT_MS)


def test_on_a_phone_the_chat_fits_the_screen_and_never_zooms_or_pops_the_keyboard(
    phone, live_product, artifacts
):
    page = phone()
    page.goto(live_product.api_url + "/")
    launcher = page.get_by_role("button", name="在线客服")
    assert launcher.bounding_box()["height"] >= 44
    launcher.tap()
    wait_until_open(page)
    facts = widget(
        page,
        """root => {
      const panel = root.querySelector('.panel').getBoundingClientRect();
      const input = root.getElementById('input');
      return {panelHeight: panel.height, panelWidth: panel.width, inner: innerHeight,
              fontSize: getComputedStyle(input).fontSize, placeholder: input.placeholder,
              focused: root.activeElement ? root.activeElement.id || root.activeElement.className : null,
              css: [...root.styleSheets].flatMap(s => [...s.cssRules].map(r => r.cssText)).join('\\n')};
    }""",
    )
    assert facts["panelHeight"] == pytest.approx(facts["inner"], abs=1) and facts[
        "panelWidth"
    ] == pytest.approx(390, abs=1)
    assert "100dvh" in facts["css"] and "safe-area-inset-bottom" in facts["css"]
    assert facts["fontSize"] == "16px"  # iOS zooms into inputs under 16px
    assert facts["placeholder"] == "请输入您的问题"  # no "按回车发送" on a phone
    assert facts["focused"] != "input"  # the keyboard does not pop up by itself
    assert page.locator("meta[name=viewport]").get_attribute("content").endswith("viewport-fit=cover")

    # Every target is at least 44px tall: the suggested questions, send and close.
    heights = widget(
        page,
        "root => [...root.querySelectorAll('.msg__buttons button, #send, .panel__close')]"
        ".map(b => Math.round(b.getBoundingClientRect().height))",
    )
    assert heights and min(heights) >= 44, heights
    page.screenshot(path=str(artifacts / "phone-widget-open.png"))
    assert_accessible(page, "phone-widget-open")


def test_with_the_keyboard_up_the_conversation_keeps_most_of_the_screen(phone, live_product, artifacts):
    page = phone(KEYBOARD_UP)
    page.goto(live_product.api_url + "/chat")
    wait_until_open(page)
    page.get_by_label("输入您的问题").tap()
    sizes = widget(
        page,
        """root => ({
      header: root.querySelector('.panel__header').getBoundingClientRect().height,
      composer: root.getElementById('composer').getBoundingClientRect().height,
      messages: root.getElementById('messages').getBoundingClientRect().height,
      subtitle: getComputedStyle(root.querySelector('.panel__subtitle')).display })""",
    )
    # It was ~225 of 470 px; now the header is one line and the composer one row.
    assert sizes["header"] + sizes["composer"] <= 0.3 * KEYBOARD_UP["height"], sizes
    assert sizes["messages"] >= 0.6 * KEYBOARD_UP["height"], sizes
    assert sizes["subtitle"] == "none"
    page.screenshot(path=str(artifacts / "phone-keyboard-up.png"))


def test_suggested_questions_open_the_chat_and_past_buttons_go_inert(phone, live_product, artifacts):
    page = phone()
    page.goto(live_product.api_url + "/chat")
    wait_until_open(page)
    welcome = page.locator(".msg--assistant").first
    expect(welcome).to_contain_text("常见问题")
    suggestion = welcome.get_by_role("button", name="信用卡年费")
    suggestion.tap()
    page.locator(
        ".msg--customer .msg__bubble", has_text="信用卡年费"
    ).wait_for()  # the title, not the payload
    answer = page.locator(".msg--assistant").nth(1)
    answer.wait_for()
    expect(answer).to_contain_text("年费")
    # The welcome's buttons belong to a past turn now: disabled for every kind of user.
    expect(suggestion).to_be_disabled()
    expect(welcome.locator(".msg__buttons--past")).to_have_count(1)
    assert not welcome.get_by_role("button", name="银行卡挂失").is_enabled()
    page.screenshot(path=str(artifacts / "phone-past-buttons.png"))
    assert_accessible(page, "phone-chat-answered")


def test_past_buttons_are_out_of_the_keyboards_way(new_page, live_product):
    page = new_page({"width": 1280, "height": 800})
    page.goto(live_product.api_url + "/chat")
    wait_until_open(page)
    first = page.get_by_role("button", name="转账手续费")
    first.focus()
    page.keyboard.press("Enter")
    page.locator(".msg--assistant").nth(1).wait_for()
    expect(first).to_be_disabled()
    # Tabbing through the page never lands on a past turn's button.
    reached = []
    for _ in range(12):
        page.keyboard.press("Tab")
        reached.append(widget(page, "root => root.activeElement ? root.activeElement.textContent : ''"))
    assert "转账手续费" not in reached and "银行卡挂失" not in reached
    # What a screen reader is told: every button of the past turn is disabled.
    snapshot = page.locator(".msg--assistant").first.locator(".msg__buttons").aria_snapshot()
    buttons = [line for line in snapshot.splitlines() if "button" in line]
    assert buttons and all("[disabled]" in line for line in buttons), snapshot


def test_switching_the_demo_customer_says_so(new_page, live_product, artifacts):
    page = new_page({"width": 1280, "height": 800})
    page.goto(live_product.api_url + "/chat")
    wait_until_open(page)
    page.get_by_label("输入您的问题").fill("你好")
    page.get_by_label("输入您的问题").press("Enter")
    page.locator(".msg--assistant").nth(1).wait_for()
    page.get_by_label("选择演示客户").select_option("D1002")
    notice = page.locator(".msg--system", has_text="已切换演示身份")
    notice.wait_for()
    expect(notice).to_contain_text("李女士")
    expect(notice).to_contain_text("之前的对话已结束")
    expect(page.locator(".msg--customer")).to_have_count(0)  # the previous customer's words are gone
    wait_until_open(page)
    page.screenshot(path=str(artifacts / "widget-demo-switch.png"))
