"""Warnings for an answer's wording before a reviewer approves it (the console shows them beside
the preview). They advise; the hard rules (known topics and placeholders) live in
bot/faq/answers.py and refuse a draft outright.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.faq.catalog import Catalog
from bot.text import masking

# The knowledge base's length rule (README, "How to add an FAQ topic"): an answer longer than
# this no longer fits a phone screen without scrolling past the buttons.
MAX_ANSWER_CHARS = 160

# A figure that differs per customer (their limit, rate, fee, bill, progress …) …
FIGURE_WORDS = re.compile(
    r"额度|限额|利率|费率|手续费|年费|余额|积分|账单|还款|收益|费用|到账|进度|状态|明细|记录"
)
# … and the sentence telling the customer where to see their own ("可在手机银行…查看",
# "致电…查询"). A topic is figure-type when its published answer has both: a new wording that
# drops the "where to see it" part is then warned about.
OWN_FIGURE_GUIDANCE = re.compile(
    r"(在|通过|登录|打开).{0,24}(查看|查询|查到)|致电.{0,16}(查询|核实|咨询)|(查看|查询).{0,6}(本人|您的|自己)"
)

TOO_LONG = "too_long"
FIGURE_GUIDANCE_MISSING = "figure_guidance_missing"
UNKNOWN_RELATED_TOPIC = "unknown_related_topic"
PERSONAL_DATA = "personal_data"


@dataclass(frozen=True)
class AnswerWarning:
    code: str
    message: str  # for the editor and reviewer, Simplified Chinese


def is_figure_topic(published_text: str | None) -> bool:
    """True when the published answer names a per-customer figure and says where to see it."""
    return bool(
        published_text and FIGURE_WORDS.search(published_text) and OWN_FIGURE_GUIDANCE.search(published_text)
    )


def answer_warnings(
    *,
    rendered_text: str,
    related: Iterable[Any],
    catalog: Catalog,
    published_text: str | None,
) -> list[AnswerWarning]:
    """What a reviewer should look at in this wording (`rendered_text`: placeholders filled in)."""
    warnings = []
    if len(rendered_text) > MAX_ANSWER_CHARS:
        warnings.append(
            AnswerWarning(
                TOO_LONG,
                f"答案共{len(rendered_text)}字，超过{MAX_ANSWER_CHARS}字，客户在手机上需滚动才能看完，建议精简。",
            )
        )
    if is_figure_topic(published_text) and not OWN_FIGURE_GUIDANCE.search(rendered_text):
        warnings.append(
            AnswerWarning(
                FIGURE_GUIDANCE_MISSING,
                "当前发布的答案告诉客户在哪里查看本人的具体数额，新版本缺少这一说明"
                "（例如“可在手机银行……查看”或“致电客服热线查询”）。",
            )
        )
    for item in related:
        if isinstance(item, str) and catalog.current(item) is None:
            warnings.append(
                AnswerWarning(
                    UNKNOWN_RELATED_TOPIC, f"按钮指向的主题“{item}”不存在，客户点击后将无法获得答案。"
                )
            )
    found = masking.find_personal_information(rendered_text)
    if found:
        kinds = "、".join(sorted({PERSONAL_KIND_LABELS.get(kind, kind) for kind, *_ in found}))
        warnings.append(AnswerWarning(PERSONAL_DATA, f"答案中含有疑似个人信息（{kinds}），请删除后再提交。"))
    return warnings


PERSONAL_KIND_LABELS = {
    masking.MOBILE: "手机号码",
    masking.ID_CARD: "身份证号码",
    masking.BANK_CARD: "银行卡号",
    masking.EMAIL: "电子邮箱",
    masking.PASSWORD: "密码",
    masking.VERIFICATION_CODE: "验证码",
    masking.CARD_SECURITY_CODE: "卡片安全码",
    masking.NAME: "姓名",
    masking.ADDRESS: "地址",
}
