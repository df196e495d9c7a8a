"""What the words around a match say about it (pure rules).

The entity_ruler sees tokens, not meaning. These rules look at the few characters before and
after a match and decide what the customer meant:

- a bare number (NUMBER) is an AMOUNT after a money word ("转了3000", "扣了我一百五", "年费680")
  or right before a currency ("2000美元"), and nothing otherwise ("贷款30万20年" → 20 is not a
  sum, "扣了两次" → a count);
- a bank's short name that is also an everyday word (平安, 光大, 民生: "context" in bank.jsonl)
  counts only next to bank words ("转到光大的卡", "对方是平安的卡", not "光大街", "民生问题");
- the last four digits after a phone word are a phone's, not a card's ("手机号后四位是5678");
- a day of the month after 每 / 每个月 recurs and is not a date, nor is a bare weekday in a
  question about opening hours ("周六网点上班吗"); "1号线", "3号窗口" are places;
- "中午好", "早上好" are greetings; "一点" without a period is "a little" ("快一点").
"""

from __future__ import annotations

import re

CONTEXT_CHARS = 8

_MONEY_BEFORE = re.compile(
    r"(?:转账|转了|转给|转到|转入|转出|转|汇款|汇了|汇|扣款|扣费|扣了|被扣|多扣|扣|取款|取现|取了|取|存了|存款|存|"
    r"还款|还了|还|借款|借了|借|贷了|贷款|贷|刷了|刷|消费了|消费|付了|付款|支付了|支付|缴费|充值|充了|提现|"
    r"退款|退了|退|少了|少吐了|吐了|收了|收取|赔|额度是|额度才|额度|余额|金额|年费|手续费|费用|违约金|利息|"
    r"月供|工资|收入|首付|本金|价格|花了|损失|亏了|赚了|一笔|每笔|这笔|那笔|笔|共|总共|合计|大概|大约|约)$"
)
# Skipped between the money word and the number: "扣了我一百五", "转了一笔6000".
_FILLER = re.compile(r"(?:了|我|我的|他|她|给我|大概|大约|约|将近|差不多|一共|共|总共|有|是|了一笔|一笔)$")
_COUNTER_AFTER = re.compile(
    r"^(?:次|笔|个|张|天|日|年|月|周|期|岁|位|人|分钟|小时|秒|倍|成|%|％|条|项|份|家|本|遍|名|号|层|楼)"
)
_CURRENCY_AFTER = re.compile(
    r"^\s?(?:美元|美金|港币|港元|欧元|日元|日币|英镑|澳元|加元|韩元|新加坡元|瑞士法郎|人民币)"
)
_BANK_AFTER = re.compile(
    r"^(?:银行|的卡|卡|信用卡|借记卡|储蓄卡|的信用卡|的借记卡|账户|的账户|账号|的账号|户|那边|的钱)"
)
_BANK_BEFORE = re.compile(
    r"(?:转到|转给|转去|转入|转进|转账到|转账给|转|汇到|汇给|汇款到|打到|往|从|对方是|跨行到|用)$"
)
_PHONE_BEFORE = re.compile(r"手机|电话|号码|预留|联系方式")
_RECURRING_BEFORE = re.compile(r"(?:每个月|每月|每周|每个星期|每星期|每|逢)$")
_PLACE_AFTER = re.compile(r"^(?:线|窗口|柜台|柜|楼|门|口|机|房|床|车厢|台|展厅|会议室|号)")
_GREETING_AFTER = re.compile(r"^(?:好|安)")
_BARE_WEEKDAY = re.compile(r"^(?:周|星期|礼拜)[一二三四五六日天末1-7]$")
_OPENING_HOURS_AFTER = re.compile(
    r"^(?:[的]?(?:网点|柜台|营业厅|银行|你们))?(?:上班|营业|开门|关门|休息|办公|办理业务|几点|照常|正常)"
)


def _before(text: str, start: int) -> str:
    return text[max(0, start - CONTEXT_CHARS) : start].rstrip()


def _after(text: str, end: int) -> str:
    return text[end : end + CONTEXT_CHARS]


def is_money_number(text: str, start: int, end: int, *, currency_follows: bool = False) -> bool:
    """Does a bare number mean a sum of money here?"""
    after = _after(text, end)
    if _COUNTER_AFTER.match(after.lstrip()):
        return False
    if currency_follows or _CURRENCY_AFTER.match(after):
        return True
    before = _before(text, start)
    for _ in range(3):  # peel fillers: "扣了我一笔" → "扣"
        if _MONEY_BEFORE.search(before):
            return True
        stripped = _FILLER.sub("", before)
        if stripped == before:
            break
        before = stripped
    return bool(_MONEY_BEFORE.search(before))


def is_bank_meant(text: str, start: int, end: int) -> bool:
    """Is an ambiguous short name (平安, 光大) used as a bank here?"""
    return bool(_BANK_AFTER.match(_after(text, end)) or _BANK_BEFORE.search(_before(text, start)))


def is_card_tail(text: str, start: int) -> bool:
    """Not the tail of a phone number ("手机号后四位", "尾号是…的手机")."""
    return not _PHONE_BEFORE.search(text[max(0, start - 10) : start])


def is_date_meant(text: str, start: int, end: int) -> bool:
    """A day of the month that is not recurring (每个月5号) and not a place (1号线)."""
    span = text[start:end]
    if _BARE_WEEKDAY.match(span):
        return not (
            _RECURRING_BEFORE.search(_before(text, start)) or _OPENING_HOURS_AFTER.match(_after(text, end))
        )
    if not span.endswith(("号", "日")) or len(span) > 4:
        return True
    if _RECURRING_BEFORE.search(_before(text, start)):
        return False
    return not (span.endswith("号") and _PLACE_AFTER.match(_after(text, end)))


def is_time_meant(text: str, start: int, end: int) -> bool:
    """Not a greeting (中午好) and not "a little" (快一点)."""
    span = text[start:end]
    if _GREETING_AFTER.match(_after(text, end)) and not re.search(r"\d|点", span):
        return False
    if span in ("一点", "一点儿") and not _after(text, end).startswith(("钟", "左右", "前", "后", "多")):
        return False
    return not (_RECURRING_BEFORE.search(_before(text, start)) and not re.search(r"\d|点", span))
