"""Load the demo history into a running platform: the anchor clue first (it fixes the story's
times), then the notices, the tour round, the integrity request and the cases side by side. Each
part looks up what exists before it goes on, so a second run finds every part complete, sends
only what it must to find out (retries of the first steps, which append nothing) and says so."""

from __future__ import annotations

import asyncio
import contextvars
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import astuple, dataclass, field
from pathlib import Path

from tools.demo import case_story, clue_stories, decision_story, integrity_story
from tools.demo.cast import CASE_MANAGER, EVERYONE, SUPERVISOR_2
from tools.demo.plan import CaseSpec, Plan, make_plan, part_steps
from tools.demo.session import Session

PARALLEL_CASES = 3  # cases told side by side: the services and the two CPU cores keep up
_part: contextvars.ContextVar[str] = contextvars.ContextVar("part", default="")


@dataclass
class DemoReport:
    """What a load did: the parts found complete, the calls sent, and the ids to look at."""

    seed: int
    size: str
    steps: int = 0  # the mutations of the parts run (plan.part_steps: the progress bar's total)
    already: int = 0  # steps of parts found already loaded
    sent: int = 0  # mutations sent by this run (retries of stored ones included)
    done_before: int = 0  # of them, done by an interrupted run stating another time (session.done_before)
    parts: dict[str, bool] = field(default_factory=dict)  # part -> found already loaded
    case_ids: list[str] = field(default_factory=list)
    clue_ids: list[str] = field(default_factory=list)  # the cases' clues, in the cases' order
    decision_ids: list[str] = field(default_factory=list)  # the issued government decisions
    tour_round: str = ""
    notices: list[str] = field(default_factory=list)  # seed 004's: the one met, the one left open
    integrity_request: str = ""
    users: list[tuple[str, str, str, str]] = field(default_factory=list)  # agency, office, role, user
    viewer: tuple[str, str, str, str] = astuple(CASE_MANAGER)  # sees every case (sees_all)
    outsider: tuple[str, str, str, str] = astuple(SUPERVISOR_2)  # another office: none of the cases

    @property
    def complete_before(self) -> bool:
        """Everything was there already: this run added nothing."""
        return bool(self.parts) and all(self.parts.values())


class Loader:
    def __init__(self, session: Session, plan: Plan, advance: Callable[[int], None]):
        self.s, self.plan, self.advance = session, plan, advance
        self.report = DemoReport(plan.seed, plan.size, users=[astuple(p) for p in EVERYONE])
        self.sent: Counter[str] = Counter()
        self.estimates = part_steps(plan)
        session.on_step = self._stepped

    def _stepped(self) -> None:
        self.sent[_part.get()] += 1
        self.advance(1)

    async def part(self, name: str, work: Callable[[], Awaitable[bool]]) -> None:
        """Run one part; `work()` says whether it found the part already loaded."""
        _part.set(name)
        estimate = self.estimates[name]
        already = await work()
        self.report.parts[name] = already
        self.report.steps += estimate
        if already:
            self.report.already += estimate
        self.advance(max(0, estimate - self.sent[name]))

    async def run(self) -> DemoReport:
        _part.set("notices")  # the anchor is the notices' first clue
        first = await clue_stories.anchor(self.s, self.plan.office_clues[0])
        self.report.notices = list(clue_stories.notice_ids(self.plan, self.s.anchor.year))
        limit = asyncio.Semaphore(PARALLEL_CASES)
        results: list = [None] * len(self.plan.cases)

        async def case(k: int, spec: CaseSpec) -> None:
            async with limit:
                await self.part(spec.key, lambda: self._case(spec, k, results))

        parts = [
            self.part("notices", lambda: self._notices(first)),
            self.part("tour", self._tour),
            self.part("integrity", self._integrity),
            *(case(k, spec) for k, spec in enumerate(self.plan.cases)),
        ]
        try:
            async with asyncio.TaskGroup() as group:  # one part failing stops the others
                for work in parts:
                    group.create_task(work)
        except ExceptionGroup as failed:
            raise first_leaf(failed) from None
        for clue_id, case_id, gid in results:
            self.report.clue_ids.append(clue_id)
            self.report.case_ids.append(case_id)
            self.report.decision_ids.append(gid)
        self.report.sent, self.report.done_before = self.s.sent, self.s.done_before
        return self.report

    async def _notices(self, first: str) -> bool:
        if await clue_stories.notices_done(self.s, self.plan):
            return True
        await clue_stories.notices(self.s, self.plan, first)
        return False

    async def _tour(self) -> bool:
        self.report.tour_round, already = await clue_stories.tour(self.s, self.plan)
        return already

    async def _integrity(self) -> bool:
        self.report.integrity_request, already = await integrity_story.integrity(self.s, self.plan)
        return already

    async def _case(self, spec: CaseSpec, k: int, results: list) -> bool:
        s = self.s
        clue_id = await case_story.register(s, spec)
        clue = await s.read("ClueService.GetClue", CASE_MANAGER, clue_id=clue_id, purpose=case_story.PURPOSE)
        done = clue.case_id and await decision_story.complete(s, clue.case_id)
        if done:
            results[k] = (clue_id, clue.case_id, done.government)
            return True
        filed = await case_story.to_disposal(s, spec, clue_id)
        decisions = await decision_story.opened(s, filed.case_id)
        await decision_story.executed(s, spec, 10 + k, decisions.government)
        results[k] = (clue_id, filed.case_id, decisions.government)
        return False


def first_leaf(group: BaseExceptionGroup) -> BaseException:
    """The first failure of a group (a DemoError saying which step), raised in its place."""
    first = group.exceptions[0]
    return first_leaf(first) if isinstance(first, BaseExceptionGroup) else first


async def audit_caught_up(s: Session, case_id: str, seconds: float = 120.0) -> int:
    """The number of steps audit tells of the case once its story reaches the execution (an item
    reported done): the page then has the whole story to show."""

    async def told():
        story = await s.read("AuditService.GetHistory", CASE_MANAGER, subject=case_id, purpose=case_story.PURPOSE)
        done = any(step.event_type.endswith("ExecutionItemReported") for step in story.steps)
        return len(story.steps) if done else None

    return await s.wait(told, f"audit telling {case_id}'s story up to its execution", seconds)


async def load(
    targets: dict[str, str],
    key_file: Path,
    size: str = "small",
    seed: int = 1,
    advance: Callable[[int], None] = lambda n: None,
    wait_for_audit: bool = True,
) -> DemoReport:
    """Load the demo of `size` and `seed` into the platform at `targets` (service -> host:port),
    with tokens signed by `key_file`; `advance(n)` is told of each step's progress. With
    `wait_for_audit`, returns once audit tells the first case's story up to its execution."""
    plan = make_plan(seed, size)
    session = Session(targets, key_file, plan.tag)
    try:
        report = await Loader(session, plan, advance).run()
        if wait_for_audit and report.case_ids:
            await audit_caught_up(session, report.case_ids[0])
        return report
    finally:
        await session.close()
