"""Several questions in one message (bot/faq/several.py): which messages hold more than one
question, and which topics the customer gets answered and offered."""

from __future__ import annotations

import pytest

from bot.faq.several import Clause, question_clauses, several_topics


@pytest.mark.parametrize(
    "text, clauses",
    [
        ("手机银行怎么开通，转账限额多少", ["手机银行怎么开通", "转账限额多少"]),
        ("手机银行怎么开通?转账限额多少?", ["手机银行怎么开通？", "转账限额多少？"]),
        ("信用卡怎么申请 年费多少", ["信用卡怎么申请", "年费多少"]),
        ("信用卡年费多少顺便问下怎么分期", ["信用卡年费多少", "怎么分期"]),
    ],
)
def test_two_questions_in_one_message_are_cut_apart(text, clauses):
    assert question_clauses(text) == clauses


@pytest.mark.parametrize(
    "text",
    [
        "我的卡丢了，怎么办",  # the second part is the first question's ending
        "转账失败了，钱扣了",  # one problem told in two parts, no second question
        "昨天在ATM取钱，钱没出来但是卡里扣了，怎么处理",
        "利率2.5%是多少",  # a decimal point is not a break
        "为什么我有可借的额度，但是怎么都借不出来",  # "但是" goes on with the same question
        "借的钱只能用微信花吗，还是能提到卡上",  # an either-or is one question
        "我只借几天，是不是只收这几天的利息",  # "几天" here asks nothing
        "卡里另外一张卡怎么激活",  # 另外 inside one question
        "银行卡怎么挂失，补卡要多久，要带什么证件，手续费多少",  # a list: left whole
        "/faq_choose",
    ],
)
def test_one_question_is_left_whole(text):
    assert question_clauses(text) == []


def clause(topic: str | None, confidence: float = 0.9, intent: str = "faq") -> Clause:
    return Clause(text="…", intent=intent, topic=topic, confidence=confidence)


def test_two_topics_are_answered_in_the_customers_order():
    # "手机银行怎么开通，转账限额多少" read as a whole is the limit question; the customer asked
    # about opening mobile banking first.
    clauses = [clause("app_register"), clause("transfer_limit")]
    assert several_topics("transfer_limit", clauses) == ("app_register", ["transfer_limit"])


def test_when_the_whole_message_was_unclear_the_first_question_is_answered_first():
    clauses = [clause("app_register"), clause("transfer_limit")]
    assert several_topics(None, clauses) == ("app_register", ["transfer_limit"])


@pytest.mark.parametrize(
    "clauses",
    [
        [clause("annual_fee"), clause("annual_fee")],  # the same topic asked twice
        [clause("annual_fee"), clause("installment", confidence=0.75)],  # a guess on a short clause
        [clause("annual_fee"), clause(None, intent="followup_materials")],  # a follow-up of the first
        [clause("annual_fee")],
        [],
    ],
)
def test_one_topic_is_just_answered(clauses):
    assert several_topics("annual_fee", clauses) is None


def test_a_long_question_whose_parts_read_as_other_topics_keeps_its_own_answer_alone():
    # "我下周要取十五万现金，听说要提前预约，要提前几天，在哪里预约": the whole message is the
    # large-withdrawal question; its parts alone read as other topics.
    clauses = [clause("early_repayment"), clause("branch_appointment")]
    assert several_topics("large_cash_withdrawal", clauses) is None
