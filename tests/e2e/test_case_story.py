"""From a clue registered in the clues service to a disposed case, through Kafka: the cases
service's process manager opens the filing from the clue's proposal, the approvals file it (and
move the clue), the supervision office hands it over to a review and investigation office with
the head's approval (移交审查调查; before that the investigators may not know it), a detention is
approved, notified and extended once, an interrogation recording is referenced, the trial review
proposes, the subject is heard, the head decides. The audit replay of the case then lists every
step from the clue's receipt to the disposal, in order, each with its principal; every read of
the case is on the record with its purpose. The process manager survives a restart mid-saga without losing or doubling a
step; bad input is refused by field and leaves nothing behind."""

import asyncio
import uuid
from datetime import datetime, timezone

import grpc
import pytest

from cases.v1 import events_pb2 as cev, service_pb2 as cpb
from clues.v1 import events_pb2 as clue_ev
from common.v1 import person_pb2
from kernel.messaging.inbox import Source
from kernel.runtime.platform import DEFAULT_FILE as PLATFORM_FILE
from services.audit.main import build as build_audit
from services.cases.main import build as build_cases
from services.clues.main import build as build_clues
from tests.e2e.platforms import e2e_settings, start_together
from tests.e2e.test_clue_lifecycle import COMMITTEE, HEAD, INSPECTOR, Client, replay, to_report, wait_state
from tests.factories import call_metadata, service_settings

# the story's helpers live in tests/stories.py (shared with the sanctions story); the names stay
# importable from here for the tests that import them so
from tests.stories import (  # noqa: F401
    CASE_MANAGER,
    DEPUTY,
    FILED_AND_INVESTIGATED,
    INVESTIGATOR,
    PURPOSE,
    RECORDING,
    REVIEWER,
    SUPERIOR,
    Cases,
    consultations,
    deliberation,
    facts_of_p77,
    leadership,
    proposal_of,
    reads_of,
    sanctions_of,
    subject,
    topic_meeting,
    ts,
)


@pytest.fixture(scope="module")
async def platform(database_url, bootstrap, tmp_path_factory):
    """Clues, cases and audit of a CITY commission (issue 19: detentions approved by the province)."""
    prefix, data = f"cs{uuid.uuid4().hex[:8]}", tmp_path_factory.mktemp("cases")
    city = data / "platform.toml"
    city.write_text(PLATFORM_FILE.read_text(encoding="utf-8").replace('level = "COUNTY"', 'level = "CITY"'))
    hosts = await start_together(
        [
            build(e2e_settings(name, database_url, bootstrap, prefix, data, platform_file=city)).start()
            for name, build in (("clues", build_clues), ("cases", build_cases), ("audit", build_audit))
        ]
    )
    yield hosts
    for host in hosts:
        await host.stop()


async def test_from_a_clue_to_a_disposed_case_with_a_detention_extended_once(platform):
    """At a city commission: the upper level's collective detention decision (SL 47), a deferred
    notice (SL 50), the case disposed with a transfer for prosecution while the detention runs, the
    procuratorate taking custody (SL 54; IR2025 134)."""
    clues, cases, audit = platform
    async with (
        grpc.aio.insecure_channel(f"127.0.0.1:{clues.port}") as ch1,
        grpc.aio.insecure_channel(f"127.0.0.1:{cases.port}") as ch2,
    ):
        client, api = Client(clues, ch1), Cases(cases, ch2)
        cid = await to_report(client)
        await client("ApproveReport", HEAD, clue_id=cid)
        case_id = await proposal_of(clues, cid)
        opened = await api.wait_case(case_id)
        assert (opened.state, opened.clue_id) == ("FILING", cid)
        # a city-managed member and civil servant suspected of both: both sides, the city Party
        # committee's head after the commission head on each (Rules 38; SL 42)
        p77 = subject(cev.AT_ISSUE_BOTH, level=person_pb2.MANAGEMENT_LEVEL_CITY)
        prepared = await api("PrepareFiling", INSPECTOR, case_id=case_id, subjects=[p77])
        assert list(prepared.sides) == [cev.FILING_SIDE_PARTY, cev.FILING_SIDE_SUPERVISION]
        for side in (cev.FILING_SIDE_PARTY, cev.FILING_SIDE_SUPERVISION):
            await api("ApproveFiling", HEAD, case_id=case_id, side=side)
            await api("ApproveFiling", COMMITTEE, case_id=case_id, side=side)
        await wait_state(client, cid, "CASE_FILED")  # the clue followed, over Kafka
        await api("RecordTopicMeeting", HEAD, case_id=case_id, meeting=topic_meeting())
        now = datetime.now(timezone.utc)
        err = await api.refused(
            "StartInvestigation", INVESTIGATOR, case_id=case_id, announced_at=ts(now), unit_notified_at=ts(now)
        )
        assert err.code() == grpc.StatusCode.NOT_FOUND  # still the supervision office's case
        await api(
            "ProposeHandOver", INSPECTOR, case_id=case_id, to_office="investigation_1", reason="filed: investigate"
        )
        handed = await api("ApproveHandOver", HEAD, case_id=case_id)
        assert handed.state == "FILED"
        held = await api.case(case_id, INVESTIGATOR)
        assert (held.handling_office, held.liaison_office, held.hand_over_to) == (
            "investigation_1",
            "supervision_1",
            "",
        )
        await api("StartInvestigation", INVESTIGATOR, case_id=case_id, announced_at=ts(now), unit_notified_at=ts(now))
        measure = await api(
            "RequestMeasure",
            INVESTIGATOR,
            case_id=case_id,
            kind=cev.MEASURE_KIND_DETENTION,
            person_id="P-77",
            reason="risk of collusion",
        )
        mid = measure.measure_id
        # SL 47 at city level: the leadership's collective decision, then the upper level's
        decided = await api("ApproveMeasure", HEAD, measure_id=mid, meeting=leadership(HEAD))
        assert decided.state == "REQUESTED"
        approved = await api("ApproveMeasure", SUPERIOR, measure_id=mid, meeting=leadership(SUPERIOR))
        assert approved.state == "ACTIVE"
        # SL 50 ¶1: telling the unit and family would obstruct the investigation: the head defers the
        # notice; when the obstruction ends it is due at once, and given with that call
        await api("DeferNotice", HEAD, measure_id=mid, reason="accomplices not yet questioned")
        assert (await api("GetMeasure", INVESTIGATOR, measure_id=mid, purpose=PURPOSE)).measure.notice_deferred
        told = ts(datetime.now(timezone.utc))
        await api(
            "EndNoticeDeferral",
            INVESTIGATOR,
            measure_id=mid,
            reason="accomplices questioned",
            unit_notified_at=told,
            family_notified_at=told,
        )
        notified = (await api("GetMeasure", INVESTIGATOR, measure_id=mid, purpose=PURPOSE)).measure
        assert (notified.notice_given, notified.notice_overdue, notified.notice_deferred) == (True, False, False)
        await api("ExtendMeasure", SUPERIOR, measure_id=mid, reason="accounts abroad")
        err = await api.refused("ExtendMeasure", SUPERIOR, measure_id=mid, reason="again")  # special needs national
        assert err.code() in (
            grpc.StatusCode.PERMISSION_DENIED,
            grpc.StatusCode.FAILED_PRECONDITION,
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        await api(
            "RecordActivity",
            INVESTIGATOR,
            case_id=case_id,
            activity=cev.RECORDED_ACTIVITY_INTERROGATION,
            recording=RECORDING,
            measure_id=mid,
        )
        await api("SendToTrialReview", INVESTIGATOR, case_id=case_id, report="report no. 7")
        # Rules 55: the reviewer proposes a supplementary investigation; the responsible deputy approves
        await api(
            "ReturnFromTrialReview",
            REVIEWER,
            case_id=case_id,
            to=cev.RETURN_TARGET_SUPPLEMENTARY_INVESTIGATION,
            reason="bank records",
        )
        err = await api.refused("ApproveTrialReviewReturn", HEAD, case_id=case_id)
        assert err.code() == grpc.StatusCode.PERMISSION_DENIED  # not the head's to approve
        returned = await api("ApproveTrialReviewReturn", DEPUTY, case_id=case_id)
        assert returned.state == "SUPPLEMENTARY_INVESTIGATION"
        await api("SendToTrialReview", INVESTIGATOR, case_id=case_id, report="report no. 7, completed")
        # P6 (Regs 24): 严重警告 + 警告 combine into 撤销党内职务; the government side a major demerit
        await api(
            "ConcludeTrialReview", REVIEWER, case_id=case_id, sanctions=[sanctions_of("GOVERNMENT_MAJOR_DEMERIT")]
        )
        err = await api.refused(
            "HearSubject",
            REVIEWER,
            case_id=case_id,
            person_id="P-77",
            statement="I object",
            sanctions=[sanctions_of("GOVERNMENT_DEMOTION")],
        )
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "sanctions" in err.details()  # PSL 43
        lighter = sanctions_of("GOVERNMENT_DEMERIT")
        await api(
            "HearSubject",
            REVIEWER,
            case_id=case_id,
            person_id="P-77",
            statement="I returned it all",
            sanctions=[lighter],
        )
        decision = dict(
            case_id=case_id,
            sanctions=[lighter],
            person_facts=[facts_of_p77()],
            outcomes=[cev.Outcome(kind=cev.OUTCOME_KIND_TRANSFER_FOR_PROSECUTION, person_id="P-77")],
            transfer=[cev.TransferDocument(title="起诉意见书", sha256="7e" * 32)],
        )
        err = await api.refused("DisposeCase", HEAD, **decision, deliberation=deliberation(4))
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "deliberation.attendees" in err.details()  # quorum
        err = await api.refused("DisposeCase", HEAD, **decision, deliberation=deliberation(5))
        assert err.code() == grpc.StatusCode.FAILED_PRECONDITION and "ORG_DEPARTMENT not yet consulted" in err.details()
        decision["consultations"] = consultations()
        disposed = await api("DisposeCase", HEAD, **decision, deliberation=deliberation(5))
        assert disposed.state == "DISPOSED"  # the detention of the transferred person runs on (SL 54)
        custody = dict(
            measure_id=mid,
            document=cev.DocumentRef(title="检察院拘留决定书", sha256="5c" * 32),
            taken_at=ts(datetime.now(timezone.utc)),
        )
        err = await api.refused("TransferCustody", INVESTIGATOR, **custody)
        assert err.code() == grpc.StatusCode.PERMISSION_DENIED  # case management records it
        waiting = await api("ListAwaitingMe", CASE_MANAGER, purpose=PURPOSE)  # issue 20: on its queue
        assert ("TransferCustody", "case_manager") in {(i.step, i.role) for i in waiting.items if i.file_id == mid}
        await api("TransferCustody", CASE_MANAGER, **custody)  # IR2025 134: the detention ends
        waiting = await api("ListAwaitingMe", CASE_MANAGER, purpose=PURPOSE)
        assert mid not in {i.file_id for i in waiting.items}  # and off it
        ended = (await api("GetMeasure", INVESTIGATOR, measure_id=mid, purpose=PURPOSE)).measure
        assert (ended.state, ended.outcome) == ("ENDED", cev.MEASURE_OUTCOME_CUSTODY_TRANSFERRED)
        decided = await api.case(case_id)
        [p77] = decided.sanctions  # from CaseDisposed: the violations and the combined sanctions
        assert [(v.article, v.sanction) for v in p77.violations] == [
            ("纪律处分条例 art. 28", cev.SANCTION_TYPE_PARTY_SERIOUS_WARNING),
            ("纪律处分条例 art. 98", cev.SANCTION_TYPE_PARTY_WARNING),
            ("政务处分法 art. 32", cev.SANCTION_TYPE_GOVERNMENT_DEMERIT),
        ]
        assert [(k.sanction, k.rule) for k in p77.combined] == [
            (cev.SANCTION_TYPE_PARTY_REMOVAL_FROM_POSTS, "P6"),
            (cev.SANCTION_TYPE_GOVERNMENT_DEMERIT, "SINGLE"),
        ]
        criteria = [cev.Criterion(criterion=k, met=True) for k in range(1, 9)]
        err = await api.refused(
            "GradeQuality", REVIEWER, case_id=case_id, grade=cev.QUALITY_GRADE_EXCELLENT, criteria=criteria[:7]
        )
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "criteria" in err.details()
        await api("GradeQuality", REVIEWER, case_id=case_id, grade=cev.QUALITY_GRADE_EXCELLENT, criteria=criteria)
        graded = await api.case(case_id)
        assert (graded.quality_grade, [o.sanction for o in graded.outcomes if o.sanction]) == (
            cev.QUALITY_GRADE_EXCELLENT,
            [cev.SANCTION_TYPE_PARTY_REMOVAL_FROM_POSTS, cev.SANCTION_TYPE_GOVERNMENT_DEMERIT],
        )
        ledger = await api.stub.ListMeasures(
            cpb.ListMeasuresRequest(office="investigation_1", purpose=PURPOSE), metadata=call_metadata(cases.settings)
        )
        assert [(m.measure_id, m.state, m.extensions) for m in ledger.measures] == [(mid, "ENDED", 1)]
    story = await replay(audit, case_id, expect=41)  # every step below: none may be missing
    told = [(s.event_type.split(".")[-1], s.principal.user) for s in story.steps]
    assert told == [
        *FILED_AND_INVESTIGATED,
        ("MeasureRequested", "u-inv"),
        ("MeasureApprovalGiven", "u-head"),
        ("MeasureApproved", "u-sup"),
        ("NoticeDeferred", "u-head"),  # SL 50 ¶1
        ("NoticeDeferralEnded", "u-inv"),
        ("DetentionNoticeGiven", "u-inv"),
        ("MeasureExtended", "u-sup"),
        ("ActivityRecorded", "u-inv"),
        ("SentToTrialReview", "u-inv"),
        ("TrialReviewReturnProposed", "u-trial"),
        ("TrialReviewReturned", "u-deputy"),
        ("SentToTrialReview", "u-inv"),
        ("TrialReviewConcluded", "u-trial"),
        ("SubjectHeard", "u-trial"),
        ("CaseDisposed", "u-head"),
        ("CustodyTransferred", "u-cm"),  # IR2025 134
        ("MeasureEnded", "u-cm"),
        ("QualityReviewed", "u-trial"),
    ]
    assert [s.id for s in story.subjects] == [case_id, cid]
    recorded = [s for s in story.steps if s.recordings]
    assert [r.recordings[0].sha256 for r in recorded] == [RECORDING.sha256]
    reads = await reads_of(cases, case_id)
    assert ("u-inv", "cases.read/GetCase", PURPOSE) in reads and ("u-alice", "cases.read/GetCase", PURPOSE) in reads


async def restart(platform) -> object:
    """Stop the cases service and start it again on the same data (the fixture stops the new one)."""
    await platform[1].stop()
    platform[1] = await build_cases(platform[1].settings).start()
    return platform[1]


async def test_the_filing_process_manager_survives_restarts_mid_saga(platform):
    clues = platform[0]
    await platform[1].stop()  # down when the proposal comes
    async with grpc.aio.insecure_channel(f"127.0.0.1:{clues.port}") as ch1:
        client = Client(clues, ch1)
        cid = await to_report(client)
        await client("ApproveReport", HEAD, clue_id=cid)
        platform[1] = await build_cases(platform[1].settings).start()
        case_id = await proposal_of(clues, cid)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{platform[1].port}") as ch2:
            api = Cases(platform[1], ch2)
            assert (await api.wait_case(case_id)).state == "FILING"
            member = subject(cev.AT_ISSUE_PARTY_DISCIPLINE, level=person_pb2.MANAGEMENT_LEVEL_CITY)  # the city's cadre
            await api("PrepareFiling", INSPECTOR, case_id=case_id, subjects=[member])
            await api("ApproveFiling", HEAD, case_id=case_id, side=cev.FILING_SIDE_PARTY)
        cases = await restart(platform)  # between two approvals
        raw = [
            e for e in await clues.store.read_stream(cid) if e.event_type == clue_ev.FilingProposed.DESCRIPTOR.full_name
        ][0].envelope
        await cases.parts.filings.handler.record(raw, Source("redelivery", 0, 0))  # and redelivered
        async with grpc.aio.insecure_channel(f"127.0.0.1:{cases.port}") as ch2:
            api = Cases(cases, ch2)
            err = await api.refused("ApproveFiling", HEAD, case_id=case_id, side=0)
            assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "side" in err.details()
            await api("ApproveFiling", COMMITTEE, case_id=case_id, side=cev.FILING_SIDE_PARTY)
        await wait_state(client, cid, "CASE_FILED")
    assert [e.event_type.split(".")[-1] for e in await cases.store.read_stream(case_id)] == [
        "FilingOpened",
        "FilingPrepared",
        "FilingApproved",
        "FilingApproved",
        "CaseFiled",
    ]
    await restart(platform)  # the clue's answer is not redone
    await asyncio.sleep(2)
    moved = [e for e in await clues.store.read_stream(cid) if e.event_type.endswith("ClueCaseFiled")]
    assert len(moved) == 1


async def test_a_refused_filing_sends_the_clue_back_to_reported(platform):
    clues, cases = platform[0], platform[1]
    async with (
        grpc.aio.insecure_channel(f"127.0.0.1:{clues.port}") as ch1,
        grpc.aio.insecure_channel(f"127.0.0.1:{cases.port}") as ch2,
    ):
        client, api = Client(clues, ch1), Cases(cases, ch2)
        cid = await to_report(client, lower_committee=False)
        await client("ApproveReport", HEAD, clue_id=cid)
        case_id = await proposal_of(clues, cid)
        await api.wait_case(case_id)
        err = await api.refused("RejectFiling", HEAD, case_id=case_id, reason=" ")
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "reason" in err.details()
        refused = await api("RejectFiling", HEAD, case_id=case_id, reason="facts unclear")
        assert refused.state == "FILING_REJECTED"
        back = await wait_state(client, cid, "REPORTED")
        assert back.pending_kind == ""
        err = await api.refused("ApproveFiling", HEAD, case_id=case_id, side=cev.FILING_SIDE_PARTY)
        assert err.code() == grpc.StatusCode.FAILED_PRECONDITION and "FILING_REJECTED" in err.details()


async def test_a_non_member_official_is_filed_on_the_supervision_side_only(platform):
    """SL 42 (立案调查): a public official who is not a Party member needs the supervision side alone,
    approved by the commission head alone when the county Party committee does not manage them (a
    市管 cadre); the facts the rule needs are named when missing; the topic meeting follows."""
    clues, cases = platform[0], platform[1]
    async with (
        grpc.aio.insecure_channel(f"127.0.0.1:{clues.port}") as ch1,
        grpc.aio.insecure_channel(f"127.0.0.1:{cases.port}") as ch2,
    ):
        client, api = Client(clues, ch1), Cases(cases, ch2)
        cid = await to_report(client, lower_committee=False)
        await client("ApproveReport", HEAD, clue_id=cid)
        case_id = await proposal_of(clues, cid)
        await api.wait_case(case_id)
        err = await api.refused("ApproveFiling", HEAD, case_id=case_id, side=cev.FILING_SIDE_SUPERVISION)
        assert err.code() == grpc.StatusCode.FAILED_PRECONDITION and "PrepareFiling" in err.details()
        official = subject(cev.AT_ISSUE_OFFICIAL_MISCONDUCT, member=False, level=person_pb2.MANAGEMENT_LEVEL_COUNTY)
        bare = cpb.FilingSubject(person_id="P-77", at_issue=cev.AT_ISSUE_OFFICIAL_MISCONDUCT)
        err = await api.refused("PrepareFiling", INSPECTOR, case_id=case_id, subjects=[bare])
        assert err.code() == grpc.StatusCode.FAILED_PRECONDITION and "facts.official" in err.details()
        party = cpb.FilingSubject()
        party.CopyFrom(official)
        party.at_issue = cev.AT_ISSUE_PARTY_DISCIPLINE
        err = await api.refused("PrepareFiling", INSPECTOR, case_id=case_id, subjects=[party])
        assert err.code() == grpc.StatusCode.FAILED_PRECONDITION and "not a Party member" in err.details()
        prepared = await api("PrepareFiling", INSPECTOR, case_id=case_id, subjects=[official])
        assert list(prepared.sides) == [cev.FILING_SIDE_SUPERVISION]
        err = await api.refused("ApproveFiling", HEAD, case_id=case_id, side=cev.FILING_SIDE_PARTY)
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "side" in err.details()
        # the committee does not manage this official: its head approves nothing here, so need to
        # know keeps the filing from it (NOT_FOUND, as any file one may not know)
        err = await api.refused("ApproveFiling", COMMITTEE, case_id=case_id, side=cev.FILING_SIDE_SUPERVISION)
        assert err.code() == grpc.StatusCode.NOT_FOUND
        filed = await api("ApproveFiling", HEAD, case_id=case_id, side=cev.FILING_SIDE_SUPERVISION)
        assert filed.state == "FILED"
        await wait_state(client, cid, "CASE_FILED")
        now = ts(datetime.now(timezone.utc))
        await api("ProposeHandOver", INSPECTOR, case_id=case_id, to_office="investigation_1", reason="filed")
        await api("ApproveHandOver", HEAD, case_id=case_id)
        err = await api.refused(
            "StartInvestigation", INVESTIGATOR, case_id=case_id, announced_at=now, unit_notified_at=now
        )
        assert err.code() == grpc.StatusCode.FAILED_PRECONDITION and "topic meeting" in err.details()
        small = topic_meeting()
        del small.attendees[2:]
        err = await api.refused("RecordTopicMeeting", HEAD, case_id=case_id, meeting=small)
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "meeting.attendees" in err.details()
        await api("RecordTopicMeeting", HEAD, case_id=case_id, meeting=topic_meeting())
        started = await api("StartInvestigation", INVESTIGATOR, case_id=case_id, announced_at=now, unit_notified_at=now)
        assert started.state == "INVESTIGATING"
        case = await api.case(case_id)
        assert [(a.side, a.approver_role) for a in case.approvals] == [(cev.FILING_SIDE_SUPERVISION, "commission_head")]
        assert (list(case.sides_needed), case.topic_meeting_held) == ([cev.FILING_SIDE_SUPERVISION], True)
