"""Errors of the complaint domain, each with the Chinese sentence the customer or agent sees."""

from __future__ import annotations

from bot.errors import Conflict, Forbidden, InvalidInput, NotFound, TooManyAttempts


class CaseNotFound(NotFound):
    code = "case_not_found"
    customer_message = "没有找到该投诉单号，请核对后重新输入（格式如 TS20261123000123）。"


class InvalidCaseNumber(InvalidInput):
    code = "invalid_case_number"
    customer_message = "投诉单号格式不正确，应为 TS 加 14 位数字，例如 TS20261123000123。"


class IllegalTransition(Conflict):
    code = "illegal_transition"


class ReviewWindowClosed(Conflict):
    code = "review_window_closed"
    customer_message = "答复已超过30天，无法再申请核查。如有疑问请联系客服。"


class ExtensionRefused(Conflict):
    code = "extension_refused"


class ExtensionNeedsSupervisor(Forbidden):
    code = "extension_needs_supervisor"
    customer_message = "第二次延期须经主管审批，请由主管填写审批意见后办理。"


class InvalidCaseField(InvalidInput):
    code = "invalid_case_field"


class ContactCheckLocked(TooManyAttempts):
    code = "contact_check_locked"
    customer_message = "验证失败次数过多，为保护您的信息，请稍后再查询或联系人工客服。"


class CaseAccessDenied(Forbidden):
    """The conversation neither owns the case nor passed its contact check a moment ago."""

    code = "case_access_denied"
    customer_message = "为保护您的信息，请重新查询并核实后再办理。"
