"""Working-day arithmetic with a holiday calendar from configuration (pure after loading).

Rules say "within 5 working days" (forwarding a clue) or "within 15 days" / "1 month" (disposal,
trial review). Public holidays and the weekend days worked in their place (调休上班) are
published each year, so they are configuration (`deploy/config/calendar.toml`;
HOLIDAY_CALENDAR_FILE for your own). Outside the years the file covers, only weekends count as
rest days: `covers()` tells callers (and the service logs a warning at start).

Convention: `add_working_days(start, n)` is the n-th working day after `start`; `start` itself is
never counted, whatever it is, and the result is the last day on which the act is still in time.
A clue received on Friday 13 February 2026, the eve of the Spring Festival holiday (15-23 Feb,
with Saturdays 14 and 28 Feb worked), must be forwarded by `add_working_days(13 Feb, 5)`:
Sat 14 (worked), Tue 24, Wed 25, Thu 26, Fri 27 February. One received on Thursday 30 April
(Labour Day holiday 1-5 May, Saturday 9 May worked) must go by Monday 11 May.

Limits in calendar days or months (`add_calendar_days`, `add_months`) ignore holidays; a rule that
moves a period ending on a rest day to the next working day applies `next_working_day` to it.
"""

from __future__ import annotations

import calendar as _cal
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from kernel.runtime.config import read_toml

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "deploy" / "config" / "calendar.toml"


class CalendarError(ValueError):
    """The calendar file is wrong; the message names the file and the key."""


@dataclass(frozen=True)
class WorkingCalendar:
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()  # weekend days that are worked (调休上班)
    covered_years: frozenset[int] = frozenset()
    weekend: frozenset[int] = frozenset({5, 6})  # Saturday, Sunday

    def covers(self, d: date) -> bool:
        return d.year in self.covered_years

    def is_working_day(self, d: date) -> bool:
        if d in self.workdays:
            return True
        return d not in self.holidays and d.weekday() not in self.weekend

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after `start` (n >= 0; n = 0 gives `start`)."""
        if n < 0:
            raise ValueError("n must be >= 0")
        d = start
        while n:
            d += timedelta(days=1)
            n -= self.is_working_day(d)
        return d

    def next_working_day(self, d: date) -> date:
        """`d` if it is a working day, else the first working day after it."""
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    def working_days_between(self, a: date, b: date) -> int:
        """Working days in (a, b]: how many have passed from a to b (0 if b <= a)."""
        return sum(self.is_working_day(a + timedelta(days=i)) for i in range(1, (b - a).days + 1))


def add_calendar_days(start: date, n: int) -> date:
    """`n` calendar days after `start` ("within 15 days"), holidays included."""
    return start + timedelta(days=n)


def add_months(start: date, n: int) -> date:
    """Same day-of-month n months later, clamped to the month's end (30 Nov + 3 months = 28/29 Feb)."""
    month0 = start.month - 1 + n
    year, month = start.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(start.day, _cal.monthrange(year, month)[1]))


def plus_months(moment: datetime, n: int) -> datetime:
    """Same time of day, n months later, clamped to the month's end (31 Jan + 1 = 28/29 Feb)."""
    d = add_months(moment.date(), n)
    return moment.replace(year=d.year, month=d.month, day=d.day)


def default_calendar_path() -> Path:
    """`deploy/config/calendar.toml` of this checkout (settings name another: HOLIDAY_CALENDAR_FILE)."""
    return DEFAULT_FILE


def load_calendar(path: Path | str | None = None) -> WorkingCalendar:
    path = Path(path or default_calendar_path())
    return parse_calendar(read_toml(path, CalendarError), str(path))


def parse_calendar(data: dict, source: str = "calendar") -> WorkingCalendar:
    """The calendar of a parsed file (schema at the top of `deploy/config/calendar.toml`);
    CalendarError naming `source` and the key (or the date) that is wrong."""
    unknown = sorted(set(data) - {"years"})
    if unknown:
        raise CalendarError(f"{source}: {unknown[0]}: unknown key (only [years.<YYYY>] tables)")
    if not isinstance(data.get("years", {}), dict):
        raise CalendarError(f"{source}: years: must be tables [years.<YYYY>]")
    holidays, workdays, years = set(), set(), set()
    for key, spec in data.get("years", {}).items():
        if not (key.isdigit() and len(key) == 4 and isinstance(spec, dict)):
            raise CalendarError(f"{source}: years.{key}: must be a year with a table of holidays and workdays")
        unknown = sorted(set(spec) - {"holidays", "workdays"})
        if unknown:
            raise CalendarError(f"{source}: years.{key}.{unknown[0]}: unknown key (holidays, workdays)")
        year = int(key)
        years.add(year)
        hol = _dates(spec.get("holidays", []), f"years.{key}.holidays", year, source)
        work = _dates(spec.get("workdays", []), f"years.{key}.workdays", year, source)
        both = (hol | holidays) & (work | workdays)
        if both:
            raise CalendarError(f"{source}: years.{key}: {min(both)} is both a holiday and a workday")
        weekdays = sorted(d for d in work if d.weekday() < 5)
        if weekdays:
            raise CalendarError(
                f"{source}: years.{key}.workdays: {weekdays[0]} is a weekday; list only "
                "the Saturdays and Sundays worked in exchange for a holiday"
            )
        holidays |= hol
        workdays |= work
    if not years:
        raise CalendarError(f"{source}: years: no year configured")
    return WorkingCalendar(frozenset(holidays), frozenset(workdays), frozenset(years))


def _dates(items, key: str, year: int, source: str) -> set[date]:
    """Dates and inclusive ranges ("2026-02-15..2026-02-23") of one year's arrangement, which may
    reach into December before or January after (2024's New Year holiday began on 30 Dec 2023)."""
    if not isinstance(items, list):
        raise CalendarError(f"{source}: {key}: must be a list of dates or ranges")
    out: set[date] = set()
    for item in items:
        first, _, last = str(item).partition("..")
        try:
            if isinstance(item, datetime) or not isinstance(item, (str, date)):
                raise ValueError(item)
            a = date.fromisoformat(first.strip())
            b = date.fromisoformat(last.strip()) if last else a
        except ValueError:
            raise CalendarError(f"{source}: {key}: {item!r} is not YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD") from None
        if b < a or a < date(year - 1, 12, 1) or b > date(year + 1, 1, 31):
            raise CalendarError(
                f"{source}: {key}: {item!r} must lie in {year} (or the December before or "
                "January after), first date first"
            )
        out |= {a + timedelta(days=i) for i in range((b - a).days + 1)}
    return out


@dataclass(frozen=True)
class Span:
    """A length of time as the rules state it: calendar months (same time of day), days, hours
    (the measures' and the prosecution's limits, SL 43-54)."""

    months: int = 0
    days: int = 0
    hours: int = 0

    def after(self, moment: datetime) -> datetime:
        return plus_months(moment, self.months) + timedelta(days=self.days, hours=self.hours)

    def before(self, moment: datetime) -> datetime:
        return plus_months(moment, -self.months) - timedelta(days=self.days, hours=self.hours)
