"""What a case may decide for a person besides its sanctions (domain.md §3).

Sanctions are not outcomes a command states: a command states each person's violations and the
combined sanction per family (`services.cases.domain.sanctioning`, by `kernel.domain.sanctions`:
G2, G3, P6), and the events carry one sanction outcome per combined sanction for their readers.
The families and their grades are the kernel's (P1, G2), never listed twice.
"""

from __future__ import annotations

from kernel.domain.errors import Validation
from kernel.domain.sanctions import FAMILIES as SANCTIONS, GOVERNMENT_SANCTIONS, PARTY_SANCTIONS
from services.cases.domain.events import Outcome

__all__ = ["GOVERNMENT_SANCTIONS", "OUTCOME_KINDS", "PARTY_SANCTIONS", "SANCTIONS", "text", "validate_outcomes"]

OUTCOME_KINDS = (
    "LIGHT_HANDLING",
    "PARTY_SANCTION",
    "GOVERNMENT_SANCTION",
    "ACCOUNTABILITY",
    "TRANSFER_FOR_PROSECUTION",
    "SUPERVISION_RECOMMENDATION",
    "NO_SANCTION",
    "ADMONISHMENT",  # 诫勉: an impact period, recorded by the sanctions service (domain.md §5)
    "ORGANISATIONAL_HANDLING",  # 组织处理: likewise
)
MAX_TEXT = 4000


def text(value: str, field: str, required: bool = True) -> str:
    """`value` stripped; Validation naming `field` if required and blank, or too long."""
    value = (value or "").strip()
    if required and not value:
        raise Validation(field, "must not be empty")
    if len(value) > MAX_TEXT:
        raise Validation(field, f"longer than {MAX_TEXT} characters")
    return value


def validate_outcomes(outcomes, subjects, field: str, required: bool = True) -> tuple[Outcome, ...]:
    """The outcomes other than sanctions, cleaned, if each is well formed and about one of
    `subjects`; at least one when `required` (no sanction is stated beside them)."""
    if required and not outcomes:
        raise Validation(field, "at least one outcome (or a sanction in `sanctions`) is required")
    persons = {s.person_id for s in subjects}
    cleaned = []
    for i, outcome in enumerate(outcomes or ()):
        try:
            cleaned.append(_outcome(outcome, persons))
        except Validation as e:
            raise e.within(f"{field}[{i}]") from None
    return tuple(cleaned)


def _outcome(o: Outcome, persons: set[str]) -> Outcome:
    if o.kind not in OUTCOME_KINDS:
        raise Validation("kind", f"must be one of {', '.join(OUTCOME_KINDS)}")
    if o.kind in SANCTIONS:  # G2, G3, P6: a sanction comes with the violations it combines
        raise Validation("kind", f"a {o.kind} is stated in `sanctions`, with its violations and the combined sanction")
    person_id = text(o.person_id, "person_id")
    if person_id not in persons:
        raise Validation("person_id", f"{person_id} is not a subject of the case")
    if o.sanction:
        raise Validation("sanction", "only a sanction carries a sanction; state it in `sanctions`")
    return Outcome(
        o.kind, person_id, "", text(o.article, "article", required=False), text(o.detail, "detail", required=False)
    )
