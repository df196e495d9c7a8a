"""The bank's clock and calendar: Beijing time (Asia/Shanghai, no daylight saving) and the way
customers read a date, written once."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

ZONE_NAME = "Asia/Shanghai"
CHINA = ZoneInfo(ZONE_NAME)
# "2026年11月23日", as dates are written to customers.
DATE_FORMAT = "%Y年%m月%d日"


def china_date(moment: datetime) -> date:
    """The calendar date in Asia/Shanghai of an aware datetime."""
    return moment.astimezone(CHINA).date()


def format_date(value: date | datetime) -> str:
    """A date as customers read it; a moment is first taken to Beijing time."""
    day = china_date(value) if isinstance(value, datetime) else value
    return day.strftime(DATE_FORMAT)
