"""Pure complaint rules: classification guesses, case numbers, deadlines and allowed transitions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.cases import classification, deadlines, lifecycle, numbers
from bot.cases.errors import (
    ExtensionNeedsSupervisor,
    ExtensionRefused,
    IllegalTransition,
    InvalidCaseField,
    ReviewWindowClosed,
)
from bot.text.china_time import china_date


@pytest.mark.parametrize(
    "text, channel, business, reason",
    [
        ("手机银行APP转账一直失败，系统老是报错", "CH05", "BT04", "RS02"),
        ("信用卡莫名其妙乱扣钱，年费也没告知我", None, "BT03", "RS08"),
        ("网点柜员态度很差，爱答不理的", "CH01", None, "RS01"),
        ("在你们银行买的理财亏了三万，当时说保本的", None, "BT06", "RS06"),
        ("一直打电话推销保险，太骚扰了", "CH04", "BT06", "RS04"),
        ("我的个人信息被泄露了，天天接到陌生电话", None, "BT05", "RS11"),
        ("ATM吞卡了，卡到现在还没拿回来", "CH02", "BT03", "RS02"),
        ("房贷提前还款还要收违约金，不合理", None, "BT02", "RS08"),
        ("美元购汇被拒绝办理，说材料不够", None, "BT07", "RS03"),
        ("微信公众号绑定银行卡一直失败", "CH06", "BT03", "RS02"),
        ("在支付宝付款，银行卡被扣了两次", "CH08", "BT03", "RS08"),
        ("网上银行登录不了，U盾插上没反应", "CH03", None, "RS02"),
        ("收到短信说我的信用卡被盗刷了两万", "CH07", "BT03", "RS10"),
        ("贷款合同里的条款和经理说的不一样", None, "BT02", "RS09"),
        ("办房贷被强制搭售保险", None, "BT02", "RS07"),
        ("定期存款到期了利息少算了，也没提醒我", None, "BT01", "RS05"),
        ("客户经理忽悠我买了基金，说稳赚不赔", None, "BT06", "RS04"),
        ("信用卡分期手续费太高了", None, "BT03", "RS08"),
        ("客服电话打了十几次都转不到人工，服务太差", "CH04", None, "RS01"),
        ("我就是想投诉一下", None, None, None),
    ],
)
def test_the_classification_is_guessed_from_the_customers_words(text, channel, business, reason):
    guess = classification.infer_classification(text)
    assert (guess.channel_code, guess.business_code, guess.reason_code) == (channel, business, reason)


def test_every_code_has_the_standards_label():
    assert classification.label("channel", "CH05") == "手机银行/移动客户端"
    assert classification.label("business", "BT06") == "理财/代理业务"
    assert classification.label("reason", "RS08") == "定价收费"
    assert classification.label("reason", None) is None
    assert len(classification.CHANNELS) == 9 and len(classification.BUSINESSES) == 8
    assert len(classification.REASONS) == 12


def test_a_case_number_is_ts_the_china_date_and_a_six_digit_sequence():
    assert numbers.format_case_number(date(2026, 11, 23), 123) == "TS20261123000123"
    # 23:30 UTC on the 22nd is already the 23rd in Beijing.
    late = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
    assert china_date(late) == date(2026, 11, 23)
    with pytest.raises(ValueError):
        numbers.format_case_number(date(2026, 11, 23), 1_000_000)


@pytest.mark.parametrize(
    "typed",
    [
        "TS20261123000123",
        "ts20261123000123",
        " TS 2026 1123 000123 ",
        "ＴＳ２０２６１１２３０００１２３",
        "TS-20261123-000123",
        "20261123000123",
    ],
)
def test_a_typed_case_number_is_read_in_any_reasonable_form(typed):
    assert numbers.parse_case_number(typed) == "TS20261123000123"


@pytest.mark.parametrize(
    "typed",
    [
        "TS2026112300012",
        "TS202611230001234",
        "TS20261323000123",
        "TS20261123000000",
        "AB20261123000123",
        "13812345678",
        "",
        "我的投诉",
    ],
)
def test_a_malformed_case_number_is_refused(typed):
    assert numbers.parse_case_number(typed) is None


def test_a_case_number_is_found_inside_a_sentence():
    assert numbers.find_case_number("我的单号是ts2026-1123-000123，帮我查查") == "TS20261123000123"
    assert numbers.find_case_number("电话13812345678") is None


RECEIVED = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


def test_the_deadline_is_the_end_of_the_15th_day_in_beijing():
    due = deadlines.due_at(RECEIVED)
    assert due == datetime(2026, 12, 8, 15, 59, 59, tzinfo=UTC)  # 2026-12-08 23:59:59 +08:00
    assert deadlines.due_at(RECEIVED, 1).date() == date(2026, 12, 23)
    assert deadlines.due_at(RECEIVED, 2).date() == date(2027, 1, 22)


def test_flags_at_the_edges_of_due_soon_and_overdue():
    due = deadlines.due_at(RECEIVED)
    flag = lambda now, is_open=True: deadlines.deadline_flag(due=due, now=now, is_open=is_open)  # noqa: E731
    four_days_before = datetime(2026, 12, 4, 15, 59, 59, tzinfo=UTC)  # end of 12-04 in Beijing
    assert deadlines.days_left(due, four_days_before) == 4 and flag(four_days_before) is None
    three_days_before = four_days_before + timedelta(seconds=1)  # 12-05 00:00 Beijing
    assert deadlines.days_left(due, three_days_before) == 3 and flag(three_days_before) == "due_soon"
    assert flag(due) == "due_soon" and deadlines.days_left(due, due) == 0
    assert flag(due + timedelta(seconds=1)) == "overdue"
    assert flag(due + timedelta(days=5), is_open=False) is None, "answered cases are not flagged"
    assert deadlines.deadline_flag(due=due, now=three_days_before, is_open=True, due_soon_days=2) is None


def test_a_first_extension_needs_a_reason_and_any_case_handler():
    assert (
        deadlines.check_extension(extensions=0, reason="需调取监控", approval_note=None, actor_role="agent")
        == 1
    )
    with pytest.raises(InvalidCaseField, match="reason"):
        deadlines.check_extension(extensions=0, reason="  ", approval_note=None, actor_role="agent")


def test_a_second_extension_needs_a_supervisor_and_an_approval_note():
    with pytest.raises(ExtensionNeedsSupervisor):
        deadlines.check_extension(extensions=1, reason="涉及第三方", approval_note="同意", actor_role="agent")
    with pytest.raises(InvalidCaseField, match="approval"):
        deadlines.check_extension(
            extensions=1, reason="涉及第三方", approval_note="", actor_role="supervisor"
        )
    assert (
        deadlines.check_extension(
            extensions=1, reason="涉及第三方", approval_note="部门负责人同意", actor_role="supervisor"
        )
        == 2
    )
    with pytest.raises(ExtensionRefused):
        deadlines.check_extension(extensions=2, reason="再延", approval_note="同意", actor_role="supervisor")


@pytest.mark.parametrize(
    "from_status, to_status",
    [
        ("received", "in_progress"),
        ("received", "answered"),
        ("received", "withdrawn"),
        ("in_progress", "answered"),
        ("in_progress", "withdrawn"),
        ("answered", "closed"),
    ],
)
def test_the_forward_path_and_withdrawal_are_allowed(from_status, to_status):
    lifecycle.check_transition(from_status, to_status)


@pytest.mark.parametrize(
    "from_status, to_status",
    [
        ("received", "closed"),
        ("in_progress", "received"),
        ("answered", "withdrawn"),
        ("closed", "withdrawn"),
        ("closed", "answered"),
        ("withdrawn", "in_progress"),
        ("withdrawn", "received"),
        ("in_progress", "in_progress"),
    ],
)
def test_illegal_transitions_are_refused_with_a_chinese_explanation(from_status, to_status):
    with pytest.raises(IllegalTransition) as refused:
        lifecycle.check_transition(from_status, to_status)
    assert lifecycle.STATUS_LABELS[from_status] in refused.value.customer_message
    assert from_status in refused.value.developer_message


def test_a_review_reopens_only_within_30_days_of_the_answer():
    answered = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    for status in ("answered", "closed"):
        lifecycle.check_transition(
            status, "in_progress", answered_at=answered, now=answered + timedelta(days=30)
        )
        with pytest.raises(ReviewWindowClosed):
            lifecycle.check_transition(
                status, "in_progress", answered_at=answered, now=answered + timedelta(days=30, seconds=1)
            )


def test_next_statuses_follow_the_lifecycle_order():
    assert lifecycle.next_statuses("received") == ("in_progress", "answered", "withdrawn")
    assert lifecycle.next_statuses("answered") == ("in_progress", "closed")
    assert lifecycle.next_statuses("withdrawn") == ()
    for status in lifecycle.STATUSES:
        for target in lifecycle.next_statuses(status):
            if not lifecycle.is_review(status, target):
                lifecycle.check_transition(status, target)
