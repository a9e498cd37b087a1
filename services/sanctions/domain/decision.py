"""The decision (处分决定) aggregate, stream `decision-<uuid>`: its state, `evolve`, and `decide`
(the rules of domain.md §4 on each command; no I/O, no clock). Also an impact record (§5: 诫勉,
organisational handling, 问责), whose only event is ImpactRecorded.

OPENED → DRAFTED (redrafted while OPENED or DRAFTED) → COMMITTEE_APPROVED (only where the
same-level Party committee approves: [issue] committee_approves, local) → ISSUED →
REDECISION_REQUIRED (after a criminal judgment, G12). The draft and the issue run THE SAME
function as PreviewDecision (`preview.preview`), so a preview and an issue never disagree.

Errors are the kernel's: Validation (INVALID_ARGUMENT naming the field), IllegalState
(FAILED_PRECONDITION naming the state), NotFound (an item unknown, or not the caller's agency's:
the same answer), Forbidden (the wrong role for an approval or the issue).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone, tzinfo

from kernel.domain import facts as f, sanctions as s
from kernel.domain.calendar import WorkingCalendar
from kernel.domain.checks import moment, one_of, text
from kernel.domain.errors import Forbidden, IllegalState, NotFound, Validation
from kernel.domain.ids import check_stream_id
from services.sanctions.domain import commands as c, events as ev, government as g, issuing, items as it
from services.sanctions.domain.preview import Preview, preview
from services.sanctions.domain.rules import DEFAULT_RULES, SanctionRules

# Status words (proto DecisionStatus without its prefix); "" before the first event.
NONE, OPENED, DRAFTED, COMMITTEE_APPROVED = "", "OPENED", "DRAFTED", "COMMITTEE_APPROVED"
ISSUED, REDECISION_REQUIRED, IMPACT_RECORDED = "ISSUED", "REDECISION_REQUIRED", "IMPACT_RECORDED"
IN_EFFECT = (ISSUED, REDECISION_REQUIRED)
# Item status words; OVERDUE is computed on a day (§4d), never stored.
OPEN, DONE, OVERDUE = "OPEN", "DONE", "OVERDUE"
# Recipients and means of delivery (G13, PSL 46).
PERSON, UNIT = "PERSON", "UNIT"
RECIPIENTS = (PERSON, UNIT)
DELIVERY_ITEM = {PERSON: it.DELIVER_PERSON, UNIT: it.DELIVER_UNIT}
MEANS = ("IN_PERSON", "LEFT_WITH_WITNESSES", "POST", "ENTRUSTED", "ANNOUNCEMENT")
# Who approves and who issues (roles of the catalogue).
COMMITTEE_HEAD, COMMISSION_HEAD = "party_committee_head", "commission_head"
G12 = "G12 (PSL 14, 49)"
NOTE_LIMIT, TITLE_LIMIT, LINE_LIMIT = 500, 200, 100
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class DecisionPolicy:
    """What `decide` judges with: the configured rules (sanctions.toml), the working calendar (G13
    delivery in working days) and the service's zone (a datetime's calendar day)."""

    rules: SanctionRules = DEFAULT_RULES
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)
    zone: tzinfo = timezone.utc

    def day(self, at: datetime) -> date:
        return at.astimezone(self.zone).date()


DEFAULT_POLICY = DecisionPolicy()


@dataclass(frozen=True)
class Subject:
    """The decision's person, as recusal (SL 67) reads a file's subjects."""

    person_id: str


@dataclass(frozen=True)
class ItemState:
    """One execution item as it stands: OPEN or DONE (with when and the receipt), the blockage
    cause its owning office recorded ("" none)."""

    item: ev.ExecutionItem
    status: str = OPEN
    done_at: datetime | None = None
    receipt_sha256: str = ""
    cause: str = ""
    note: str = ""
    reported_by: str = ""


@dataclass(frozen=True)
class Decision:
    decision_id: str = ""
    status: str = NONE
    opened: ev.DecisionOpened | None = None
    draft: ev.DecisionDrafted | None = None
    approval: ev.DecisionCommitteeApproved | None = None
    issued: ev.DecisionIssued | None = None
    deliveries: dict[str, ev.DecisionDelivered] = field(default_factory=dict)  # recipient → delivery
    items: dict[str, ItemState] = field(default_factory=dict)  # item_id → state, §4d order
    judgment: ev.CriminalJudgmentRecorded | None = None
    impact: ev.ImpactRecorded | None = None

    @property
    def person_id(self) -> str:
        return self.opened.person_id if self.opened else (self.impact.person_id if self.impact else "")

    @property
    def case_id(self) -> str:
        return self.opened.case_id if self.opened else (self.impact.case_id if self.impact else "")

    @property
    def clue_id(self) -> str:
        return self.opened.clue_id if self.opened else (self.impact.clue_id if self.impact else "")

    @property
    def family(self) -> str:
        return self.opened.family if self.opened else ""

    @property
    def sanction(self) -> str:
        """The issued sanction, else the combined one; "" for an impact record."""
        if self.issued:
            return self.issued.sanction
        return self.opened.combined.sanction if self.opened else ""

    @property
    def subjects(self) -> tuple[Subject, ...]:
        return (Subject(self.person_id),) if self.person_id else ()

    @property
    def start(self) -> date | None:
        return self.issued.start if self.issued else (self.impact.start if self.impact else None)

    @property
    def end(self) -> date | None:
        return self.issued.end if self.issued else (self.impact.end if self.impact else None)


# --- evolve ----------------------------------------------------------------------------------------


def evolve(state: Decision, event) -> Decision:
    """The state after `event` (events are facts: never refused here)."""
    if isinstance(event, ev.DecisionOpened):
        return Decision(event.decision_id, OPENED, opened=event)
    if isinstance(event, ev.ImpactRecorded):
        return Decision(event.decision_id, IMPACT_RECORDED, impact=event)
    if isinstance(event, ev.DecisionDrafted):
        return replace(state, status=DRAFTED, draft=event)
    if isinstance(event, ev.DecisionCommitteeApproved):
        return replace(state, status=COMMITTEE_APPROVED, approval=event)
    if isinstance(event, ev.DecisionIssued):
        return replace(state, status=ISSUED, issued=event, items={i.item_id: ItemState(i) for i in event.items})
    if isinstance(event, ev.DecisionDelivered):
        items = _item(
            state, event.item_id, status=DONE, done_at=event.delivered_at, receipt_sha256=event.receipt_sha256
        )
        return replace(state, deliveries={**state.deliveries, event.recipient: event}, items=items)
    if isinstance(event, ev.ExecutionItemReported):
        items = _item(
            state,
            event.item_id,
            status=DONE,
            done_at=event.done_at,
            receipt_sha256=event.receipt_sha256,
            note=event.note,
            reported_by=event.reported_by,
        )
        return replace(state, items=items)
    if isinstance(event, ev.ExecutionBlockageRecorded):
        return replace(state, items=_item(state, event.item_id, cause=event.cause, note=event.note))
    if isinstance(event, ev.CriminalJudgmentRecorded):
        return replace(state, status=REDECISION_REQUIRED, judgment=event)
    raise TypeError(f"not a decision event: {type(event).__name__}")


def _item(state: Decision, item_id: str, **changes) -> dict[str, ItemState]:
    if item_id not in state.items:
        return state.items
    return {**state.items, item_id: replace(state.items[item_id], **changes)}


# --- reads ------------------------------------------------------------------------------------------


def committee_needed(state: Decision, rules: SanctionRules = DEFAULT_RULES) -> bool:
    """Whether the same-level Party committee approves before the issue ([issue] committee_approves,
    local): the person's cadre level is listed; no cadre fact, not needed."""
    return bool(state.opened) and rules.issue.committee_needed(state.opened.facts)


def awaiting(state: Decision, rules: SanctionRules = DEFAULT_RULES) -> str:
    """What the next step waits for ("" once issued, or for an impact record)."""
    if state.status == OPENED:
        return "draft by case management"
    if state.status == DRAFTED and committee_needed(state, rules):
        return "approval by the same-level Party committee"
    if state.status in (DRAFTED, COMMITTEE_APPROVED):
        return "issue by the commission head"
    if state.status == REDECISION_REQUIRED:
        return f"re-decision after the criminal judgment ({G12})"
    return ""


def item_status(item: ItemState, today: date) -> str:
    """OPEN, DONE, or OVERDUE: open and past its due date on `today` (§4d, `items.is_overdue`)."""
    if item.status == DONE:
        return DONE
    return OVERDUE if it.is_overdue(item.item, today, done=False) else OPEN


def days_over(item: ItemState, today: date) -> int:
    """Days past the due date on `today`; 0 unless OVERDUE."""
    return (today - item.item.due).days if item_status(item, today) == OVERDUE else 0


@dataclass(frozen=True)
class InForceEntry:
    """One thing in force on a person on a date: an issued sanction in its period with the locks
    holding that day, or an impact in its impact period. `end` None: without end (开除)."""

    decision_id: str
    person_id: str
    family: str
    sanction: str
    impact_kind: str
    start: date
    end: date | None
    locks: tuple[ev.Lock, ...] = ()


def in_force(state: Decision, on: date) -> InForceEntry | None:
    """What of this decision is in force on `on`: a sanction issued (G1, P2: start <= on < end; 开除
    without end, G8) with the locks holding on `on` (until None or on < until), or an impact in its
    period (§5); nothing before the issue. A Party lock (P3's bar) may outlast the period: it holds
    on its own."""
    if state.impact:
        i = state.impact
        if i.start <= on < i.end:
            return InForceEntry(state.decision_id, i.person_id, "", "", i.kind, i.start, i.end)
        return None
    d = state.issued
    if d is None or on < d.start:
        return None
    locks = tuple(x for x in d.locks if x.until is None or on < x.until)
    if (d.end is not None and on >= d.end) and not locks:
        return None
    return InForceEntry(state.decision_id, state.person_id, state.family, d.sanction, "", d.start, d.end, locks)


def steps(state: Decision) -> tuple[str, ...]:
    """Need to know: the offices owning the decision's items once issued, each once (an owning
    partner office knows the decision and may act on its items)."""
    return issuing.owner_offices(i.item for i in state.items.values())


def approvers(state: Decision, rules: SanctionRules = DEFAULT_RULES) -> tuple[str, ...]:
    """Need to know: the commission head, and the same-level Party committee head where its
    approval is needed ([issue] committee_approves); none for an impact record."""
    if not state.opened:
        return ()
    return (COMMISSION_HEAD,) + ((COMMITTEE_HEAD,) if committee_needed(state, rules) else ())


def ledger_rows(state: Decision) -> list[dict]:
    """One row per item of the `execution_ledger` table (OVERDUE is computed on read)."""
    return [
        {
            "decision_id": state.decision_id,
            "item_id": i.item.item_id,
            "case_id": state.case_id,
            "person_id": state.person_id,
            "kind": i.item.kind,
            "owner": i.item.owner,
            "agency": i.item.agency,
            "office": i.item.office,
            "due": i.item.due,
            "latest_due": i.item.latest_due,
            "status": i.status,
            "done_at": i.done_at,
            "receipt": i.receipt_sha256,
            "cause": i.cause,
            "rule": i.item.rule,
        }
        for i in state.items.values()
    ]


def index_row(state: Decision, rules: SanctionRules = DEFAULT_RULES) -> dict:
    """The `decision_index` row of the decision (version added by the caller)."""
    holder = state.opened.holder if state.opened else ""
    liaison = state.opened.liaison if state.opened else ""
    return {
        "decision_id": state.decision_id,
        "case_id": state.case_id,
        "person_id": state.person_id,
        "status": state.status,
        "family": state.family,
        "sanction": state.sanction,
        "impact_kind": state.impact.kind if state.impact else "",
        "start": state.start,
        "end": state.end,
        "holder": holder,
        "liaison": liaison,
        "steps": list(steps(state)),
        "approvers": list(approvers(state, rules)),
    }


# --- decide ------------------------------------------------------------------------------------------


def _sha256(value: str, name: str) -> str:
    if not _SHA256.fullmatch(value or ""):
        raise Validation(name, "must be 64 lowercase hex digits (SHA-256)")
    return value


def _optional(value: str, name: str, limit: int) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise Validation(name, f"at most {limit} characters")
    return value


def _line(value: str, name: str, limit: int) -> str:
    value = text(value, name, limit)
    if "\n" in value or "\r" in value:
        raise Validation(name, "must be one line")
    return value


def _document(doc: ev.Document | None, name: str) -> ev.Document | None:
    if doc is None:
        return None
    return ev.Document(_line(doc.title, f"{name}.title", TITLE_LIMIT), _sha256(doc.sha256, f"{name}.sha256"))


def _not_impact(state: Decision, operation: str) -> None:
    if state.status == IMPACT_RECORDED:
        raise IllegalState(IMPACT_RECORDED, f"{operation}: an impact record has no decision document")


def _require(state: Decision, statuses: tuple[str, ...], operation: str) -> None:
    _not_impact(state, operation)
    if state.status not in statuses:
        raise IllegalState(state.status or "NOT_OPENED", f"{operation} (only {' or '.join(statuses)})")


def _refused(e: Validation) -> Validation:
    return Validation(e.field, e.problem if e.problem.startswith("refused by") else f"refused by {e.problem}")


def open_decision(cmd: c.OpenDecision, state: Decision, policy: DecisionPolicy) -> list:
    if state.status != NONE:
        raise IllegalState(state.status, "open the decision again")
    check_stream_id(cmd.decision_id, "decision", "decision_id")
    one_of(cmd.family, tuple(s.FAMILIES), "family")
    person_id = text(cmd.person_id, "person_id", LINE_LIMIT)
    # a disposal recorded before holdings were stamped names no holder: only those who see every
    # file (case management) hold the decision then
    holder = (cmd.holder or "").strip()
    if cmd.facts is not None and cmd.facts.person_id != person_id:
        raise Validation("facts.person_id", f"the facts are of {cmd.facts.person_id}, the decision of {person_id}")
    try:  # G2/G3 (PSL 15), P6 (Regs 24): the combined sanction is lawful for the violations
        s.combine(
            cmd.family,
            cmd.violations,
            cmd.combined.sanction,
            period_months=cmd.combined.period_months if cmd.family == s.GOVERNMENT else None,
            mitigation=cmd.combined.mitigation,
        )
    except Validation as e:
        raise _refused(e).within("combined") from None
    moment(cmd.disposed_at, "disposed_at")
    return [
        ev.DecisionOpened(
            cmd.decision_id,
            cmd.case_id,
            cmd.clue_id,
            person_id,
            cmd.family,
            cmd.combined,
            tuple(cmd.violations),
            tuple(cmd.consequences),
            cmd.serious,
            cmd.facts,
            cmd.deliberation,
            cmd.disposed_at,
            cmd.source_event_id,
            holder,
            cmd.liaison or "",
        )
    ]


def record_impact(cmd: c.RecordImpact, state: Decision, policy: DecisionPolicy) -> list:
    if state.status != NONE:
        raise IllegalState(state.status, "record the impact again")
    check_stream_id(cmd.decision_id, "decision", "decision_id")
    one_of(cmd.kind, issuing.IMPACT_KINDS, "kind")
    person_id = text(cmd.person_id, "person_id", LINE_LIMIT)
    if not isinstance(cmd.decided_on, date):
        raise Validation("decided_on", "is required")
    end = policy.rules.impacts.period(cmd.kind, cmd.decided_on)
    return [
        ev.ImpactRecorded(
            cmd.decision_id,
            cmd.kind,
            person_id,
            cmd.case_id,
            cmd.clue_id,
            cmd.decided_on,
            end,
            _optional(cmd.article, "article", TITLE_LIMIT),
            _optional(cmd.detail, "detail", NOTE_LIMIT),
            cmd.source_event_id,
        )
    ]


def _route(family: str, route: g.ReviewRoute | None) -> g.ReviewRoute:
    """G13 (PSL 45) for a government decision; A1 (Rules 59) for a Party one: the 申诉 body, no 复核,
    no deadline."""
    if family == s.GOVERNMENT:
        return g.check_document(route)
    if route is None or not route.review_body.strip():
        raise Validation("review_route", "refused by A1 (Rules 59): the document must name the body appealed to (申诉)")
    if route.recheck_body.strip():
        raise Validation("review_route.recheck_body", "refused by A1 (Rules 59): a Party decision has no 复核")
    if route.apply_within_months != 0:
        raise Validation("review_route.apply_within_months", "refused by A1 (Rules 59): a Party appeal has no deadline")
    return route


def run_rules(
    state: Decision,
    draft: ev.DecisionDrafted,
    decided_on: date,
    policy: DecisionPolicy,
) -> Preview:
    """THE rules of the decision on `decided_on`: `preview.preview` (PreviewDecision's function) on
    the opening (family, facts, violations, the combined sanction, G3 period, P6 mitigation, G5
    serious) and the draft (P3 in lieu of removal, P4 probation months, PSL 25 gains, appraisals, G11 removal). P7: the
    cases service re-heard any heavier sanction before the disposal, so the person was heard on
    the combined one."""
    o = state.opened
    facts = o.facts or f.PersonFacts(o.person_id)
    sanction = o.combined.sanction
    if o.family == s.GOVERNMENT:
        months = o.combined.period_months
    else:
        months = draft.probation_months or None
    return preview(
        o.family,
        facts,
        o.violations,
        sanction,
        decided_on,
        policy.calendar,
        period_months=months,
        mitigation=o.combined.mitigation,
        heard_on=sanction,
        in_lieu_of_removal=draft.in_lieu_of_removal,
        serious=o.serious,
        removal_from_office_recorded=draft.removal_from_office is not None,
        gains_found=draft.gains_found,
        appraisals=draft.appraisals,
        rules=policy.rules,
    )


def draft(cmd: c.DraftDecision, state: Decision, policy: DecisionPolicy) -> list:
    _require(state, (OPENED, DRAFTED), "draft the decision")
    o = state.opened
    title = _line(cmd.title, "title", TITLE_LIMIT)
    if not cmd.legal_basis:
        raise Validation("legal_basis", "at least one article")
    if len(cmd.legal_basis) > 10:
        raise Validation("legal_basis", "at most 10 articles")
    basis = tuple(_line(b, f"legal_basis[{i}]", LINE_LIMIT) for i, b in enumerate(cmd.legal_basis))
    route = _route(o.family, cmd.review_route)
    scope = _line(cmd.announcement_scope, "announcement_scope", LINE_LIMIT)
    if len(cmd.appraisals) > 5:
        raise Validation("appraisals", "at most 5")
    if cmd.probation_months and o.combined.sanction != "PARTY_PROBATION":
        raise Validation(
            "probation_months", f"refused by P2 (Regs 12): only PARTY_PROBATION, not {o.combined.sanction}"
        )
    event = ev.DecisionDrafted(
        cmd.decision_id,
        title,
        basis,
        route,
        scope,
        cmd.gains_found,
        tuple(sorted(cmd.appraisals)),
        _document(cmd.removal_from_office, "removal_from_office"),
        cmd.by.user,
        cmd.probation_months or 0,
        cmd.in_lieu_of_removal,
    )
    # the rules as the issue will run them, on the disposal date (provisional decision date)
    run_rules(state, event, policy.day(o.disposed_at), policy)
    return [event]


def approve(cmd: c.ApproveDecision, state: Decision, policy: DecisionPolicy) -> list:
    _require(state, (DRAFTED,), "approve the decision")
    if not committee_needed(state, policy.rules):
        levels = ", ".join(policy.rules.issue.committee_approves) or "none"
        raise IllegalState(
            state.status,
            f"approve the decision: the same-level Party committee approves only cadre levels {levels} "
            f"([issue] committee_approves); none is needed for {state.person_id}",
        )
    if cmd.by.role != COMMITTEE_HEAD:
        raise Forbidden(f"only {COMMITTEE_HEAD} may approve the decision, not {cmd.by.role}")
    return [ev.DecisionCommitteeApproved(cmd.decision_id, cmd.by.user, cmd.by.role)]


def issue(cmd: c.IssueDecision, state: Decision, policy: DecisionPolicy) -> list:
    _require(state, (DRAFTED, COMMITTEE_APPROVED), "issue the decision")
    if state.status == DRAFTED and committee_needed(state, policy.rules):
        raise IllegalState(DRAFTED, "issue the decision before the same-level Party committee approves it")
    if cmd.by.role != COMMISSION_HEAD:
        raise Forbidden(f"only {COMMISSION_HEAD} may issue the decision, not {cmd.by.role}")
    number = _line(cmd.document_number, "document_number", LINE_LIMIT)
    if not isinstance(cmd.decided_on, date):
        raise Validation("decided_on", "is required")
    disposed = policy.day(state.opened.disposed_at)
    if cmd.decided_on < disposed:
        raise Validation("decided_on", f"must not be before the disposal ({disposed})")
    d = state.draft
    p = run_rules(state, d, cmd.decided_on, policy)
    items = issuing.number_items(p.items, policy.rules.owners)
    return [
        ev.DecisionIssued(
            cmd.decision_id,
            number,
            cmd.by.user,
            p.sanction,
            p.start,
            p.end,
            p.period_months or 0,
            p.locks,
            items,
            d.legal_basis,
            d.review_route,
            p.consequences,
        )
    ]


def deliver(cmd: c.RecordDelivery, state: Decision, policy: DecisionPolicy) -> list:
    _require(state, IN_EFFECT, "record a delivery")
    recipient = one_of(cmd.recipient, RECIPIENTS, "recipient")
    means = one_of(cmd.means, MEANS, "means")
    if recipient in state.deliveries:
        raise IllegalState(f"delivered to {recipient}", f"record a second delivery to {recipient}")
    at = moment(cmd.delivered_at, "delivered_at")
    if policy.day(at) < state.issued.start:
        raise Validation("delivered_at", f"must not be before the issue ({state.issued.start})")
    receipt = _sha256(cmd.receipt_sha256, "receipt_sha256")
    need = policy.rules.issue.refusal_witnesses
    if cmd.refused_to_sign and len(cmd.witnesses) < need:
        raise Validation(
            "witnesses",
            f"refused by G13 (PSL 46): a refusal to sign is completed by at least {need} witnesses "
            f"([issue] refusal_witnesses, local), not {len(cmd.witnesses)}",
        )
    if not cmd.refused_to_sign and cmd.witnesses:
        raise Validation("witnesses", "witnesses are recorded only with a refusal to sign")
    if len(cmd.witnesses) > 5:
        raise Validation("witnesses", "at most 5")
    witnesses = tuple(
        ev.Witness(
            _line(w.name, f"witnesses[{i}].name", LINE_LIMIT), _line(w.capacity, f"witnesses[{i}].capacity", LINE_LIMIT)
        )
        for i, w in enumerate(cmd.witnesses)
    )
    if len({w.name for w in witnesses}) != len(witnesses):
        raise Validation("witnesses", "a witness is named twice")
    item_id = DELIVERY_ITEM[recipient]
    return [
        ev.DecisionDelivered(
            cmd.decision_id, recipient, means, at, receipt, cmd.refused_to_sign, witnesses, cmd.by.user, item_id
        )
    ]


def _owned(state: Decision, item_id: str, owns) -> ItemState:
    """The item, if the caller's agency or office owns it; NotFound otherwise (as for an unknown one)."""
    found = state.items.get((item_id or "").strip())
    if found is None or not owns(found.item):
        raise NotFound("execution item", f"{state.decision_id}/{item_id}")
    return found


def report_item(cmd: c.ReportItem, state: Decision, policy: DecisionPolicy) -> list:
    _require(state, IN_EFFECT, "report an execution item (the decision is not issued)")
    found = _owned(state, cmd.item_id, lambda i: i.agency == cmd.by.agency)
    item = found.item
    if item.kind in (it.DELIVER_PERSON, it.DELIVER_UNIT):
        raise IllegalState(found.status, f"report {item.item_id}: a delivery is completed by RecordDelivery")
    if found.status == DONE:
        raise IllegalState(DONE, f"report {item.item_id} again")
    at = moment(cmd.done_at, "done_at")
    if policy.day(at) < state.issued.start:
        raise Validation("done_at", f"must not be before the issue ({state.issued.start})")
    return [
        ev.ExecutionItemReported(
            cmd.decision_id,
            item.item_id,
            item.kind,
            cmd.by.agency,
            cmd.by.office,
            cmd.by.user,
            at,
            _sha256(cmd.receipt_sha256, "receipt_sha256"),
            _optional(cmd.note, "note", NOTE_LIMIT),
        )
    ]


def record_blockage(cmd: c.RecordBlockage, state: Decision, policy: DecisionPolicy) -> list:
    _require(state, IN_EFFECT, "record a blockage (the decision is not issued)")
    found = _owned(state, cmd.item_id, lambda i: i.office == cmd.by.office)
    if found.status == DONE:
        raise IllegalState(DONE, f"record a blockage of {found.item.item_id}")
    cause = it.check_cause(cmd.cause)
    note = _optional(cmd.note, "note", NOTE_LIMIT)
    return [ev.ExecutionBlockageRecorded(cmd.decision_id, found.item.item_id, cause, note, cmd.by.user, cmd.by.office)]


def required_sanction(family: str, intentional: bool) -> str:
    """G12 (PSL 14): an intentional crime, any sentence (a suspended one included) → 开除 for a
    government decision. A Party decision: "" (party.py states no such rule; the re-decision
    follows the changed facts)."""
    return g.DISMISSAL if intentional and family == s.GOVERNMENT else ""


def record_judgment(cmd: c.RecordJudgment, state: Decision, policy: DecisionPolicy) -> list:
    _require(state, IN_EFFECT, "record a criminal judgment")
    judgment = _document(cmd.judgment, "judgment")
    if judgment is None:
        raise Validation("judgment", "is required")
    number = _line(cmd.judgment_number, "judgment_number", LINE_LIMIT)
    sentence = _line(cmd.sentence, "sentence", LINE_LIMIT)
    return [
        ev.CriminalJudgmentRecorded(
            cmd.decision_id,
            judgment,
            number,
            cmd.intentional,
            sentence,
            cmd.by.user,
            required_sanction(state.family, cmd.intentional),
        )
    ]


_DECIDE = {
    c.OpenDecision: open_decision,
    c.RecordImpact: record_impact,
    c.DraftDecision: draft,
    c.ApproveDecision: approve,
    c.IssueDecision: issue,
    c.RecordDelivery: deliver,
    c.ReportItem: report_item,
    c.RecordBlockage: record_blockage,
    c.RecordJudgment: record_judgment,
}


def decide(command, state: Decision, policy: DecisionPolicy = DEFAULT_POLICY) -> list:
    """The events of `command` on `state`; raises (and so changes nothing) if it is refused."""
    if state.decision_id and command.decision_id != state.decision_id:
        raise Validation("decision_id", f"the command is for {command.decision_id}, this is {state.decision_id}")
    return _DECIDE[type(command)](command, state, policy)
