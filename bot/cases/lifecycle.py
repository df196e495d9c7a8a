"""Status lifecycle of a complaint: 已受理 → 处理中 → 已答复 → 已办结, plus 已撤回 while still open,
and a review (核查) back to 处理中 within 30 days of the answer. Codes are stored in English.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from .errors import IllegalTransition, ReviewWindowClosed

RECEIVED = "received"
IN_PROGRESS = "in_progress"
ANSWERED = "answered"
CLOSED = "closed"
WITHDRAWN = "withdrawn"

STATUS_LABELS = {
    RECEIVED: "已受理",
    IN_PROGRESS: "处理中",
    ANSWERED: "已答复",
    CLOSED: "已办结",
    WITHDRAWN: "已撤回",
}
STATUSES = tuple(STATUS_LABELS)
OPEN_STATUSES = (RECEIVED, IN_PROGRESS)
REVIEW_WINDOW = timedelta(days=30)

_ALLOWED = {
    RECEIVED: {IN_PROGRESS, ANSWERED, WITHDRAWN},
    IN_PROGRESS: {ANSWERED, WITHDRAWN},
    ANSWERED: {CLOSED, IN_PROGRESS},  # back to in progress = review (核查)
    CLOSED: {IN_PROGRESS},  # review
    WITHDRAWN: set(),
}


def is_open(status: str) -> bool:
    """True while the bank still owes the customer an answer."""
    return status in OPEN_STATUSES


def can_withdraw(status: str) -> bool:
    """True when the customer may still withdraw the case (the lifecycle allows it)."""
    return WITHDRAWN in _ALLOWED.get(status, ())


def next_statuses(status: str) -> tuple[str, ...]:
    """The statuses a case in `status` may move to, in lifecycle order (the review window aside)."""
    return tuple(code for code in STATUSES if code in _ALLOWED[status])


def is_review(from_status: str, to_status: str) -> bool:
    """True when the change reopens an answered or closed case for review."""
    return from_status in (ANSWERED, CLOSED) and to_status == IN_PROGRESS


def check_transition(
    from_status: str, to_status: str, *, answered_at: datetime | None = None, now: datetime | None = None
) -> None:
    """Raises IllegalTransition (or ReviewWindowClosed) unless the change is allowed."""
    if to_status not in STATUS_LABELS:
        raise IllegalTransition(f"unknown status {to_status!r}", customer_message="投诉状态不正确。")
    if to_status not in _ALLOWED[from_status]:
        raise IllegalTransition(
            f"a {from_status} case cannot become {to_status}",
            customer_message=(
                f"该投诉当前状态为「{STATUS_LABELS[from_status]}」，"
                f"不能变更为「{STATUS_LABELS[to_status]}」。"
            ),
        )
    if is_review(from_status, to_status) and (
        answered_at is None or now is None or now > answered_at + REVIEW_WINDOW
    ):
        raise ReviewWindowClosed(f"review requested more than {REVIEW_WINDOW.days} days after the answer")


StatusCode = Literal["received", "in_progress", "answered", "closed", "withdrawn"]
