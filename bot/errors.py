"""Domain errors carry a stable code, a polite Chinese message for the customer and an English
message for developers. Adapters (API routes, actions) map them to HTTP statuses or replies."""

from __future__ import annotations


class DomainError(Exception):
    """Base class of every error a customer or staff member may be shown."""

    code = "domain_error"
    customer_message = "抱歉，处理您的请求时出现了问题，请稍后再试。"

    def __init__(self, developer_message: str, *, customer_message: str | None = None) -> None:
        super().__init__(developer_message)
        self.developer_message = developer_message
        if customer_message is not None:
            self.customer_message = customer_message


class InvalidInput(DomainError):
    """The request was understood but its content is not acceptable."""

    code = "invalid_input"
    customer_message = "您输入的内容无法处理，请检查后重新发送。"


class NotFound(DomainError):
    """The thing asked for does not exist."""

    code = "not_found"
    customer_message = "没有找到您要的内容。"


class Forbidden(DomainError):
    """The caller may not read or change the thing asked for."""

    code = "forbidden"
    customer_message = "您没有权限进行此操作。"


class Conflict(DomainError):
    """The request clashes with the current state of the thing it addresses."""

    code = "conflict"
    customer_message = "当前状态下无法完成该操作，请稍后再试。"
    # Every 409 tells the client when asking again makes sense (HTTP Retry-After); a conflict
    # that clears on its own (a message still being answered) sets its own figure.
    retry_after_seconds: int = 1


class Unauthenticated(DomainError):
    """The caller did not prove who they are, or their proof is no longer valid."""

    code = "unauthenticated"
    customer_message = "请先登录后再操作。"


class TooManyAttempts(DomainError):
    """Too many failed attempts in a short time; the caller must wait before trying again."""

    code = "too_many_attempts"
    customer_message = "尝试次数过多，请稍后再试。"

    def __init__(
        self,
        developer_message: str,
        *,
        retry_after_seconds: int,
        customer_message: str | None = None,
    ) -> None:
        super().__init__(developer_message, customer_message=customer_message)
        self.retry_after_seconds = retry_after_seconds
