"""Errors of the handoff domain, each with the Chinese sentence the customer or agent sees."""

from __future__ import annotations

from bot.errors import Conflict, Forbidden, InvalidInput, NotFound


class HandoffNotFound(NotFound):
    code = "handoff_not_found"
    customer_message = "没有找到该转人工请求。"


class IllegalHandoffTransition(Conflict):
    code = "illegal_handoff_transition"


class AlreadyClaimed(Conflict):
    code = "handoff_already_claimed"
    customer_message = "该会话已被其他坐席接入。"


class NotHandoffAgent(Forbidden):
    code = "not_handoff_agent"
    customer_message = "该会话由其他坐席负责，您不能操作。"


class InvalidHandoffField(InvalidInput):
    code = "invalid_handoff_field"


class CallbackNotFound(NotFound):
    code = "callback_not_found"
    customer_message = "没有找到该回电请求。"
