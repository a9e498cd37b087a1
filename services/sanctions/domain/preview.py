"""What a decided sanction would bring, before it is issued (issue 21 point 2, `PreviewDecision`):
the sanction that applies (combined by the kernel: G2/G3 PSL 15, P6 Regs 24), its effect period,
its locks and its §4d execution items; or the refusal naming the rule and its article. Pure: no
I/O, no clock; the decision (approval) date arrives in the call.

It runs the same rules the issue will (`government.effect`, `party.decide`, `items.items_for`), so
a preview never answers what the issue would refuse. Errors: Validation (INVALID_ARGUMENT) naming
the field, "refused by <rule> (<article>): ..."; IllegalState (FAILED_PRECONDITION) naming the
state, e.g. G11's removal from office not recorded or a fact the rule needs missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from kernel.domain import facts as f, sanctions as s
from kernel.domain.calendar import WorkingCalendar
from kernel.domain.errors import Validation
from services.sanctions.domain import government as g, items as it, party as p
from services.sanctions.domain.rules import DEFAULT_RULES, SanctionRules

G7 = "G7 (PSL 19-21)"


@dataclass(frozen=True)
class Preview:
    """The sanction that applies to one person in one family and what it brings.

    `rule`: how the kernel combined the violations (SINGLE, G2, G3, P6); `period_months` the
    effect period in months (None: 开除, no period); `end` when it lifts (None: no period);
    `locks` what holds until their `until` (G7; P2-P4); `items` the §4d table's and P4/P5's."""

    person_id: str
    family: str
    sanction: str
    rule: str
    start: date
    end: date | None
    period_months: int | None
    locks: tuple[p.Lock, ...]
    items: tuple[it.ExecutionItem, ...]
    consequences: tuple[str, ...] = ()


def _refused(e: Validation) -> Validation:
    return Validation(e.field, e.problem if e.problem.startswith("refused by") else f"refused by {e.problem}")


def preview(
    family: str,
    facts: f.PersonFacts,
    violations: Sequence[s.Violation],
    decided: str,
    decided_on: date,
    calendar: WorkingCalendar,
    *,
    period_months: int | None = None,
    mitigation: str = "",
    heard_on: str | None = None,
    in_lieu_of_removal: bool = False,
    serious: bool = False,
    removal_from_office_recorded: bool = False,
    gains_found: bool = False,
    appraisals: tuple[date, ...] = (),
    rules: SanctionRules = DEFAULT_RULES,
) -> Preview:
    """The preview of `decided` for the person of `facts` on `decided_on`, or the refusal.

    `period_months`: G3 (PSL 15) the period decided for several identical government sanctions;
    for PARTY_PROBATION the probation's months (P4, Regs 12); None otherwise (the statutory one).
    `heard_on`: P7 (PC 43) the sanction the person was heard on; None previews as if heard on
    `decided` (the hearing is checked again at the issue). `gains_found` (PSL 25: CONFISCATION)
    and `appraisals` (APPRAISAL, local) are the draft's; a preview leaves them unset.

    This is THE function of the rules: `decision.decide` runs it for DraftDecision (provisionally)
    and IssueDecision (recording its answer), so a preview and an issue never disagree."""
    if family not in s.FAMILIES:
        raise Validation("family", f"must be one of {', '.join(s.FAMILIES)}")
    try:
        combined = s.combine(
            family,
            violations,
            decided,
            period_months=period_months if family == s.GOVERNMENT else None,
            mitigation=mitigation,
        )
    except Validation as e:
        raise _refused(e) from None
    if family == s.GOVERNMENT:
        extra = (gains_found, tuple(appraisals))
        return _government(combined, facts, decided_on, calendar, serious, removal_from_office_recorded, rules, extra)
    decided_party = p.decide(
        combined.sanction,
        decided_on,
        facts,
        heard_on=heard_on or combined.sanction,
        probation_months=period_months,
        in_lieu_of_removal=in_lieu_of_removal,
        violations=violations,
        mitigation=mitigation,
        rules=rules.party,
    )
    end = decided_party.end
    months = None if combined.sanction == p.EXPULSION else rules.party.period_months(combined.sanction, period_months)
    return Preview(
        facts.person_id,
        family,
        combined.sanction,
        combined.rule,
        decided_on,
        None if combined.sanction == p.EXPULSION else end,
        months,
        decided_party.locks,
        p.execution_items(decided_party, calendar, rules.items, gains_found=gains_found, appraisals=tuple(appraisals)),
    )


def _government(
    combined: s.Combined,
    facts: f.PersonFacts,
    on: date,
    calendar: WorkingCalendar,
    serious: bool,
    recorded: bool,
    rules: SanctionRules,
    extra: tuple[bool, tuple[date, ...]] = (False, ()),
) -> Preview:
    e = g.effect(
        combined.sanction,
        on,
        facts,
        decided_months=combined.period_months,
        serious=serious,
        removal_from_office_recorded=recorded,
    )
    locks = tuple(p.Lock(kind, e.end, G7) for kind in e.locks)
    if e.permanent_bar:
        locks += (p.Lock("PERMANENT_BAR", None, "G8 (PSL 8)"),)
    gains_found, appraisals = extra
    items = it.items_for(
        it.government_decision(e, gains_found=gains_found, appraisals=appraisals), calendar, rules.items
    )
    return Preview(
        facts.person_id, s.GOVERNMENT, e.sanction, combined.rule, e.start, e.end, e.months, locks, items, e.consequences
    )
