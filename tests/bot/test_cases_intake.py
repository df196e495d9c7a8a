"""Complaint intake rules: what happened, the three axes confirmed, request, time, phone, name,
summary with corrections, cancel and a person, and secrets never kept."""

from __future__ import annotations

import pytest

from bot.cases.intake import Draft, Event, is_substantive, start, step
from bot.entities.model import Entity


def _walk(draft: Draft, *messages: str) -> Draft:
    for message in messages:
        result = step(draft, message)
        assert result.event not in {Event.UNCLEAR, Event.INVALID_PHONE}, (message, result)
        draft = result.draft
    return draft


@pytest.mark.parametrize(
    ("text", "substantive"),
    [
        ("我要投诉", False),
        ("投诉", False),
        ("我要投诉你们客服", False),
        ("你们乱扣我钱", True),
        ("客服态度太差了", True),
        ("这事没人管吗", True),
    ],
)
def test_the_opening_message_is_kept_only_when_it_says_what_happened(text, substantive):
    assert is_substantive(text) is substantive
    started = start(text)
    assert (started.event == Event.MORE) is substantive
    assert started.draft.description == ((text,) if substantive else ())


def test_a_complaint_in_several_messages_with_guessed_axes_confirmed():
    draft = start("你们手机银行乱扣我钱").draft
    assert (draft.channel, draft.reason) == ("CH05", "RS08")
    more = step(draft, "上个月信用卡被扣了两次年费，打电话也没人解决")
    assert more.event == Event.MORE and len(more.draft.description) == 2
    assert more.draft.business == "BT03"  # 信用卡 / 年费 → 银行卡
    asked = step(more.draft, "说完了")
    # What the description told (channel, business) is put to the customer in one go first;
    # "不对" asks the axes one at a time instead.
    assert asked.event == Event.ASK and asked.draft.stage == "facts"
    asked = step(asked.draft, "不对")
    assert asked.event == Event.ASK and asked.draft.stage == "business"

    draft = _walk(asked.draft, "是的")  # business confirmed as guessed
    assert draft.stage == "channel"
    draft = _walk(draft, "不是")  # not the guessed channel: the options are shown without a guess
    assert draft.channel is None and draft.stage == "channel"
    draft = _walk(draft, "电话银行", "是的", "退还多扣的年费", "上个月15号", "138 1234 5678", "王小明")
    assert draft.stage == "summary"
    assert (draft.business, draft.channel, draft.reason) == ("BT03", "CH04", "RS08")
    assert (draft.request, draft.occurred, draft.phone, draft.name) == (
        "退还多扣的年费",
        "上个月15号",
        "13812345678",
        "王小明",
    )
    assert step(draft, "确认提交").event == Event.SUBMITTED


def test_a_wrong_phone_is_explained_and_the_third_try_offers_a_person():
    draft = Draft(description=("卡被吞了",), stage="phone")
    first = step(draft, "123")
    assert first.event == Event.INVALID_PHONE and first.draft.stage == "phone"
    second = step(first.draft, "不想给")
    third = step(second.draft, "12345")
    assert third.event == Event.OFFER_PERSON and third.draft.pending == "person"
    assert step(third.draft, "是").event == Event.PERSON
    resumed = step(third.draft, "13900001111")
    assert resumed.event == Event.ASK and resumed.draft.phone == "13900001111"


def test_corrections_from_the_summary_return_to_the_summary():
    draft = Draft(
        description=("ATM吞卡",),
        business="BT03",
        channel="CH02",
        reason="RS02",
        confirmed=("business", "channel", "reason"),
        request="还卡",
        occurred="昨天",
        phone="13812345678",
        name="李四",
        stage="summary",
    )
    assert step(draft, "有点不对").event == Event.WHICH_TO_EDIT
    editing = step(draft, "修改电话")
    assert editing.draft.stage == "phone" and editing.draft.editing
    back = step(editing.draft, "13700001111")
    assert back.draft.stage == "summary" and back.draft.phone == "13700001111"
    again = _walk(step(draft, "改一下经过").draft, "ATM吞了我的卡，网点说要等三天")
    assert again.stage == "summary" and again.description == ("ATM吞了我的卡，网点说要等三天",)


def test_cancelling_is_confirmed_and_a_person_keeps_the_draft():
    draft = Draft(description=("转账没到账",), stage="request")
    asked = step(draft, "算了不投诉了")
    assert asked.event == Event.CONFIRM_CANCEL
    assert step(asked.draft, "继续投诉").event == Event.RESUMED
    assert step(asked.draft, "确定").event == Event.CANCELLED
    person = step(draft, "转人工")
    assert person.event == Event.PERSON and person.draft.description == ("转账没到账",)


def test_secrets_are_masked_before_they_are_kept_and_reported():
    result = step(Draft(), "骗子说验证码是384756，我把卡号6222021234567890123也发了")
    assert {"verification_code", "bank_card"} <= result.sensitive
    kept = result.draft.description_text
    assert "6222021234567890123" not in kept and "384756" not in kept
    assert "****0123" in kept
    assert step(Draft(), "卡被吞了").sensitive == frozenset()


def test_empty_or_overlong_answers_are_refused():
    assert step(Draft(), "   ").event == Event.UNCLEAR
    assert step(Draft(), "说完了").event == Event.UNCLEAR  # nothing told yet
    assert step(Draft(description=("x",), stage="name"), "张三" * 20).event == Event.UNCLEAR
    assert step(Draft(description=("x",), stage="name"), "1234").event == Event.UNCLEAR


def test_a_draft_survives_the_slot_round_trip():
    draft = Draft(description=("a", "b"), business="BT01", confirmed=("business",), stage="reason")
    assert Draft.from_slot(draft.to_slot()) == draft
    assert Draft.from_slot({"stage": "nowhere"}) is None
    assert Draft.from_slot(None) is None


def _entity(kind: str, text: str, value: str, **details) -> Entity:
    return Entity(kind, text, 0, len(text), value, details)


FRIDAY = _entity("DATE", "上周五", "2026-11-27", precision="day")
AFTERNOON = _entity("TIME", "下午", "afternoon", period="afternoon")
SUM = _entity("AMOUNT", "5000元", "5000", currency="CNY")
APP = _entity("CHANNEL", "手机银行", "手机银行")
ICBC = _entity("BANK", "工商银行", "中国工商银行")


def test_what_the_description_told_is_confirmed_in_one_go():
    started = start("上周五下午手机银行转了5000元到工商银行没到账", [FRIDAY, AFTERNOON, APP, SUM, ICBC])
    draft = started.draft
    assert (draft.occurred, draft.occurred_on, draft.amount, draft.currency) == (
        "上周五下午",
        "2026-11-27",
        "5000",
        "CNY",
    )
    assert (draft.channel, draft.business) == ("CH05", "BT04")  # 手机银行; 转账 (keywords), else the bank
    facts = step(draft, "说完了")
    assert facts.draft.stage == "facts"
    confirmed = step(facts.draft, "对的")
    assert confirmed.draft.stage == "reason"
    assert {"business", "channel"} <= set(confirmed.draft.confirmed)
    draft = _walk(confirmed.draft, "其他", "尽快退回")
    assert draft.stage == "phone"  # when it happened is not asked again


def test_a_fact_said_differently_replaces_the_one_read_and_no_asks_one_at_a_time():
    draft = step(start("上周五手机银行转了5000元没到账", [FRIDAY, APP, SUM]).draft, "说完了").draft
    thursday = _entity("DATE", "上周四", "2026-11-26", precision="day")
    corrected = step(draft, "不对，是上周四", [thursday])
    assert corrected.event == Event.ASK and corrected.draft.stage == "facts"
    assert (corrected.draft.occurred, corrected.draft.occurred_on) == ("上周四", "2026-11-26")
    refused = step(corrected.draft, "不对")
    assert (
        refused.draft.stage == "business" and refused.draft.amount is None and refused.draft.occurred is None
    )
    assert step(refused.draft, "我也说不清").event == Event.UNCLEAR


def test_nothing_told_means_no_facts_question():
    draft = step(start("你们客服态度太差了").draft, "说完了").draft
    assert draft.stage == "business"


def test_the_sum_can_be_changed_or_removed_from_the_summary_and_the_day_comes_with_the_time():
    draft = Draft(
        description=("ATM吞卡",),
        business="BT03",
        channel="CH02",
        reason="RS02",
        confirmed=("business", "channel", "reason"),
        request="还卡",
        occurred="昨天",
        phone="13812345678",
        name="李四",
        stage="summary",
        facts_done=True,
    )
    editing = step(draft, "修改金额")
    assert editing.draft.stage == "amount"
    changed = step(editing.draft, "大概两千五百块", [_entity("AMOUNT", "两千五百块", "2500", currency="CNY")])
    assert (changed.draft.stage, changed.draft.amount, changed.draft.currency) == ("summary", "2500", "CNY")
    typed = step(step(changed.draft, "修改金额").draft, "300")  # a bare number, read without entities
    assert typed.draft.amount == "300"
    assert step(step(changed.draft, "修改金额").draft, "说不好").event == Event.UNCLEAR
    removed = step(step(changed.draft, "修改金额").draft, "没有")
    assert removed.draft.amount is None and removed.draft.stage == "summary"
    when = step(
        step(draft, "修改时间").draft, "前天晚上", [_entity("DATE", "前天", "2026-12-02", precision="day")]
    )
    assert (when.draft.occurred, when.draft.occurred_on) == ("前天晚上", "2026-12-02")


def test_the_draft_with_its_facts_survives_the_slot():
    draft = start("上周五手机银行转了5000元没到账", [FRIDAY, APP, SUM]).draft
    assert Draft.from_slot(draft.to_slot()) == draft


def test_the_summary_keeps_the_customers_words_with_chinese_punctuation():
    from bot.cases import wording

    # The NLU normaliser made the punctuation half-width; the complaint keeps the customer's.
    started = start("我要投诉,你们柜台态度太差,让我等了一个多小时!")
    assert started.draft.description == ("你们柜台态度太差，让我等了一个多小时！",)  # no "我要投诉"
    more = step(started.draft, "后来经理说:这是规定(没办法).")
    assert more.draft.description[-1] == "后来经理说：这是规定（没办法）。"
    assert wording.chinese_punctuation("转了1,000元,利率3.5%") == "转了1,000元，利率3.5%"
    assert wording.without_trigger("我要投诉") == "我要投诉"  # nothing else said: kept as is
    # Said again in the first part after a bare "我要投诉" started the complaint: left out too.
    asked = start("我要投诉").draft
    assert step(asked, "我要投诉,柜台态度很差").draft.description == ("柜台态度很差",)


def test_customers_choose_reasons_in_everyday_words_and_staff_keep_the_codes():
    from bot.cases import classification

    draft = Draft(id="d", description=("扣了我两次年费",), stage="reason", confirmed=("business", "channel"))
    chosen = step(draft, "收费不合理或被多扣钱")
    assert chosen.draft.reason == "RS08" and classification.label("reason", "RS08") == "定价收费"
    assert step(draft, "定价收费").draft.reason == "RS08"  # the standard's words still work
    plain = set(classification.CUSTOMER_REASONS.values())
    assert not plain & {"信息披露", "自主选择权", "营销方式和手段"}
    assert set(classification.CUSTOMER_REASONS) == set(classification.REASONS)
