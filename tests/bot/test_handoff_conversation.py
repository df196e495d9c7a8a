"""The customer's side of a handoff as pure rules: cancel, rating, urgent signs, call-back intake."""

from __future__ import annotations

from datetime import UTC

import pytest

from bot.handoff import conversation as rules
from bot.handoff.conversation import CallbackIntake, CallbackStage

HOTLINE = "95000"


@pytest.mark.parametrize(
    "text", ["取消", "取消转人工", "算了", "不等了", "算了，不等了", "不用人工了！", "回到智能助手"]
)
def test_waiting_customers_can_leave_the_queue_in_their_own_words(text):
    assert rules.is_cancel_request(text)


@pytest.mark.parametrize(
    "text", ["还要等多久", "我的信用卡年费怎么取消不了", "取消自动还款需要什么材料，我下午去网点", ""]
)
def test_questions_while_waiting_are_not_taken_as_leaving(text):
    assert not rules.is_cancel_request(text)


@pytest.mark.parametrize(
    "text, score",
    [
        ("5", 5),
        ("5分", 5),
        ("４分", 4),
        ("五分", 5),
        ("3星", 3),
        ("★★★★", 4),
        ("非常满意", 5),
        ("不满意", 2),
        (" 1 分 ", 1),
    ],
)
def test_ratings_are_read_from_digits_words_and_stars(text, score):
    assert rules.parse_rating(text) == score


@pytest.mark.parametrize("text", ["6分", "0", "10分", "还行吧我觉得", "50000", "我的卡被冻结了", ""])
def test_anything_else_is_not_a_rating(text):
    assert rules.parse_rating(text) is None


@pytest.mark.parametrize(
    "text, reason",
    [
        ("我被骗了，钱已经转给对方了", "fraud"),
        ("刚才把验证码告诉了一个自称客服的人", "fraud"),
        ("我真的不想活了", "distress"),
        ("欠了这么多钱，活不下去了", "distress"),
        ("我被騙了怎麼辦", "fraud"),  # traditional characters
        ("怕被骗所以没理他，结果还是被骗了", "fraud"),  # the second one happened
    ],
)
def test_signs_of_fraud_or_distress_are_recognised(text, reason):
    assert rules.urgent_reason(text) == reason


@pytest.mark.parametrize(
    "text",
    [
        "怎么识别诈骗电话",
        "冒充公检法的电话是什么样的",
        "刷单是诈骗吗",
        "信用卡年费多少",
        "怎么防止被骗",
        "万一被骗了怎么办",
        "老人怎样避免上当了还不知道",
        "担心被盗刷，能关掉境外支付吗",
    ],
)
def test_questions_about_fraud_in_general_are_not_urgent(text):
    assert rules.urgent_reason(text) is None


def test_waiting_text_gives_people_ahead_and_an_honest_estimate():
    text = rules.waiting_text(position=3, wait_minutes=0)
    assert "前面还有2位" in text and "约1分钟" in text and "取消转人工" in text
    assert rules.waiting_text(1, 4, "fraud").startswith("已为您优先转接人工客服，您是下一位")
    # Without past waits to go by, no figure is made up: the customer is told so.
    unknown = rules.waiting_text(2, 5, known=False)
    assert "暂时无法估计等待时间" in unknown and "分钟" not in unknown
    assert "分钟" not in rules.waiting_ack_text(2, 5, known=False)
    assert rules.moved_up_text(1, 3) == "排队有进展：您现在排在第1位，预计等待约3分钟。"


def test_callback_takes_a_phone_then_a_time():
    step = rules.read_callback_reply(CallbackIntake(), "我的手机 138 1234 5678", hotline=HOTLINE)
    assert step.intake.stage == CallbackStage.TIME and step.intake.phone == "13812345678"
    done = rules.read_callback_reply(step.intake, "明天上午", hotline=HOTLINE)
    assert done.intake.stage == CallbackStage.DONE and done.intake.preferred_time == "明天上午"
    assert "138****5678" in rules.callback_done_text(done.intake.phone, done.intake.preferred_time)


def test_callback_any_time_and_masked_time_text():
    intake = CallbackIntake(stage=CallbackStage.TIME, phone="13812345678")
    assert (
        rules.read_callback_reply(intake, "随时", hotline=HOTLINE).intake.preferred_time == "尽快，时间不限"
    )
    masked = rules.read_callback_reply(intake, "晚上打13912345678也行", hotline=HOTLINE).intake.preferred_time
    assert "13912345678" not in masked


def test_three_bad_phones_end_politely_and_cancel_works_at_any_step():
    intake = CallbackIntake()
    for attempt in range(1, 3):
        step = rules.read_callback_reply(intake, "12345", hotline=HOTLINE)
        intake = step.intake
        assert intake.stage == CallbackStage.PHONE and intake.bad_phones == attempt
        assert "有效的手机号码" in step.say[0]
    final = rules.read_callback_reply(intake, "abc", hotline=HOTLINE)
    assert final.intake.stage == CallbackStage.GAVE_UP and "24小时客服热线95000" in final.say[0]
    cancelled = rules.read_callback_reply(
        CallbackIntake(stage=CallbackStage.TIME, phone="13812345678"), "不用了", hotline=HOTLINE
    )
    assert cancelled.intake.stage == CallbackStage.CANCELLED


def test_callback_time_too_long_is_asked_again():
    intake = CallbackIntake(stage=CallbackStage.TIME, phone="13812345678")
    step = rules.read_callback_reply(intake, "下" * 60, hotline=HOTLINE)
    assert step.intake.stage == CallbackStage.TIME and "50字以内" in step.say[0]


def test_callback_state_survives_the_slot_round_trip():
    intake = CallbackIntake(stage=CallbackStage.TIME, phone="13812345678", bad_phones=1)
    assert CallbackIntake.from_slot(intake.to_slot()) == intake
    assert CallbackIntake.from_slot(None) == CallbackIntake()
    assert CallbackIntake.from_slot({"stage": "nonsense"}).stage == CallbackStage.PHONE


def test_a_rating_is_taken_only_right_after_a_closed_unrated_service():
    from datetime import datetime, timedelta

    from bot.handoff.models import Handoff

    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    closed = Handoff(status="closed", ended_at=now - timedelta(minutes=5), satisfaction=None)
    assert rules.rating_for(closed, "5分", now) == 5
    assert rules.rating_for(closed, "我还想问年费", now) is None
    assert rules.rating_for(Handoff(status="handed_back", ended_at=now), "5分", now) is None
    assert rules.rating_for(Handoff(status="closed", ended_at=now, satisfaction=3), "5分", now) is None
    assert rules.rating_for(Handoff(status="closed", ended_at=now - timedelta(hours=3)), "5分", now) is None
    assert rules.rating_for(None, "5分", now) is None
