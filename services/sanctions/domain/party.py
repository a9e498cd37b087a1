"""Party sanctions (党纪处分) once decided: their effect periods, locks and execution items, the
probation (留党察看) review, and the end of a period (domain.md §4b, P1-P10; Regs = 中国共产党纪律
处分条例, Rules = 执纪工作规则, PC = 党章). Pure: no I/O, no clock; the approval date arrives in the
call.

Who may receive a Party sanction (P1), combining several violations (P6) and hearings (P7) are the
kernel's (`kernel.domain.sanctions`), so the cases service and this one never drift. Numbers that
domain.md marks unverified, or that are local practice, are `PartyRules` fields with defaults; the
service loads them from configuration. The §4d table's items (P9 announce, personnel file, post
and pay; P10 execution report) are `items.items_for`'s; this module adds P4's and P5's
(`execution_items` joins them).

Every refusal names the rule and its article: "refused by P3 (Regs 11): ...".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from kernel.domain import facts as f, sanctions as s
from kernel.domain.calendar import WorkingCalendar, add_months
from kernel.domain.errors import IllegalState, Validation
from services.sanctions.domain import items as it

WARNING, SERIOUS_WARNING, REMOVAL, PROBATION, EXPULSION = s.PARTY_SANCTIONS

# Owners beside items.py's: P9 (Rules 56) notifies the member's Party committee, copying the org
# dept; P5 ends a delegate's mandate through the body that convenes the congress.
PARTY_COMMITTEE = "PARTY_COMMITTEE"
CONGRESS_BODY = "CONGRESS_BODY"

# Locks: what the person may not obtain until the lock's end (P2-P4).
NO_PARTY_PROMOTION = "NO_PARTY_PROMOTION"  # P2: 警告, 严重警告: no promotion within the Party
NO_HIGHER_NON_PARTY_POST = "NO_HIGHER_NON_PARTY_POST"  # P2: nor a higher post outside the Party
NO_EQUAL_OR_HIGHER_POST = "NO_EQUAL_OR_HIGHER_POST"  # P2 撤销, P3 in lieu, P4 restored
NO_VOTE_OR_ELECTION = "NO_VOTE_OR_ELECTION"  # P4: no right to vote, elect or be elected
NO_REJOINING = "NO_REJOINING"  # P2: 开除: not readmitted before the end (None: never)

# The two items §4b adds to §4d's table (they belong in items.KINDS): P5's "end mandate" and P4's
# review task at the probation's end.
END_MANDATE, PROBATION_REVIEW = "END_MANDATE", "PROBATION_REVIEW"

# Probation decisions at its end (P4).
RESTORE, EXTEND, EXPEL = "RESTORE", "EXTEND", "EXPEL"


@dataclass(frozen=True)
class PartyRules:
    """The numbers of §4b; unverified or local ones (domain.md) are configuration, these the defaults."""

    warning_months: int = 12  # P2 (Regs 10; unverified)
    serious_warning_months: int = 18  # P2 (Regs 10; unverified)
    removal_bar_months: int = 24  # P2, P3 (Regs 11; unverified)
    probation_months: tuple[int, ...] = (12, 24)  # P2, P4 (Regs 12; unverified)
    probation_extension_months: int = 12  # P4 (Regs 12): extended once by one year
    probation_max_months: int = 24  # P4 (Regs 12): at most two years in all
    restored_bar_months: int = 24  # P4 (Regs 12; unverified): after restoring rights
    expulsion_rejoin_months: int | None = 60  # P2 (Regs 13; unverified); None: never
    end_mandate_months: int = 1  # P5 (Regs 13/14; unverified): the mandate ends within (local)

    def period_months(self, sanction: str, probation_months: int | None = None) -> int | None:
        """P2: the effect period of `sanction` in months (开除: the wait before rejoining)."""
        if sanction == PROBATION:
            if probation_months not in self.probation_months:
                raise Validation(
                    "probation_months",
                    f"refused by P2 (Regs 12): 留党察看 lasts one of {self.probation_months} months, "
                    f"not {probation_months}",
                )
            return probation_months
        if probation_months is not None:
            raise Validation(
                "probation_months", f"refused by P2 (Regs 10): only 留党察看 has a chosen period, not {sanction}"
            )
        return {
            WARNING: self.warning_months,
            SERIOUS_WARNING: self.serious_warning_months,
            REMOVAL: self.removal_bar_months,
            EXPULSION: self.expulsion_rejoin_months,
        }[sanction]


DEFAULT_RULES = PartyRules()


@dataclass(frozen=True)
class Lock:
    kind: str
    until: date | None  # None: for ever (开除 with no readmission)
    rule: str


@dataclass(frozen=True)
class PartySanction:
    """A decided Party sanction with what it brings. `end`: the effect period's end (P2; for 开除
    the earliest rejoining, None if never); `in_lieu_of_removal`: P3."""

    person_id: str
    sanction: str
    approved_on: date
    end: date | None
    locks: tuple[Lock, ...]
    party_items: tuple[it.ExecutionItem, ...]  # P4, P5: beside the §4d table's (see `execution_items`)
    in_lieu_of_removal: bool = False
    probation: Probation | None = None
    # P9 (Rules 56): the member's Party committee is notified, the organisation department copied.
    notify: tuple[str, ...] = (PARTY_COMMITTEE,)
    copy_to: tuple[str, ...] = (it.ORG_DEPT,)


@dataclass(frozen=True)
class Probation:
    """留党察看 running (P4): from `start` to `end`; `extended` once at most."""

    start: date
    end: date
    extended: bool = False

    @property
    def months(self) -> int:
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month


@dataclass(frozen=True)
class EffectPeriodEnded:
    """P8 (Regs 46): the period ended; nothing is cancelled, the fact is recorded."""

    person_id: str
    sanction: str
    ended_on: date


def _refused(e: Validation) -> Validation:
    """A kernel refusal ("P1 (Regs 8): ...") as this module words it ("refused by P1 (Regs 8): ...")."""
    return Validation(e.field, e.problem if e.problem.startswith("refused by") else f"refused by {e.problem}")


def _holds_party_post(facts: f.PersonFacts) -> bool:
    return any(p.party_post for p in facts.posts)


def decide(
    sanction: str,
    approved_on: date,
    facts: f.PersonFacts,
    *,
    heard_on: str | None,
    probation_months: int | None = None,
    in_lieu_of_removal: bool = False,
    violations: Sequence[s.Violation] = (),
    mitigation: str = "",
    rules: PartyRules = DEFAULT_RULES,
) -> PartySanction:
    """A Party sanction approved on `approved_on` for the person of `facts`, with its period, locks
    and items; or a refusal naming the rule.

    P1 (Regs 8) members only; P7 (PC 43) the person was heard on this sanction or a heavier one
    (`heard_on`); P6 (Regs 24) when `violations` are given, the combination is lawful; P3 (Regs 11)
    撤销 needs a Party post, else 严重警告 or 留党察看 `in_lieu_of_removal` with the 24-month bar.
    Facts the rules need and `facts` lacks: FactMissing (FAILED_PRECONDITION)."""
    if s.family_of(sanction) != s.PARTY:
        raise Validation(
            "sanction", f"refused by P1 (Regs 8): a Party sanction is one of {', '.join(s.PARTY_SANCTIONS)}"
        )
    try:
        s.check_eligible(sanction, facts)
        if violations:
            s.combine(s.PARTY, violations, sanction, mitigation=mitigation)
    except Validation as e:
        raise _refused(e) from e
    key = (facts.person_id, s.PARTY)
    if s.to_hear_again({key: heard_on} if heard_on else {}, {key: sanction}):
        raise IllegalState(
            f"heard on {heard_on or 'nothing'}",
            f"decide {sanction}: refused by P7 (PC 43): {facts.person_id} must be heard on it first",
        )
    _check_in_lieu(sanction, facts, in_lieu_of_removal)
    months = rules.period_months(sanction, probation_months)
    end = None if months is None else add_months(approved_on, months)
    locks = _locks(sanction, approved_on, end, in_lieu_of_removal, rules)
    probation = Probation(approved_on, end) if sanction == PROBATION else None
    items = _party_items(sanction, approved_on, facts, probation, rules)
    return PartySanction(facts.person_id, sanction, approved_on, end, locks, items, in_lieu_of_removal, probation)


def _check_in_lieu(sanction: str, facts: f.PersonFacts, in_lieu: bool) -> None:
    """P3 (Regs 11): 撤销党内职务 only for a member with a Party post; without one, 严重警告 or
    留党察看 in lieu of it."""
    if sanction == REMOVAL and not _holds_party_post(facts):
        raise Validation(
            "sanction",
            f"refused by P3 (Regs 11): {facts.person_id} holds no Party post; decide {SERIOUS_WARNING} "
            f"(or {PROBATION}) in_lieu_of_removal",
        )
    if in_lieu and sanction not in (SERIOUS_WARNING, PROBATION):
        raise Validation("in_lieu_of_removal", f"refused by P3 (Regs 11): only {SERIOUS_WARNING} or {PROBATION}")
    if in_lieu and _holds_party_post(facts):
        raise Validation(
            "in_lieu_of_removal", f"refused by P3 (Regs 11): {facts.person_id} holds a Party post; decide {REMOVAL}"
        )


def _locks(sanction: str, start: date, end: date | None, in_lieu: bool, rules: PartyRules) -> tuple[Lock, ...]:
    if sanction in (WARNING, SERIOUS_WARNING):
        locks = [Lock(NO_PARTY_PROMOTION, end, "P2 (Regs 10)"), Lock(NO_HIGHER_NON_PARTY_POST, end, "P2 (Regs 10)")]
    elif sanction == REMOVAL:
        locks = [Lock(NO_EQUAL_OR_HIGHER_POST, end, "P2 (Regs 11)")]
    elif sanction == PROBATION:
        locks = [Lock(NO_VOTE_OR_ELECTION, end, "P4 (Regs 12)")]
    else:
        locks = [Lock(NO_REJOINING, end, "P2 (Regs 13)")]
    if in_lieu:
        locks.append(Lock(NO_EQUAL_OR_HIGHER_POST, add_months(start, rules.removal_bar_months), "P3 (Regs 11)"))
    return tuple(locks)


def _party_items(
    sanction: str, on: date, facts: f.PersonFacts, probation: Probation | None, rules: PartyRules
) -> tuple[it.ExecutionItem, ...]:
    """P5 (Regs 13/14): a congress delegate at 留党察看 or heavier loses the mandate; P4 (Regs 12):
    the probation's end is a review task (a decision, never automatic)."""
    items = []
    if s.rank(sanction) >= s.rank(PROBATION) and any(p.party_congress_delegate for p in facts.posts):
        due = add_months(on, rules.end_mandate_months)
        items.append(it.ExecutionItem(END_MANDATE, CONGRESS_BODY, due, due, "P5 (Regs 13)"))
    if probation is not None:
        items.append(
            it.ExecutionItem(PROBATION_REVIEW, it.PARTY_ORGANISATION, probation.end, probation.end, "P4 (Regs 12)")
        )
    return tuple(items)


def execution_items(
    decided: PartySanction,
    calendar: WorkingCalendar,
    rules: it.ItemRules = it.ItemRules(),
    *,
    gains_found: bool = False,
    appraisals: tuple[date, ...] = (),
) -> tuple[it.ExecutionItem, ...]:
    """All the items of a decided Party sanction: the §4d table's (`items.items_for`: P9 announce,
    personnel file, post and pay; P2 promotion lock; P4 non-Party posts; P10 execution report) with
    its effect period, then P4's and P5's. 开除 has no effect period there (its `end` is the
    earliest rejoining). `gains_found` (PSL 25: CONFISCATION) and `appraisals` (APPRAISAL, local)
    come from the decision's draft."""
    period_end = None if decided.sanction == EXPULSION else decided.end
    decision = it.Decision(
        s.PARTY, decided.sanction, decided.approved_on, period_end, gains_found=gains_found, appraisals=appraisals
    )
    table = it.items_for(decision, calendar, rules)
    return table + decided.party_items


# --- the probation's end (P4) -----------------------------------------------------------------------


@dataclass(frozen=True)
class ProbationDecided:
    """What the decision at the probation's end brings: the probation as it now runs (EXTEND), the
    locks (RESTORE: the bar), or the expulsion (EXPEL)."""

    decision: str
    probation: Probation
    locks: tuple[Lock, ...] = ()
    expulsion: PartySanction | None = None


def decide_probation_end(
    probation: Probation,
    decision: str,
    decided_on: date,
    facts: f.PersonFacts,
    *,
    rules: PartyRules = DEFAULT_RULES,
) -> ProbationDecided:
    """P4 (Regs 12): at the probation's end, a decision: RESTORE (rights back, then a bar on an
    equal or higher post for 24 months from the end), EXTEND (once, by one year, at most two years
    in all), or EXPEL. Before the end only EXPEL is lawful (a further violation)."""
    if decision not in (RESTORE, EXTEND, EXPEL):
        raise Validation("decision", f"P4 (Regs 12): one of {RESTORE}, {EXTEND}, {EXPEL}")
    if decision == EXPEL:
        expelled = decide(EXPULSION, decided_on, facts, heard_on=EXPULSION, rules=rules)
        return ProbationDecided(EXPEL, probation, expulsion=expelled)
    if decided_on < probation.end:
        raise IllegalState(
            f"on probation until {probation.end}", f"{decision.lower()} it: refused by P4 (Regs 12) before its end"
        )
    if decision == RESTORE:
        bar = Lock(NO_EQUAL_OR_HIGHER_POST, add_months(probation.end, rules.restored_bar_months), "P4 (Regs 12)")
        return ProbationDecided(RESTORE, probation, (bar,))
    extended = replace(probation, end=add_months(probation.end, rules.probation_extension_months), extended=True)
    if probation.extended or extended.months > rules.probation_max_months:
        raise IllegalState(
            "extended" if probation.extended else f"on probation for {probation.months} months",
            f"extend it: refused by P4 (Regs 12): extended once at most, {rules.probation_max_months} months in all; "
            f"restore or expel",
        )
    return ProbationDecided(EXTEND, extended, (Lock(NO_VOTE_OR_ELECTION, extended.end, "P4 (Regs 12)"),))


# --- the end of a period (P8) -----------------------------------------------------------------------


def period_ended(decided: PartySanction, on: date) -> EffectPeriodEnded | None:
    """P8 (Regs 46): on or after the period's end, an EffectPeriodEnded and nothing else: no lock or
    item is cancelled. A probation ends by a decision (P4), an expulsion by readmission: neither here."""
    if decided.sanction in (PROBATION, EXPULSION) or decided.end is None or on < decided.end:
        return None
    return EffectPeriodEnded(decided.person_id, decided.sanction, decided.end)
