"""Working days over the shipped 2026 calendar, month arithmetic, and loader errors that name the key."""
from datetime import date

import pytest

from kernel.calendar import (CalendarError, WorkingCalendar, add_months, load_calendar, parse_calendar)

CAL = load_calendar()
D = date.fromisoformat


@pytest.mark.parametrize("day,working", [
    ("2026-01-01", False), ("2026-01-04", True),            # New Year; the Sunday worked for it
    ("2026-02-14", True), ("2026-02-15", False), ("2026-02-23", False), ("2026-02-24", True),
    ("2026-02-28", True), ("2026-03-01", False),            # Saturday worked; ordinary Sunday
    ("2026-05-05", False), ("2026-05-09", True), ("2026-10-08", True), ("2026-10-10", True),
    ("2026-07-15", True), ("2026-07-18", False),            # ordinary Wednesday and Saturday
])
def test_working_days_follow_the_published_arrangement(day, working):
    assert CAL.is_working_day(D(day)) is working


@pytest.mark.parametrize("start,n,expected,why", [
    ("2026-04-30", 5, "2026-05-11", "Labour Day holiday, then Saturday 9 May worked"),
    ("2026-02-12", 5, "2026-02-26", "across the Spring Festival: 13, 14 (Sat worked), 24, 25, 26"),
    ("2026-09-30", 1, "2026-10-08", "National Day week"),
    ("2026-12-30", 3, "2027-01-04", "across the year end into an uncovered year: weekends only"),
    ("2026-07-17", 0, "2026-07-17", "zero days is the start itself"),
    ("2026-07-18", 1, "2026-07-20", "the start is never counted, even on a rest day"),
])
def test_add_working_days(start, n, expected, why):
    assert CAL.add_working_days(D(start), n) == D(expected), why


def test_working_days_between_counts_the_days_passed():
    assert CAL.working_days_between(D("2026-04-30"), D("2026-05-11")) == 5
    assert CAL.working_days_between(D("2026-05-11"), D("2026-04-30")) == 0


@pytest.mark.parametrize("start,months,expected", [
    ("2026-11-30", 3, "2027-02-28"), ("2027-11-30", 3, "2028-02-29"), ("2026-01-31", 1, "2026-02-28"),
    ("2026-05-15", 1, "2026-06-15"), ("2026-12-15", 12, "2027-12-15"), ("2026-03-31", 6, "2026-09-30")])
def test_add_months_clamps_to_month_end(start, months, expected):
    assert add_months(D(start), months) == D(expected)


def test_coverage_is_known():
    assert CAL.covers(D("2026-06-01")) and not CAL.covers(D("2027-06-01"))
    assert WorkingCalendar().is_working_day(D("2026-10-01"))   # no calendar: weekends only


@pytest.mark.parametrize("data,named", [
    ({}, "years"),
    ({"years": {"2026": {"holidays": ["2026-13-01"]}}}, "years.2026.holidays"),
    ({"years": {"2026": {"holidays": ["2025-12-31"]}}}, "years.2026.holidays"),
    ({"years": {"2026": {"holidays": ["2026-02-23..2026-02-15"]}}}, "years.2026.holidays"),
    ({"years": {"2026": {"workdays": "2026-02-14"}}}, "years.2026.workdays"),
    ({"years": {"2026": {"holidays": ["2026-02-14"], "workdays": ["2026-02-14"]}}}, "2026-02-14"),
    ({"years": {"next": {}}}, "years.next"),
])
def test_a_broken_calendar_names_the_key(data, named):
    with pytest.raises(CalendarError, match=named.replace(".", r"\.")):
        parse_calendar(data, "cal.toml")


def test_missing_file_is_a_calendar_error(tmp_path):
    with pytest.raises(CalendarError, match="nope.toml"):
        load_calendar(tmp_path / "nope.toml")
