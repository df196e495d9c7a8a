"""How a conversation ended, for the analysts' dashboard: one rule, written once.

Every conversation in which the customer wrote at least once ends in exactly one of three
outcomes, so 自助解决率 + 转人工率 + 未解决率 = 100 %:

- handed_off (转人工): the customer was queued for a person (whatever came of it: served,
  cancelled, timed out) or asked for a call-back.
- unresolved (未解决): no person, and the conversation ended on a message the assistant did not
  understand, or inside a form the customer left unfinished (a complaint, a questionnaire, a
  call-back request half given).
- self_service (自助解决): neither; the assistant handled it alone.

兜底率 counts separately (and overlaps the three): conversations with at least one free-text
message the assistant did not understand. Answers to a form's question (a name, a date, "说完了")
are not free text: the form reads them, the NLU's guess about them is ignored, so they are
neither fallbacks nor "未识别的问法".

Conversations without a customer message (the chat was opened and left) have no outcome and are
left out of every rate; 会话总数 still counts them.
"""

from __future__ import annotations

SELF_SERVICE = "self_service"
HANDED_OFF = "handed_off"
UNRESOLVED = "unresolved"
OUTCOMES = (SELF_SERVICE, HANDED_OFF, UNRESOLVED)
LABELS = {SELF_SERVICE: "自助解决", HANDED_OFF: "转人工", UNRESOLVED: "未解决"}

# What each dashboard figure means, shown as the page's legend and tooltips (README: "Transcripts
# for analysts").
DEFINITIONS = {
    "total_conversations": "所选日期和渠道内的全部会话，包括客户打开对话窗口后没有发言的会话。",
    "customer_conversations": "客户至少发送过一条消息的会话，是自助解决率、转人工率、未解决率和兜底率的分母。",
    "containment_rate": "自助解决的会话占比：既没有转人工或预约回电，最后一条客户消息也被智能助手理解，且没有停在未完成的流程（投诉登记、风险测评、预约回电）中。",
    "handoff_rate": "转人工的会话占比：客户进入了人工排队（无论是否接通）或预约了回电。",
    "unresolved_rate": "未解决的会话占比：没有转人工，且会话结束在一条未被理解的消息上，或停在未完成的流程中。自助解决率、转人工率与未解决率之和为100%。",
    "fallback_rate": "至少有一次兜底（客户自由输入的问题未被理解）的会话占比，与上面三项有重叠。回答流程中问题的内容（如姓名、日期、“说完了”）不计入。",
    "unrecognised": "智能助手没有理解的客户自由输入，按用词相似度归组；不包括回答流程中问题的内容。",
}


def outcome_of(
    *,
    customer_messages: int,
    handed_off: bool,
    callback_requested: bool,
    last_customer_fallback: bool,
    unfinished_form: bool,
) -> str | None:
    """The conversation's outcome by the rules above; None without a customer message."""
    if customer_messages <= 0:
        return None
    if handed_off or callback_requested:
        return HANDED_OFF
    if last_customer_fallback or unfinished_form:
        return UNRESOLVED
    return SELF_SERVICE
