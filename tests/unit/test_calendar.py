"""Working days over the shipped 2026 calendar, month arithmetic, and loader errors that name the key."""

import re
from datetime import date

import pytest

from kernel.domain.calendar import (
    CalendarError,
    WorkingCalendar,
    add_calendar_days,
    add_months,
    default_calendar_path,
    load_calendar,
    parse_calendar,
)
from kernel.runtime.settings import from_env

CAL = load_calendar()
D = date.fromisoformat


@pytest.mark.parametrize(
    "day,working",
    [
        ("2026-01-01", False),
        ("2026-01-04", True),  # New Year; the Sunday worked for it
        ("2026-02-14", True),
        ("2026-02-15", False),
        ("2026-02-23", False),
        ("2026-02-24", True),
        ("2026-02-28", True),
        ("2026-03-01", False),  # Saturday worked; ordinary Sunday
        ("2026-05-05", False),
        ("2026-05-09", True),
        ("2026-10-08", True),
        ("2026-10-10", True),
        ("2026-07-15", True),
        ("2026-07-18", False),  # ordinary Wednesday and Saturday
    ],
)
def test_working_days_follow_the_published_arrangement(day, working):
    assert CAL.is_working_day(D(day)) is working


@pytest.mark.parametrize(
    "start,n,expected,why",
    [
        ("2026-02-13", 5, "2026-02-27", "Friday before the Spring Festival: 14 (Sat worked), 24, 25, 26, 27"),
        ("2026-02-21", 5, "2026-02-28", "received on a holiday Saturday: 24, 25, 26, 27, 28 (Sat worked)"),
        ("2026-09-18", 5, "2026-09-24", "Sunday 20 September worked for National Day"),
        ("2026-09-30", 5, "2026-10-13", "National Day week, then Saturday 10 October worked"),
        ("2026-01-02", 1, "2026-01-04", "inside the New Year holiday, Sunday 4 January worked"),
        ("2026-04-30", 5, "2026-05-11", "Labour Day holiday, then Saturday 9 May worked"),
        ("2026-02-12", 5, "2026-02-26", "across the Spring Festival: 13, 14 (Sat worked), 24, 25, 26"),
        ("2026-09-30", 1, "2026-10-08", "National Day week"),
        ("2026-12-30", 3, "2027-01-04", "across the year end into an uncovered year: weekends only"),
        ("2026-12-31", 1, "2027-01-01", "1 January 2027 is not configured yet, so it counts as working"),
        ("2026-07-17", 0, "2026-07-17", "zero days is the start itself"),
        ("2026-07-18", 1, "2026-07-20", "the start is never counted, even on a rest day"),
    ],
)
def test_add_working_days(start, n, expected, why):
    assert CAL.add_working_days(D(start), n) == D(expected), why


def test_working_days_between_counts_the_days_passed():
    assert CAL.working_days_between(D("2026-04-30"), D("2026-05-11")) == 5
    assert CAL.working_days_between(D("2026-02-13"), D("2026-02-27")) == 5
    assert CAL.working_days_between(D("2026-05-11"), D("2026-04-30")) == 0
    assert CAL.working_days_between(D("2026-05-11"), D("2026-05-11")) == 0


@pytest.mark.parametrize(
    "start,n", [(f"2026-{m:02}-{d:02}", n) for m in (1, 2, 5, 9, 10, 12) for d in (1, 13, 28) for n in (0, 1, 5, 15)]
)
def test_working_days_between_undoes_add_working_days(start, n):
    assert CAL.working_days_between(D(start), CAL.add_working_days(D(start), n)) == n


@pytest.mark.parametrize(
    "day,expected",
    [
        ("2026-10-01", "2026-10-08"),
        ("2026-10-10", "2026-10-10"),
        ("2026-02-14", "2026-02-14"),
        ("2026-02-15", "2026-02-24"),
        ("2026-07-18", "2026-07-20"),
        ("2026-07-15", "2026-07-15"),
    ],
)
def test_next_working_day(day, expected):
    assert CAL.next_working_day(D(day)) == D(expected)


def test_calendar_days_ignore_holidays():
    assert add_calendar_days(D("2026-09-28"), 15) == D("2026-10-13")
    assert add_calendar_days(D("2026-12-20"), 15) == D("2027-01-04")


@pytest.mark.parametrize(
    "start,months,expected",
    [
        ("2026-11-30", 3, "2027-02-28"),
        ("2027-11-30", 3, "2028-02-29"),
        ("2026-01-31", 1, "2026-02-28"),
        ("2026-05-15", 1, "2026-06-15"),
        ("2026-12-15", 12, "2027-12-15"),
        ("2026-03-31", 6, "2026-09-30"),
    ],
)
def test_add_months_clamps_to_month_end(start, months, expected):
    assert add_months(D(start), months) == D(expected)


def test_coverage_is_known():
    assert CAL.covers(D("2026-06-01")) and not CAL.covers(D("2027-06-01"))
    assert WorkingCalendar().is_working_day(D("2026-10-01"))  # no calendar: weekends only


@pytest.mark.parametrize(
    "data,named",
    [
        ({}, "years"),
        ({"years": {"2026": {"holidays": ["2026-13-01"]}}}, "years.2026.holidays"),
        ({"years": {"2026": {"holidays": ["2025-11-30"]}}}, "years.2026.holidays"),
        ({"years": {"2026": {"holidays": ["2027-02-01"]}}}, "years.2026.holidays"),
        ({"years": {"2026": {"holidays": ["2026-02-23..2026-02-15"]}}}, "years.2026.holidays"),
        ({"years": {"2026": {"workdays": "2026-02-14"}}}, "years.2026.workdays"),
        ({"years": {"2026": {"holidays": ["2026-02-14"], "workdays": ["2026-02-14"]}}}, "2026-02-14"),
        (
            {"years": {"2023": {"workdays": ["2023-12-30"]}, "2024": {"holidays": ["2023-12-30..2024-01-01"]}}},
            "2023-12-30 is both",
        ),  # across two years' tables
        ({"years": {"next": {}}}, "years.next"),
        ({"years": {"26": {}}}, "years.26"),
        ({"years": {"2026": {"holiday": ["2026-10-01"]}}}, "years.2026.holiday"),  # a typo is not ignored
        ({"years": {"2026": {"workdays": ["2026-10-09"]}}}, "2026-10-09 is a weekday"),
        ({"years": {"2026": {"holidays": [20261001]}}}, "years.2026.holidays"),
        ({"holidays": ["2026-10-01"]}, "holidays"),
        ({"years": ["2026"]}, "years"),
    ],
)
def test_a_broken_calendar_names_the_key(data, named):
    with pytest.raises(CalendarError, match=named.replace(".", r"\.")):
        parse_calendar(data, "cal.toml")


def test_missing_file_is_a_calendar_error(tmp_path):
    with pytest.raises(CalendarError, match="nope.toml"):
        load_calendar(tmp_path / "nope.toml")


def test_loader_errors_name_the_file_and_the_date(tmp_path):
    bad = tmp_path / "cal.toml"
    bad.write_text('[years.2026]\nholidays = ["2026-10-01..2026-10-07"]\nworkdays = ["2026-10-03"]\n')
    with pytest.raises(CalendarError, match=re.escape(str(bad)) + ".*2026-10-03 is both a holiday and a workday"):
        load_calendar(bad)
    bad.write_text("[years.2026\n")
    with pytest.raises(CalendarError, match=re.escape(str(bad))):
        load_calendar(bad)


def test_native_toml_dates_and_the_environment_override(tmp_path):
    own = tmp_path / "own.toml"
    own.write_text('[years.2030]\nholidays = [2030-10-01, "2030-10-02..2030-10-03"]\nworkdays = [2030-09-29]\n')
    settings = from_env(
        "clues",
        {"DATABASE_URL": "postgresql://db/x", "KAFKA_BOOTSTRAP_SERVERS": "k:1", "HOLIDAY_CALENDAR_FILE": str(own)},
    )
    assert settings.holiday_calendar_file == own
    cal = load_calendar(settings.holiday_calendar_file)
    assert cal.covered_years == {2030} and not cal.covers(D("2026-10-01"))
    assert sorted(cal.holidays) == [D("2030-10-01"), D("2030-10-02"), D("2030-10-03")]
    assert cal.is_working_day(D("2030-09-29")) and not cal.is_working_day(D("2030-10-02"))
    assert default_calendar_path().parts[-3:] == ("deploy", "config", "calendar.toml")


def test_the_shipped_2026_arrangement_in_full():
    """国务院办公厅关于2026年部分节假日安排的通知: the rest days and the weekend days worked."""
    rest = {
        "01-01..01-03",
        "02-15..02-23",
        "04-04..04-06",
        "05-01..05-05",
        "06-19..06-21",
        "09-25..09-27",
        "10-01..10-07",
    }
    expected = set()
    for r in rest:
        a, b = (D(f"2026-{x}") for x in r.split(".."))
        expected |= {date.fromordinal(o) for o in range(a.toordinal(), b.toordinal() + 1)}
    assert CAL.holidays == expected
    assert CAL.workdays == {D(f"2026-{x}") for x in ("01-04", "02-14", "02-28", "05-09", "09-20", "10-10")}
    assert all(d.weekday() >= 5 for d in CAL.workdays)


def test_an_arrangement_may_reach_over_the_year_end():
    """2024's New Year holiday: Saturday 30 December 2023 to Monday 1 January 2024."""
    cal = parse_calendar({"years": {"2024": {"holidays": ["2023-12-30..2024-01-01"]}}})
    assert cal.covered_years == {2024}
    assert cal.add_working_days(D("2023-12-29"), 1) == D("2024-01-02")
