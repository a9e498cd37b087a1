"""The decisions and the execution ledger over gRPC (issue 21 points 1, 3-5; domain.md §4): a
government 记过 opened from a disposal, drafted (G13's review route), issued by the commission head
(G1, G7, §4d items with their owner agencies and offices), delivered (G13, PSL 46: a refusal to
sign with two witnesses completes it, one does not), its items reported by their owning agencies (a
third agency NOT_FOUND), a blockage recorded by the owning office, the ledger's OVERDUE items with
their causes counted on the service's today, what is in force on a date, a criminal judgment (G12),
the same-level Party committee's approval where it manages the person (local), and bad input
refused naming the field or the state, leaving nothing behind."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import grpc
import pytest

from cases.v1 import events_pb2 as cev
from common.v1 import person_pb2
from control.v1 import control_pb2, control_pb2_grpc
from kernel.domain import facts as f, sanctions as s
from kernel.domain.principal import Principal
from kernel.eventstore.commands import CommandContext
from sanctions.v1 import events_pb2 as sev, service_pb2 as pb, service_pb2_grpc
from services.sanctions.adapters.mapping import EVENTS
from services.sanctions.adapters.translators import decision_id_for, impact_id_for
from services.sanctions.domain import commands as c
from services.sanctions.main import build
from tests.factories import ALICE, OPERATOR, call_metadata, service_settings, ts

CST = timezone(timedelta(hours=8))
AS_OF = datetime(2026, 1, 5, tzinfo=CST)
DISPOSED = datetime(2026, 3, 2, 10, tzinfo=CST)
DECIDED = datetime(2026, 3, 10, 10, tzinfo=CST)
ST = cev.SanctionType
HEAD = Principal("commission", "leadership", "commission_head", "u-head")
COMMITTEE = Principal("party_committee", "committee_leadership", "party_committee_head", "u-party")
REVIEWER = Principal("commission", "trial_review", "trial_reviewer", "u-trial")
ARCHIVES = Principal("archives", "personnel_files", "partner_system", "u-archives-gateway")
FINANCE = Principal("finance_bureau", "treasury", "partner_officer", "u-treasury")
BRANCH = Principal("party_organisation", "party_branch", "partner_officer", "u-branch")
UNIT = Principal("employer_unit", "unit_office", "partner_officer", "u-unit")
SYSTEM = Principal.system("sanctions-decisions")
SHA = "ab" * 32


def sha(n: int) -> str:
    return f"{n:064x}"


def sanctions_host(letters: str, folder: str):
    """A module's fixture: the sanctions service (clock settable) under the topic prefix `letters` +
    8 hex digits, its data in a temporary `folder`."""

    @pytest.fixture(scope="module")
    async def host(database_url, bootstrap, tmp_path_factory):
        prefix = f"{letters}{uuid.uuid4().hex[:8]}"
        settings = service_settings(
            "sanctions", database_url, bootstrap, prefix, tmp_path_factory.mktemp(folder), test_mode=True
        )
        host = await build(settings).start()
        yield host
        await host.stop()

    return host


host = sanctions_host("sg", "sanctions")


class Edge:
    """The two services' stubs and the control stub of one running host, calls as a principal."""

    def __init__(self, host, channel):
        self.host = host
        self.decisions = service_pb2_grpc.SanctionServiceStub(channel)
        self.execution = service_pb2_grpc.ExecutionServiceStub(channel)
        self.control = control_pb2_grpc.ControlServiceStub(channel)

    def md(self, principal: Principal = ALICE, mutating: bool = True):
        return call_metadata(self.host.settings, principal, request_id=str(uuid.uuid4()) if mutating else None)

    async def set_clock(self, at: datetime) -> None:
        await self.control.SetClock(control_pb2.SetClockRequest(at=ts(at), freeze=True), metadata=self.md(OPERATOR))

    async def get(self, decision_id: str, principal: Principal = ALICE) -> pb.GetDecisionResponse:
        return await self.decisions.GetDecision(
            pb.GetDecisionRequest(decision_id=decision_id, purpose="test"), metadata=self.md(principal, False)
        )

    async def refused(self, call, request, principal: Principal = ALICE) -> grpc.aio.AioRpcError:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await call(request, metadata=self.md(principal))
        return err.value

    async def reads(self) -> int:
        """Reads on the record (`read-<uuid>` streams)."""
        async with self.host.pool.acquire() as conn:
            return await conn.fetchval(
                f"SELECT count(*) FROM {self.host.settings.schema}.events WHERE stream_id LIKE 'read-%'"
            )

    async def rows(self) -> int:
        """Events recorded (reads on the record aside) and requests remembered."""
        schema = self.host.settings.schema
        async with self.host.pool.acquire() as conn:
            events = await conn.fetchval(f"SELECT count(*) FROM {schema}.events WHERE stream_id NOT LIKE 'read-%'")
            requests = await conn.fetchval(f"SELECT count(*) FROM {schema}.requests")
        return events + requests


@pytest.fixture(scope="module")
async def edge(host):
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{host.port}")
    edge = Edge(host, channel)
    await edge.set_clock(DISPOSED + timedelta(days=1))
    yield edge
    await channel.close()


def handlers_of(host):
    """The decisions' handlers the service runs (its parts, or an attribute of them)."""
    parts = host.parts
    return getattr(parts, "handlers", None) or getattr(parts, "decisions", None) or parts


def person_facts(person_id: str, level: str = "") -> f.PersonFacts:
    src = person_pb2.FactSource(source="organisation_department", as_of=ts(AS_OF))
    msg = person_pb2.PersonFacts(
        person_id=person_id,
        party=person_pb2.PartyMembership(member=True, source=src),
        official=person_pb2.PublicOfficial(category="OFFICIAL_CATEGORY_CIVIL_SERVANT", source=src),
        service=person_pb2.Service(status="SERVICE_STATUS_SERVING", since=ts(AS_OF), source=src),
    )
    if level:
        msg.cadre.CopyFrom(person_pb2.Cadre(level=f"MANAGEMENT_LEVEL_{level}", source=src))
    return EVENTS.dataclass_of(f.PersonFacts, msg)


async def open_decision(
    host,
    person_id: str,
    level: str = "",
    sanction: str = "GOVERNMENT_DEMERIT",
    *,
    family=s.GOVERNMENT,
    article: str = "PSL 33",
    case_id: str | None = None,
) -> str:
    """What the inbound translator does for one person's combined sanction of `family` (the
    violation of `article`) in a CaseDisposed of `case_id` (a new one if None; issue 21 point 1),
    through the handlers the service runs."""
    case_id, source = case_id or f"case-{uuid.uuid4()}", str(uuid.uuid4())
    decision_id = decision_id_for(source, person_id, family)
    command = c.OpenDecision(
        decision_id=decision_id,
        case_id=case_id,
        clue_id=f"clue-{uuid.uuid4()}",
        person_id=person_id,
        family=family,
        combined=s.Combined(sanction, None, "SINGLE"),
        violations=(s.Violation(article, sanction),),
        consequences=(),
        serious=False,
        facts=person_facts(person_id, level),
        deliberation=None,
        disposed_at=DISPOSED,
        source_event_id=source,
        holder="investigation_1",
        liaison="",
        by=SYSTEM,
    )
    handlers = handlers_of(host)
    ctx = CommandContext(SYSTEM, str(uuid.uuid4()), "sanctions.open", str(uuid.uuid4()))
    await handlers.decisions.run(ctx, decision_id, command, host.clock.now(), new=True)
    return decision_id


def draft(decision_id: str, **kw) -> pb.DraftDecisionRequest:
    base = dict(
        decision_id=decision_id,
        title="关于给予张某某记过处分的决定",
        legal_basis=["《公职人员政务处分法》第三十三条"],
        review_route=sev.ReviewRoute(review_body="本委", recheck_body="市监委", apply_within_months=1),
        announcement_scope="所在单位",
        gains_found=True,
    )
    return pb.DraftDecisionRequest(**{**base, **kw})


def issue(decision_id: str, at: datetime = DECIDED) -> pb.IssueDecisionRequest:
    return pb.IssueDecisionRequest(decision_id=decision_id, document_number="京纪〔2026〕12号", decided_at=ts(at))


def witnesses(n: int) -> list[sev.Witness]:
    return [sev.Witness(name=f"证人{i}", capacity="所在单位工会主席") for i in range(n)]


def report(decision_id: str, item_id: str, n: int = 1) -> pb.ReportItemRequest:
    return pb.ReportItemRequest(
        decision_id=decision_id, item_id=item_id, done_at=ts(DECIDED + timedelta(days=3)), receipt_sha256=sha(n)
    )


async def test_a_decision_from_opening_to_its_ledger_g1_g7_g13_section_4d(edge):
    """G1 (PSL 8), G7 (PSL 19-21), G13 (PSL 46), §4d: open, draft, issue, deliver, report, block,
    overdue on the service's today, in force on a date, and G12's judgment."""
    decision_id = await open_decision(edge.host, "P-story")
    got = await edge.get(decision_id)
    assert (got.status, got.awaiting) == (sev.DECISION_STATUS_OPENED, "draft by case management")
    assert (got.family, got.sanction) == (sev.SANCTION_FAMILY_GOVERNMENT_SANCTION, ST.SANCTION_TYPE_GOVERNMENT_DEMERIT)

    drafted = await edge.decisions.DraftDecision(draft(decision_id), metadata=edge.md())
    assert drafted.decision.status == sev.DECISION_STATUS_DRAFTED
    # no committee manages this person (no cadre fact): its head approves nothing and, not being an
    # approver of this decision, may not know it (need to know: NOT_FOUND)
    err = await edge.refused(
        edge.decisions.ApproveDecision, pb.ApproveDecisionRequest(decision_id=decision_id), COMMITTEE
    )
    assert err.code() == grpc.StatusCode.NOT_FOUND

    await edge.set_clock(DECIDED + timedelta(days=1))
    issued = await edge.decisions.IssueDecision(issue(decision_id), metadata=edge.md(HEAD))
    assert issued.decision.status == sev.DECISION_STATUS_ISSUED
    items = {i.item_id: i for i in issued.items}
    assert {"DELIVER_PERSON", "DELIVER_UNIT", "PERSONNEL_FILE", "CONFISCATION"} <= set(items)
    assert (items["PERSONNEL_FILE"].agency, items["PERSONNEL_FILE"].office) == ("archives", "personnel_files")
    assert (items["CONFISCATION"].agency, items["CONFISCATION"].office) == ("finance_bureau", "treasury")
    got = await edge.get(decision_id)
    assert (got.start, got.end, got.document_number) == ("2026-03-10", "2027-03-10", "京纪〔2026〕12号")
    assert {x.kind for x in got.locks} >= {"PROMOTION_LOCK"}

    # G13 (PSL 46): a refusal to sign with one witness is refused, with two it completes the delivery
    await edge.set_clock(DECIDED + timedelta(days=5))
    refusal = dict(
        decision_id=decision_id,
        recipient=sev.RECIPIENT_PERSON,
        means=sev.DELIVERY_MEANS_LEFT_WITH_WITNESSES,
        delivered_at=ts(DECIDED + timedelta(hours=30)),
        receipt_sha256=SHA,
        refused_to_sign=True,
    )
    before = await edge.rows()
    err = await edge.refused(edge.decisions.RecordDelivery, pb.RecordDeliveryRequest(**refusal, witnesses=witnesses(1)))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "witnesses" in err.details()
    assert await edge.rows() == before
    delivered = await edge.decisions.RecordDelivery(
        pb.RecordDeliveryRequest(**refusal, witnesses=witnesses(2)), metadata=edge.md()
    )
    assert delivered.decision.status == sev.DECISION_STATUS_ISSUED
    err = await edge.refused(edge.decisions.RecordDelivery, pb.RecordDeliveryRequest(**refusal, witnesses=witnesses(2)))
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION and "PERSON" in err.details()

    # partner agencies report the items they own; a third agency is told NOT_FOUND
    done = await edge.execution.ReportItem(report(decision_id, "PERSONNEL_FILE"), metadata=edge.md(ARCHIVES))
    assert (done.item.status, done.item.receipt_sha256) == ("DONE", sha(1))
    if "FOLLOW_UP_VISIT" in items:
        done = await edge.execution.ReportItem(report(decision_id, "FOLLOW_UP_VISIT", 2), metadata=edge.md(BRANCH))
        assert done.item.status == "DONE"
    before = await edge.rows()
    for who, item_id in ((UNIT, "CONFISCATION"), (FINANCE, "PERSONNEL_FILE"), (ARCHIVES, "NO_SUCH_ITEM")):
        err = await edge.refused(edge.execution.ReportItem, report(decision_id, item_id), who)
        assert err.code() == grpc.StatusCode.NOT_FOUND, (who.agency, item_id)
    err = await edge.refused(edge.execution.ReportItem, report(decision_id, "PERSONNEL_FILE"), ARCHIVES)
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION and "DONE" in err.details()
    err = await edge.refused(edge.execution.ReportItem, report(decision_id, "DELIVER_UNIT"), ARCHIVES)
    assert err.code() == grpc.StatusCode.NOT_FOUND  # case management's item, not the archives'
    blockage = pb.RecordBlockageRequest(
        decision_id=decision_id, item_id="CONFISCATION", cause=sev.BLOCKAGE_CAUSE_INTER_DEPARTMENT, note="待财政局对接"
    )
    err = await edge.refused(edge.execution.RecordBlockage, blockage, ARCHIVES)
    assert err.code() == grpc.StatusCode.NOT_FOUND
    assert await edge.rows() == before

    blocked = await edge.execution.RecordBlockage(blockage, metadata=edge.md(FINANCE))
    assert (blocked.item.status, blocked.item.cause) == ("OPEN", sev.BLOCKAGE_CAUSE_INTER_DEPARTMENT)

    # the ledger on a later today: the open items past their due dates are OVERDUE, by cause
    await edge.set_clock(datetime(2026, 5, 20, 10, tzinfo=CST))
    ledger = await edge.execution.ListExecutionItems(
        pb.ListExecutionItemsRequest(decision_id=decision_id, status="OVERDUE", purpose="test"),
        metadata=edge.md(ALICE, False),
    )
    assert ledger.today == "2026-05-20"
    overdue = {i.item.item_id: i for i in ledger.items}
    assert set(overdue) == {"DELIVER_UNIT", "CONFISCATION"}
    assert overdue["CONFISCATION"].item.owner == "FINANCE"
    assert overdue["CONFISCATION"].cause == sev.BLOCKAGE_CAUSE_INTER_DEPARTMENT
    assert overdue["DELIVER_UNIT"].days_overdue > 0
    counts = {x.cause: x.count for x in ledger.overdue_by_cause}
    assert counts == {sev.BLOCKAGE_CAUSE_INTER_DEPARTMENT: 1, sev.BLOCKAGE_CAUSE_UNSPECIFIED: 1}
    by_cause = await edge.execution.ListExecutionItems(
        pb.ListExecutionItemsRequest(
            decision_id=decision_id, cause=sev.BLOCKAGE_CAUSE_INTER_DEPARTMENT, purpose="test"
        ),
        metadata=edge.md(ALICE, False),
    )
    assert [i.item.item_id for i in by_cause.items] == ["CONFISCATION"]
    mine = await edge.execution.ListExecutionItems(
        pb.ListExecutionItemsRequest(decision_id=decision_id, purpose="test"), metadata=edge.md(FINANCE, False)
    )
    assert {i.item.agency for i in mine.items} == {"finance_bureau"}  # a partner sees its own only
    paged = await edge.execution.ListExecutionItems(
        pb.ListExecutionItemsRequest(decision_id=decision_id, page_size=2, purpose="test"),
        metadata=edge.md(ALICE, False),
    )
    assert len(paged.items) == 2 and paged.next_page_token
    rest = await edge.execution.ListExecutionItems(
        pb.ListExecutionItemsRequest(decision_id=decision_id, page_token=paged.next_page_token, purpose="test"),
        metadata=edge.md(ALICE, False),
    )
    ids = [i.item.item_id for i in paged.items] + [i.item.item_id for i in rest.items]
    assert sorted(ids) == sorted(items) and len(ids) == len(set(ids))
    dues = [i.item.due for i in paged.items] + [i.item.due for i in rest.items]
    assert dues == sorted(dues)  # oldest due first

    # what is in force on the person on a date (G1: [start, end); G7's locks)
    async def in_force(on: datetime):
        return await edge.decisions.GetInForce(
            pb.GetInForceRequest(person_id="P-story", on=ts(on), purpose="test"), metadata=edge.md(ALICE, False)
        )

    inside = await in_force(datetime(2026, 6, 1, 10, tzinfo=CST))
    assert [(x.decision_id, x.sanction, x.start, x.end) for x in inside.in_force] == [
        (decision_id, ST.SANCTION_TYPE_GOVERNMENT_DEMERIT, "2026-03-10", "2027-03-10")
    ]
    assert {x.kind for x in inside.in_force[0].locks} >= {"PROMOTION_LOCK"}
    assert not (await in_force(datetime(2026, 3, 9, 10, tzinfo=CST))).in_force
    assert not (await in_force(datetime(2027, 3, 10, 10, tzinfo=CST))).in_force

    listed = await edge.decisions.ListDecisions(
        pb.ListDecisionsRequest(person_id="P-story", purpose="test"), metadata=edge.md(ALICE, False)
    )
    assert [d.decision_id for d in listed.decisions] == [decision_id]

    # G12 (PSL 14, 49): an intentional crime requires 开除; the decision is re-decided. Only case
    # management records a judgment (sanctions.judgment): the trial reviewer's role is refused.
    judgment = pb.RecordJudgmentRequest(
        decision_id=decision_id,
        judgment=sev.DocumentRef(title="刑事判决书", sha256=sha(9)),
        judgment_number="（2026）京0101刑初12号",
        intentional=True,
        sentence="SUSPENDED",
    )
    err = await edge.refused(edge.decisions.RecordJudgment, judgment, REVIEWER)
    assert err.code() == grpc.StatusCode.PERMISSION_DENIED
    judged = await edge.decisions.RecordJudgment(
        pb.RecordJudgmentRequest(
            decision_id=decision_id,
            judgment=sev.DocumentRef(title="刑事判决书", sha256=sha(9)),
            judgment_number="(2026)京0101刑初12号",
            intentional=True,
            sentence="SUSPENDED",
        ),
        metadata=edge.md(ALICE),
    )
    assert judged.decision.status == sev.DECISION_STATUS_REDECISION_REQUIRED
    assert judged.required_sanction == ST.SANCTION_TYPE_GOVERNMENT_DISMISSAL
    assert (await edge.get(decision_id)).required_sanction == ST.SANCTION_TYPE_GOVERNMENT_DISMISSAL


async def test_the_same_level_committee_approves_before_the_issue_where_it_manages_the_person(edge):
    """[issue] committee_approves (local): a county-level cadre's decision waits for the same-level
    Party committee; issuing before is FAILED_PRECONDITION naming DRAFTED."""
    await edge.set_clock(DECIDED + timedelta(days=1))
    decision_id = await open_decision(edge.host, "P-cadre", level="COUNTY")
    await edge.decisions.DraftDecision(draft(decision_id), metadata=edge.md())
    got = await edge.get(decision_id)
    assert got.awaiting == "approval by the same-level Party committee"
    before = await edge.rows()
    err = await edge.refused(edge.decisions.IssueDecision, issue(decision_id), HEAD)
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION and "DRAFTED" in err.details()
    assert await edge.rows() == before
    approved = await edge.decisions.ApproveDecision(
        pb.ApproveDecisionRequest(decision_id=decision_id), metadata=edge.md(COMMITTEE)
    )
    assert approved.decision.status == sev.DECISION_STATUS_COMMITTEE_APPROVED
    err = await edge.refused(
        edge.decisions.ApproveDecision, pb.ApproveDecisionRequest(decision_id=decision_id), COMMITTEE
    )
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION and "COMMITTEE_APPROVED" in err.details()
    issued = await edge.decisions.IssueDecision(issue(decision_id), metadata=edge.md(HEAD))
    assert issued.decision.status == sev.DECISION_STATUS_ISSUED


async def test_bad_input_is_refused_naming_the_field_or_the_state_and_leaves_nothing(edge):
    """INVALID_ARGUMENT names the field (G13's review route, the decision date before the
    disposal), FAILED_PRECONDITION names the state (issue before a draft, deliver before the
    issue), NOT_FOUND for an unknown decision, PERMISSION_DENIED for a partner reading; nothing
    recorded by any of them."""
    await edge.set_clock(DECIDED + timedelta(days=1))
    decision_id = await open_decision(edge.host, "P-bad")
    before, version = await edge.rows(), (await edge.get(decision_id)).version

    err = await edge.refused(edge.decisions.IssueDecision, issue(decision_id), HEAD)
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION and "OPENED" in err.details()
    delivery = pb.RecordDeliveryRequest(
        decision_id=decision_id,
        recipient=sev.RECIPIENT_UNIT,
        means=sev.DELIVERY_MEANS_POST,
        delivered_at=ts(DECIDED),
        receipt_sha256=SHA,
    )
    err = await edge.refused(edge.decisions.RecordDelivery, delivery)
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION and "OPENED" in err.details()
    # G13 (PSL 45): a government decision states the 复核 route too
    no_recheck = draft(decision_id, review_route=sev.ReviewRoute(review_body="本委", apply_within_months=1))
    err = await edge.refused(edge.decisions.DraftDecision, no_recheck)
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "review_route" in err.details()
    err = await edge.refused(edge.decisions.DraftDecision, draft(decision_id, title=""))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "title" in err.details()
    err = await edge.refused(edge.decisions.DraftDecision, draft(f"decision-{uuid.uuid4()}"))
    assert err.code() == grpc.StatusCode.NOT_FOUND
    err = await edge.refused(edge.decisions.DraftDecision, draft(decision_id), HEAD)
    assert err.code() == grpc.StatusCode.PERMISSION_DENIED
    err = await edge.refused(
        edge.decisions.GetDecision, pb.GetDecisionRequest(decision_id=decision_id, purpose="t"), ARCHIVES
    )
    assert err.code() == grpc.StatusCode.PERMISSION_DENIED
    err = await edge.refused(edge.decisions.ListDecisions, pb.ListDecisionsRequest(purpose="t"), ALICE)
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "case_id" in err.details()
    err = await edge.refused(
        edge.execution.ListExecutionItems, pb.ListExecutionItemsRequest(page_token="bm90LWEtdG9rZW4", purpose="t")
    )
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "page_token" in err.details()
    assert await edge.rows() == before
    assert (await edge.get(decision_id)).version == version

    await edge.decisions.DraftDecision(draft(decision_id), metadata=edge.md())
    before = await edge.rows()
    err = await edge.refused(edge.decisions.DraftDecision, draft(decision_id, expected_version=version))
    assert err.code() == grpc.StatusCode.ABORTED  # the stream moved on since the caller read it
    err = await edge.refused(edge.decisions.IssueDecision, issue(decision_id, DISPOSED - timedelta(days=2)), HEAD)
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "decided_at" in err.details()
    assert await edge.rows() == before


async def test_an_impact_is_in_force_for_its_configured_months_and_read_like_a_decision(edge):
    """§5 (impact periods, [impacts] local and unverified): a 诫勉 recorded from a disposal is in force
    from its day for ADMONISHMENT's months, read through GetDecision, ListDecisions and GetInForce;
    nothing to draft or deliver (FAILED_PRECONDITION naming IMPACT_RECORDED)."""
    await edge.set_clock(DECIDED + timedelta(days=1))
    source, case_id = str(uuid.uuid4()), f"case-{uuid.uuid4()}"
    impact_id = impact_id_for(source, "P-impact", "ADMONISHMENT")
    command = c.RecordImpact(
        decision_id=impact_id,
        kind="ADMONISHMENT",
        person_id="P-impact",
        case_id=case_id,
        clue_id="",
        decided_on=DECIDED.date(),
        article="Rules ch. 5",
        detail="诫勉谈话",
        source_event_id=source,
        by=SYSTEM,
        holder="investigation_1",
    )
    ctx = CommandContext(SYSTEM, str(uuid.uuid4()), "sanctions.open", str(uuid.uuid4()))
    await handlers_of(edge.host).decisions.run(ctx, impact_id, command, edge.host.clock.now(), new=True)

    reads = await edge.reads()
    got = await edge.get(impact_id)
    assert await edge.reads() == reads + 1  # the read is on the record (domain.md §1)
    assert (got.status, got.impact, got.family, got.start) == (
        sev.DECISION_STATUS_IMPACT_RECORDED,
        sev.IMPACT_KIND_ADMONISHMENT,
        sev.SANCTION_FAMILY_UNSPECIFIED,
        "2026-03-10",
    )
    end = edge.host.parts.rules.impacts.period("ADMONISHMENT", DECIDED.date())
    assert got.end == end.isoformat()
    listed = await edge.decisions.ListDecisions(
        pb.ListDecisionsRequest(case_id=case_id, purpose="test"), metadata=edge.md(ALICE, False)
    )
    assert [(d.decision_id, d.impact) for d in listed.decisions] == [(impact_id, sev.IMPACT_KIND_ADMONISHMENT)]
    inside = await edge.decisions.GetInForce(
        pb.GetInForceRequest(person_id="P-impact", on=ts(DECIDED), purpose="test"), metadata=edge.md(ALICE, False)
    )
    assert [(x.decision_id, x.impact, x.end) for x in inside.in_force] == [
        (impact_id, sev.IMPACT_KIND_ADMONISHMENT, got.end)
    ]
    today = await edge.decisions.GetInForce(
        pb.GetInForceRequest(person_id="P-impact", purpose="test"), metadata=edge.md(ALICE, False)
    )
    assert today.on == "2026-03-11" and len(today.in_force) == 1  # unset: the service's today
    err = await edge.refused(edge.decisions.DraftDecision, draft(impact_id))
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION and "IMPACT_RECORDED" in err.details()
