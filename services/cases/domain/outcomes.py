"""What a case may decide for a person, and how heavy it is (domain.md §3-4).

Sanctions are listed lightest first, so a sanction's index is its severity within its family:
Party sanctions (纪律处分条例 2023) and government sanctions (公职人员政务处分法 2020, art. 7).
The two families are never compared with each other: a person may receive one of each.
"""

from __future__ import annotations

from kernel.domain.errors import Validation
from services.cases.domain.events import Outcome

OUTCOME_KINDS = (
    "LIGHT_HANDLING",
    "PARTY_SANCTION",
    "GOVERNMENT_SANCTION",
    "ACCOUNTABILITY",
    "TRANSFER_FOR_PROSECUTION",
    "SUPERVISION_RECOMMENDATION",
    "NO_SANCTION",
)
PARTY_SANCTIONS = (
    "PARTY_WARNING",
    "PARTY_SERIOUS_WARNING",
    "PARTY_REMOVAL_FROM_POSTS",
    "PARTY_PROBATION",
    "PARTY_EXPULSION",
)
GOVERNMENT_SANCTIONS = (
    "GOVERNMENT_WARNING",
    "GOVERNMENT_DEMERIT",
    "GOVERNMENT_MAJOR_DEMERIT",
    "GOVERNMENT_DEMOTION",
    "GOVERNMENT_REMOVAL",
    "GOVERNMENT_DISMISSAL",
)
SANCTIONS = {"PARTY_SANCTION": PARTY_SANCTIONS, "GOVERNMENT_SANCTION": GOVERNMENT_SANCTIONS}
MAX_TEXT = 4000


def text(value: str, field: str, required: bool = True) -> str:
    """`value` stripped; Validation naming `field` if required and blank, or too long."""
    value = (value or "").strip()
    if required and not value:
        raise Validation(field, "must not be empty")
    if len(value) > MAX_TEXT:
        raise Validation(field, f"longer than {MAX_TEXT} characters")
    return value


def validate_outcomes(outcomes, subjects, field: str) -> tuple[Outcome, ...]:
    """The outcomes, cleaned, if each is well formed and about one of `subjects`; at least one, and
    at most one sanction per family per person (several violations: the heaviest applies)."""
    if not outcomes:
        raise Validation(field, "at least one outcome is required")
    persons = {s.person_id for s in subjects}
    cleaned, seen = [], {}
    for i, outcome in enumerate(outcomes):
        try:
            o = _outcome(outcome, persons)
        except Validation as e:
            raise e.within(f"{field}[{i}]") from None
        if o.kind in SANCTIONS:
            if (o.person_id, o.kind) in seen:
                raise Validation(
                    f"{field}[{i}].kind",
                    f"{o.person_id} already has a {o.kind} in "
                    f"{field}[{seen[o.person_id, o.kind]}]; give only the heaviest",
                )
            seen[o.person_id, o.kind] = i
        cleaned.append(o)
    return tuple(cleaned)


def _outcome(o: Outcome, persons: set[str]) -> Outcome:
    if o.kind not in OUTCOME_KINDS:
        raise Validation("kind", f"must be one of {', '.join(OUTCOME_KINDS)}")
    person_id = text(o.person_id, "person_id")
    if person_id not in persons:
        raise Validation("person_id", f"{person_id} is not a subject of the case")
    family = SANCTIONS.get(o.kind)
    if family and o.sanction not in family:
        raise Validation("sanction", f"a {o.kind} must be one of {', '.join(family)}")
    if not family and o.sanction:
        raise Validation("sanction", "only a PARTY_SANCTION or GOVERNMENT_SANCTION carries a sanction")
    return Outcome(
        o.kind,
        person_id,
        o.sanction,
        text(o.article, "article", required=bool(family)),
        text(o.detail, "detail", required=False),
    )


def _severities(outcomes) -> dict[tuple[str, str], int]:
    """(person, family) -> the heaviest sanction's rank."""
    out: dict[tuple[str, str], int] = {}
    for o in outcomes:
        family = SANCTIONS.get(o.kind, ())
        if o.sanction in family:
            out[o.person_id, o.kind] = max(out.get((o.person_id, o.kind), -1), family.index(o.sanction))
    return out


def heavier(before, after) -> list[str]:
    """What in `after` is heavier than `before`, per person: a sanction family the person did not
    face before, or a heavier sanction within one. Lighter or dropped outcomes are not listed."""
    was = _severities(before)
    worse = []
    for (person, kind), rank in sorted(_severities(after).items()):
        sanction = SANCTIONS[kind][rank]
        if (person, kind) not in was:
            worse.append(f"{person} gets {sanction} where no {kind} was proposed")
        elif rank > was[person, kind]:
            worse.append(f"{person} gets {sanction}, heavier than {SANCTIONS[kind][was[person, kind]]}")
    return worse


def not_heavier(before, after) -> bool:
    return not heavier(before, after)


def check_not_heavier(before, after, field: str) -> None:
    """Defending may never make the sanction heavier (domain.md §3): Validation naming `field`."""
    worse = heavier(before, after)
    if worse:
        raise Validation(field, "heavier than the current proposals: " + "; ".join(worse))
