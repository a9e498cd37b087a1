"""Stage deadlines and three-colour warnings under both shipped schemes (working days included)."""

from datetime import datetime, timedelta, timezone

import pytest

from kernel.domain.calendar import load_calendar
from services.clues.app.schemes import SchemeError, load_scheme, parse_schemes
from services.clues.domain.state import Clue, evolve
from services.clues.domain.warnings import GREEN, RED, YELLOW, Duration, Timeline, colour, marks, timeline
from services.clues.tests.unit.test_lifecycle import REGISTERED

CST = timezone(timedelta(hours=8))
CAL = load_calendar()
DEADLINE, STAGE = load_scheme(name="deadline"), load_scheme(name="stage")


def at(text):
    return datetime.fromisoformat(text).replace(tzinfo=CST)


def T(status, since, received=None, version=3):
    return Timeline(status, at(since), version, at(received or since))


@pytest.mark.parametrize(
    "scheme,t,now,expected,deadline",
    [
        # received Thursday 30 April before Labour Day: 5 working days end Monday 11 May
        (DEADLINE, T("RECEIVED", "2026-04-30 09:00"), "2026-05-08 12:00", GREEN, "2026-05-11 09:00"),
        (DEADLINE, T("RECEIVED", "2026-04-30 09:00"), "2026-05-09 09:00", YELLOW, "2026-05-11 09:00"),
        (DEADLINE, T("RECEIVED", "2026-04-30 09:00"), "2026-05-11 09:00", RED, "2026-05-11 09:00"),
        # registered 6 May: disposal due in 15 days (21 May), yellow 3 days before
        (
            DEADLINE,
            T("REGISTERED", "2026-05-06 10:00", "2026-05-04 10:00"),
            "2026-05-17 10:00",
            GREEN,
            "2026-05-21 10:00",
        ),
        (
            DEADLINE,
            T("REGISTERED", "2026-05-06 10:00", "2026-05-04 10:00"),
            "2026-05-18 10:00",
            YELLOW,
            "2026-05-21 10:00",
        ),
        # left undisposed (domain.md §2: red at 1 month of receipt, the national limit, unverified):
        # the receipt rule turns it yellow 3 days before, even in a fresh stage ...
        (
            DEADLINE,
            T("DISPOSAL_PROPOSED", "2026-05-29 10:00", "2026-05-04 10:00"),
            "2026-06-01 10:00",
            YELLOW,
            "2026-06-04 10:00",
        ),  # the approval (5 working days after Friday 29 May) would be due 5 June: 1 month comes first
        # ... and red at 1 month (4 June), not 2 (2 months is late)
        (
            DEADLINE,
            T("DISPOSAL_PROPOSED", "2026-06-03 10:00", "2026-05-04 10:00"),
            "2026-06-04 10:00",
            RED,
            "2026-06-04 10:00",
        ),
        (
            DEADLINE,
            T("REGISTERED", "2026-06-20 10:00", "2026-05-04 10:00"),
            "2026-07-04 10:00",
            RED,
            "2026-06-04 10:00",
        ),
        # stage scheme: preliminary check yellow at 3 months, red at 6
        (STAGE, T("PRELIM_CHECK", "2026-01-10 09:00"), "2026-04-09 09:00", GREEN, "2026-07-10 09:00"),
        (STAGE, T("PRELIM_CHECK", "2026-01-10 09:00"), "2026-04-10 09:00", YELLOW, "2026-07-10 09:00"),
        (STAGE, T("PRELIM_CHECK", "2026-01-10 09:00"), "2026-07-10 09:00", RED, "2026-07-10 09:00"),
        (STAGE, T("TALK_OR_LETTER", "2026-11-30 09:00"), "2027-01-30 09:00", YELLOW, "2027-02-28 09:00"),
        (STAGE, T("SHELVED", "2026-01-10 09:00"), "2027-01-10 09:00", GREEN, None),  # no rule watches it
    ],
)
def test_colour_and_deadline(scheme, t, now, expected, deadline):
    w = colour(scheme, t, at(now), CAL)
    assert (w.colour, w.deadline) == (expected, at(deadline) if deadline else None)


def test_marks_are_keyed_by_stage_entry_or_receipt():
    keys = {m.key for m in marks(DEADLINE, T("REGISTERED", "2026-05-06 10:00", "2026-05-04 10:00", 3), CAL)}
    assert keys == {
        "propose-disposal:v3:RED",
        "propose-disposal:v3:YELLOW",
        "undisposed:receipt:RED",
        "undisposed:receipt:YELLOW",
    }


def test_timeline_knows_when_the_current_stage_began():
    times = [at(f"2026-05-0{i} 09:00") for i in (4, 5, 6)]
    t = timeline([(e, times[i], i + 1) for i, e in enumerate(REGISTERED)], evolve, Clue())
    assert (t.status, t.stage_since, t.stage_version, t.received_at) == ("REGISTERED", times[2], 3, times[0])


@pytest.mark.parametrize(
    "text,expected",
    [
        ("5 working days", Duration(5, "working_days")),
        ("1 day", Duration(1, "days")),
        ("3 months", Duration(3, "months")),
        ("1 month", Duration(1, "months")),
    ],
)
def test_durations(text, expected):
    assert Duration.parse(text) == expected


@pytest.mark.parametrize(
    "rule,named",
    [
        ({"name": "x", "stages": ["LIMBO"], "from": "stage", "red": "1 day"}, "stages"),
        ({"name": "x", "stages": ["RECEIVED"], "from": "when", "red": "1 day"}, "from"),
        ({"name": "x", "stages": ["RECEIVED"], "from": "stage", "red": "soon"}, "soon"),
        (
            {"name": "x", "stages": ["RECEIVED"], "from": "stage", "red": "3 days", "yellow_before_red": "1 month"},
            "calendar",
        ),
    ],
)
def test_bad_rules_are_named(rule, named):
    with pytest.raises(SchemeError, match=r"schemes\.s\.rules\[0\]") as err:
        parse_schemes({"schemes": {"s": {"rules": [rule]}}}, "w.toml")
    assert named in str(err.value)
