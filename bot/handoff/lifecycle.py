"""Status lifecycle of a handoff and the reasons a customer is handed to a person.

    waiting ──claim──▶ claimed ──hand back──▶ handed_back
       │                  └──────close──────▶ closed
       ├──customer cancels──▶ cancelled
       └──nobody claimed in time──▶ expired

Codes are stored in English; labels are what staff and customers see.
"""

from __future__ import annotations

from typing import Literal

from .errors import IllegalHandoffTransition

WAITING = "waiting"
CLAIMED = "claimed"
HANDED_BACK = "handed_back"
CLOSED = "closed"
CANCELLED = "cancelled"
EXPIRED = "expired"

STATUS_LABELS = {
    WAITING: "排队中",
    CLAIMED: "人工服务中",
    HANDED_BACK: "已转回智能助手",
    CLOSED: "已结束",
    CANCELLED: "已取消",
    EXPIRED: "排队超时",
}
STATUSES = tuple(STATUS_LABELS)
ACTIVE_STATUSES = (WAITING, CLAIMED)
# A human conversation took place: the customer may rate it.
RATABLE_STATUSES = (HANDED_BACK, CLOSED)

_ALLOWED = {
    WAITING: {CLAIMED, CANCELLED, EXPIRED},
    CLAIMED: {HANDED_BACK, CLOSED},
    HANDED_BACK: set(),
    CLOSED: set(),
    CANCELLED: set(),
    EXPIRED: set(),
}

# Why the customer is handed over. Lower priority numbers are served first: money or a person at
# risk (fraud, distress), then complaints, then everything else, each in order of arrival.
REQUEST = "request"
MISUNDERSTOOD = "misunderstood"
COMPLAINT = "complaint"
QUESTIONNAIRE = "questionnaire"
FRAUD = "fraud"
DISTRESS = "distress"

REASON_LABELS = {
    REQUEST: "客户要求转人工",
    MISUNDERSTOOD: "智能助手多次未理解",
    COMPLAINT: "投诉",
    QUESTIONNAIRE: "风险评估咨询",
    FRAUD: "疑似诈骗",
    DISTRESS: "客户情绪异常",
}
REASONS = tuple(REASON_LABELS)
PRIORITY = {FRAUD: 0, DISTRESS: 0, COMPLAINT: 1, REQUEST: 2, MISUNDERSTOOD: 2, QUESTIONNAIRE: 2}

StatusCode = Literal["waiting", "claimed", "handed_back", "closed", "cancelled", "expired"]
ReasonCode = Literal["request", "misunderstood", "complaint", "questionnaire", "fraud", "distress"]


def is_active(status: str) -> bool:
    """True while the customer waits for or talks to a person."""
    return status in ACTIVE_STATUSES


def check_transition(from_status: str, to_status: str) -> None:
    """Raises IllegalHandoffTransition unless the change is allowed."""
    if to_status not in _ALLOWED.get(from_status, set()):
        raise IllegalHandoffTransition(
            f"a {from_status} handoff cannot become {to_status}",
            customer_message=(
                f"该转人工请求当前状态为「{STATUS_LABELS.get(from_status, from_status)}」，"
                f"不能变更为「{STATUS_LABELS.get(to_status, to_status)}」。"
            ),
        )
