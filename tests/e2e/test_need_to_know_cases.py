"""Need to know in the cases service (domain.md §1, issue 17), over gRPC on a real PostgreSQL and
broker.

Every CaseService RPC, called by an officer of another office (investigation_2 on a case held by
investigation_1 after its hand-over; supervision_2 on one held by supervision_1; and other
outsiders: the trial review office before any review, the deputy overseeing other offices, the
national head on a measure that does not need it), gets the answer an unknown id gets, NOT_FOUND
in the same words whenever the caller's role passes, and changes nothing. Each allowed actor (the
holder, the liaison supervision office after the hand-over, the trial review office from the
review on, the head and the Party committee head through approvals, the superior head on a measure
needing it, case management, the deputy overseeing the holder, a system component) reads, and acts
where its role allows. Reads are on the record with their purpose.
"""

import itertools
import uuid
from datetime import datetime, timezone

import grpc
import pytest

from cases.v1 import events_pb2 as cev, service_pb2 as cpb
from clues.v1 import events_pb2 as clues_pb2
from common.v1 import identity_pb2
from kernel.domain.principal import Principal
from kernel.eventstore import envelope as env_mod
from kernel.eventstore.envelope import NewEvent
from kernel.messaging.inbox import Source
from services.cases.adapters.translators import case_id_for
from services.cases.main import build as build_cases
from tests.e2e.platforms import e2e_settings
from tests.e2e.test_case_story import (
    PURPOSE,
    RECORDING,
    Cases,
    consultations,
    deliberation,
    leadership,
    reads_of,
    subject,
    topic_meeting,
    ts,
)
from tests.factories import ALICE, call_metadata, service_settings


def who(office: str, role: str, user: str, agency: str = "commission") -> Principal:
    return Principal(agency, office, role, user)


HEAD = who("leadership", "commission_head", "u-head")
COMMITTEE = who("committee_leadership", "party_committee_head", "u-party", "party_committee")
SUPERIOR = who("superior_leadership", "superior_head", "u-sup", "superior_commission")
NATIONAL = who("national_leadership", "national_head", "u-nat", "national_commission")
SUP1, SUP1_HEAD = who("supervision_1", "supervisor", "u-sup1"), who("supervision_1", "office_head", "u-sup1h")
SUP2, SUP2_HEAD = who("supervision_2", "supervisor", "u-sup2"), who("supervision_2", "office_head", "u-sup2h")
INV1, INV1_HEAD = who("investigation_1", "investigator", "u-inv1"), who("investigation_1", "office_head", "u-inv1h")
INV2, INV2_HEAD = who("investigation_2", "investigator", "u-inv2"), who("investigation_2", "office_head", "u-inv2h")
TRIAL = who("trial_review", "trial_reviewer", "u-trial")
DEPUTY1, DEPUTY2 = (
    who("deputy_leadership_1", "deputy_head", "u-dep1"),
    who("deputy_leadership_2", "deputy_head", "u-dep2"),
)
SYSTEM = Principal.system("walk")
CM = ALICE  # case management

# Outsiders of a case held by investigation_1 (liaison supervision_1, not yet reviewed) and of one
# held by supervision_1.
OUTSIDERS_OF_INVESTIGATION_1 = (INV2, INV2_HEAD, SUP2, SUP2_HEAD, TRIAL, DEPUTY2, NATIONAL)
OUTSIDERS_OF_SUPERVISION_1 = (SUP2, SUP2_HEAD, INV1, INV1_HEAD, INV2, TRIAL, DEPUTY2, NATIONAL)
# Only the commission head and the Party committee head (DisposeCase: or case management, which
# sees all) may call these, and every filed case names both through its filing approvals: no
# outsider passes the role check. (The trial review's approvals include the responsible deputy's,
# Rules 55: an outsider deputy passes the role check and gets NOT_FOUND.)
LEADERS_ONLY = {
    "ApproveFiling",
    "FastTrackFiling",
    "RejectFiling",
    "RecordTopicMeeting",
    "DisposeCase",
    "WithdrawCase",
    "OpenAccountabilityCase",
    "ApproveHandOver",
    "RejectHandOver",
    "TransferCustody",  # case management only (IR2025 134), which sees all
}
OUTCOME = [cev.Outcome(kind=cev.OUTCOME_KIND_NO_SANCTION, person_id="P-77")]
CRITERIA = [cev.Criterion(criterion=k, met=True) for k in range(1, 9)]


def requests(case_id: str, measure_id: str) -> dict[str, dict]:
    """A well-formed request of every RPC but ListMeasures, on `case_id` or `measure_id`."""
    now = ts(datetime.now(timezone.utc))
    case, measure = {"case_id": case_id}, {"measure_id": measure_id}
    return {
        "GetCase": {**case, "purpose": PURPOSE},
        "GetMeasure": {**measure, "purpose": PURPOSE},
        "ApproveFiling": {**case, "side": cev.FILING_SIDE_PARTY},
        "FastTrackFiling": {**case, "report": "clear facts"},
        "RejectFiling": {**case, "reason": "weak"},
        "PrepareFiling": {**case, "subjects": [subject(cev.AT_ISSUE_BOTH)]},
        "RecordTopicMeeting": {**case, "meeting": topic_meeting()},
        "StartInvestigation": {**case, "announced_at": now, "unit_notified_at": now},
        "SendToTrialReview": {**case, "report": "report"},
        "ReturnFromTrialReview": {**case, "to": cev.RETURN_TARGET_REINVESTIGATE, "reason": "unclear"},
        "ExtendTrialReview": {**case, "reason": "complex"},
        "ApproveTrialReviewReturn": case,
        "RejectTrialReviewReturn": {**case, "reason": "facts clear"},
        "ConcludeTrialReview": {**case, "proposals": OUTCOME},
        "HearSubject": {**case, "person_id": "P-77", "statement": "none", "proposals": OUTCOME},
        "DisposeCase": {**case, "outcomes": OUTCOME, "deliberation": deliberation(5), "consultations": consultations()},
        "WithdrawCase": {**case, "reason": "no evidence", "unit_told_at": now},
        "OpenAccountabilityCase": {
            **case,
            "subjects": [identity_pb2.PersonRef(person_id="P-90", name="Qian Shi")],
            "reason": "oversight failed",
        },
        "RecordActivity": {**case, "activity": cev.RECORDED_ACTIVITY_INTERROGATION, "recording": RECORDING},
        "GradeQuality": {**case, "grade": cev.QUALITY_GRADE_PASS, "criteria": CRITERIA},
        "RequestMeasure": {**case, "kind": cev.MEASURE_KIND_SEARCH, "person_id": "P-77", "reason": "needed"},
        "ApproveMeasure": measure,
        "RefuseMeasure": {**measure, "reason": "no"},
        "GiveDetentionNotice": {**measure, "unit_notified_at": now, "family_notified_at": now},
        "ExtendMeasure": {**measure, "reason": "more time"},
        "RecordNationalFiling": {**measure, "filed_at": now, "reference": "省纪委备〔2026〕1号"},
        "RecountDetention": {
            **measure,
            "discovered_at": now,
            "ground": cpb.RECOUNT_GROUND_DIFFERENT_CRIME,
            "charge": cev.Charge(crime="贪污罪", job_crime=True, sentence_band=cev.SENTENCE_BAND_TEN_YEARS_OR_MORE),
            "reason": "another crime",
        },
        "EndMeasure": {**measure, "outcome": cev.MEASURE_OUTCOME_RELEASED, "reason": "done"},
        # the duties common to measures (SL 44, 50; IR2025 134)
        "RecordMeasureExecution": {
            **measure,
            "staff": [
                cev.ExecutingStaff(name="Wang", id_number="JC-1"),
                cev.ExecutingStaff(name="Li", id_number="JC-2"),
            ],
            "written_notice": cev.DocumentRef(title="留置决定书", sha256="ab" * 32),
            "signed_record": cev.DocumentRef(title="笔录", sha256="cd" * 32),
            "executed_at": now,
        },
        "DeferNotice": {**measure, "reason": "would obstruct"},
        "EndNoticeDeferral": {**measure, "reason": "no longer"},
        "GiveReleaseNotice": {**measure, "unit_notified_at": now, "family_notified_at": now},
        "RequestMeasureChange": {
            **measure,
            "applicant": cev.CHANGE_APPLICANT_PERSON,
            "applicant_name": "Zhou Ba",
            "asked": cev.CHANGE_ASKED_LIFT,
            "grounds": "ill health",
        },
        "DecideMeasureChange": {**measure, "change_id": "change-1", "reasons": "risk remains"},
        "TransferCustody": {
            **measure,
            "document": cev.DocumentRef(title="羁押回执", sha256="ef" * 32),
            "taken_at": now,
        },
        # the person's safeguards (SL 26, 28, 69)
        "RecordUnrelatedProperty": {**measure, "what": "the spouse's salary"},
        "FileMeasureComplaint": {
            **measure,
            "complainant": cev.COMPLAINANT_PERSON,
            "complainant_name": "Zhou Ba",
            "ground": cev.COMPLAINT_GROUND_PAST_LIMIT,
            "detail": "held past the limit",
        },
        "DecideMeasureComplaint": {**measure, "complaint_id": "complaint-1", "reasons": "lawful"},
        "SeekComplaintReview": {**measure, "complaint_id": "complaint-1"},
        "ProposeHandOver": {**case, "to_office": "investigation_2", "reason": "busy"},
        "ApproveHandOver": case,
        "RejectHandOver": {**case, "reason": "no"},
    }


OFFSETS = itertools.count()


@pytest.fixture(scope="module")
async def cases(database_url, bootstrap, tmp_path_factory):
    prefix = f"nk{uuid.uuid4().hex[:8]}"
    settings = e2e_settings("cases", database_url, bootstrap, prefix, tmp_path_factory.mktemp("need_to_know"))
    host = await build_cases(settings).start()
    yield host
    await host.stop()


@pytest.fixture
async def api(cases):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{cases.port}") as channel:
        yield Cases(cases, channel)


async def open_filing(cases, office: str) -> str:
    """A clue's filing proposal, as the clues service publishes it, delivered to the filing process manager."""
    payload = clues_pb2.FilingProposed(
        clue_id=f"clue-{uuid.uuid4()}",
        findings="money traced",
        handling_office=office,
        clue_number="cm-2026-7",
        proposed_by="u-proposer",
        subjects=[identity_pb2.PersonRef(person_id="P-77", name="Zhou Ba")],
    )
    at = datetime.now(timezone.utc)
    event = NewEvent(str(uuid.uuid4()), payload, at, SUP1, "corr-walk")
    raw = env_mod.seal(env_mod.build(event, payload.clue_id, 1, at))
    await cases.parts.filings.handler.record(raw, Source("walk", 0, next(OFFSETS)))
    return case_id_for(event.event_id)


async def file(api, case_id: str) -> None:
    """Both sides for a county-managed member and official (issue 18), then the topic meeting."""
    await api("PrepareFiling", SUP1, case_id=case_id, subjects=[subject(cev.AT_ISSUE_BOTH)])
    for side in (cev.FILING_SIDE_PARTY, cev.FILING_SIDE_SUPERVISION):
        await api("ApproveFiling", HEAD, case_id=case_id, side=side)
        await api("ApproveFiling", COMMITTEE, case_id=case_id, side=side)
    await api("RecordTopicMeeting", HEAD, case_id=case_id, meeting=topic_meeting())


async def hand_over(api, case_id: str, to: str = "investigation_1") -> None:
    await api("ProposeHandOver", SUP1, case_id=case_id, to_office=to, reason="filed: investigate")
    await api("ApproveHandOver", HEAD, case_id=case_id)


async def answer(api, rpc: str, by: Principal, fields: dict) -> tuple[str, str]:
    """(code, details) of the call, or ("OK", "") when it succeeded."""
    try:
        await api(rpc, by, **fields)
    except grpc.aio.AioRpcError as e:
        return e.code().name, e.details()
    return "OK", ""


async def event_count(cases) -> int:
    return await cases.pool.fetchval(f"SELECT count(*) FROM {cases.store.schema}.events")


async def test_the_walk_covers_every_rpc():
    rpcs = set(cpb.DESCRIPTOR.services_by_name["CaseService"].methods_by_name)
    assert rpcs == set(requests("c", "m")) | {"ListMeasures", "ListCases", "ListAwaitingMe"}  # lists: below


async def test_another_office_gets_what_an_unknown_id_gets_on_every_rpc_and_changes_nothing(cases, api):
    held_by_inv1 = await open_filing(cases, "supervision_1")
    await file(api, held_by_inv1)
    await hand_over(api, held_by_inv1)
    await api("StartInvestigation", INV1, **requests(held_by_inv1, "")["StartInvestigation"])
    detention = {**requests(held_by_inv1, "")["RequestMeasure"], "kind": cev.MEASURE_KIND_DETENTION}
    made = await api("RequestMeasure", INV1, **detention)
    held_by_sup1 = await open_filing(cases, "supervision_1")
    await file(api, held_by_sup1)
    search = await api("RequestMeasure", SUP1_HEAD, **requests(held_by_sup1, "")["RequestMeasure"])
    unknown_case, unknown_measure = f"case-{uuid.uuid4()}", f"measure-{uuid.uuid4()}"
    before, refused = await event_count(cases), set()
    for case_id, measure_id, outsiders in (
        (held_by_inv1, made.measure_id, OUTSIDERS_OF_INVESTIGATION_1),
        (held_by_sup1, search.measure_id, OUTSIDERS_OF_SUPERVISION_1),
    ):
        real, unknown = requests(case_id, measure_id), requests(unknown_case, unknown_measure)
        for rpc, fields in real.items():
            for outsider in outsiders:
                got = await answer(api, rpc, outsider, fields)
                expected = await answer(api, rpc, outsider, unknown[rpc])
                words = got[1].replace(case_id, "<id>").replace(measure_id, "<id>")
                assert (got[0], words) == (
                    expected[0],
                    expected[1].replace(unknown_case, "<id>").replace(unknown_measure, "<id>"),
                ), (rpc, outsider)
                assert got[0] in ("NOT_FOUND", "PERMISSION_DENIED"), (rpc, outsider, got)
                if got[0] == "NOT_FOUND":
                    refused.add(rpc)
    assert refused == set(requests("c", "m")) - LEADERS_ONLY  # NOT_FOUND wherever the role passed
    assert await event_count(cases) == before  # nothing changed, and no refused read is on the record
    for outsider in (INV2, INV2_HEAD, SUP2, DEPUTY2, TRIAL):  # another office's ledger reads empty
        listed = await api("ListMeasures", outsider, office="investigation_1", purpose=PURPOSE)
        assert made.measure_id not in [m.measure_id for m in listed.measures]
        cases_listed = await api("ListCases", outsider, purpose=PURPOSE)  # issue 20: neither case
        assert not {held_by_inv1, held_by_sup1} & {s.case_id for s in cases_listed.cases}, outsider
        waiting = await api("ListAwaitingMe", outsider, purpose=PURPOSE)
        assert not {held_by_inv1, made.measure_id} & {i.file_id for i in waiting.items}, outsider


async def test_each_allowed_actor_reads_and_acts_where_its_role_allows(cases, api):
    case_id = await open_filing(cases, "supervision_1")
    for reader in (COMMITTEE, HEAD, SUP1, CM, SYSTEM):  # a pending filing names its approvers
        assert (await api.case(case_id, reader)).state == "FILING"
    await file(api, case_id)
    assert (await answer(api, "GetCase", INV1, {"case_id": case_id, "purpose": PURPOSE}))[0] == "NOT_FOUND"
    await hand_over(api, case_id)  # 移交审查调查: the holder proposes, the head approves
    for reader in (INV1, INV1_HEAD, SUP1, DEPUTY1, COMMITTEE, HEAD, CM, SYSTEM):
        got = await api.case(case_id, reader)
        assert (got.handling_office, got.liaison_office) == ("investigation_1", "supervision_1"), reader
    fields = requests(case_id, "")
    await api("StartInvestigation", INV1, **fields["StartInvestigation"])
    measure = await api("RequestMeasure", INV1, **{**fields["RequestMeasure"], "kind": cev.MEASURE_KIND_DETENTION})
    mid = measure.measure_id
    for reader in (SUPERIOR, SUP1, DEPUTY1, CM, INV1):
        assert (await api("GetMeasure", reader, measure_id=mid, purpose=PURPOSE)).measure.office == "investigation_1"
    assert (await answer(api, "GetCase", SUPERIOR, {"case_id": case_id, "purpose": PURPOSE}))[0] == "NOT_FOUND"
    decided = await api("ApproveMeasure", HEAD, measure_id=mid, meeting=leadership(HEAD))  # SL 47: the leadership
    assert decided.state == "REQUESTED"
    upper = await api("ApproveMeasure", SUPERIOR, measure_id=mid, meeting=leadership(SUPERIOR))  # its rule names them
    assert upper.state == "ACTIVE"
    for reader in (SUP1, DEPUTY1, SUPERIOR, CM):
        listed = await api("ListMeasures", reader, office="investigation_1", purpose=PURPOSE)
        assert mid in [m.measure_id for m in listed.measures], reader
    on_measure = requests(case_id, mid)  # times after the start
    await api("GiveDetentionNotice", INV1_HEAD, **on_measure["GiveDetentionNotice"])
    await api("RecordActivity", INV1, **fields["RecordActivity"], measure_id=mid)
    await api("EndMeasure", INV1, **on_measure["EndMeasure"])
    await api("ProposeHandOver", SUP1, case_id=case_id, to_office="investigation_2", reason="workload")  # the liaison
    assert (await api.case(case_id, HEAD)).hand_over_to == "investigation_2"
    assert (await answer(api, "GetCase", INV2, {"case_id": case_id, "purpose": PURPOSE}))[0] == "NOT_FOUND"
    assert (await api("RejectHandOver", HEAD, case_id=case_id, reason="stays")).state == "INVESTIGATING"
    assert (await answer(api, "GetCase", INV2, {"case_id": case_id, "purpose": PURPOSE}))[0] == "NOT_FOUND"
    assert (await answer(api, "GetCase", TRIAL, {"case_id": case_id, "purpose": PURPOSE}))[0] == "NOT_FOUND"
    await api("SendToTrialReview", INV1, **fields["SendToTrialReview"])
    assert (await api.case(case_id, TRIAL)).state == "UNDER_TRIAL_REVIEW"  # its step from now on
    supplementary = {"to": cev.RETURN_TARGET_SUPPLEMENTARY_INVESTIGATION, "reason": "bank records"}
    await api("ReturnFromTrialReview", TRIAL, case_id=case_id, **supplementary)  # Rules 55
    assert (await api.case(case_id, DEPUTY2)).return_proposed == cev.RETURN_TARGET_SUPPLEMENTARY_INVESTIGATION
    await api("RejectTrialReviewReturn", DEPUTY1, **fields["RejectTrialReviewReturn"])  # the deputy's to decide
    await api("ReturnFromTrialReview", TRIAL, case_id=case_id, **supplementary)
    assert (await api("ApproveTrialReviewReturn", DEPUTY1, case_id=case_id)).state == "SUPPLEMENTARY_INVESTIGATION"
    await api("SendToTrialReview", INV1, **fields["SendToTrialReview"])
    await api("ExtendTrialReview", HEAD, **fields["ExtendTrialReview"])
    await api("ConcludeTrialReview", TRIAL, **fields["ConcludeTrialReview"])
    await api("HearSubject", TRIAL, **fields["HearSubject"])  # the step stays after the review
    await api("DisposeCase", HEAD, **fields["DisposeCase"])
    await api("GradeQuality", TRIAL, **fields["GradeQuality"])
    await api("GradeQuality", CM, **fields["GradeQuality"])
    opened = await api("OpenAccountabilityCase", HEAD, **fields["OpenAccountabilityCase"])
    inherited = await api.case(opened.accountability_case_id, INV1)  # 一案双查: the origin's holding
    assert (inherited.state, inherited.handling_office, inherited.liaison_office) == (
        "FILING",
        "investigation_1",
        "supervision_1",
    )
    reads = await reads_of(cases, case_id)
    for reader in ("u-party", "u-sup1", "u-dep1", "u-inv1", "u-trial", "system:walk", "u-alice"):
        assert (reader, "cases.read/GetCase", PURPOSE) in reads, reader
    assert ("u-sup", "cases.read/GetMeasure", PURPOSE) in await reads_of(cases, mid)
    assert not [r for r in reads if r[0] in ("u-inv2", "u-sup")]  # refused reads return nothing and record nothing
