"""A disposed case's decisions (domain.md §4): the sanctions service opens one per family from
CaseDisposed; case management drafts the government one with its review route (G13, PSL 45), the
county Party committee approves it (sanctions.toml [issue]), the head issues it; it is delivered
to the person and the unit (PSL 46) and the archives and the personnel bureau report their
execution items done, receipts by hash (P9/G14). The Party decision is left awaiting its draft,
so case management's queue has something in it."""

from __future__ import annotations

from dataclasses import dataclass

from sanctions.v1 import events_pb2 as sev
from tools.demo.cast import CASE_MANAGER, COMMITTEE, HEAD, REPORTERS
from tools.demo.plan import CaseSpec, digest
from tools.demo.session import Session
from tools.demo.steps import PURPOSE

SANCTION_ZH = {"GOVERNMENT_DEMOTION": "降级", "GOVERNMENT_MAJOR_DEMERIT": "记大过", "GOVERNMENT_DEMERIT": "记过"}
ROUTE = sev.ReviewRoute(review_body="县监委", recheck_body="市监委", apply_within_months=1)


@dataclass(frozen=True)
class Decisions:
    government: str
    party: str


async def opened(s: Session, case_id: str) -> Decisions:
    """The two decisions once the sanctions service has opened them from Kafka."""

    async def both():
        listed = await s.read("SanctionService.ListDecisions", CASE_MANAGER, case_id=case_id, purpose=PURPOSE)
        return listed.decisions if len(listed.decisions) >= 2 else None

    found = {d.family: d.decision_id for d in await s.wait(both, f"the decisions of {case_id}")}
    return Decisions(found[sev.SANCTION_FAMILY_GOVERNMENT_SANCTION], found[sev.SANCTION_FAMILY_PARTY_SANCTION])


async def executed(s: Session, spec: CaseSpec, number: int, gid: str) -> None:
    k = spec.key
    draft = dict(
        decision_id=gid,
        title=f"关于给予{spec.person.name}同志{SANCTION_ZH[spec.government]}处分的决定",
        legal_basis=[spec.article, "政务处分法 art. 25"],
        review_route=ROUTE,
        announcement_scope="所在单位",
        gains_found=spec.gains_found,
    )
    await s.do("SanctionService.DraftDecision", CASE_MANAGER, f"{k}-draft", **draft)
    await s.do("SanctionService.ApproveDecision", COMMITTEE, f"{k}-draft-ok", decision_id=gid)
    issue = dict(decision_id=gid, document_number=f"县纪〔{s.at().ToDatetime().year}〕{number}号", decided_at=s.now())
    await s.do("SanctionService.IssueDecision", HEAD, f"{k}-issue", **issue)
    for recipient, name in ((sev.RECIPIENT_PERSON, "person"), (sev.RECIPIENT_UNIT, "unit")):
        delivery = dict(decision_id=gid, means=sev.DELIVERY_MEANS_IN_PERSON, delivered_at=s.now(), recipient=recipient)
        await s.do(
            "SanctionService.RecordDelivery",
            CASE_MANAGER,
            f"{k}-deliver-{name}",
            **delivery,
            receipt_sha256=digest(s.tag, k, name),
        )
    decision = await s.read("SanctionService.GetDecision", CASE_MANAGER, decision_id=gid, purpose=PURPOSE)
    for item in decision.items:
        who = REPORTERS.get(item.item.agency)
        if who is not None:
            report = dict(
                decision_id=gid,
                item_id=item.item.item_id,
                done_at=s.now(),
                receipt_sha256=digest(s.tag, k, item.item.item_id),
            )
            await s.do("ExecutionService.ReportItem", who, f"{k}-done-{item.item.item_id}", **report)


async def complete(s: Session, case_id: str) -> Decisions | None:
    """The case's decisions when the government one is issued and its partners' items reported."""
    listed = await s.read("SanctionService.ListDecisions", CASE_MANAGER, case_id=case_id, purpose=PURPOSE)
    found = {d.family: d.decision_id for d in listed.decisions}
    if len(found) < 2:
        return None
    gid = found[sev.SANCTION_FAMILY_GOVERNMENT_SANCTION]
    decision = await s.read("SanctionService.GetDecision", CASE_MANAGER, decision_id=gid, purpose=PURPOSE)
    owed = [i for i in decision.items if i.item.agency in REPORTERS and i.status != "DONE"]
    if decision.status != sev.DECISION_STATUS_ISSUED or owed:
        return None
    return Decisions(gid, found[sev.SANCTION_FAMILY_PARTY_SANCTION])
