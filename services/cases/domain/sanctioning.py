"""Each person's violations and combined sanctions as a case states them (trial review, hearing,
disposal), checked by the kernel's one sanctions module (`kernel.domain.sanctions`: G2, G3 PSL 15;
P6 Regs 24), so the cases and the sanctions service never drift. Pure.

A person's entry lists the violations (each with its article and the sanction it alone would bring,
either family) and one combined sanction per family of those violations. The events also carry,
for readers of the outcomes, one sanction outcome per combined sanction (`sanction_outcomes`).
"""

from __future__ import annotations

from collections.abc import Iterable

from kernel.domain import checks, sanctions as s
from kernel.domain.errors import Validation
from kernel.domain.person import Subject
from services.cases.domain.events import Outcome, PersonSanctions
from services.cases.domain.outcomes import text

MAX_ARTICLE, MAX_DETAIL = 100, 100  # the contract's (cases.v1.Violation)


def person_sanctions(items, subjects: tuple[Subject, ...], field: str) -> tuple[PersonSanctions, ...]:
    """The entries, cleaned and combined: each about a subject (once), with at least one violation
    and exactly one combined sanction per family of its violations, each lawful by G2, G3 or P6
    (the rule is set here; requests' `consequences` are ignored). Validation naming the field."""
    persons, seen, out = {p.person_id for p in subjects}, set(), []
    for i, item in enumerate(items or ()):
        try:
            entry = _entry(item, persons)
        except Validation as e:
            raise e.within(f"{field}[{i}]") from None
        if entry.person_id in seen:
            raise Validation(f"{field}[{i}].person_id", f"{entry.person_id} is listed twice; one entry per person")
        seen.add(entry.person_id)
        out.append(entry)
    return tuple(out)


def _entry(item: PersonSanctions, persons: set[str]) -> PersonSanctions:
    person_id = text(item.person_id, "person_id")
    if person_id not in persons:
        raise Validation("person_id", f"{person_id} is not a subject of the case")
    if not item.violations:
        raise Validation("violations", "at least one violation (article and sanction) is required")
    violations, by_family = [], {}
    for i, v in enumerate(item.violations):
        try:
            family = s.family_of(v.sanction)
            detail = text(v.detail, "detail", False)
            if len(detail) > MAX_DETAIL:
                raise Validation("detail", f"longer than {MAX_DETAIL} characters")
            checked = s.Violation(checks.text(v.article, "article", MAX_ARTICLE), v.sanction, detail)
        except Validation as e:
            raise e.within(f"violations[{i}]") from None
        violations.append(checked)
        by_family.setdefault(family, []).append(checked)
    combined, given = [], set()
    for j, k in enumerate(item.combined or ()):
        try:
            family = s.family_of(k.sanction)
            if family in given:
                raise Validation("sanction", f"a second combined {family}; one per family")
            if family not in by_family:
                raise Validation("sanction", f"no violation of {person_id} brings a {family}")
            given.add(family)
            period = k.period_months or None  # 0 on the wire: the statutory period
            combined.append(
                s.combine(family, by_family[family], k.sanction, period_months=period, mitigation=k.mitigation)
            )
        except Validation as e:
            raise e.within(f"combined[{j}]") from None
    missing = sorted(set(by_family) - given)
    if missing:
        raise Validation("combined", f"state the combined {missing[0]} of {person_id}'s violations (G2, G3, P6)")
    return PersonSanctions(person_id, tuple(violations), tuple(combined), serious=bool(item.serious))


def sanction_map(entries: Iterable[PersonSanctions], person_id: str | None = None) -> dict[tuple[str, str], str]:
    """(person_id, family) -> combined sanction, as `kernel.domain.sanctions` compares them."""
    return {
        (e.person_id, s.family_of(k.sanction)): k.sanction
        for e in entries
        if person_id is None or e.person_id == person_id
        for k in e.combined
    }


def sanction_outcomes(entries: Iterable[PersonSanctions]) -> tuple[Outcome, ...]:
    """One sanction outcome per combined sanction, for readers of the outcomes: its family as the
    kind, the articles of its violations, the rule it was combined by as the detail."""
    return tuple(
        Outcome(
            s.family_of(k.sanction),
            e.person_id,
            k.sanction,
            "; ".join(
                dict.fromkeys(v.article for v in e.violations if s.family_of(v.sanction) == s.family_of(k.sanction))
            ),
            k.rule,
        )
        for e in entries
        for k in e.combined
    )


def from_outcomes(outcomes: Iterable[Outcome]) -> tuple[PersonSanctions, ...]:
    """Upcast of an event recorded before violations were (issue 18): each sanction outcome is one
    violation with its article, combined into that sanction by rule SINGLE."""
    entries: dict[str, PersonSanctions] = {}
    for o in outcomes:
        if o.kind not in s.FAMILIES or not o.sanction:
            continue
        was = entries.get(o.person_id, PersonSanctions(o.person_id, (), ()))
        entries[o.person_id] = PersonSanctions(
            o.person_id,
            was.violations + (s.Violation(o.article, o.sanction, o.detail),),
            was.combined + (s.Combined(o.sanction, None, s.SINGLE),),
        )
    return tuple(entries.values())
