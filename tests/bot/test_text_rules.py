"""The shared text rules of bot/text: mobile numbers, ratings and Beijing dates."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.text.china_time import china_date, format_date
from bot.text.phones import find_mobile, mobile_digits, parse_mobile
from bot.text.ratings import parse_rating


@pytest.mark.parametrize(
    ("text", "mobile"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("+86-139-0000-1111", "13900001111"),
        ("１３８１２３４５６７８", "13812345678"),
        ("12812345678", None),
        ("1381234567", None),
        ("010-12345678", None),
        ("我的手机是13812345678", None),
    ],
)
def test_only_a_whole_mainland_mobile_number_is_parsed(text, mobile):
    assert parse_mobile(text) == mobile


def test_a_mobile_is_found_inside_a_sentence_but_not_inside_a_longer_number():
    assert find_mobile("我的手机 138 1234 5678，谢谢") == "13812345678"
    assert find_mobile("卡号6222021381234567890") is None


@pytest.mark.parametrize(
    ("phone", "digits"),
    [
        ("+86 138-1234-5678", "13812345678"),
        ("(138)1234.5678", "13812345678"),
        ("12812345678", None),
        ("", None),
    ],
)
def test_mobile_digits_ignore_any_punctuation(phone, digits):
    assert mobile_digits(phone) == digits


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("5", 5),
        ("5分", 5),
        ("４分", 4),
        ("五分", 5),
        ("四星", 4),
        ("3颗星", 3),
        ("4星！", 4),
        ("★★★★", 4),
        ("非常满意", 5),
        ("满意", 4),
        ("一般", 3),
        ("不满意", 2),
        (" 1 分 ", 1),
    ],
)
def test_one_rating_reads_digits_chinese_digits_stars_and_words(text, score):
    assert parse_rating(text) == score


@pytest.mark.parametrize(
    "text", ["6分", "0", "10分", "还行吧我觉得", "50000", "★★★★★★", "我的卡被冻结了", ""]
)
def test_anything_else_is_not_a_rating(text):
    assert parse_rating(text) is None


def test_dates_are_read_in_beijing_time():
    late_utc = datetime(2026, 11, 22, 17, 30, tzinfo=UTC)  # 01:30 on the 23rd in Beijing
    assert china_date(late_utc) == date(2026, 11, 23)
    assert format_date(late_utc) == "2026年11月23日"
    assert format_date(date(2026, 1, 5)) == "2026年01月05日"
