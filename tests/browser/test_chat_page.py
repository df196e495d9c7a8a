"""A customer chats on the web page in a real browser, on a desktop and on a phone-sized screen."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from .conftest import open_chat

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("device", VIEWPORTS)
def test_the_customer_sends_a_message_and_sees_the_reply(new_page, live_product, artifacts, device):
    page = new_page(VIEWPORTS[device])
    open_chat(page, f"{live_product.api_url}/chat")
    page.get_by_label("输入您的问题").fill("你好")
    page.get_by_role("button", name="发送").click()

    assistant = page.locator(".msg--assistant .msg__bubble")
    assistant.filter(has_text="您好！我是本行的智能客服助手").wait_for()
    assert page.locator(".msg--customer .msg__bubble").last.inner_text() == "你好"
    page.screenshot(path=str(artifacts / f"chat-{device}.png"), full_page=True)

    # Reloading the page restores the conversation from the API.
    page.reload()
    page.locator(".msg--customer .msg__bubble", has_text="你好").wait_for()
    assert page.locator(".msg--assistant .msg__bubble").filter(has_text="智能客服助手").count() >= 1


def test_buttons_offered_after_two_misunderstandings_can_be_clicked(new_page, live_product, artifacts):
    page = new_page(VIEWPORTS["desktop"])
    open_chat(page, f"{live_product.api_url}/chat")
    box = page.get_by_label("输入您的问题")
    welcome_offer = page.locator(".msg--assistant").first.get_by_role("button", name="转人工客服")
    for turn, text in enumerate(["啊吧啊吧", "咕噜咕噜嘎嘎"], start=1):  # Chinese it cannot read
        box.fill(text)
        box.press("Enter")
        page.locator(".msg--customer", has_text=text).wait_for()
        # Answered by typing: the welcome's quick replies are a past turn at once, reply or not.
        expect(welcome_offer).to_be_disabled()
        # The assistant's answer to this message (one more message after the welcome).
        expect(page.locator(".msg--assistant")).to_have_count(turn + 1)

    # The offer's own button: the only live buttons on screen.
    live = page.locator(".msg__buttons:not(.msg__buttons--past)")
    expect(live).to_have_count(1)
    offer = live.get_by_role("button", name="转人工客服")
    expect(offer).to_be_enabled()
    offer.click()
    page.locator(".msg--customer .msg__bubble", has_text="转人工客服").wait_for()
    page.locator(".msg--assistant .msg__bubble", has_text="客服热线").wait_for()
    page.screenshot(path=str(artifacts / "chat-offer-human.png"), full_page=True)


def test_two_questions_in_one_message_show_the_answer_and_a_live_button_for_the_other(
    new_page, live_product, artifacts
):
    page = new_page(VIEWPORTS["phone"])
    open_chat(page, f"{live_product.api_url}/chat")
    box = page.get_by_label("输入您的问题")
    box.fill("手机银行怎么开通，转账限额是多少")
    box.press("Enter")
    offer = page.locator(".msg--assistant", has_text="另外，您还问到了“转账限额”")
    offer.wait_for()
    answer = page.locator(".msg--assistant", has_text="手机银行App").last
    # One reply is one turn: the answer's own topic buttons stay usable under the offer.
    expect(answer.get_by_role("button", name="手机银行和网银登录")).to_be_enabled()
    button = offer.get_by_role("button", name="转账限额")
    expect(button).to_be_enabled()
    page.screenshot(path=str(artifacts / "chat-two-questions.png"), full_page=True)
    button.click()
    expect(page.locator(".msg--customer .msg__bubble").last).to_have_text("转账限额")  # the title
    expect(page.locator(".msg--assistant")).to_have_count(4)  # welcome, answer, offer, limit answer
    expect(button).to_be_disabled()  # answered: a past turn now


def test_a_turn_answered_while_the_reply_is_slow_leaves_no_live_buttons(new_page, live_product):
    """The cause of the flaky offer click: while a reply was on its way, the welcome's buttons
    stayed live, so the welcome's 转人工客服 was taken for the offer's. Replies are held back here
    (as a busy server does) to show the customer's own turn retires them."""
    page = new_page(VIEWPORTS["desktop"])
    held: list[str] = []
    hold = {"replies": True}

    def relay(socket):
        server = socket.connect_to_server()

        def from_server(message):
            if hold["replies"] and json.loads(message).get("type") == "replies":
                held.append(message)
            else:
                socket.send(message)

        server.on_message(from_server)
        relay.socket = socket

    page.route_web_socket("**/ws", relay)
    open_chat(page, f"{live_product.api_url}/chat")
    box = page.get_by_label("输入您的问题")
    box.fill("啊吧啊吧")
    box.press("Enter")
    page.locator(".msg--customer .msg__meta", has_text="已送达").wait_for()  # stored, reply held
    live = page.locator(".msg__buttons:not(.msg__buttons--past)")
    expect(live).to_have_count(0)
    expect(page.locator(".msg--assistant").first.get_by_role("button", name="转人工客服")).to_be_disabled()

    # The reply comes late: the customer reads it and types on, nothing from before is clickable.
    hold["replies"] = False
    for message in held:
        relay.socket.send(message)
    expect(page.locator(".msg--assistant")).to_have_count(2)
    expect(live).to_have_count(0)


def test_the_counter_and_limit_protect_long_messages(new_page, live_product):
    page = new_page(VIEWPORTS["phone"])
    open_chat(page, f"{live_product.api_url}/chat")
    box = page.get_by_label("输入您的问题")
    box.fill("长" * 1200)
    assert box.input_value() == "长" * 1000, "the box stops at the limit"
    assert page.locator("#counter").inner_text() == "1000/1000"
