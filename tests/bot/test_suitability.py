"""Risk-tolerance questionnaire rules: file checks, scoring and band edges, answer matching,
suitability, expiry and the 65+ rule — all without Rasa or a database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import yaml

from bot.suitability.matching import match_option
from bot.suitability.questionnaire import (
    QUESTIONNAIRE_DIR,
    QuestionnaireError,
    load_questionnaire,
    parse_questionnaire,
    score_answers,
)
from bot.suitability.rules import (
    expires_at,
    is_suitable,
    is_valid,
    needs_senior_care,
    parse_product_level,
)

QUESTIONNAIRE = load_questionnaire()


def test_the_newest_questionnaire_has_at_least_ten_questions_and_five_levels():
    assert QUESTIONNAIRE.version == 1
    assert len(QUESTIONNAIRE.questions) >= 10
    assert [band.level for band in QUESTIONNAIRE.bands] == ["C1", "C2", "C3", "C4", "C5"]


def _answers_totalling(target: int) -> dict[str, int]:
    """Some answers to the real questionnaire whose points add up to exactly `target`."""
    reachable: dict[int, dict[str, int]] = {0: {}}
    for question in QUESTIONNAIRE.questions:
        reachable = {
            total + option.points: {**answers, question.id: index}
            for total, answers in reachable.items()
            for index, option in enumerate(question.options)
        }
    assert target in reachable, f"no combination of answers totals {target}"
    return reachable[target]


@pytest.mark.parametrize(
    "total, level",
    [(30, "C1"), (31, "C2"), (45, "C2"), (46, "C3"), (60, "C3"), (61, "C4"), (75, "C4"), (76, "C5")],
)
def test_band_edges(total, level):
    result = score_answers(QUESTIONNAIRE, _answers_totalling(total))
    assert (result.total, result.level) == (total, level)


def test_the_lowest_and_highest_answers_give_c1_and_c5():
    lowest = {q.id: 0 for q in QUESTIONNAIRE.questions}
    highest = {q.id: len(q.options) - 1 for q in QUESTIONNAIRE.questions}
    assert score_answers(QUESTIONNAIRE, lowest).level == "C1"
    assert score_answers(QUESTIONNAIRE, highest).level == "C5"


def test_unanswered_or_out_of_range_answers_are_refused():
    answers = {q.id: 0 for q in QUESTIONNAIRE.questions}
    del answers["goal"]
    with pytest.raises(QuestionnaireError, match="goal"):
        score_answers(QUESTIONNAIRE, answers)
    with pytest.raises(QuestionnaireError, match="no option 9"):
        score_answers(QUESTIONNAIRE, {**{q.id: 0 for q in QUESTIONNAIRE.questions}, "goal": 9})


def test_a_questionnaire_whose_bands_leave_a_gap_is_refused():
    data = yaml.safe_load((QUESTIONNAIRE_DIR / "v1.yml").read_text(encoding="utf-8"))
    data["bands"][1]["max"] = 40  # 41-45 now belong to no level
    with pytest.raises(QuestionnaireError, match="falls in no band"):
        parse_questionnaire(data)


@pytest.mark.parametrize(
    "question_id, answer, label",
    [
        ("age", "B", "31–50岁"),
        ("age", "选c", "51–64岁"),
        ("age", "Ｄ", "65岁及以上"),
        ("age", "2", "31–50岁"),
        ("age", "第二个", "31–50岁"),
        ("age", "我五十多了", "51–64岁"),
        ("age", "今年45岁", "31–50岁"),
        ("age", "七十了", "65岁及以上"),
        ("age", "31–50岁", "31–50岁"),
        ("household_income", "大概二十万", "10万–30万元"),
        ("household_income", "一百二十万", "100万元以上"),
        ("household_income", "5万左右", "10万元以下"),
        ("household_income", "二十多万吧", "10万–30万元"),
        ("investable_share", "三成", "30%–50%"),
        ("investable_share", "百分之五", "10%以下"),
        ("investable_share", "大部分", "50%以上"),
        ("experience_years", "从来没买过", "没有经验"),
        ("experience_years", "三年", "2–5年"),
        ("experience_years", "十几年了", "5年以上"),
        ("products_held", "炒股", "股票、混合或股票型基金"),
        ("products_held", "买过余额宝", "银行理财、货币基金"),
        ("horizon", "半年", "1年以内"),
        ("fluctuation", "一点都不行", "不能接受任何本金波动"),
        ("max_loss", "百分之三十", "20%以上"),
        ("income_source", "上班拿工资，没什么贷款", "工资收入稳定，负债较少"),
    ],
)
def test_answers_match_their_option(question_id, answer, label):
    question = QUESTIONNAIRE.question(question_id)
    index = match_option(question, answer)
    assert index is not None and question.options[index].label == label


@pytest.mark.parametrize(
    "question_id, answer",
    [
        ("age", "不告诉你"),
        ("age", "第五个"),
        ("age", "F"),
        ("products_held", "股票和期货都有"),  # fits two options: ask again
        ("goal", "今天天气不错"),
        ("household_income", ""),
    ],
)
def test_unclear_answers_match_nothing(question_id, answer):
    assert match_option(QUESTIONNAIRE.question(question_id), answer) is None


@pytest.mark.parametrize(
    "customer, product, suitable",
    [
        ("C3", "R3", True),
        ("C3", "R2", True),
        ("C3", "R4", False),
        ("C1", "R1", True),
        ("C5", "R5", True),
        ("C1", "R2", False),
    ],
)
def test_a_product_suits_only_at_or_below_the_customer_level(customer, product, suitable):
    assert is_suitable(customer_level=customer, product_level=product) is suitable


def test_customers_aged_65_or_more_get_extra_care_for_high_risk_only():
    assert needs_senior_care(age=65, product_level="R4")
    assert needs_senior_care(age=80, product_level="R5")
    assert not needs_senior_care(age=64, product_level="R5")
    assert not needs_senior_care(age=70, product_level="R3")
    assert not needs_senior_care(age=None, product_level="R5")


def test_an_assessment_is_valid_for_twelve_months():
    taken = datetime(2026, 2, 28, 10, 0, tzinfo=UTC)
    expiry = expires_at(taken)
    assert expiry == datetime(2027, 2, 28, 10, 0, tzinfo=UTC)
    assert is_valid(expires=expiry, now=datetime(2027, 2, 28, 9, 59, tzinfo=UTC))
    assert not is_valid(expires=expiry, now=expiry)
    assert expires_at(datetime(2028, 2, 29, tzinfo=UTC)) == datetime(2029, 2, 28, tzinfo=UTC)
    assert expires_at(taken, months=6) == datetime(2026, 8, 28, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text, level",
    [
        ("我能买R4的产品吗", "R4"),
        ("ｒ３的理财适合我吗", "R3"),
        ("XX理财(风险等级R3)适合我吗", "R3"),
        ("风险等级三级的产品", "R3"),
        ("五级风险产品能买吗", "R5"),
        ("我想买理财", None),
        ("R10", None),
    ],
)
def test_product_levels_are_read_from_customer_wording(text, level):
    assert parse_product_level(text) == level


def test_a_named_product_is_found_by_name_or_code():
    from bot.suitability.products import find_product

    assert find_product("稳享90天理财适合我吗").risk_level == "R2"
    assert find_product("我想买科技先锋股票基金").risk_level == "R5"
    assert find_product("fd-r4-eq1 能买吗").name == "优选成长混合基金"
    assert find_product("有什么好的理财推荐") is None


def test_the_product_levels_shown_for_each_customer_level():
    from bot.suitability.rules import suitable_product_levels

    assert [suitable_product_levels(level) for level in ("C1", "C3", "C5")] == ["R1", "R1–R3", "R1–R5"]
