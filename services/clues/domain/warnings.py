"""Stage deadlines and the three-colour warning (三色预警), computed from a clue's timeline.

Local schemes differ, so a scheme is configuration (`deploy/config/clue_warnings.toml`): a list
of rules, each naming the stages it watches, whether it counts from entering the stage or from
receipt, when the clue turns red, and when yellow (after a time, or some days before red). A
clue's colour at an instant is the worst colour any applicable rule gives; its deadline is the
earliest red instant. Pure: the caller gives the time and the working-day calendar.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from kernel.domain.calendar import WorkingCalendar, add_months

GREEN, YELLOW, RED = "GREEN", "YELLOW", "RED"
_RANK = {GREEN: 0, YELLOW: 1, RED: 2}
_DURATION = re.compile(r"^\s*(\d+)\s+(working days?|days?|months?)\s*$")


@dataclass(frozen=True)
class Duration:
    amount: int
    unit: str  # "days" | "working_days" | "months"

    @classmethod
    def parse(cls, text: str) -> Duration:
        m = _DURATION.match(text or "")
        if not m:
            raise ValueError(f"{text!r}: write e.g. '5 working days', '15 days' or '3 months'")
        unit = m.group(2)
        return cls(
            int(m.group(1)),
            "working_days" if unit.startswith("working") else "months" if unit.startswith("month") else "days",
        )

    def after(self, start: datetime, calendar: WorkingCalendar) -> datetime:
        if self.unit == "days":
            return start + timedelta(days=self.amount)
        day = (
            calendar.add_working_days(start.date(), self.amount)
            if self.unit == "working_days"
            else add_months(start.date(), self.amount)
        )
        return datetime.combine(day, start.timetz())

    def before(self, end: datetime) -> datetime:
        if self.unit != "days":
            raise ValueError("'before' takes calendar days")
        return end - timedelta(days=self.amount)


@dataclass(frozen=True)
class Rule:
    name: str
    stages: frozenset[str]
    start: str  # "stage" | "receipt"
    red: Duration
    yellow: Duration | None = None  # after the start ...
    yellow_before_red: Duration | None = None  # ... or this long before red


@dataclass(frozen=True)
class Scheme:
    name: str
    description: str
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class Timeline:
    """Where a clue stands: its status, since when (and at which stream version), received when."""

    status: str
    stage_since: datetime
    stage_version: int
    received_at: datetime


@dataclass(frozen=True)
class Mark:
    """An instant the clue turns a colour under a rule; `key` names it stably for a timer."""

    key: str
    colour: str
    at: datetime
    rule: str
    deadline: datetime


@dataclass(frozen=True)
class Warning:
    colour: str
    deadline: datetime | None
    rule: str = ""


def marks(scheme: Scheme, t: Timeline, calendar: WorkingCalendar) -> list[Mark]:
    """The yellow and red instants of every rule that watches the clue's current stage."""
    out = []
    for rule in scheme.rules:
        if t.status not in rule.stages:
            continue
        start = t.stage_since if rule.start == "stage" else t.received_at
        red = rule.red.after(start, calendar)
        yellow = (
            rule.yellow.after(start, calendar)
            if rule.yellow
            else rule.yellow_before_red.before(red)
            if rule.yellow_before_red
            else None
        )
        scope = f"v{t.stage_version}" if rule.start == "stage" else "receipt"
        out.append(Mark(f"{rule.name}:{scope}:{RED}", RED, red, rule.name, red))
        if yellow is not None and yellow < red:
            out.append(Mark(f"{rule.name}:{scope}:{YELLOW}", YELLOW, yellow, rule.name, red))
    return out


def colour(scheme: Scheme, t: Timeline, now: datetime, calendar: WorkingCalendar) -> Warning:
    """The clue's colour at `now` and its deadline (the earliest red instant)."""
    found = marks(scheme, t, calendar)
    if not found:
        return Warning(GREEN, None)
    reached = [m for m in found if m.at <= now]
    worst = max(reached, key=lambda m: (_RANK[m.colour], -m.at.timestamp()), default=None)
    deadline = min(m.deadline for m in found)
    return Warning(worst.colour, deadline, worst.rule) if worst else Warning(GREEN, deadline)


def timeline(timed_events, evolve, initial) -> Timeline:
    """From (event, occurred_at, version) triples: the current status, when and at which version it
    was entered, and when the clue was received (its first event)."""
    state, since, version, received = initial, None, 0, None
    for event, at, v in timed_events:
        new = evolve(state, event)
        received = received or at
        if new.status != state.status:
            since, version = at, v
        state = new
    return Timeline(state.status, since, version, received)
