"""Which messages are grievances (bot/grievance, markers.yml): a bad experience or blame, whatever
the subject, told apart from a question about the same subject."""

from __future__ import annotations

import pytest

from bot.grievance import grievance


@pytest.mark.parametrize(
    "text",
    [
        "柜台让我等了两个小时",  # kept waiting at the counter (not a question about transfers)
        "办信用卡送的东西一直没给",  # a promised gift never came
        "没通知就扣了我年费",  # charged without being told
        "你们为什么没通知就扣了我年费",  # a "why" does not make blame a question
        "客服电话永远打不通",
        "95516 打了几个小时没人接",
        "手机银行转账手续费乱收",
        "没经过我同意就给我开通了短信提醒",
        "在網點排了兩個小時的隊",  # traditional characters are read like simplified ones
        "跑了三趟网点都没办成",
        "说好的红包呢",
        "贷款经理说好的利率却给我涨了",
        "理财经理忽悠我买的产品",
        "大堂经理态度很差",
        "提醒我有额度，结果没有，不是骗人吗",  # rhetorical: blame, not a question
        "会员费乱扣",  # 会 of 会员 is no "will"
        "手机银行这个功能太坑了",  # 能 of 功能 is no "can"
        "信用卡分期的手续费根本没跟我说清楚",
        "我的额度被降了也没人告诉我",
        "开户开了一上午还没弄好",  # hours on one errand (not waiting for money: a status question)
        "短信提醒费每个月都扣，我从来没开过",
        "转账被扣了两次手续费，谁负责",
        "办卡的时候说免年费，结果还是扣了",
        "理财经理当初说保本，现在亏了",
        "你们银行服务越来越差",
        "手机银行总是闪退，烦死了",
    ],
)
def test_a_grievance_about_a_subject_is_dissatisfaction(text):
    assert grievance(text) == "express_dissatisfaction"


@pytest.mark.parametrize(
    "text",
    [
        "信用卡年费乱扣，我要投诉",
        "柜台让我等了两个小时，必须给我个说法",
        "客服态度太差了，我要去银保监会反映",
        "乱收费，我要打315",
    ],
)
def test_a_grievance_that_asks_to_complain_is_a_complaint(text):
    assert grievance(text) == "complain"


def test_an_amount_is_no_threat_to_go_to_the_regulator():
    assert grievance("乱扣了我315元") == "express_dissatisfaction"


@pytest.mark.parametrize(
    "text",
    [
        # neutral questions about the same subjects: the FAQ answers them
        "转账多久到账",
        "信用卡年费怎么收",
        "为什么扣了我年费",
        "为什么到现在还没到账",  # waiting for a transfer or a loan is a status question
        "3天了还没等到审核电话",
        "系统一直没给我开借款",
        "凭什么不给我额度",  # asked to learn why: the credit-line answer says why
        "不是说好5点扣款吗",
        "客服电话多少",
        "客服电话为什么打不通",  # a "why" question about the line: its hours and numbers
        "我要投诉",  # no grievance marker: the classifiers decide
        # worries and questions about the future
        "逾期了谁负责通知我",  # who does it, not who is to blame
        "客服说三天到账，结果还没到",  # a status question
        "刚才手机占线没接到你们的审核电话",  # the customer's own line was busy once
        "我从来没开过短信提醒",  # nothing was charged
        "麻烦人工客服帮我看看",  # 麻烦 is a courtesy
        "会乱扣费吗",
        "不会乱收费吧",
        "外面招代理的是不是骗人的",
        "怎么防止被骗",
        # reported speech and other meanings of the same words
        "审核说电话打不通",
        "信用卡背面的三位数打不进去",
    ],
)
def test_questions_and_worries_are_no_grievance(text):
    assert grievance(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "冒充客服的人骗我转账，你们太坑了",
        "被骗子骗走了两万块，太气人了",
        "对方是陌生人，现在电话打不通了",
        "卡挂失了还被人刷走了钱，你们不管吗",  # a theft: the card-theft answer and its urgency
        "有人让我投资虚拟货币，说是稳赚不亏",  # a scam's promise, nothing lost yet
    ],
)
def test_a_scam_is_never_a_grievance_against_us(text):
    assert grievance(text) is None
