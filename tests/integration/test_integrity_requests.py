"""Integrity-opinion requests over gRPC on a real PostgreSQL (issue 26; domain.md §5, seed 004).

The audit service runs whole (its store, ledger, dossiers, IntegrityService); the candidates'
histories are the exact envelopes the clues, cases and sanctions services publish
(`tests.dossier_history`), recorded into the ledger as its consumer would. A request over candidates
in every situation gets the answer and reasons of §5 for each; the liaison offices sign off their
own candidates, the head signs the reply; every refusal names the field, the state or the missing
right. Every step is an event of audit's own on `integrity-<uuid>`.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta

import grpc
import pytest

from audit.v1 import integrity_pb2 as pb, integrity_pb2_grpc
from common.v1 import identity_pb2
from kernel.domain.principal import Principal
from kernel.eventstore.envelope import parse
from kernel.runtime.settings import extend
from services.audit.main import AuditSettings, build as build_audit
from tests import dossier_history as h
from tests.factories import call_metadata, service_settings, wait_until

ORG = Principal("organisation_department", "cadre_management", "partner_system", "u-org")
PROSECUTOR = Principal("procuratorate", "prosecution_intake", "partner_system", "u-proc")
S1 = Principal("commission", "supervision_1", "supervisor", "u-s1")
S2 = Principal("commission", "supervision_2", "supervisor", "u-s2")
HEAD = Principal("commission", "leadership", "commission_head", "u-head")
CASE_MANAGER = Principal("commission", "case_management", "case_manager", "u-cm")

A = pb.IntegrityAnswer
NO, PENDING, OBJECTION = A.INTEGRITY_ANSWER_NO_OBJECTION, A.INTEGRITY_ANSWER_PENDING, A.INTEGRITY_ANSWER_OBJECTION
TODAY = date.today()
INTENDED = TODAY + timedelta(days=10)
GOV_START = TODAY - timedelta(days=90)

# situation -> (builder and its date, the answer of §5, the checks that must be among the reasons)
SITUATIONS = {
    "clean": (lambda p: h.clean(p), NO, set()),
    "concluded_clue": (lambda p: h.concluded_clue(p, TODAY - timedelta(days=200)), NO, set()),
    "open_clue": (lambda p: h.open_clue(p, TODAY - timedelta(days=60)), PENDING, {"OPEN_CLUE"}),
    "filing_awaiting_approval": (
        lambda p: h.filing_awaiting_approval(p, TODAY - timedelta(days=100)),
        PENDING,
        {"FILING_AWAITING_APPROVAL"},
    ),
    "open_case": (lambda p: h.open_case(p, TODAY - timedelta(days=150)), OBJECTION, {"OPEN_CASE"}),
    "party_sanction_in_period": (
        lambda p: h.party_sanction_in_period(p, TODAY - timedelta(days=90)),
        OBJECTION,
        {"PARTY_SANCTION_PERIOD"},
    ),
    "government_sanction_in_period": (
        lambda p: h.government_sanction_in_period(p, GOV_START),
        OBJECTION,
        {"GOVERNMENT_SANCTION_PERIOD"},
    ),
    "expired_sanction": (lambda p: h.expired_sanction(p, TODAY - timedelta(days=400)), NO, set()),
    "admonishment_in_period": (
        lambda p: h.admonishment_in_period(p, TODAY - timedelta(days=60)),
        OBJECTION,
        {"IMPACT_PERIOD"},
    ),
}
S2_CANDIDATE = "open_case"  # the one candidate liaised by supervision_2; the others by the default (supervision_1)


@pytest.fixture
async def audit(database_url, bootstrap, tmp_path):
    prefix = f"ir{uuid.uuid4().hex[:8]}"
    settings = extend(
        AuditSettings,
        service_settings("audit", database_url, bootstrap, prefix, tmp_path, database_schema=f"audit_{prefix}"),
        checkpoint_seconds=3600,
    )
    host = await build_audit(settings).start()
    yield host
    await host.stop()


@pytest.fixture
async def world(audit):
    """The audit service with one person per situation recorded; the stub and the persons."""
    tag = uuid.uuid4().hex[:6]
    persons = {name: f"p-{name.replace('_', '-')}-{tag}" for name in SITUATIONS}
    raws = [r for name, (build, _, _) in SITUATIONS.items() for r in build(persons[name])]
    await h.record(audit.parts.recorder, raws)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{audit.port}") as channel:
        yield audit, integrity_pb2_grpc.IntegrityServiceStub(channel), persons


def md(host, principal: Principal, request_id: str | None = None):
    return call_metadata(host.settings, principal, request_id=request_id)


def candidate(person: str, office: str = "") -> pb.Candidate:
    return pb.Candidate(
        person=identity_pb2.PersonRef(person_id=person, name=f"干部{person}", post="副局长", unit="县某局"),
        liaison_office=office,
    )


def submission(persons: dict[str, str], intended: date = INTENDED, **kw) -> pb.SubmitIntegrityRequestRequest:
    fields = dict(
        reference="组干函〔2026〕26号",
        intended_use=pb.INTENDED_USE_PROMOTION,
        intended_date=intended.isoformat(),
        candidates=[candidate(p, "supervision_2" if name == S2_CANDIDATE else "") for name, p in persons.items()],
    )
    fields.update(kw)
    return pb.SubmitIntegrityRequestRequest(**fields)


async def refused(call, code: grpc.StatusCode) -> str:
    with pytest.raises(grpc.aio.AioRpcError) as e:
        await call
    assert e.value.code() == code, e.value.details()
    return e.value.details()


async def test_every_situation_gets_the_answer_and_reasons_of_domain_5(world):
    host, stub, persons = world
    answer = await stub.SubmitIntegrityRequest(submission(persons), metadata=md(host, ORG, "ir-every-1"))
    r = answer.request
    assert r.request_id.startswith("integrity-") and r.state == "PROPOSED"
    assert r.requested_by_agency == "organisation_department" and r.intended_date == INTENDED.isoformat()
    assert r.tree_size > 0 and r.due_at.ToDatetime() > r.received_at.ToDatetime()  # [request] due_hours
    by_person = {c.person.person_id: c for c in r.candidates}
    for name, (_, expected, checks) in SITUATIONS.items():
        c = by_person[persons[name]]
        found = {x.check for x in c.reasons}
        assert c.proposed == expected, (name, pb.IntegrityAnswer.Name(c.proposed), [x.text for x in c.reasons])
        assert checks <= found, (name, found)
        if expected == NO:
            assert not [x for x in c.reasons if x.answer != NO], name
            assert c.reply_text.endswith("对其使用不持异议。")
        assert all(x.ref and x.rule and x.text for x in c.reasons)
        assert c.liaison_office == ("supervision_2" if name == S2_CANDIDATE else "supervision_1")
        assert h.INFORMANT_MARKER not in str(c)  # informants sealed (domain.md §2)
    assert (r.no_objection, r.pending, r.objection) == (3, 2, 4)
    # the open clue fast-tracked (seed 004); an OBJECTION candidate's clue is not
    open_clue = by_person[persons["open_clue"]]
    assert list(open_clue.fast_tracked_clues) == [x.ref for x in open_clue.reasons if x.check == "OPEN_CLUE"]
    assert not by_person[persons["open_case"]].fast_tracked_clues
    # the same x-request-id answers the same request; the events are audit's own
    again = await stub.SubmitIntegrityRequest(submission(persons), metadata=md(host, ORG, "ir-every-1"))
    assert again.request.request_id == r.request_id
    stored = (await host.store.read_streams([r.request_id]))[r.request_id]
    types = [parse(e.envelope).payload.TypeName() for e in stored]
    assert types[0] == "audit.v1.IntegrityRequestReceived"
    assert types[1:] == ["audit.v1.IntegrityFastTrackRequested"] * (len(types) - 1) and len(types) >= 2
    first = parse(stored[1].envelope)  # the fast track names the clue it hurries
    assert ("clue", open_clue.fast_tracked_clues[0], "fast-track") in {(k.kind, k.id, k.relation) for k in first.links}


async def test_intended_date_after_the_period_ends_no_objection_domain_5(world):
    host, stub, persons = world
    only = {"government_sanction_in_period": persons["government_sanction_in_period"]}
    end = h.add_months(GOV_START, 12)  # G1 (PSL 8): 记过 12 months, the end exclusive
    before = await stub.SubmitIntegrityRequest(
        submission(only, end - timedelta(days=1)), metadata=md(host, ORG, "ir-end-1")
    )
    after = await stub.SubmitIntegrityRequest(submission(only, end), metadata=md(host, ORG, "ir-end-2"))
    assert before.request.candidates[0].proposed == OBJECTION
    assert after.request.candidates[0].proposed == NO


async def test_sign_offs_and_the_heads_reply_domain_5(world):
    host, stub, persons = world
    r = (await stub.SubmitIntegrityRequest(submission(persons), metadata=md(host, ORG, "ir-sign-1"))).request
    rid = r.request_id
    # the head cannot sign before every candidate is signed off: FAILED_PRECONDITION naming them
    details = await refused(
        stub.SignIntegrityReply(pb.SignIntegrityReplyRequest(request_id=rid), metadata=md(host, HEAD, "ir-sign-h0")),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    assert persons["open_case"] in details and persons["clean"] in details
    # an office signs off only its own candidates
    theirs = pb.CandidateSignOff(person_id=persons["open_case"])
    await refused(
        stub.SignOffCandidates(
            pb.SignOffCandidatesRequest(request_id=rid, candidates=[theirs]), metadata=md(host, S1, "ir-sign-s1x")
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    # changing the proposed answer needs a comment
    changed = pb.CandidateSignOff(person_id=persons["open_clue"], answer=NO)
    details = await refused(
        stub.SignOffCandidates(
            pb.SignOffCandidatesRequest(request_id=rid, candidates=[changed]), metadata=md(host, S1, "ir-sign-s1c")
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert "candidates[0].comment" in details
    s2 = await stub.SignOffCandidates(pb.SignOffCandidatesRequest(request_id=rid), metadata=md(host, S2, "ir-s2"))
    assert [c.person.person_id for c in s2.request.candidates] == [persons["open_case"]]  # its own only
    assert s2.request.candidates[0].answer == OBJECTION and s2.request.candidates[0].signed_off_by == "u-s2"
    with_reason = pb.CandidateSignOff(person_id=persons["open_clue"], answer=PENDING, comment="已督办，限期核实")
    await stub.SignOffCandidates(
        pb.SignOffCandidatesRequest(request_id=rid, candidates=[with_reason]), metadata=md(host, S1, "ir-s1a")
    )
    rest = await stub.SignOffCandidates(pb.SignOffCandidatesRequest(request_id=rid), metadata=md(host, S1, "ir-s1b"))
    assert rest.request.state == "SIGNED_OFF"
    replied = await stub.SignIntegrityReply(
        pb.SignIntegrityReplyRequest(request_id=rid), metadata=md(host, HEAD, "ir-sign-h1")
    )
    q = replied.request
    assert (q.state, q.signed_by) == ("REPLIED", "u-head") and q.replied_at.seconds > 0
    by_person = {c.person.person_id: c for c in q.candidates}
    assert by_person[persons["clean"]].reply_text.endswith("对其使用不持异议。")
    assert "正在核实" in by_person[persons["open_clue"]].reply_text
    assert "持有异议" in by_person[persons["open_case"]].reply_text
    # nothing after the reply
    await refused(
        stub.SignOffCandidates(pb.SignOffCandidatesRequest(request_id=rid), metadata=md(host, S1, "ir-s1c")),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    await refused(
        stub.SignIntegrityReply(pb.SignIntegrityReplyRequest(request_id=rid), metadata=md(host, HEAD, "ir-sign-h2")),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    stored = (await host.store.read_streams([rid]))[rid]
    assert parse(stored[-1].envelope).payload.TypeName() == "audit.v1.IntegrityReplySigned"

    # the reply reaches the organisation department through its feed (relayed, ledgered, fed)
    async def fed():
        rows = await host.parts.feeds.page("organisation_department", 0, 10_000)
        return [r for r in rows if r["event_type"] == "audit.v1.IntegrityReplySigned" and r["stream_id"] == rid]

    await wait_until(fed, 30, "the reply in the organisation department's feed")
    entry = json.loads((await fed())[0]["entry"])
    lines = entry["view"]["replies"]
    assert len(lines) == len(persons) and {"person_id", "name", "answer", "reply_text"} >= set(lines[0])
    assert "reasons" not in json.dumps(entry) and "signed_by" not in entry["view"]
    # reading: the asking agency and the head see it; another partner agency does not
    got = await stub.GetIntegrityRequest(pb.GetIntegrityRequestRequest(request_id=rid), metadata=md(host, ORG))
    assert len(got.request.candidates) == len(persons)
    await refused(
        stub.GetIntegrityRequest(pb.GetIntegrityRequestRequest(request_id=rid), metadata=md(host, PROSECUTOR)),
        grpc.StatusCode.NOT_FOUND,
    )
    listed = await stub.ListIntegrityRequests(pb.ListIntegrityRequestsRequest(state="REPLIED"), metadata=md(host, ORG))
    assert rid in [x.request_id for x in listed.requests] and not listed.requests[0].candidates
    assert not (
        await stub.ListIntegrityRequests(pb.ListIntegrityRequestsRequest(), metadata=md(host, PROSECUTOR))
    ).requests


async def test_refusals_name_the_field_or_the_missing_right(world):
    host, stub, persons = world
    one = {"clean": persons["clean"]}
    # only the organisation department asks: another agency, or a commission office, is refused
    await refused(
        stub.SubmitIntegrityRequest(submission(one), metadata=md(host, PROSECUTOR, "ir-bad-1")),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    await refused(
        stub.SubmitIntegrityRequest(submission(one), metadata=md(host, S1, "ir-bad-2")),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    cases = [
        ("intended_date", submission(one, TODAY - timedelta(days=30))),
        ("intended_date", submission(one, intended_date="2026-13-01")),
        ("candidates[1].person.person_id", submission(one, candidates=[candidate("p-x"), candidate("p-x")])),
        ("candidates[0].liaison_office", submission(one, candidates=[candidate("p-y", "no_such_office")])),
        ("intended_use", submission(one, intended_use=pb.INTENDED_USE_UNSPECIFIED)),
    ]
    for k, (field, request) in enumerate(cases):
        details = await refused(
            stub.SubmitIntegrityRequest(request, metadata=md(host, ORG, f"ir-bad-f{k}")),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        assert field in details, (field, details)
    await refused(
        stub.GetIntegrityRequest(
            pb.GetIntegrityRequestRequest(request_id=f"integrity-{uuid.uuid4()}"), metadata=md(host, ORG)
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    # SL 67: a supervisor who is a candidate neither reads nor signs off the request about them
    officer = Principal("commission", "supervision_1", "supervisor", f"u-cand-{uuid.uuid4().hex[:6]}")
    about = await stub.SubmitIntegrityRequest(
        submission(one, candidates=[candidate(officer.user)]), metadata=md(host, ORG, "ir-bad-sl67")
    )
    rid = about.request.request_id
    await refused(
        stub.SignOffCandidates(pb.SignOffCandidatesRequest(request_id=rid), metadata=md(host, officer, "ir-sl67-1")),
        grpc.StatusCode.NOT_FOUND,
    )
    await refused(
        stub.GetIntegrityRequest(pb.GetIntegrityRequestRequest(request_id=rid), metadata=md(host, officer)),
        grpc.StatusCode.NOT_FOUND,
    )


async def test_get_dossier_need_to_know_and_on_the_record(world):
    host, stub, persons = world
    person = persons["open_clue"]
    seen = await stub.GetDossier(
        pb.GetDossierRequest(person_id=person, purpose="干部任用前廉政审核"), metadata=md(host, CASE_MANAGER)
    )
    assert [(i.kind, i.open) for i in seen.items] == [(pb.DOSSIER_ITEM_KIND_CLUE, True)] and seen.tree_size > 0
    # supervision_2 neither holds nor liaises for that clue: it sees nothing, as of a person unknown
    other = await stub.GetDossier(pb.GetDossierRequest(person_id=person, purpose="核查"), metadata=md(host, S2))
    assert not other.items
    await refused(
        stub.GetDossier(pb.GetDossierRequest(person_id=person, purpose="x"), metadata=md(host, ORG)),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    rows = await host.pool.fetch(
        f"SELECT envelope FROM {host.settings.schema}.events WHERE stream_id LIKE 'read-%' ORDER BY position"
    )
    recorded = [parse(bytes(r["envelope"])) for r in rows]
    about = [e for e in recorded if ("person", person) in {(k.kind, k.id) for k in e.links}]
    assert len(about) == 2 and {e.principal.user for e in about} == {"u-cm", "u-s2"}


async def test_list_newest_first_in_pages_each_reader_its_own(world):
    host, stub, persons = world
    one = {"clean": persons["clean"]}
    first = (await stub.SubmitIntegrityRequest(submission(one), metadata=md(host, ORG, "ir-list-1"))).request
    s2_only = {"open_case": persons["open_case"]}
    second = (await stub.SubmitIntegrityRequest(submission(s2_only), metadata=md(host, ORG, "ir-list-2"))).request
    page1 = await stub.ListIntegrityRequests(pb.ListIntegrityRequestsRequest(page_size=1), metadata=md(host, HEAD))
    assert [r.request_id for r in page1.requests] == [second.request_id] and page1.next_page_token
    page2 = await stub.ListIntegrityRequests(
        pb.ListIntegrityRequestsRequest(page_size=1, page_token=page1.next_page_token), metadata=md(host, HEAD)
    )
    assert [r.request_id for r in page2.requests] == [first.request_id]
    assert (page2.requests[0].no_objection, page2.requests[0].state) == (1, "PROPOSED")
    # a liaison office lists the requests with candidates of its own
    mine = await stub.ListIntegrityRequests(pb.ListIntegrityRequestsRequest(), metadata=md(host, S2))
    assert [r.request_id for r in mine.requests] == [second.request_id]
    await refused(
        stub.ListIntegrityRequests(
            pb.ListIntegrityRequestsRequest(state="PROPOSED", page_token=page1.next_page_token), metadata=md(host, HEAD)
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
