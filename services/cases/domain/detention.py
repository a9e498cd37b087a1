"""Detention's time (留置, domain.md §3; SL 48; IR2025 133). Pure.

- 3 months from the start (the rule's limit); one extension of at most 3 months, approved upward at
  provincial level and below (SL 48 ¶1; the approver per level is configuration).
- +2 months only for a job crime (职务犯罪) likely to bring ten years or more, only after that
  extension, by the national commission (SL 48 ¶2): the charge is stated on the command and
  recorded in the event; `special` in the rule's extension list marks it.
- Recounting (重新计算) once, at provincial level and up, with the national commission's approval,
  on finding another serious job crime of a different kind, or of the same kind changing the
  charge or the sentencing band: the time counts again from the discovery, 3 months and one
  extension of 3 (SL 48 ¶3); the +2 months stays once in all (IR2025 133). At most 8 months, or 14
  with recounting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kernel.domain.checks import moment, one_of, require, text
from kernel.domain.errors import Forbidden, IllegalState, Validation
from kernel.domain.principal import Principal
from services.cases.domain import events as ev

DETENTION = "DETENTION"
UNDER_THREE_YEARS, THREE_TO_TEN_YEARS, TEN_YEARS_OR_MORE = (
    "UNDER_THREE_YEARS",
    "THREE_TO_TEN_YEARS",
    "TEN_YEARS_OR_MORE",
)
SENTENCE_BANDS = (UNDER_THREE_YEARS, THREE_TO_TEN_YEARS, TEN_YEARS_OR_MORE)
DIFFERENT_CRIME, CHANGES_CHARGE_OR_BAND = "DIFFERENT_CRIME", "CHANGES_CHARGE_OR_BAND"
RECOUNT_GROUNDS = (DIFFERENT_CRIME, CHANGES_CHARGE_OR_BAND)
SPECIAL = "extend the detention by the special 2 months"


@dataclass(frozen=True)
class RecountDetention:
    """Recount the detention's time from `discovered_at` (SL 48 ¶3), on `ground` with the `charge`
    found; `at`: when decided (a detention past its end cannot be recounted)."""

    measure_id: str
    discovered_at: datetime
    ground: str
    charge: ev.Charge | None
    reason: str
    by: Principal
    at: datetime | None = None


def check_charge(charge: ev.Charge | None, field: str = "charge") -> ev.Charge:
    """The stated charge, well formed (Validation naming the field otherwise)."""
    if charge is None:
        raise Validation(field, "required: the crime, whether it is a job crime and the likely sentence band")
    try:
        crime = text(charge.crime, "crime", 500)
        band = one_of(charge.sentence_band, SENTENCE_BANDS, "sentence_band")
    except Validation as e:
        raise e.within(field) from None
    return ev.Charge(crime, bool(charge.job_crime), band)


def special_charge(status: str, charge: ev.Charge | None, special_used: bool) -> ev.Charge:
    """The charge the +2 months is granted on (SL 48 ¶2), or why not: it is granted once in all
    (IR2025 133), and only for a job crime likely to bring ten years or more."""
    if special_used:
        raise IllegalState(f"{status} (the +2 months was granted already: once in all, IR2025 133)", SPECIAL)
    stated = check_charge(charge)
    if not stated.job_crime:
        raise IllegalState(f"{status} (the charge is not a job crime (职务犯罪): SL 48 ¶2)", SPECIAL)
    if stated.sentence_band != TEN_YEARS_OR_MORE:
        raise IllegalState(f"{status} (the likely sentence is under ten years: SL 48 ¶2)", SPECIAL)
    return stated


def recount(cmd: RecountDetention, state, rule) -> list:
    """The detention counts again from the discovery (SL 48 ¶3): `state` a `measures.Measure`,
    `rule` its kind's rule at the commission's level (`recount`: the approver, None below
    provincial level)."""
    operation = "recount the detention"
    require(state, ("ACTIVE",), operation)
    if state.requested.kind != DETENTION:
        raise IllegalState(f"{state.status} ({state.requested.kind}: only a detention is recounted)", operation)
    if rule.recount is None:
        raise IllegalState(
            f"{state.status} (recounting is for a commission at provincial level or above: SL 48 ¶3)", operation
        )
    if state.recounted:
        raise IllegalState(f"{state.status} (recounted already: once only, SL 48 ¶3)", operation)
    by = cmd.by
    if by.role != rule.recount.approver:
        raise Forbidden(f"recounting a detention is for {rule.recount.approver} (SL 48 ¶3), not {by.role}")
    if by.user == state.requested.requested_by:
        raise Forbidden(f"{by.user} requested this measure; another principal must recount it")
    ground = one_of(cmd.ground, RECOUNT_GROUNDS, "ground")
    charge = check_charge(cmd.charge)
    if not charge.job_crime:
        raise IllegalState(f"{state.status} (the crime found is not a job crime (职务犯罪): SL 48 ¶3)", operation)
    discovered = moment(cmd.discovered_at, "discovered_at", state.starts_at, "the detention started")
    if cmd.at is not None and moment(cmd.at, "at") >= state.ends_at:
        raise IllegalState(f"EXPIRED (ended {state.ends_at.isoformat()})", operation)
    if cmd.at is not None and discovered > cmd.at:
        raise Validation("discovered_at", "is after the decision")
    if discovered >= state.ends_at:
        raise Validation("discovered_at", f"is after the detention's end ({state.ends_at.isoformat()})")
    return [
        ev.DetentionRecounted(
            cmd.measure_id,
            discovered,
            rule.recount.length.after(discovered),  # 3 months again, then one extension (SL 48 ¶3)
            ground,
            charge,
            text(cmd.reason, "reason", 2000),
            by.role,
            by.user,
        )
    ]
