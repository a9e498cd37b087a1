"""Half-year stock-take (半年盘点) statistics over a period, from each clue's events. Pure.

Counts what happened in [start, end] (received, disposals approved by method, conclusions,
supervision notices issued and met) and where the open clues stand at `end` (stage, colour,
overdue). The app folds each clue up to `end` and feeds it here with its colour at `end`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from services.clues.domain import events as ev
from services.clues.domain.state import TERMINAL, Clue


@dataclass
class StockTake:
    start: datetime
    end: datetime
    office: str = ""
    received: int = 0
    disposed_by_method: Counter = field(default_factory=Counter)
    concluded_by_status: Counter = field(default_factory=Counter)
    open_by_stage: Counter = field(default_factory=Counter)
    open_by_colour: Counter = field(default_factory=Counter)
    notices_issued: int = 0
    notices_met: int = 0
    notices_overdue: int = 0  # open at `end` and past their due date

    @property
    def overdue(self) -> int:
        """Open clues past their stage deadline at `end` (red)."""
        return self.open_by_colour["RED"]

    def add(self, timed: list[tuple], state: Clue, colour: str, stage_since: datetime) -> None:
        """One clue: its (event, occurred_at, version) up to `end`, its state and colour at `end`,
        and when it entered its current status."""
        for event, at, _ in timed:
            if self.start <= at <= self.end:
                self._count(event)
        if state.status in TERMINAL:
            if self.start <= stage_since <= self.end:
                self.concluded_by_status[state.status] += 1
            return
        self.open_by_stage[state.status] += 1
        self.open_by_colour[colour] += 1
        self.notices_overdue += sum(1 for *_, due in state.notices if due < self.end)

    def _count(self, event) -> None:
        if isinstance(event, ev.ClueRegistered):
            self.received += 1
        elif isinstance(event, ev.DisposalApproved):
            self.disposed_by_method[event.method] += 1
        elif isinstance(event, ev.SupervisionNoticeIssued):
            self.notices_issued += 1
        elif isinstance(event, ev.SupervisionNoticeSatisfied):
            self.notices_met += 1
