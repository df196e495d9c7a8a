"""What NLU sees: simplified, half-width, counted numerals as digits; idioms untouched."""

import pytest

from bot.text.normalize import normalize_text


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("請問我的帳戶被凍結了，轉賬要多久？", "请问我的账户被冻结了,转账要多久?"),
        ("我要转帐", "我要转账"),
        ("帐单日是哪天", "账单日是哪天"),
        ("蚊帐和帐篷", "蚊帐和帐篷"),
        ("转５万要手续费吗", "转5万要手续费吗"),
        ("ＡＰＰ登录不了", "APP登录不了"),
        ("大概二十万", "大概200000"),
        ("年收入三十万左右", "年收入300000左右"),
        ("我五十多岁了", "我50多岁了"),
        ("一万五", "15000"),
        ("存三个月定期", "存3个月定期"),
        ("选第二个", "选第2个"),
        ("二十号还款", "20号还款"),
        ("我那个TS二零二六一一二三零零零一二三的投诉呢", "我那个TS20261123000123的投诉呢"),
        ("手机号幺三八洞洞洞洞一二三四", "手机号13800001234"),
    ],
)
def test_text_is_normalised_for_understanding(raw, expected):
    assert normalize_text(raw) == expected


@pytest.mark.parametrize(
    "text",
    [
        "我想查一下余额",
        "千万别转账",
        "万一被骗了怎么办",
        "一一对应",
        "十分感谢",
        "好一点",
        "你好👋",
        "一二三四五六七都试过了",
    ],
)
def test_words_that_merely_contain_numerals_stay_as_they_are(text):
    assert normalize_text(text) == text
