"""After a transfer for prosecution (移送审查起诉; SL 54, IR2025 133-134, CPL 172): the rules of the
procuratorate's report-back on a disposed case and of the commission's answers. Pure: no I/O.

* The procuratorate reports only about what its feed delivered: a case DISPOSED with a
  TRANSFER_FOR_PROSECUTION outcome for the person (`delivered`); anything else is NOT_FOUND, the
  same answer as an unknown id. Its taking custody is the measures' `TransferCustody` (IR2025 134).
* Supplementary investigation (退回补充调查, SL 54): at most `max_returns` (2), each due
  `supplementary` (1 month) after the return; a YELLOW warning `warning_before` the due and RED
  at it (durable timers; the lead is local). The commission reports it completed.
* Charge decision (CPL 172, unverified): CHARGED or NOT_PROSECUTED, due `charge_decision` (1 month
  + 15 days) after the case's last receipt (the disposal or the last completed return); a late
  report is recorded as late, not refused (the limit binds the procuratorate).
* A non-prosecution may be referred to the upper procuratorate for reconsideration (复议, SL 54),
  once, by the commission.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from kernel.domain.calendar import Span
from kernel.domain.checks import moment as _moment, one_of as _one_of
from kernel.domain.errors import Forbidden, IllegalState, NotFound, Validation
from kernel.domain.principal import Principal
from services.cases.domain import events as ev
from services.cases.domain.outcomes import text

TRANSFER = "TRANSFER_FOR_PROSECUTION"
CHARGED, NOT_PROSECUTED = "CHARGED", "NOT_PROSECUTED"
DECISIONS = (CHARGED, NOT_PROSECUTED)
YELLOW, RED = "YELLOW", "RED"


@dataclass(frozen=True)
class ProsecutionRules:
    """SL 54 (1 month, at most twice); CPL 172 (1 month + 15 days, unverified); the warning's lead
    (local). Configuration: deploy/config/prosecution.toml (`services.cases.app.prosecution_rules`);
    these defaults are the shipped file's, for tests."""

    supplementary: Span = Span(months=1)
    max_returns: int = 2
    warning_before: Span = Span(days=5)
    charge_decision: Span = Span(months=1, days=15)
    partner_roles: tuple[str, ...] = ("partner_system", "partner_officer")
    partner_agencies: tuple[str, ...] = ("procuratorate",)

    def __post_init__(self):
        if self.max_returns < 0:
            raise ValueError(f"{self}: max_returns must not be negative")


DEFAULT_RULES = ProsecutionRules()


# -- commands -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReturnForSupplementaryInvestigation:
    case_id: str
    person_id: str
    document: ev.Document | None
    returned_at: datetime | None
    by: Principal


@dataclass(frozen=True)
class CompleteSupplementaryInvestigation:
    case_id: str
    person_id: str
    document: ev.Document | None
    completed_at: datetime | None
    by: Principal


@dataclass(frozen=True)
class ReportProsecutionDecision:
    case_id: str
    person_id: str
    decision: str
    document: ev.Document | None
    decided_at: datetime | None
    by: Principal


@dataclass(frozen=True)
class ReferForReconsideration:
    case_id: str
    person_id: str
    document: ev.Document | None
    referred_at: datetime | None
    upper_procuratorate: str
    by: Principal


@dataclass(frozen=True)
class RecordSupplementaryWarning:
    """A timer's: the warning it carries, recorded if still current."""

    warning: ev.SupplementaryInvestigationWarning

    @property
    def case_id(self) -> str:
        return self.warning.case_id


# -- state (per transferred person, on the case: `Case.prosecution`) ------------------------------


@dataclass(frozen=True)
class Transferred:
    person_id: str
    received_at: datetime  # the disposal, or the last completed return
    returns: int = 0
    open_return: ev.ReturnedForSupplementaryInvestigation | None = None
    warning: str = ""  # the open return's latest colour
    decision: ev.ProsecutionDecisionReported | None = None
    referred: bool = False


def transferred_persons(outcomes) -> tuple[str, ...]:
    return tuple(dict.fromkeys(o.person_id for o in outcomes if o.kind == TRANSFER))


def on_disposed(e: ev.CaseDisposed) -> tuple[Transferred, ...]:
    return tuple(Transferred(p, e.decided_at) for p in transferred_persons(e.outcomes))


def _put(people: tuple[Transferred, ...], person_id: str, **changes) -> tuple[Transferred, ...]:
    return tuple(replace(t, **changes) if t.person_id == person_id else t for t in people)


def _one(people, person_id) -> Transferred | None:
    return next((t for t in people if t.person_id == person_id), None)


def _warned(people, e: ev.SupplementaryInvestigationWarning):
    t = _one(people, e.person_id)
    if t is None or t.open_return is None or t.open_return.round != e.round or t.warning == RED:
        return people
    return _put(people, e.person_id, warning=e.colour)


EVOLVE = {
    ev.ReturnedForSupplementaryInvestigation: lambda p, e: _put(
        p, e.person_id, returns=e.round, open_return=e, warning=""
    ),
    ev.SupplementaryInvestigationCompleted: lambda p, e: _put(
        p, e.person_id, open_return=None, warning="", received_at=e.completed_at
    ),
    ev.SupplementaryInvestigationWarning: _warned,
    ev.ProsecutionDecisionReported: lambda p, e: _put(p, e.person_id, decision=e),
    ev.NonProsecutionReferred: lambda p, e: _put(p, e.person_id, referred=True),
}


# -- rules ----------------------------------------------------------------------------------------


def delivered(state, person_id: str) -> Transferred:
    """The person as the procuratorate's feed delivered them: a disposal transferred them for
    prosecution in this case. Otherwise NOT_FOUND, as for an unknown id (issue 24)."""
    pid = (person_id or "").strip()
    found = _one(state.prosecution, pid) if pid else None
    if found is None:
        raise NotFound("transferred person", f"{state.case_id or '?'}/{pid}")
    return found


def check_partner(by: Principal, rules: ProsecutionRules) -> None:
    if by.agency not in rules.partner_agencies:
        raise NotFound("case", "")  # another agency's feed never delivered it


def _document(d: ev.Document | None, field: str = "document") -> ev.Document:
    if d is None:
        raise Validation(field, "required: the document's title and SHA-256")
    title = text(d.title, f"{field}.title")
    sha = (d.sha256 or "").strip()
    if len(sha) != 64 or any(ch not in "0123456789abcdef" for ch in sha):
        raise Validation(f"{field}.sha256", "must be 64 lowercase hex digits (SHA-256)")
    return ev.Document(title, sha)


def _undecided(t: Transferred, operation: str) -> None:
    if t.decision is not None:
        raise IllegalState(f"DECIDED ({t.decision.decision})", operation)


def return_for_supplementary(cmd: ReturnForSupplementaryInvestigation, state, rules: ProsecutionRules):
    """SL 54: 1 month each, at most twice; never while a return is open or after the decision."""
    operation = "return the case for supplementary investigation"
    check_partner(cmd.by, rules)
    t = delivered(state, cmd.person_id)
    _undecided(t, operation)
    if t.open_return is not None:
        raise IllegalState(f"SUPPLEMENTARY_INVESTIGATION (round {t.open_return.round} open)", operation)
    if t.returns >= rules.max_returns:
        raise IllegalState(f"RETURNED {t.returns} times (at most {rules.max_returns}, SL 54)", operation)
    doc = _document(cmd.document)
    at = _moment(cmd.returned_at, "returned_at", t.received_at)
    p = cmd.by
    return [
        ev.ReturnedForSupplementaryInvestigation(
            state.case_id,
            t.person_id,
            t.returns + 1,
            doc,
            at,
            rules.supplementary.after(at),
            p.user,
            p.agency,
            p.office,
            p.role,
        )
    ]


def complete_supplementary(cmd: CompleteSupplementaryInvestigation, state, rules: ProsecutionRules):
    operation = "complete the supplementary investigation"
    if cmd.by.agency in rules.partner_agencies or cmd.by.role in rules.partner_roles:
        raise Forbidden("the commission completes a supplementary investigation, not a partner")
    t = delivered(state, cmd.person_id)
    if t.open_return is None:
        raise IllegalState("NO_RETURN_OPEN", operation)
    doc = _document(cmd.document)
    at = _moment(cmd.completed_at, "completed_at", t.open_return.returned_at)
    r = t.open_return
    return [
        ev.SupplementaryInvestigationCompleted(state.case_id, t.person_id, r.round, doc, at, cmd.by.user, at > r.due)
    ]


def report_decision(cmd: ReportProsecutionDecision, state, rules: ProsecutionRules):
    """CPL 172 (unverified): due `charge_decision` after the last receipt; late is recorded."""
    operation = "report the prosecution decision"
    check_partner(cmd.by, rules)
    t = delivered(state, cmd.person_id)
    _undecided(t, operation)
    if t.open_return is not None:
        raise IllegalState(f"SUPPLEMENTARY_INVESTIGATION (round {t.open_return.round} open)", operation)
    decision = _one_of(cmd.decision, DECISIONS, "decision")
    doc = _document(cmd.document)
    at = _moment(cmd.decided_at, "decided_at", t.received_at)
    due = rules.charge_decision.after(t.received_at)
    p = cmd.by
    return [
        ev.ProsecutionDecisionReported(
            state.case_id, t.person_id, decision, doc, at, due, at > due, p.user, p.agency, p.office, p.role
        )
    ]


def refer(cmd: ReferForReconsideration, state, rules: ProsecutionRules):
    """SL 54: a non-prosecution may be referred to the upper procuratorate (复议), once."""
    operation = "refer the non-prosecution for reconsideration"
    if cmd.by.agency in rules.partner_agencies or cmd.by.role in rules.partner_roles:
        raise Forbidden("the commission refers a non-prosecution, not a partner")
    t = delivered(state, cmd.person_id)
    if t.decision is None or t.decision.decision != NOT_PROSECUTED:
        raise IllegalState(t.decision.decision if t.decision else "UNDECIDED", operation)
    if t.referred:
        raise IllegalState("REFERRED (once only)", operation)
    doc = _document(cmd.document)
    at = _moment(cmd.referred_at, "referred_at", t.decision.decided_at)
    upper = text(cmd.upper_procuratorate, "upper_procuratorate")
    return [ev.NonProsecutionReferred(state.case_id, t.person_id, doc, at, cmd.by.user, upper)]


def record_warning(cmd: RecordSupplementaryWarning, state, _rules=None):
    """A warning for a return since completed, or a colour already raised, is stale: no-op."""
    w = cmd.warning
    t = _one(state.prosecution, w.person_id)
    if t is None or t.open_return is None or t.open_return.round != w.round or t.warning in (w.colour, RED):
        return []
    return [w]


def timers(state, rules: ProsecutionRules) -> dict[str, tuple[datetime, ev.SupplementaryInvestigationWarning]]:
    """The warnings' timers of every open return: YELLOW `warning_before` the due, RED at it."""
    out = {}
    for t in state.prosecution:
        r = t.open_return
        if r is None:
            continue
        for colour, at in ((YELLOW, rules.warning_before.before(r.due)), (RED, r.due)):
            key = f"supplementary:{state.case_id}:{t.person_id}:{r.round}:{colour}"
            out[key] = (at, ev.SupplementaryInvestigationWarning(state.case_id, t.person_id, r.round, colour, r.due))
    return out


DECIDE = {
    ReturnForSupplementaryInvestigation: return_for_supplementary,
    CompleteSupplementaryInvestigation: complete_supplementary,
    ReportProsecutionDecision: report_decision,
    ReferForReconsideration: refer,
    RecordSupplementaryWarning: record_warning,
}
