"""Execution items (执行事项清单) of a decision and the ledger's overdue rule (执行工作台账),
domain.md §4d. Pure: no I/O, no clock.

`items_for(decision)` lists the partner tasks of one issued decision of either family, each with
its owner agency, due date, latest due date and the rule it comes from, by the table's "When"
column. The effect period is an input (`Decision.period_end`): for a government sanction
`government.effect(...).end` (G1, G3), for a Party sanction the Party rules' period (P2), so both
families' items come from this one table. Rules domain.md marks local are fields of `ItemRules`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from kernel.domain import sanctions as s
from kernel.domain.calendar import WorkingCalendar, add_calendar_days, add_months
from kernel.domain.errors import Validation
from services.sanctions.domain.government import Effect

# The item kinds of §4d.
DELIVER_PERSON, DELIVER_UNIT, ANNOUNCE = "DELIVER_PERSON", "DELIVER_UNIT", "ANNOUNCE"
PERSONNEL_FILE, POST_PAY_CHANGE, PROMOTION_LOCK = "PERSONNEL_FILE", "POST_PAY_CHANGE", "PROMOTION_LOCK"
NON_PARTY_POST_REMOVAL = "NON_PARTY_POST_REMOVAL"
ALLOWANCE_CUT, BENEFIT_ADJUSTMENT = s.ALLOWANCE_CUT, s.BENEFIT_ADJUSTMENT
CONFISCATION, APPRAISAL, EXECUTION_REPORT = "CONFISCATION", "APPRAISAL", "EXECUTION_REPORT"
FOLLOW_UP_VISIT = "FOLLOW_UP_VISIT"
# The two items §4b adds (made by party.py): P5's end of a delegate's mandate, P4's review task at
# the probation's end. Listed so the ledger takes causes for them too.
END_MANDATE, PROBATION_REVIEW = "END_MANDATE", "PROBATION_REVIEW"
KINDS = (
    DELIVER_PERSON,
    DELIVER_UNIT,
    ANNOUNCE,
    PERSONNEL_FILE,
    POST_PAY_CHANGE,
    PROMOTION_LOCK,
    NON_PARTY_POST_REMOVAL,
    ALLOWANCE_CUT,
    BENEFIT_ADJUSTMENT,
    CONFISCATION,
    APPRAISAL,
    EXECUTION_REPORT,
    FOLLOW_UP_VISIT,
    END_MANDATE,
    PROBATION_REVIEW,
)

# Owner agencies ("Owner" column). Where the column names two (org dept / HR), the family decides:
# the organisation department for Party decisions, HR for government ones.
CASE_MANAGEMENT, PARTY_ORGANISATION, ARCHIVES = "CASE_MANAGEMENT", "PARTY_ORGANISATION", "ARCHIVES"
ORG_DEPT, HR, FINANCE, TOWNSHIP = "ORG_DEPT", "HR", "FINANCE", "TOWNSHIP"
UNIT, UNIT_PARTY_ORGANISATION = "UNIT", "UNIT_PARTY_ORGANISATION"

# Seed 000's four blockages, the cause of an overdue item (recorded by its owning office).
RULES_MISSING = "RULES_MISSING"  # 制度不健全
INTER_DEPARTMENT = "INTER_DEPARTMENT"  # 部门协作不顺畅
PERSON_UNCOOPERATIVE = "PERSON_UNCOOPERATIVE"  # 受处分者不配合
MOBILE_PARTY_MEMBER = "MOBILE_PARTY_MEMBER"  # 流动人才党员
CAUSES = (RULES_MISSING, INTER_DEPARTMENT, PERSON_UNCOOPERATIVE, MOBILE_PARTY_MEMBER)

# P9 (Regs 44): 撤销党内职务 and heavier change post, pay and benefits; G14 (PSL 54): 降级 and heavier.
POST_PAY_FROM = {s.PARTY: "PARTY_REMOVAL_FROM_POSTS", s.GOVERNMENT: "GOVERNMENT_DEMOTION"}
# P4, Regs 44: the sanctions after which non-Party posts are removed (recommended).
REMOVES_NON_PARTY_POSTS = ("PARTY_REMOVAL_FROM_POSTS", "PARTY_PROBATION", "PARTY_EXPULSION")
# Sanctions that end membership or employment: no promotion lock or visit during a "period".
ENDS_IT = ("PARTY_EXPULSION", "GOVERNMENT_DISMISSAL")


@dataclass(frozen=True)
class ItemRules:
    """The local or unverified parts of §4d (configuration, never constants)."""

    delivery_working_days: int = 5  # G13: DELIVER_PERSON, DELIVER_UNIT (local)
    party_months: int = 1  # P9 (Regs 44): ANNOUNCE, PERSONNEL_FILE, POST_PAY_CHANGE within 1 month
    post_pay_max_months: int = 6  # P9, G14: at most 6 months (extended or approved)
    government_personnel_file_months: int = 1  # G14: the personnel file, government (local)
    government_post_pay_months: int = 1  # G14 (PSL 54)
    non_party_post_removal_months: int = 1  # P4, Regs 44 (local)
    allowance_benefit_months: int = 1  # G4, G6 (local)
    confiscation_months: int = 1  # PSL 25 (local)
    appraisal_days_after: int = 0  # (local): the appraisal records the sanction on its own date
    execution_report_months: int = 6  # P10 (Regs 45)
    government_execution_report: bool = False  # P10 for government decisions is local

    def __post_init__(self):
        for name, value in vars(self).items():
            if isinstance(value, int) and not isinstance(value, bool) and value < 0:
                raise Validation(name, "must be 0 or more")


@dataclass(frozen=True)
class Decision:
    """What the items of one issued decision turn on.

    `period_end`: when its effect period ends (G1/G3, P2), None without a period (开除).
    `consequences`: what the eligibility check brought (ALLOWANCE_CUT G4, BENEFIT_ADJUSTMENT G6).
    `appraisals`: the annual appraisal dates falling in the period (local)."""

    family: str
    sanction: str
    decided_on: date
    period_end: date | None = None
    consequences: tuple[str, ...] = ()
    gains_found: bool = False
    appraisals: tuple[date, ...] = ()


def government_decision(e: Effect, *, gains_found: bool = False, appraisals: tuple[date, ...] = ()) -> Decision:
    """The items' input from a decided government sanction (`government.effect`): its period (G1,
    G3) and the consequences of G4 (ALLOWANCE_CUT); G5's UNIT_RECOMMENDATION has no §4d item."""
    return Decision(s.GOVERNMENT, e.sanction, e.start, e.end, e.consequences, gains_found, appraisals)


@dataclass(frozen=True)
class ExecutionItem:
    """One partner task: its kind, owner agency, due date, latest due date and rule."""

    kind: str
    owner: str
    due: date
    latest_due: date
    rule: str


def items_for(
    decision: Decision, calendar: WorkingCalendar, rules: ItemRules = ItemRules()
) -> tuple[ExecutionItem, ...]:
    """The §4d execution items of `decision`, in the table's order."""
    d, party = decision, decision.family == s.PARTY
    if s.family_of(d.sanction) != d.family:
        raise Validation("sanction", f"{d.sanction} is no {d.family}")
    if d.period_end is not None and d.period_end <= d.decided_on:
        raise Validation("period_end", f"the effect period ends after the decision date {d.decided_on}")
    on = d.decided_on

    def months(n: int) -> date:
        return add_months(on, n)

    out: list[ExecutionItem] = []

    def add(kind: str, owner: str, due: date, rule: str, latest: date | None = None) -> None:
        out.append(ExecutionItem(kind, owner, due, latest or due, rule))

    delivered = calendar.add_working_days(on, rules.delivery_working_days)
    add(DELIVER_PERSON, CASE_MANAGEMENT, delivered, "G13 (PSL 46)")
    add(DELIVER_UNIT, CASE_MANAGEMENT, delivered, "G13 (PSL 46)")
    if party:
        add(ANNOUNCE, PARTY_ORGANISATION, months(rules.party_months), "P9 (Regs 44)")
        add(PERSONNEL_FILE, ARCHIVES, months(rules.party_months), "P9 (Regs 44)")
    else:
        add(PERSONNEL_FILE, ARCHIVES, months(rules.government_personnel_file_months), "G14 (PSL 54)")
    if s.rank(d.sanction) >= s.rank(POST_PAY_FROM[d.family]):
        due = months(rules.party_months if party else rules.government_post_pay_months)
        rule = "P9 (Regs 44)" if party else "G14 (PSL 54)"
        add(POST_PAY_CHANGE, ORG_DEPT if party else HR, due, rule, months(rules.post_pay_max_months))
    lasting = d.period_end is not None and d.sanction not in ENDS_IT
    if lasting:
        add(PROMOTION_LOCK, ORG_DEPT if party else HR, d.period_end, "P2 (Regs 10)" if party else "G7 (PSL 19-21)")
    if d.sanction in REMOVES_NON_PARTY_POSTS:
        add(NON_PARTY_POST_REMOVAL, ORG_DEPT, months(rules.non_party_post_removal_months), "P4 (Regs 44)")
    if ALLOWANCE_CUT in d.consequences:
        add(ALLOWANCE_CUT, TOWNSHIP, months(rules.allowance_benefit_months), "G4 (PSL 22)")
    if BENEFIT_ADJUSTMENT in d.consequences:
        add(BENEFIT_ADJUSTMENT, HR, months(rules.allowance_benefit_months), "G6 (PSL 27)")
    if d.gains_found:
        add(CONFISCATION, FINANCE, months(rules.confiscation_months), "PSL 25")
    if lasting:
        for day in sorted(x for x in d.appraisals if on <= x < d.period_end):
            add(APPRAISAL, UNIT, add_calendar_days(day, rules.appraisal_days_after), "(local)")
    if party or rules.government_execution_report:
        add(EXECUTION_REPORT, UNIT, months(rules.execution_report_months), "P10 (Regs 45)")
    if lasting:
        add(FOLLOW_UP_VISIT, UNIT_PARTY_ORGANISATION, d.period_end, "seed 000 (local)")
    return tuple(out)


# --- the ledger (执行工作台账) ------------------------------------------------------------------


@dataclass(frozen=True)
class Overdue:
    """An item past its due date without a receipt, with its owner and (once recorded) its cause."""

    item: ExecutionItem
    owner: str
    days_over: int
    cause: str | None = None


def check_cause(cause: str) -> str:
    """One of seed 000's four blockages; Validation("cause") otherwise."""
    if cause not in CAUSES:
        raise Validation("cause", f"must be one of {', '.join(CAUSES)} (seed 000's blockages)")
    return cause


def is_overdue(item: ExecutionItem, on: date, *, done: bool) -> bool:
    """§4d: an item past its due date (on a later day) without its receipt is overdue."""
    return not done and on > item.due


def overdue(
    items: Iterable[ExecutionItem],
    on: date,
    done: Collection[str] = (),
    causes: Mapping[str, str] | None = None,
) -> tuple[Overdue, ...]:
    """The ledger's overdue items on `on`: each item whose kind has no receipt (`done`, kinds) and
    whose due date has passed, with its owner and the cause its owning office recorded (`causes`,
    kind → one of CAUSES), oldest due first."""
    causes = causes or {}
    for kind, cause in causes.items():
        check_cause(cause)
        if kind not in KINDS:
            raise Validation("kind", f"{kind!r} is no execution item; one of {', '.join(KINDS)}")
    late = [i for i in items if is_overdue(i, on, done=i.kind in done)]
    return tuple(
        Overdue(i, i.owner, (on - i.due).days, causes.get(i.kind)) for i in sorted(late, key=lambda i: (i.due, i.kind))
    )


def count_by_cause(rows: Iterable[Overdue]) -> dict[str, int]:
    """The ledger's counts of overdue items by cause ("" for those without a recorded cause)."""
    out = dict.fromkeys((*CAUSES, ""), 0)
    for r in rows:
        out[r.cause or ""] += 1
    return out
