"""Handling deadlines (银行业保险业消费投诉处理管理办法): 15 days from receipt; a complex case may be
extended to 30 days (reason required); a specially complex one by a further 30 days (60 in all),
only with an approval note and by a supervisor. Days are calendar days in Asia/Shanghai and a
deadline ends at 23:59:59 local time of its last day.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from bot.staff import roles
from bot.text.china_time import CHINA, china_date

from .errors import ExtensionNeedsSupervisor, ExtensionRefused, InvalidCaseField

# Total days allowed after 0, 1 and 2 extensions.
TOTAL_DAYS = (15, 30, 60)
MAX_EXTENSIONS = len(TOTAL_DAYS) - 1
DEFAULT_DUE_SOON_DAYS = 3

OVERDUE = "overdue"
DUE_SOON = "due_soon"


def _end_of_china_day(day) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=CHINA).astimezone(UTC)


def due_at(starts_at: datetime, extensions: int = 0) -> datetime:
    """The deadline for a case received at `starts_at` after this many extensions."""
    return _end_of_china_day(china_date(starts_at) + timedelta(days=TOTAL_DAYS[extensions]))


def days_left(due: datetime, now: datetime) -> int:
    """Calendar days from today to the deadline's day (0 on the last day, negative when late)."""
    return (china_date(due) - china_date(now)).days


def is_overdue(due: datetime, now: datetime) -> bool:
    """True once the deadline has passed."""
    return now > due


def due_soon_cutoff(now: datetime, due_soon_days: int = DEFAULT_DUE_SOON_DAYS) -> datetime:
    """Deadlines at or before this instant (and not yet passed) are "due soon"."""
    return _end_of_china_day(china_date(now) + timedelta(days=due_soon_days))


def deadline_flag(
    *, due: datetime, now: datetime, is_open: bool, due_soon_days: int = DEFAULT_DUE_SOON_DAYS
) -> str | None:
    """ "overdue", "due_soon" or None; only open cases (received, in progress) are flagged."""
    if not is_open:
        return None
    if is_overdue(due, now):
        return OVERDUE
    if due <= due_soon_cutoff(now, due_soon_days):
        return DUE_SOON
    return None


def check_extension(
    *, extensions: int, reason: str | None, approval_note: str | None, actor_role: str
) -> int:
    """The extension count after one more extension, or the error explaining why not."""
    if extensions >= MAX_EXTENSIONS:
        raise ExtensionRefused(
            f"case already extended {extensions} times (60 days in all)",
            customer_message="该投诉已延期至最长60天，不能再延期。",
        )
    if not (reason or "").strip():
        raise InvalidCaseField(
            "an extension needs a reason", customer_message="请填写延期原因，该原因将告知客户。"
        )
    if extensions == 1:
        if not roles.has_role(actor_role, (roles.SUPERVISOR,)):
            raise ExtensionNeedsSupervisor(f"second extension by role {actor_role!r}")
        if not (approval_note or "").strip():
            raise InvalidCaseField(
                "a second extension needs an approval note",
                customer_message="第二次延期须填写内部审批意见。",
            )
    return extensions + 1
