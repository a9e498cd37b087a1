"""The decision's commands of issue 21 (domain.md §4, §4d, §5): open from a disposal, draft,
the committee's approval, issue (THE SAME rules as PreviewDecision: `preview.preview`), delivery
(G13), item reports and blockages (§4d), a criminal judgment (G12), an impact record (§5); each
with the events it decides (`DECIDE`) and how they change the state (`EVOLVE`). Pure."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from kernel.domain import facts as f, sanctions as s
from kernel.domain.checks import moment, one_of, text
from kernel.domain.errors import Forbidden, IllegalState, NotFound, Validation
from kernel.domain.ids import check_stream_id
from services.sanctions.domain import commands as c, events as ev, government as g, issuing, items as it
from services.sanctions.domain.decision_state import (
    CLOSED,
    COMMISSION_HEAD,
    COMMITTEE_APPROVED,
    COMMITTEE_HEAD,
    DELIVERY_ITEM,
    DONE,
    DRAFTED,
    IMPACT_RECORDED,
    IN_EFFECT,
    ISSUED,
    LIFTED,
    LINE_LIMIT,
    MEANS,
    NONE,
    NOTE_LIMIT,
    OPENED,
    RECIPIENTS,
    REDECISION_REQUIRED,
    REVOKED,
    TITLE_LIMIT,
    Decision,
    DecisionPolicy,
    ItemState,
    as_refusal,
    check_document,
    check_sha256,
    committee_needed,
    one_line,
    optional_text,
    require_status,
    with_item,
)
from services.sanctions.domain.preview import Preview, preview


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
        raise as_refusal(e).within("combined") from None
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
            optional_text(cmd.article, "article", TITLE_LIMIT),
            optional_text(cmd.detail, "detail", NOTE_LIMIT),
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
    require_status(state, (OPENED, DRAFTED), "draft the decision")
    o = state.opened
    title = one_line(cmd.title, "title", TITLE_LIMIT)
    if not cmd.legal_basis:
        raise Validation("legal_basis", "at least one article")
    if len(cmd.legal_basis) > 10:
        raise Validation("legal_basis", "at most 10 articles")
    basis = tuple(one_line(b, f"legal_basis[{i}]", LINE_LIMIT) for i, b in enumerate(cmd.legal_basis))
    route = _route(o.family, cmd.review_route)
    scope = one_line(cmd.announcement_scope, "announcement_scope", LINE_LIMIT)
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
        check_document(cmd.removal_from_office, "removal_from_office"),
        cmd.by.user,
        cmd.probation_months or 0,
        cmd.in_lieu_of_removal,
    )
    # the rules as the issue will run them, on the disposal date (provisional decision date)
    run_rules(state, event, policy.day(o.disposed_at), policy)
    return [event]


def approve(cmd: c.ApproveDecision, state: Decision, policy: DecisionPolicy) -> list:
    require_status(state, (DRAFTED,), "approve the decision")
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
    require_status(state, (DRAFTED, COMMITTEE_APPROVED), "issue the decision")
    if state.status == DRAFTED and committee_needed(state, policy.rules):
        raise IllegalState(DRAFTED, "issue the decision before the same-level Party committee approves it")
    if cmd.by.role != COMMISSION_HEAD:
        raise Forbidden(f"only {COMMISSION_HEAD} may issue the decision, not {cmd.by.role}")
    number = one_line(cmd.document_number, "document_number", LINE_LIMIT)
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
    require_status(state, IN_EFFECT, "record a delivery")
    recipient = one_of(cmd.recipient, RECIPIENTS, "recipient")
    means = one_of(cmd.means, MEANS, "means")
    if recipient in state.deliveries:
        raise IllegalState(f"delivered to {recipient}", f"record a second delivery to {recipient}")
    at = moment(cmd.delivered_at, "delivered_at")
    if policy.day(at) < state.issued.start:
        raise Validation("delivered_at", f"must not be before the issue ({state.issued.start})")
    receipt = check_sha256(cmd.receipt_sha256, "receipt_sha256")
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
            one_line(w.name, f"witnesses[{i}].name", LINE_LIMIT),
            one_line(w.capacity, f"witnesses[{i}].capacity", LINE_LIMIT),
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


# Items are reported and blocked once issued, and still after a lift (G9: what was late is still
# owed) or a revocation (A5: its compensating items are executed then).
EXECUTING = (*IN_EFFECT, LIFTED, REVOKED)


def _owned(state: Decision, item_id: str, owns) -> ItemState:
    """The item, if the caller's agency or office owns it; NotFound otherwise (as for an unknown one)."""
    found = state.items.get((item_id or "").strip())
    if found is None or not owns(found.item):
        raise NotFound("execution item", f"{state.decision_id}/{item_id}")
    return found


def report_item(cmd: c.ReportItem, state: Decision, policy: DecisionPolicy) -> list:
    require_status(state, EXECUTING, "report an execution item (the decision is not issued)")
    found = _owned(state, cmd.item_id, lambda i: i.agency == cmd.by.agency)
    item = found.item
    if item.kind in (it.DELIVER_PERSON, it.DELIVER_UNIT):
        raise IllegalState(found.status, f"report {item.item_id}: a delivery is completed by RecordDelivery")
    if found.status in (DONE, CLOSED):  # CLOSED: no longer due after a review (A5)
        raise IllegalState(found.status, f"report {item.item_id} (it is {found.status.lower()})")
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
            check_sha256(cmd.receipt_sha256, "receipt_sha256"),
            optional_text(cmd.note, "note", NOTE_LIMIT),
        )
    ]


def record_blockage(cmd: c.RecordBlockage, state: Decision, policy: DecisionPolicy) -> list:
    require_status(state, EXECUTING, "record a blockage (the decision is not issued)")
    found = _owned(state, cmd.item_id, lambda i: i.office == cmd.by.office)
    if found.status in (DONE, CLOSED):
        raise IllegalState(found.status, f"record a blockage of {found.item.item_id}")
    cause = it.check_cause(cmd.cause)
    note = optional_text(cmd.note, "note", NOTE_LIMIT)
    return [ev.ExecutionBlockageRecorded(cmd.decision_id, found.item.item_id, cause, note, cmd.by.user, cmd.by.office)]


def required_sanction(family: str, intentional: bool) -> str:
    """G12 (PSL 14): an intentional crime, any sentence (a suspended one included) → 开除 for a
    government decision. A Party decision: "" (party.py states no such rule; the re-decision
    follows the changed facts)."""
    return g.DISMISSAL if intentional and family == s.GOVERNMENT else ""


def record_judgment(cmd: c.RecordJudgment, state: Decision, policy: DecisionPolicy) -> list:
    require_status(state, IN_EFFECT, "record a criminal judgment")
    judgment = check_document(cmd.judgment, "judgment")
    if judgment is None:
        raise Validation("judgment", "is required")
    number = one_line(cmd.judgment_number, "judgment_number", LINE_LIMIT)
    sentence = one_line(cmd.sentence, "sentence", LINE_LIMIT)
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


DECIDE = {
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


# --- evolve ----------------------------------------------------------------------------------------


def _delivered(state: Decision, e: ev.DecisionDelivered) -> Decision:
    items = with_item(state, e.item_id, status=DONE, done_at=e.delivered_at, receipt_sha256=e.receipt_sha256)
    return replace(state, deliveries={**state.deliveries, e.recipient: e}, items=items)


def _reported(state: Decision, e: ev.ExecutionItemReported) -> Decision:
    changes = dict(status=DONE, done_at=e.done_at, receipt_sha256=e.receipt_sha256, note=e.note)
    return replace(state, items=with_item(state, e.item_id, **changes, reported_by=e.reported_by))


EVOLVE = {
    ev.DecisionOpened: lambda state, e: Decision(e.decision_id, OPENED, opened=e),
    ev.ImpactRecorded: lambda state, e: Decision(e.decision_id, IMPACT_RECORDED, impact=e),
    ev.DecisionDrafted: lambda state, e: replace(state, status=DRAFTED, draft=e),
    ev.DecisionCommitteeApproved: lambda state, e: replace(state, status=COMMITTEE_APPROVED, approval=e),
    ev.DecisionIssued: lambda state, e: replace(
        state, status=ISSUED, issued=e, items={i.item_id: ItemState(i) for i in e.items}
    ),
    ev.DecisionDelivered: _delivered,
    ev.ExecutionItemReported: _reported,
    ev.ExecutionBlockageRecorded: lambda state, e: replace(
        state, items=with_item(state, e.item_id, cause=e.cause, note=e.note)
    ),
    ev.CriminalJudgmentRecorded: lambda state, e: replace(state, status=REDECISION_REQUIRED, judgment=e),
}
