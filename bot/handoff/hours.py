"""When human agents are at work: opening hours in Asia/Shanghai, Chinese public holidays and
adjusted working days (调休) from the `chinesecalendar` package. Pure functions, no database.

`settings` is anything with `agent_hours`, `agent_holidays_closed` and `agent_weekends_closed`
(bot.config.Settings).
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, time, timedelta
from functools import cache, lru_cache

import chinese_calendar

from bot.text.china_time import CHINA

logger = logging.getLogger(__name__)

_RANGE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")
# Fixed-date statutory holidays (全国年节及纪念日放假办法), used only for a year the installed
# calendar has no schedule for yet; lunar holidays cannot be known without it.
_FIXED_HOLIDAYS = {(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)}


@lru_cache(maxsize=16)
def parse_hours(spec: str) -> tuple[tuple[time, time | None], ...]:
    """ "09:00-12:00,13:00-21:00" → ranges (start, end); end None means midnight ("24:00").
    ValueError for a malformed or empty range."""
    ranges = []
    for part in spec.split(","):
        match = _RANGE.match(part.strip())
        if not match:
            raise ValueError(f"AGENT_HOURS range {part.strip()!r} is not like 09:00-21:00")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
            raise ValueError(f"AGENT_HOURS range {part.strip()!r} is not a valid time range")
        start, end = time(h1, m1), (None if h2 == 24 else time(h2, m2))
        if end is not None and end <= start:
            raise ValueError(f"AGENT_HOURS range {part.strip()!r} ends before it starts")
        ranges.append((start, end))
    return tuple(sorted(ranges, key=lambda r: r[0]))


@cache
def _warn_unknown_year(year: int) -> None:
    logger.warning(
        "chinesecalendar has no holiday schedule for %s: upgrade it (fixed-date holidays only)", year
    )


def holiday_name(day: date) -> str | None:
    """The public holiday `day` belongs to ("National Day"), or None (weekends and adjusted
    working days included: 2026-10-10 is a working Saturday, not a holiday)."""
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        _warn_unknown_year(day.year)
        return "Public holiday" if (day.month, day.day) in _FIXED_HOLIDAYS else None
    return name if on_holiday and name else None


def is_working_day(day: date) -> bool:
    """True on an official working day: Monday–Friday that is not a holiday, or an adjusted
    working weekend day (调休)."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5 and holiday_name(day) is None


def is_service_day(day: date, settings) -> bool:
    """True when agents work on this Asia/Shanghai calendar day at all."""
    if settings.agent_holidays_closed and holiday_name(day) is not None:
        return False
    return not (settings.agent_weekends_closed and not is_working_day(day))


def is_service_time(now: datetime, settings) -> bool:
    """True when human agents are at work at the aware moment `now`."""
    local = now.astimezone(CHINA)
    if not is_service_day(local.date(), settings):
        return False
    clock = local.time().replace(tzinfo=None)
    return any(
        start <= clock and (end is None or clock < end) for start, end in parse_hours(settings.agent_hours)
    )


def next_opening(now: datetime, settings, *, horizon_days: int = 31) -> datetime | None:
    """The next moment (aware, Asia/Shanghai) agents start work after `now`, or None when there is
    none within `horizon_days` (e.g. every day closed). `now` itself when already open."""
    if is_service_time(now, settings):
        return now.astimezone(CHINA)
    local = now.astimezone(CHINA)
    ranges = parse_hours(settings.agent_hours)
    for offset in range(horizon_days + 1):
        day = local.date() + timedelta(days=offset)
        if not is_service_day(day, settings):
            continue
        for start, _end in ranges:
            moment = datetime.combine(day, start, tzinfo=CHINA)
            if moment > local:
                return moment
    return None


def describe_hours(settings) -> str:
    """The opening hours as the customer is told them, e.g. "每天 09:00-21:00（法定节假日除外）"."""
    ranges = "、".join(
        f"{start:%H:%M}-{'24:00' if end is None else format(end, '%H:%M')}"
        for start, end in parse_hours(settings.agent_hours)
    )
    days = "工作日" if settings.agent_weekends_closed else "每天"
    note = (
        "（法定节假日除外）" if settings.agent_holidays_closed and not settings.agent_weekends_closed else ""
    )
    return f"{days} {ranges}{note}"
