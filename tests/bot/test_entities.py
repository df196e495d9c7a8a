"""Entities: reading sums, dates and times (pure rules), the words around a match, and the whole
pipeline (the jieba cut, the entity_ruler built from data/entities/, the resolver) on messages
the way customers type them. The measured figures are `make entities-report`'s."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from bot.entities import facts
from bot.entities.amounts import parse_amount
from bot.entities.dates import CHINA, resolve_date, resolve_time
from bot.entities.model import Entity
from bot.entities.patterns import PatternError, ValueTable, _read_jsonl, load_patterns

# A Friday: 上周五 is 2026-11-27, 周三 2026-12-02, 15号 2026-11-15.
TODAY = date(2026, 12, 4)
NOW = datetime(2026, 12, 4, 10, 30, tzinfo=CHINA)


@pytest.mark.parametrize(
    ("text", "value", "currency", "approximate"),
    [
        ("5000元", "5000", "CNY", False),
        ("两万", "20000", None, False),
        ("1.5万", "15000", None, False),
        ("¥300", "300", "CNY", False),
        ("￥59.9", "59.9", "CNY", False),
        ("1,280元", "1280", "CNY", False),
        ("3000多块", "3000", "CNY", True),
        ("2w", "20000", None, False),
        ("一万二", "12000", None, False),
        ("三千五", "3500", None, False),
        ("五百来块钱", "500", "CNY", True),
        ("0.01元", "0.01", "CNY", False),
        ("８０００元", "8000", "CNY", False),
        ("两万多元", "20000", "CNY", True),
    ],
)
def test_sums_are_read_as_customers_write_them(text, value, currency, approximate):
    amount = parse_amount(text)
    assert (amount.text_value, amount.currency, amount.approximate) == (value, currency, approximate)


@pytest.mark.parametrize("text", ["", "元", "多少钱", "0元", "几百块", "1000000000000元"])
def test_what_is_not_a_sum_gives_none(text):
    assert parse_amount(text) is None


@pytest.mark.parametrize(
    ("text", "value", "precision"),
    [
        ("今天", "2026-12-04", "day"),
        ("昨天", "2026-12-03", "day"),
        ("前天", "2026-12-02", "day"),
        ("大前天", "2026-12-01", "day"),
        ("明天", "2026-12-05", "day"),
        ("上周五", "2026-11-27", "day"),
        ("上周一", "2026-11-23", "day"),
        ("这周一", "2026-11-30", "day"),
        ("下周三", "2026-12-09", "day"),
        ("周三", "2026-12-02", "day"),
        ("周六", "2026-11-28", "day"),
        ("星期天", "2026-11-29", "day"),
        ("上个星期二", "2026-11-24", "day"),
        ("3月26日", "2026-03-26", "day"),
        ("11月20号", "2026-11-20", "day"),
        ("十二月五号", "2026-12-05", "day"),
        ("12月31日", "2026-12-31", "day"),
        ("2026年11月20日", "2026-11-20", "day"),
        ("2026-11-18", "2026-11-18", "day"),
        ("2026/11/26", "2026-11-26", "day"),
        ("2026.11.29", "2026-11-29", "day"),
        ("15号", "2026-11-15", "day"),
        ("3号", "2026-12-03", "day"),
        ("一号", "2026-12-01", "day"),
        ("上个月15号", "2026-11-15", "day"),
        ("上个月", "2026-11", "month"),
        ("本月", "2026-12", "month"),
        ("下个月", "2027-01", "month"),
        ("上个月底", "2026-11", "month"),
        ("去年12月", "2025-12", "month"),
        ("10月", "2026-10", "month"),
        ("2027年1月", "2027-01", "month"),
        ("上周", "2026-W48", "week"),
        ("上周末", "2026-11-28/2026-11-29", "weekend"),
        ("周末", "2026-11-28/2026-11-29", "weekend"),
    ],
)
def test_dates_resolve_in_asia_shanghai(text, value, precision):
    resolved = resolve_date(text, TODAY)
    assert (resolved.value, resolved.precision) == (value, precision)


def test_a_month_day_far_ahead_is_last_years_and_fused_words_keep_their_period():
    assert resolve_date("3月26日", date(2027, 1, 10)).value == "2026-03-26"  # said in January
    assert resolve_date("1月5日", date(2026, 12, 30)).value == "2026-01-05"  # this year's, long past
    assert resolve_date("12月10日", date(2026, 12, 4)).value == "2026-12-10"  # a week ahead: this year
    yesterday_evening = resolve_date("昨晚", TODAY)
    assert (yesterday_evening.value, yesterday_evening.period) == ("2026-12-03", "evening")


@pytest.mark.parametrize("text", ["2月30日", "13月1日", "31号", "2026-02-30", "星期", "明年", "三天"])
def test_days_that_do_not_exist_give_none(text):
    assert resolve_date(text, TODAY) is None  # 31号 on 4 December: 31 November does not exist


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("下午", "afternoon"),
        ("凌晨", "night"),
        ("早上", "morning"),
        ("中午", "noon"),
        ("晚上", "evening"),
        ("下午3点", "15:00"),
        ("3点半", "03:30"),
        ("下午三点半", "15:30"),
        ("晚上8点多", "20:00"),
        ("十点左右", "10:00"),
        ("15:30", "15:30"),
        ("下午4:30", "16:30"),
        ("中午12点", "12:00"),
        ("中午1点", "13:00"),
        ("晚上七点", "19:00"),
        ("凌晨两点", "02:00"),
        ("下午三点二十分", "15:20"),
        ("上午十点一刻", "10:15"),
    ],
)
def test_times_of_day_are_a_period_or_a_clock_time(text, value):
    assert resolve_time(text).value == value


@pytest.fixture(scope="module")
def nlp(entity_pipeline):
    return entity_pipeline


def found(nlp, text: str) -> list[tuple[str, str, str]]:
    from bot.entities.pipeline import find_entities

    return [(e.type, e.text, e.value) for e in find_entities(nlp, text, now=NOW)]


def test_the_issues_example_is_understood_in_full(nlp):
    assert found(nlp, "上周五手机银行转了5000元到工商银行没到账") == [
        ("DATE", "上周五", "2026-11-27"),
        ("CHANNEL", "手机银行", "手机银行"),
        ("AMOUNT", "5000元", "5000"),
        ("BANK", "工商银行", "中国工商银行"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "昨天下午往建行转了两万，怎么还没到",
            [("DATE", "2026-12-03"), ("TIME", "afternoon"), ("BANK", "中国建设银行"), ("AMOUNT", "20000")],
        ),
        (
            "用网银给中行的卡转3000显示失败了",
            [("CHANNEL", "网上银行"), ("BANK", "中国银行"), ("AMOUNT", "3000")],
        ),
        (
            "尾号6621的借记卡莫名被扣了¥59.9",
            [("CARD_TAIL", "6621"), ("CARD_TYPE", "借记卡"), ("AMOUNT", "59.9")],
        ),
        ("稳享90天那个理财适合我吗", [("PRODUCT", "WM-R2-090")]),
        ("我是C2，你们却卖给我R4的基金", [("RISK_LEVEL", "C2"), ("RISK_LEVEL", "R4")]),
        ("我那个TS20261123000123的投诉呢", [("CASE_NUMBER", "TS20261123000123")]),
        ("TS二零二六一一二三零零零一二三", [("CASE_NUMBER", "TS20261123000123")]),
        ("投诉单号T S 2026 1127 000056帮我看看", [("CASE_NUMBER", "TS20261127000056")]),
        ("結匯2000美元要什麼材料", [("AMOUNT", "2000"), ("CURRENCY", "USD")]),
        ("稳享一年定开能提前赎回吗", [("PRODUCT", "WM-R2-365")]),
        ("工行ATM取款", [("BANK", "中国工商银行"), ("CHANNEL", "自助设备")]),
    ],
)
def test_entities_in_messages_as_customers_type_them(nlp, text, expected):
    assert [(kind, value) for kind, _, value in found(nlp, text)] == expected


@pytest.mark.parametrize(
    "text",
    [
        "千万别给我打电话推销了",
        "万一卡丢了怎么办",
        "我在加工行业工作，能办贷款吗",
        "这个问题三天了还没解决",
        "我在光大街那边办的卡",
        "招商引资的贷款政策有哪些",
        "民生问题你们管不管",
        "中午好",
        "能不能快一点",
        "我预留的手机号后四位是5678",
        "信用卡还款日是每个月5号吗",
        "一号线旁边有网点吗",
        "请到3号窗口办理",
        "贷款分期12期",
        "扣了两次",
        "百分之五的利息太高了",
        "13812345678",
        "密码输错三次被锁了",
    ],
)
def test_everyday_words_are_not_taken_for_entities(nlp, text):
    unwanted = {"AMOUNT", "BANK", "TIME", "DATE", "CARD_TAIL"}
    assert [e for e in found(nlp, text) if e[0] in unwanted] == []


def test_an_invalid_case_number_and_an_impossible_day_are_dropped(nlp):
    assert found(nlp, "TS20261399000001怎么样了") == []  # month 13
    assert found(nlp, "2月30日扣的钱") == []


def test_the_pipeline_is_saved_and_loaded_with_its_values(nlp, tmp_path):
    from bot.entities.pipeline import find_entities, load_pipeline, save_pipeline

    save_pipeline(nlp, tmp_path / "pipeline")
    loaded = load_pipeline(tmp_path / "pipeline")
    text = "给招行转了1.5万"
    assert [(e.type, e.value) for e in find_entities(loaded, text, now=NOW)] == [
        ("BANK", "招商银行"),
        ("AMOUNT", "15000"),
    ]


def test_the_segmentation_leaves_the_intent_classifiers_jieba_alone(nlp):
    import jieba

    jieba.dt.check_initialized()
    # The entity vocabulary splits 周末 and forces 号线 for the patterns only.
    assert "周末" in list(jieba.cut("周末网点开门吗"))
    assert jieba.dt.FREQ.get("周末", 0) > 0


def test_a_broken_pattern_line_is_refused_with_its_place(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('# comment\n{"label": "BANK", "pattern": "工行"}\n', encoding="utf-8")
    with pytest.raises(PatternError, match="bad.jsonl:2"):
        _read_jsonl(bad)
    bad.write_text('{"label": "PLACE", "pattern": "北京", "id": "北京"}\n', encoding="utf-8")
    with pytest.raises(PatternError, match="label must be one of"):
        _read_jsonl(bad)


def test_products_come_from_the_catalogue_by_name_short_name_and_code():
    table = ValueTable.from_patterns(load_patterns())
    assert table.value("PRODUCT", "稳享90天") == table.value("PRODUCT", "wm-r2-090") == "WM-R2-090"
    assert table.value("PRODUCT", "稳享1年定开") == "WM-R2-365"  # as the normaliser writes it
    assert table.is_ambiguous("BANK", "平安") and not table.is_ambiguous("BANK", "平安银行")


def test_values_are_written_out_for_staff_and_customers():
    amount = Entity("AMOUNT", "5000元", 0, 5, "5000", {"currency": "CNY"})
    day = Entity("DATE", "上周五", 0, 3, "2026-11-27", {"precision": "day"})
    product = Entity("PRODUCT", "稳享90天", 0, 5, "WM-R2-090", {"name": "稳享90天理财"})
    assert facts.display_value(amount) == "5,000元"
    assert facts.display_value(day) == "2026年11月27日"
    assert facts.display_value(product) == "稳享90天理财（WM-R2-090）"
    assert facts.format_amount(Decimal("59.9"), "CNY") == "59.90元"
    assert facts.format_amount(Decimal("300"), "USD") == "300美元"


def test_a_parse_is_read_back_and_shown_masked():
    raw = [
        {
            "entity": "CARD_TAIL",
            "start": 0,
            "end": 6,
            "value": "6621",
            "additional_info": {"text": "尾号6621"},
        },
        {"entity": "faq_topic", "value": "transfer_fee"},  # a button's payload
        {"entity": "AMOUNT", "value": None},  # malformed: ignored
    ]
    read = facts.from_parse(raw)
    assert [(e.type, e.text, e.value) for e in read] == [("CARD_TAIL", "尾号6621", "6621")]
    view = facts.staff_view(raw)
    assert view[0] == {
        "entity": "CARD_TAIL",
        "label": "卡尾号",
        "value": "6621",
        "display": "6621",
        "text": "尾号6621",
    }
    assert view[1]["label"] == "faq_topic"
    phone = facts.staff_view(
        [{"entity": "AMOUNT", "value": "13812345678", "additional_info": {"text": "13812345678"}}]
    )
    assert "13812345678" not in str(phone)
