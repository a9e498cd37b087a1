"""The conditions measures set on each other and on what is stated (domain.md §3). Pure.

- Protective custody (管护, SL 25): only for one who surrendered, confessed in a talk, letter
  inquiry or inquiry, or volunteered a major crime under interrogation, with a flight or suicide
  risk: the request states which (CustodyGrounds).
- Compelled appearance (强制到案, SL 46): at most 12 hours; up to 24 hours only when protective
  custody or detention of the same person follows (requested or approved): a condition, not an
  extension; never consecutive (46 ¶2): none starts while another of the same person runs, nor
  within the configured gap after one ended.
- Conversion (CONVERTED): a measure ends converted into another of the same person, which the end
  links: detention or 管护 into ordered waiting (SL 48: release or convert when unneeded), 管护 or
  compelled appearance into detention, ordered waiting into detention on a serious breach (SL 23).

Other measures reach these rules as `Related` summaries the app reads from their streams.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kernel.domain.checks import one_of, text
from kernel.domain.errors import IllegalState, Validation
from services.cases.domain import events as ev

DETENTION, CUSTODY, APPEARANCE, WAITING = "DETENTION", "PROTECTIVE_CUSTODY", "COMPELLED_APPEARANCE", "ORDERED_WAITING"
CONDUCTS = ("SURRENDERED", "CONFESSED", "VOLUNTEERED_MAJOR_CRIME")
RISKS = ("FLIGHT", "SUICIDE")
FOLLOWING = (CUSTODY, DETENTION)  # what may follow a 24-hour compelled appearance (SL 46)
CONVERSIONS = {  # kind -> the kinds it may be converted into
    DETENTION: (WAITING,),
    CUSTODY: (DETENTION, WAITING),
    APPEARANCE: (CUSTODY, DETENTION),
    WAITING: (DETENTION,),
}
LIVE = ("REQUESTED", "ACTIVE", "EXPIRED")  # requested, or approved and not ended
RUNNING = ("ACTIVE", "EXPIRED")


@dataclass(frozen=True)
class Related:
    """Another measure as a rule needs it: whose, which, where it stands, its times."""

    measure_id: str
    kind: str
    person_id: str
    status: str
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    ended_at: datetime | None = None


def custody_grounds(kind: str, grounds: ev.CustodyGrounds | None) -> ev.CustodyGrounds | None:
    """The grounds of a protective custody (required, SL 25); none for any other kind."""
    if kind != CUSTODY:
        if grounds is not None:
            raise Validation("custody_grounds", f"only for a {CUSTODY} (SL 25), not a {kind}")
        return None
    if grounds is None:
        raise Validation(
            "custody_grounds",
            "required (SL 25): surrendered, confessed or volunteered a major crime, with a flight or suicide risk",
        )
    try:
        conduct = one_of(grounds.conduct, CONDUCTS, "conduct")
        risks = tuple(dict.fromkeys(one_of(r, RISKS, "risks") for r in grounds.risks))
        if not risks:
            raise Validation("risks", "at least one: FLIGHT or SUICIDE (SL 25)")
        detail = text(grounds.detail, "detail", 2000)
    except Validation as e:
        raise e.within("custody_grounds") from None
    return ev.CustodyGrounds(conduct, risks, detail)


def following(state, related: Related | None, operation: str) -> str:
    """The 管护 or 留置 of the same person, requested or approved, that lets a compelled appearance
    run 24 hours (SL 46); its id."""
    if related is None:
        raise Validation(
            "followed_by", "required: the protective custody or detention that follows (SL 46: 24 hours only then)"
        )
    if related.kind not in FOLLOWING or related.person_id != state.requested.person_id:
        raise Validation(
            "followed_by", f"must be a {CUSTODY} or {DETENTION} of {state.requested.person_id}, not this {related.kind}"
        )
    if related.status not in LIVE:
        raise IllegalState(f"{state.status} (the {related.kind} that was to follow is {related.status})", operation)
    return related.measure_id


def not_consecutive(others: tuple[Related, ...], measure_id: str, starts: datetime, gap) -> None:
    """No compelled appearance of the person runs at `starts`, nor ended less than `gap` (a Span,
    configuration) before it (SL 46 ¶2)."""
    operation = "start a compelled appearance"
    for o in others:
        if o.measure_id == measure_id or o.kind != APPEARANCE:
            continue
        if o.status in RUNNING:
            raise IllegalState(f"REQUESTED (compelled appearance {o.measure_id} still runs: SL 46 ¶2)", operation)
        ended = o.ended_at or o.ends_at
        if o.status == "ENDED" and ended is not None and gap is not None and starts < gap.after(ended):
            raise IllegalState(
                f"REQUESTED (compelled appearance {o.measure_id} ended {ended.isoformat()}: never consecutive, SL 46 ¶2)",
                operation,
            )


def converted_to(state, outcome: str, related: Related | None) -> str:
    """The measure a CONVERTED end links (same person, a kind this one may become); '' otherwise."""
    if outcome != "CONVERTED":
        if related is not None:
            raise Validation("converted_to", "only for the outcome CONVERTED")
        return ""
    kind = state.requested.kind
    allowed = CONVERSIONS.get(kind, ())
    if not allowed:
        raise Validation("outcome", f"a {kind} is not converted into another measure")
    if related is None:
        raise Validation("converted_to", f"required: the {' or '.join(allowed)} it becomes")
    if related.kind not in allowed or related.person_id != state.requested.person_id:
        raise Validation(
            "converted_to", f"must be a {' or '.join(allowed)} of {state.requested.person_id}, not a {related.kind}"
        )
    if related.status not in LIVE:
        raise IllegalState(f"{state.status} (the {related.kind} it becomes is {related.status})", "convert the measure")
    return related.measure_id
