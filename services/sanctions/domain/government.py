"""Government sanctions (政务处分, PSL) once decided: their effect period, locks, lift, and the
checks an issued decision must pass (domain.md §4a, G1-G14). Pure: no I/O, no clock.

Who may receive which sanction (P1, G4-G6) and combining several violations (G2, G3) live in the
kernel's shared module `kernel.domain.sanctions`, so the cases service at disposal and this
service at issue never drift; this module calls it and words its refusals as
"refused by <rule> (<article>): ...". Dates are document dates (`date`): decision date = document
date, and an effect period `[start, start + N m)` lifts at `start + N m` (domain.md §4 preamble).
Rules domain.md marks local are fields of `GovernmentRules`, with defaults, never constants here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kernel.domain import facts as f, sanctions as s
from kernel.domain.calendar import WorkingCalendar, add_months
from kernel.domain.errors import IllegalState, PlatformError, Validation

WARNING, DEMERIT, MAJOR_DEMERIT, DEMOTION, REMOVAL, DISMISSAL = s.GOVERNMENT_SANCTIONS

# G7 (PSL 19-21): what holds during the period, by sanction.
PROMOTION_LOCK = "PROMOTION_LOCK"  # every sanction with a period: no promotion of post or rank
PAY_STEP_LOCK = "PAY_STEP_LOCK"  # 记过 and heavier: no pay step (薪酬档次)
RANK_PAY_LOWERED = "RANK_PAY_LOWERED"  # 降级: a lower rank and its pay (not restored at the lift, G9)
POST_RANK_PAY_LOWERED = "POST_RANK_PAY_LOWERED"  # 撤职: a lower post, rank and pay (not restored, G9)
PAY_STEP_FROM = DEMERIT
# G9 (PSL 26): changes the lift does not undo.
NOT_RESTORED = (RANK_PAY_LOWERED, POST_RANK_PAY_LOWERED)
# G11 (PSL 50): bodies told of a sanction of their deputy or member.
PEOPLES_CONGRESS, CPPCC = "PEOPLES_CONGRESS", "CPPCC"
NEEDS_REMOVAL_FROM_OFFICE = (REMOVAL, DISMISSAL)


class Blocked(IllegalState):
    """A decided sanction the rules do not let take effect yet (FAILED_PRECONDITION), its message
    "refused by <rule> (<article>): ..." so the legal office can check it against domain.md."""

    def __init__(self, current_state: str, message: str):
        self.current_state = current_state
        PlatformError.__init__(self, message)


@dataclass(frozen=True)
class GovernmentRules:
    """The parts of §4a that are local practice (domain.md: configuration, never a constant)."""

    delivery_working_days: int = 5  # G13 (PSL 46): "delivered promptly"; 5 working days (local)
    post_pay_months: int = 1  # G14 (PSL 54): HR changes post and pay within 1 month ...
    post_pay_max_months: int = 6  # G14 (PSL 54): ... at most 6 months with approval

    def __post_init__(self):
        if self.delivery_working_days < 0:
            raise Validation("delivery_working_days", "G13 (PSL 46): must be 0 or more working days")
        if not 0 < self.post_pay_months <= self.post_pay_max_months:
            raise Validation("post_pay_months", "G14 (PSL 54): 0 < post_pay_months <= post_pay_max_months")


@dataclass(frozen=True)
class Effect:
    """A decided government sanction in force on one person.

    `end` is when it lifts (G1: start + N months; G3: the decided period); None for 开除, which has
    no period (G8). `employment_ends` and `permanent_bar` are G8's; `consequences` come from the
    kernel's eligibility check (ALLOWANCE_CUT for G4, UNIT_RECOMMENDATION for G5); `notify` names
    the bodies told of it (G11)."""

    person_id: str
    sanction: str
    start: date
    end: date | None
    months: int | None
    locks: tuple[str, ...]
    employment_ends: date | None = None
    permanent_bar: bool = False
    consequences: tuple[str, ...] = ()
    notify: tuple[str, ...] = ()

    def in_force(self, on: date) -> bool:
        """Whether the sanction is in force on `on` (G1: from the decision date; G8: 开除 always)."""
        return self.start <= on and (self.end is None or on < self.end)


@dataclass(frozen=True)
class Conviction:
    """A criminal judgment on the person (G12, PSL 14, 49)."""

    intentional: bool  # an intentional crime (故意犯罪)
    sentence: str  # e.g. "SUSPENDED", "FIXED_TERM"; any sentence counts, a suspended one included
    judgment_ref: str  # the judgment's document number


@dataclass(frozen=True)
class Lifted:
    """G9 (PSL 26): the lift at the period's end: the locks end; lowered post, rank, pay stay."""

    person_id: str
    on: date
    locks_ended: tuple[str, ...]
    not_restored: tuple[str, ...]


def _refusal(e: Validation) -> Validation:
    """A kernel refusal worded as this service's: "refused by G4 (PSL 22): ..."."""
    return Validation(e.field, f"refused by {e.problem}")


# --- G1, G3-G8, G11: the effect of a decided sanction ---------------------------------------------


def period_months(sanction: str, decided_months: int | None = None) -> int | None:
    """G1 (PSL 8): the statutory months of `sanction` (开除: None); G3 (PSL 15): the period decided
    for several identical sanctions (checked by `kernel.domain.sanctions.combine`) replaces it."""
    if s.family_of(sanction) != s.GOVERNMENT:
        raise Validation("sanction", f"refused by G1 (PSL 7, 8): {sanction} is no government sanction")
    statutory = s.GOVERNMENT_PERIOD_MONTHS[sanction]
    if decided_months is None:
        return statutory
    if statutory is None:
        raise Validation("period_months", "refused by G8 (PSL 8): GOVERNMENT_DISMISSAL has no period")
    if not statutory <= decided_months <= s.MAX_COMBINED_MONTHS:
        raise Validation(
            "period_months",
            f"refused by G3 (PSL 15): {decided_months} months is outside {statutory}-{s.MAX_COMBINED_MONTHS}",
        )
    return decided_months


def locks(sanction: str) -> tuple[str, ...]:
    """G7 (PSL 19-21): 警告 → promotion lock; 记过 and up → + pay-step lock; 降级 → + lower rank
    and pay; 撤职 → + lower post, rank and pay; 开除: none (employment ends, G8)."""
    if sanction == DISMISSAL:
        return ()
    out = [PROMOTION_LOCK]
    if s.rank(sanction) >= s.rank(PAY_STEP_FROM):
        out.append(PAY_STEP_LOCK)
    if sanction == DEMOTION:
        out.append(RANK_PAY_LOWERED)
    if sanction == REMOVAL:
        out.append(POST_RANK_PAY_LOWERED)
    return tuple(out)


def effect(
    sanction: str,
    decided_on: date,
    facts: f.PersonFacts,
    *,
    decided_months: int | None = None,
    serious: bool = False,
    removal_from_office_recorded: bool = False,
    conviction: Conviction | None = None,
) -> Effect:
    """The effect of `sanction` decided on `decided_on` for the person of `facts`, or a refusal.

    G4-G6 (PSL 22, 23, 27): the kernel's `check_eligible` (Validation "refused by G4 (PSL 22): ...";
    an unstated fact FAILED_PRECONDITION naming it). G12 (PSL 14): an intentional crime brings 开除.
    G11 (PSL 50): a person elected or appointed by a congress or the CPPCC is removed from office
    before 撤职/开除 (Blocked until recorded); deputies' and CPPCC members' sanctions are notified.
    G1/G3: the period from the decision date; G7: the locks; G8: 开除 ends employment on the
    effective date, with a permanent bar."""
    months = period_months(sanction, decided_months)
    try:
        consequences = s.check_eligible(sanction, facts, serious=serious)
    except f.FactMissing:
        raise
    except Validation as e:
        raise _refusal(e) from None
    check_conviction(sanction, conviction)
    _check_removal_from_office(sanction, facts, removal_from_office_recorded)
    return Effect(
        person_id=facts.person_id,
        sanction=sanction,
        start=decided_on,
        end=None if months is None else add_months(decided_on, months),
        months=months,
        locks=locks(sanction),
        employment_ends=decided_on if sanction == DISMISSAL else None,
        permanent_bar=sanction == DISMISSAL,
        consequences=consequences,
        notify=notified_bodies(facts),
    )


def _check_removal_from_office(sanction: str, facts: f.PersonFacts, recorded: bool) -> None:
    """G11 (PSL 50): 撤职/开除 of a congress- or CPPCC-elected or appointed person waits for the
    removal from office (罢免, 撤销职务) to be recorded."""
    if sanction not in NEEDS_REMOVAL_FROM_OFFICE or recorded:
        return
    posts = [p.title for p in facts.posts if p.elected_or_appointed]
    if posts:
        raise Blocked(
            "removal from office not recorded",
            f"refused by G11 (PSL 50): {facts.person_id} holds {', '.join(posts)} by election or appointment "
            f"of a congress or the CPPCC; record the removal from office before {sanction}",
        )


def notified_bodies(facts: f.PersonFacts) -> tuple[str, ...]:
    """G11 (PSL 50): the bodies told of a sanction of their deputy (人大代表) or member (政协委员)."""
    out = []
    if any(p.congress_deputy for p in facts.posts):
        out.append(PEOPLES_CONGRESS)
    if any(p.cppcc_member for p in facts.posts):
        out.append(CPPCC)
    return tuple(out)


# --- G12: crimes ---------------------------------------------------------------------------------


def check_conviction(sanction: str, conviction: Conviction | None) -> None:
    """G12 (PSL 14): an intentional crime, any sentence incl. a suspended one → 开除."""
    if conviction is not None and conviction.intentional and sanction != DISMISSAL:
        raise Validation(
            "sanction",
            f"refused by G12 (PSL 14): an intentional crime ({conviction.judgment_ref}, {conviction.sentence}) "
            f"brings {DISMISSAL}, not {sanction}",
        )


def redecide(previous: Conviction | None, current: Conviction | None) -> bool:
    """G12 (PSL 49): a judgment changed (or set aside) after the decision → the decision is re-decided."""
    return previous != current


# --- G9, G10: the lift -----------------------------------------------------------------------------


def lift(e: Effect, on: date, *, open_case: bool) -> Lifted:
    """G9 (PSL 26): the automatic lift at the period's end when no new sanctionable violation is
    pending: the locks end; 降级/撤职's post, rank and pay are **not** restored. G10 (PSL 13, 26):
    a case open on the person at the period's end blocks the lift until decided (combining the
    periods then is open with the legal office, not decided here)."""
    if e.end is None:
        raise Blocked("no period", f"refused by G8 (PSL 24, 26): {e.sanction} has no period and never lifts")
    if on < e.end:
        raise Blocked(f"in force until {e.end}", f"refused by G9 (PSL 26): {e.sanction} lifts on {e.end}, not {on}")
    if open_case:
        raise Blocked(
            "a case is open on the person",
            f"refused by G10 (PSL 13, 26): a new violation is pending on {e.person_id}; no lift until it is decided",
        )
    return Lifted(
        e.person_id,
        e.end,
        tuple(x for x in e.locks if x not in NOT_RESTORED),
        tuple(x for x in e.locks if x in NOT_RESTORED),
    )


# --- G13, G14: the document, delivery, HR -------------------------------------------------------------


@dataclass(frozen=True)
class ReviewRoute:
    """G13 (PSL 45; SL 56): what the document tells the person about seeking review."""

    review_body: str  # 复审: the deciding organ
    recheck_body: str  # 复核: the upper commission
    apply_within_months: int = 1  # SL 56: apply within 1 month of receipt


def check_document(route: ReviewRoute | None) -> ReviewRoute:
    """G13 (PSL 45): the decision document states the 复审/复核 route and its deadline."""
    if route is None or not route.review_body.strip() or not route.recheck_body.strip():
        raise Validation(
            "review_route", "refused by G13 (PSL 45): the document must state the 复审 and 复核 route and deadlines"
        )
    if route.apply_within_months != 1:
        raise Validation(
            "review_route.apply_within_months", "refused by G13 (PSL 45; SL 56): review is applied for within 1 month"
        )
    return route


def delivery_due(decided_on: date, calendar: WorkingCalendar, rules: GovernmentRules = GovernmentRules()) -> date:
    """G13 (PSL 46): delivered promptly to the person and the unit; due in `delivery_working_days`
    working days (local, default 5)."""
    return calendar.add_working_days(decided_on, rules.delivery_working_days)


def post_pay_due(decided_on: date, rules: GovernmentRules = GovernmentRules()) -> tuple[date, date]:
    """G14 (PSL 54): 降级 and up: HR changes post and pay within 1 month, at most 6 with approval:
    (due, latest due). 撤职 2026-04-15 → (2026-05-15, 2026-10-15)."""
    return add_months(decided_on, rules.post_pay_months), add_months(decided_on, rules.post_pay_max_months)


def changes_post_and_pay(sanction: str) -> bool:
    """G14 (PSL 54): 降级 and heavier change post and pay (开除: employment ends, G8)."""
    return s.rank(sanction) >= s.rank(DEMOTION)
