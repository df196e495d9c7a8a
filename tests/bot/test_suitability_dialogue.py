"""The questionnaire conversation rules: answers, commands, confirmations, summary and edits."""

from __future__ import annotations

import pytest

from bot.suitability.dialogue import (
    Attempt,
    Command,
    Event,
    answered_options,
    detect_command,
    start,
    step,
)
from bot.suitability.questionnaire import load_questionnaire, score_answers

Q = load_questionnaire(1)


def _answer_all(attempt: Attempt, letters: str = "BBBBBBBBBB") -> Attempt:
    for letter in letters:
        result = step(Q, attempt, letter)
        assert result.event == Event.RECORDED
        attempt = result.attempt
    return attempt


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("重新开始", (Command.RESTART, None)),
        ("我想从头来吧", (Command.RESTART, None)),
        ("上一题", (Command.PREVIOUS, None)),
        ("返回上一题！", (Command.PREVIOUS, None)),
        ("不做了", (Command.EXIT, None)),
        ("算了，不想做了", (Command.EXIT, None)),
        ("退出", (Command.EXIT, None)),
        ("转人工", (Command.PERSON, None)),
        ("修改第3题", (Command.EDIT, 3)),
        ("改第十题", (Command.EDIT, 10)),
        ("第二题选错了", (Command.EDIT, 2)),
        ("确认提交", (Command.YES, None)),
        ("是的。", (Command.YES, None)),
        ("继续答题", (Command.NO, None)),
        ("不是", (Command.NO, None)),
    ],
)
def test_commands_are_recognised(text, expected):
    assert detect_command(text) == expected


@pytest.mark.parametrize(
    "text",
    ["B", "我五十多了", "不能接受", "我退休以后主要靠退休金生活，没有什么负债，也不想退出投资", ""],
)
def test_answers_and_long_sentences_are_not_commands(text):
    assert detect_command(text) is None


def test_a_full_attempt_records_every_answer_then_submits_after_the_summary():
    attempt = _answer_all(start(Q), "ABCDABCDAB")
    assert attempt.current(Q) is None
    assert step(Q, attempt, "A").event == Event.WHICH_TO_EDIT  # the summary waits for a yes
    submitted = step(Q, attempt, "确认提交")
    assert submitted.event == Event.SUBMITTED
    options = answered_options(Q, submitted.attempt)
    assert options["age"] == 0 and options["income_source"] == 1
    assert score_answers(Q, options).total == sum(
        q.options[i].points for q, i in zip(Q.questions, [0, 1, 2, 3, 0, 1, 2, 3, 0, 1])
    )


def test_free_answers_with_chinese_numerals_are_recorded():
    result = step(Q, start(Q), "我五十多了")
    assert result.event == Event.RECORDED and result.attempt.answers == (2,)
    result = step(Q, result.attempt, "家里一年大概二十万")
    assert result.attempt.answers == (2, 1)


def test_three_unclear_answers_in_a_row_offer_a_person_and_no_keeps_going():
    attempt = start(Q)
    first = step(Q, attempt, "你猜")
    assert first.event == Event.UNCLEAR and first.attempt.failures == 1
    second = step(Q, first.attempt, "不好说")
    assert second.event == Event.UNCLEAR
    third = step(Q, second.attempt, "随便")
    assert third.event == Event.OFFER_PERSON and third.attempt.pending == "person"
    resumed = step(Q, third.attempt, "继续答题")
    assert resumed.event == Event.RESUMED
    assert resumed.attempt.failures == 0 and resumed.attempt.answers == ()
    assert step(Q, third.attempt, "是的").event == Event.PERSON


def test_an_answer_right_after_the_offer_is_still_recorded():
    offered = Attempt(version=1, pending="person")
    result = step(Q, offered, "B")
    assert result.event == Event.RECORDED and result.attempt.pending is None


def test_a_recognised_question_mid_way_is_answered_without_counting_a_failure():
    attempt = _answer_all(start(Q), "BB")
    result = step(Q, attempt, "信用卡年费怎么收", faq_topic="credit_card_annual_fee")
    assert result.event == Event.FAQ and result.faq_topic == "credit_card_annual_fee"
    assert result.attempt == attempt
    # An answer that also looks like a question is an answer first.
    assert step(Q, attempt, "30%", faq_topic="deposit_rate").event == Event.RECORDED


def test_leaving_is_confirmed_and_can_be_taken_back():
    attempt = _answer_all(start(Q), "AB")
    asked = step(Q, attempt, "不做了")
    assert asked.event == Event.CONFIRM_EXIT
    assert step(Q, asked.attempt, "继续").event == Event.RESUMED
    left = step(Q, asked.attempt, "确定")
    assert left.event == Event.EXITED and left.attempt.answers == (0, 1)


def test_restart_is_confirmed_and_clears_the_answers():
    attempt = _answer_all(start(Q), "ABC")
    asked = step(Q, attempt, "重新开始")
    assert asked.event == Event.CONFIRM_RESTART
    restarted = step(Q, asked.attempt, "是")
    assert restarted.event == Event.RESTARTED and restarted.attempt.answers == ()
    # Nothing to lose yet: no question asked.
    assert step(Q, start(Q), "重新开始").event == Event.RESTARTED


def test_previous_question_takes_back_the_last_answer():
    attempt = _answer_all(start(Q), "ABC")
    back = step(Q, attempt, "上一题")
    assert back.event == Event.PREVIOUS and back.attempt.answers == (0, 1)
    assert back.attempt.current(Q) == 2
    assert step(Q, start(Q), "上一题").event == Event.AT_FIRST_QUESTION


def test_editing_from_the_summary_changes_one_answer_and_returns_to_the_summary():
    attempt = _answer_all(start(Q), "AAAAAAAAAA")
    editing = step(Q, attempt, "修改第3题")
    assert editing.event == Event.EDITING and editing.attempt.current(Q) == 2
    changed = step(Q, editing.attempt, "D")
    assert changed.event == Event.RECORDED
    assert changed.attempt.answers == (0, 0, 3, 0, 0, 0, 0, 0, 0, 0)
    assert changed.attempt.current(Q) is None
    assert step(Q, attempt, "修改第12题").event == Event.NO_SUCH_QUESTION
    last = step(Q, attempt, "上一题")
    assert last.event == Event.PREVIOUS and last.attempt.current(Q) == 9


def test_an_attempt_survives_the_slot_round_trip_and_junk_is_refused():
    attempt = Attempt(version=1, answers=(1, 2), failures=1, pending="exit", editing=None)
    assert Attempt.from_slot(attempt.to_slot()) == attempt
    assert Attempt.from_slot(None) is None
    assert Attempt.from_slot({"version": "x"}) is None
    assert Attempt.from_slot({"version": 1, "answers": ["a"]}) is None
