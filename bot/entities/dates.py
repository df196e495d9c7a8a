"""Dates and times of day as customers write them → ISO values in Asia/Shanghai (pure rules).

Dates are resolved against "today" in Asia/Shanghai: 昨天, 前天, 上周五 (the previous calendar
week, Monday first), 周三 (this week's, or last week's when this week's is still ahead),
3月26日 (this year, or last year when that is more than two months ahead), 15号 (this month, or
last month when the 15th is still ahead), 上个月 (a month), 上周 (an ISO week), 上周末 (the two
days). Each gives the value and its precision; a day or time that does not exist gives None.
Times of day are a period (下午 → afternoon) or a clock time (下午3点半 → 15:30).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.text.china_time import CHINA
from bot.text.normalize import chinese_number, to_half_width

# A month-day without a year further ahead than this is last year's (customers mostly tell
# what happened; "12月10号还款" in early December is still this year's).
AHEAD_DAYS = 62

RELATIVE_DAYS = {
    "今天": (0, None),
    "今日": (0, None),
    "今儿": (0, None),
    "明天": (1, None),
    "明日": (1, None),
    "后天": (2, None),
    "大后天": (3, None),
    "昨天": (-1, None),
    "昨日": (-1, None),
    "昨儿": (-1, None),
    "昨儿个": (-1, None),
    "前天": (-2, None),
    "前日": (-2, None),
    "前儿": (-2, None),
    "大前天": (-3, None),
    "昨晚": (-1, "evening"),
    "昨夜": (-1, "night"),
    "昨早": (-1, "morning"),
    "今早": (0, "morning"),
    "今晨": (0, "morning"),
    "今晚": (0, "evening"),
    "前晚": (-2, "evening"),
}
WEEK_OFFSETS = {
    "上上周": -2,
    "上上个星期": -2,
    "上周": -1,
    "上星期": -1,
    "上个星期": -1,
    "上礼拜": -1,
    "上个礼拜": -1,
    "这周": 0,
    "这星期": 0,
    "这个星期": 0,
    "本周": 0,
    "这礼拜": 0,
    "这个礼拜": 0,
    "下周": 1,
    "下星期": 1,
    "下个星期": 1,
    "下礼拜": 1,
    "下个礼拜": 1,
}
MONTH_OFFSETS = {
    "上上个月": -2,
    "上个月": -1,
    "上月": -1,
    "这个月": 0,
    "本月": 0,
    "这月": 0,
    "下个月": 1,
    "下月": 1,
}
YEAR_OFFSETS = {"前年": -2, "去年": -1, "今年": 0, "明年": 1}
WEEKDAYS = {
    "一": 0,
    "二": 1,
    "三": 2,
    "四": 3,
    "五": 4,
    "六": 5,
    "日": 6,
    "天": 6,
    "7": 6,
    **{str(n): n - 1 for n in range(1, 7)},
}
PERIODS = {
    "凌晨": "night",
    "半夜": "night",
    "深夜": "night",
    "夜里": "night",
    "夜间": "night",
    "早上": "morning",
    "早晨": "morning",
    "清晨": "morning",
    "一早": "morning",
    "上午": "morning",
    "中午": "noon",
    "午间": "noon",
    "下午": "afternoon",
    "傍晚": "evening",
    "晚上": "evening",
    "晚间": "evening",
}
PERIOD_NAMES = {"night": "凌晨", "morning": "上午", "noon": "中午", "afternoon": "下午", "evening": "晚上"}

_NUM = r"(\d{1,4}|[零〇一二两三四五六七八九十]{1,4})"
_WEEK = re.compile(
    rf"^({'|'.join(sorted(WEEK_OFFSETS, key=len, reverse=True))}|周|星期|礼拜)([一二三四五六日天末1-7])?$"
)
_MONTH_REL = re.compile(
    rf"^({'|'.join(sorted(MONTH_OFFSETS, key=len, reverse=True))})(?:{_NUM}[号日]|(底|初|中|末|上旬|中旬|下旬))?$"
)
_YEAR_MONTH_DAY = re.compile(rf"^(?:(\d{{4}})年|(前年|去年|今年|明年))?{_NUM}月(?:{_NUM}[号日])?$")
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_DAY = re.compile(rf"^{_NUM}[号日]$")
_CLOCK = re.compile(
    rf"^(?P<period>{'|'.join(PERIODS)})?(?:(?P<hour>{_NUM})(?:点钟|点|时)"
    rf"(?:(?P<half>半)|(?P<quarter>一刻|三刻)|(?P<minute>{_NUM})分?)?|(?P<h>\d{{1,2}}):(?P<m>\d{{2}}))?"
    r"(?P<about>多|左右|前后|整)?(?:左右|前后)?$"
)


@dataclass(frozen=True)
class DateValue:
    value: str  # "2026-11-27", "2026-11" (month), "2026-W48" (week), "2026-11-28/2026-11-29"
    precision: str  # "day", "month", "week" or "weekend"
    period: str | None = None  # 昨晚 → "evening"

    @property
    def day(self) -> date | None:
        return date.fromisoformat(self.value) if self.precision == "day" else None


@dataclass(frozen=True)
class TimeValue:
    value: str  # "15:30", or a period: "morning", "noon", "afternoon", "evening", "night"
    period: str | None
    approximate: bool = False


def china_today(now: datetime) -> date:
    return now.astimezone(CHINA).date()


def _int(text: str | None) -> int | None:
    if text is None:
        return None
    if text.isdigit():
        return int(text)
    return chinese_number(text)


def _day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _shift_month(year: int, month: int, offset: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + offset
    return index // 12, index % 12 + 1


def _day_value(day: date | None, period: str | None = None) -> DateValue | None:
    return DateValue(day.isoformat(), "day", period) if day else None


def _week(match: re.Match, today: date) -> DateValue | None:
    prefix, weekday = match.group(1), match.group(2)
    monday = today - timedelta(days=today.weekday())
    if prefix in WEEK_OFFSETS:
        monday += timedelta(weeks=WEEK_OFFSETS[prefix])
    elif weekday is None:
        return None  # a bare 周 / 星期
    if weekday == "末":
        saturday = monday + timedelta(days=5)
        if prefix not in WEEK_OFFSETS and saturday > today:
            saturday -= timedelta(weeks=1)
        return DateValue(f"{saturday.isoformat()}/{(saturday + timedelta(days=1)).isoformat()}", "weekend")
    if weekday is None:
        year, week, _ = monday.isocalendar()
        return DateValue(f"{year}-W{week:02d}", "week")
    day = monday + timedelta(days=WEEKDAYS[weekday])
    if prefix not in WEEK_OFFSETS and day > today:
        day -= timedelta(weeks=1)  # 周三 said on a Monday: last week's
    return _day_value(day)


def _month_relative(match: re.Match, today: date) -> DateValue | None:
    year, month = _shift_month(today.year, today.month, MONTH_OFFSETS[match.group(1)])
    if match.group(2):
        day_number = _int(match.group(2))
        return _day_value(_day(year, month, day_number)) if day_number else None
    return DateValue(f"{year}-{month:02d}", "month")


def _year_month_day(match: re.Match, today: date) -> DateValue | None:
    explicit_year, year_word, month_text, day_text = match.groups()
    month = _int(month_text)
    if not month or not 1 <= month <= 12:
        return None
    if explicit_year:
        year = int(explicit_year)
    elif year_word:
        year = today.year + YEAR_OFFSETS[year_word]
    else:
        year = today.year
    day_number = _int(day_text) if day_text else None
    if day_text and not day_number:
        return None
    first = _day(year, month, day_number or 1)
    if first is None:
        return None
    if not explicit_year and not year_word and first > today + timedelta(days=AHEAD_DAYS):
        year -= 1
        first = _day(year, month, day_number or 1)
    if day_number is None:
        return DateValue(f"{year}-{month:02d}", "month")
    return _day_value(first)


def _bare_day(match: re.Match, today: date) -> DateValue | None:
    day_number = _int(match.group(1))
    if not day_number or not 1 <= day_number <= 31:
        return None
    year, month = today.year, today.month
    if day_number > today.day:  # "15号" on the 4th: last month's
        year, month = _shift_month(year, month, -1)
    return _day_value(_day(year, month, day_number))


def resolve_date(text: str, today: date) -> DateValue | None:
    """The date a DATE span names, relative to `today` (a date in Asia/Shanghai)."""
    compact = "".join(to_half_width(text or "").split())
    if compact in RELATIVE_DAYS:
        offset, period = RELATIVE_DAYS[compact]
        return _day_value(today + timedelta(days=offset), period)
    for pattern, handler in (
        (_WEEK, _week),
        (_MONTH_REL, _month_relative),
        (_YEAR_MONTH_DAY, _year_month_day),
        (_DAY, _bare_day),
    ):
        match = pattern.match(compact)
        if match:
            return handler(match, today)
    match = _ISO.match(compact)
    if match:
        return _day_value(_day(*(int(group) for group in match.groups())))
    return None


def _hour_of_day(hour: int, period: str | None) -> int | None:
    if period in ("afternoon", "evening") and hour < 12:
        hour += 12
    elif period == "noon" and hour <= 5:
        hour += 12  # 中午1点
    elif period == "night" and hour == 12:
        hour = 0
    if hour == 24:
        hour = 0
    return hour if 0 <= hour <= 23 else None


def resolve_time(text: str) -> TimeValue | None:
    """The time of day a TIME span names: "15:30" or a period ("afternoon")."""
    compact = "".join(to_half_width(text or "").split())
    match = _CLOCK.match(compact)
    if not match or not compact:
        return None
    period = PERIODS.get(match.group("period") or "")
    about = bool(match.group("about")) or compact.endswith(("左右", "前后"))
    hour: int | None
    minute: int | None
    if match.group("h") is not None:
        hour, minute = int(match.group("h")), int(match.group("m"))
    elif match.group("hour") is not None:
        hour = _int(match.group("hour"))
        if hour is None:
            return None
        if match.group("half"):
            minute = 30
        elif match.group("quarter"):
            minute = 15 if match.group("quarter") == "一刻" else 45
        else:
            minute = _int(match.group("minute")) if match.group("minute") else 0
    elif period:
        return TimeValue(period, period, about)
    else:
        return None
    hour = _hour_of_day(hour, period)
    if hour is None or minute is None or not 0 <= minute <= 59:
        return None
    return TimeValue(f"{hour:02d}:{minute:02d}", period, about)


def describe_day(day: date) -> str:
    """How the assistant writes a day to a customer: 2026年11月27日."""
    return f"{day.year}年{day.month}月{day.day}日"


def month_length(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]
