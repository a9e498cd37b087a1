"""Every cases event survives domain -> protobuf bytes -> domain unchanged, field by field."""

from datetime import datetime, timedelta, timezone

import pytest

from cases.v1 import events_pb2
from kernel.domain import facts as f, sanctions as s
from kernel.domain.meetings import CollectiveDecision
from services.cases.adapters import mapping
from services.cases.domain import events as ev

AT = datetime(2026, 6, 1, 9, 30, 15, 123456, tzinfo=timezone.utc)
CASE, CLUE, MEASURE = "case-1", "clue-1", "measure-1"
SUBJECTS = (ev.Subject("P-1", "Zhou Ba", "county head", "county government"), ev.Subject("P-2", "Wu Jiu"))
OUTCOMES = (
    ev.Outcome("PARTY_SANCTION", "P-1", "PARTY_SERIOUS_WARNING", "纪律处分条例 art. 98", "gifts"),
    ev.Outcome("TRANSFER_FOR_PROSECUTION", "P-2"),
)
PERSONS = (
    ev.PersonSanctions(
        "P-1",
        (
            s.Violation("纪律处分条例 art. 28", "PARTY_SERIOUS_WARNING"),
            s.Violation("纪律处分条例 art. 98", "PARTY_WARNING", "gifts"),
        ),
        (s.Combined("PARTY_REMOVAL_FROM_POSTS", None, "P6"),),
    ),
    ev.PersonSanctions(
        "P-2",
        (s.Violation("PSL 33", "GOVERNMENT_DEMERIT"),) * 2,
        (s.Combined("GOVERNMENT_DEMERIT", 18, "G3"),),
        ("ALLOWANCE_CUT",),
    ),
)
MEETING = CollectiveDecision(
    "STANDING_COMMITTEE", AT, ("u-head", "u-d1", "u-d2", "u-d3", "u-d4"), (), "as proposed", "u-cm"
)
FACTS = (f.PersonFacts("P-1", f.PartyMembership(True, f.FactSource("organisation_department", AT))),)
MEETING_LEADERSHIP = CollectiveDecision("LEADERSHIP", AT, ("u-h", "u-d1", "u-d2"), (), "detain P-1", "u-sec")
SAMPLES = {
    # issue 24: HR reports a retirement (domain.md §1; PSL 27), with the person's facts after it
    ev.PersonFactsReported: ev.PersonFactsReported(
        "P-1",
        "personnel_bureau",
        f.PersonFacts("P-1", service=f.Service("RETIRED", AT, f.FactSource("personnel_bureau", AT))),
        f.PersonFacts(
            "P-1",
            f.PartyMembership(True, f.FactSource("organisation_department", AT)),
            service=f.Service("RETIRED", AT, f.FactSource("personnel_bureau", AT)),
        ),
        ev.Document("退休审批表", "ab" * 32),
        "u-hr",
        AT,
    ),
    ev.FilingOpened: ev.FilingOpened(
        CASE, CLUE, "cm-2026-7", SUBJECTS, "money traced", "supervision_1", "u-insp", "", "supervision_1"
    ),
    ev.FilingApproved: ev.FilingApproved(CASE, "SUPERVISION", "commission_head", "u-head", "plan: interviews"),
    ev.FilingPrepared: ev.FilingPrepared(
        CASE,
        (
            f.PersonFacts(
                "P-1",
                f.PartyMembership(False, f.FactSource("organisation_department", AT)),
                f.PublicOfficial("CIVIL_SERVANT", False, f.FactSource("unit", AT)),
                f.Cadre("COUNTY", False, f.FactSource("organisation_department", AT)),
            ),
        ),
        (ev.SubjectAtIssue("P-1", "OFFICIAL_MISCONDUCT"),),
        True,
        ("SUPERVISION",),
        ("P-1",),
        "COUNTY",
        "u-insp",
    ),
    ev.TopicMeetingHeld: ev.TopicMeetingHeld(
        CASE, CollectiveDecision("TOPIC_MEETING", AT, ("u-head", "u-d1", "u-d2"), ("u-d3",), "plan", "u-cm"), "u-head"
    ),
    ev.FilingRejected: ev.FilingRejected(CASE, CLUE, "facts unclear", "u-head", AT),
    ev.CaseFiled: ev.CaseFiled(CASE, "", AT, SUBJECTS, "supervision_1", True, "case-0"),
    ev.InvestigationStarted: ev.InvestigationStarted(CASE, AT, AT + timedelta(hours=2), "u-insp"),
    ev.SentToTrialReview: ev.SentToTrialReview(CASE, "report", "u-insp", AT, AT + timedelta(days=30)),
    ev.TrialReviewReturnProposed: ev.TrialReviewReturnProposed(CASE, "REINVESTIGATE", "unclear", "u-trial"),
    ev.TrialReviewReturned: ev.TrialReviewReturned(
        CASE, "SUPPLEMENTARY_INVESTIGATION", "bank records", "u-trial", "u-deputy", "deputy_head"
    ),
    ev.TrialReviewReturnRejected: ev.TrialReviewReturnRejected(
        CASE, "REINVESTIGATE", "clear", "u-head", "commission_head"
    ),
    ev.TrialReviewExtended: ev.TrialReviewExtended(CASE, AT, "complex", "u-head", "commission_head"),
    ev.TrialReviewOverdue: ev.TrialReviewOverdue(CASE, AT),
    ev.InvestigationWarningRaised: ev.InvestigationWarningRaised(
        CASE, "INVESTIGATING", 1, "YELLOW", AT, AT
    ),  # issue 20
    ev.TrialReviewConcluded: ev.TrialReviewConcluded(CASE, OUTCOMES, "u-trial", PERSONS),
    ev.SubjectHeard: ev.SubjectHeard(CASE, "P-1", "I returned the gifts", "u-trial", OUTCOMES[:1], PERSONS[:1]),
    ev.RehearingRequired: ev.RehearingRequired(CASE, ("P-1",), PERSONS, MEETING, "u-cm", AT),
    ev.CaseDisposed: ev.CaseDisposed(
        CASE, OUTCOMES, "u-head", AT, (ev.Document("indictment file", "ab" * 32),), PERSONS, FACTS, MEETING
    ),
    ev.CaseWithdrawn: ev.CaseWithdrawn(CASE, "no evidence", "u-head", AT),
    ev.AccountabilityCaseOpened: ev.AccountabilityCaseOpened(CASE, "case-2", "oversight failed", "u-head"),
    ev.ActivityRecorded: ev.ActivityRecorded(
        CASE, "INTERROGATION", ev.Recording("cd" * 32, 5400, "interrogation", "archive/7"), "u-insp", MEASURE
    ),
    ev.QualityReviewed: ev.QualityReviewed(
        CASE, "PASS", (ev.Criterion("CLEAR_FACTS", True, "ok"), ev.Criterion("FULL_EXECUTION", False)), "u-cm"
    ),
    ev.MeasureRequested: ev.MeasureRequested(
        MEASURE,
        CASE,
        "PROTECTIVE_CUSTODY",
        "P-1",
        "investigation_1",
        "flight risk",
        "u-i",
        "supervision_1",
        commission_level="CITY",
        custody_grounds=ev.CustodyGrounds("CONFESSED", ("FLIGHT", "SUICIDE"), "confessed in a talk"),  # SL 25
        managed=True,
        person_facts=FACTS[0],
    ),
    ev.CaseHandOverProposed: ev.CaseHandOverProposed(CASE, "supervision_1", "investigation_1", "filed", "u-insp"),
    ev.CaseHandedOver: ev.CaseHandedOver(CASE, "supervision_1", "investigation_1", "u-head", "commission_head"),
    ev.CaseHandOverRejected: ev.CaseHandOverRejected(CASE, "investigation_2", "busy", "u-head", "commission_head"),
    ev.MeasureApproved: ev.MeasureApproved(
        MEASURE, "superior_head", "u-sup", AT, AT + timedelta(days=92), "UPPER", MEETING_LEADERSHIP, "CITY", True
    ),
    ev.MeasureFiledWithNational: ev.MeasureFiledWithNational(MEASURE, AT, "省纪委备〔2026〕1号", "u-cm"),
    ev.MeasureApprovalGiven: ev.MeasureApprovalGiven(
        MEASURE, "LOCAL", "commission_head", "u-h", MEETING_LEADERSHIP, "CITY"
    ),
    ev.DetentionRecounted: ev.DetentionRecounted(
        MEASURE,
        AT,
        AT + timedelta(days=92),
        "DIFFERENT_CRIME",
        ev.Charge("贪污罪", True, "TEN_YEARS_OR_MORE"),
        "another crime",
        "national_head",
        "u-nat",
    ),
    ev.MeasureRefused: ev.MeasureRefused(MEASURE, "not needed", "u-sup", "superior_head"),
    ev.DetentionNoticeGiven: ev.DetentionNoticeGiven(MEASURE, AT, AT, "u-i"),
    ev.DetentionNoticeOverdue: ev.DetentionNoticeOverdue(MEASURE, AT),
    ev.MeasureExtended: ev.MeasureExtended(
        MEASURE, AT, "more time", "national_head", "u-nat", True, ev.Charge("受贿罪", True, "TEN_YEARS_OR_MORE"), "m-2"
    ),
    ev.MeasureExpiring: ev.MeasureExpiring(MEASURE, AT),
    ev.MeasureExpired: ev.MeasureExpired(MEASURE, AT),
    ev.MeasureEnded: ev.MeasureEnded(MEASURE, "CONVERTED", "cleared", "u-i", AT, converted_to="measure-2"),
    # the duties common to measures (SL 44, 50; IR2025 134)
    ev.MeasureExecuted: ev.MeasureExecuted(
        MEASURE,
        (ev.Staff("Wang", "JC-1"), ev.Staff("Li", "JC-2")),
        ev.Document("留置决定书", "ab" * 32),
        ev.Document("笔录", "cd" * 32),
        AT,
        "u-i",
    ),
    ev.NoticeDeferred: ev.NoticeDeferred(MEASURE, "accomplices at large", "u-head", "commission_head", AT),
    ev.NoticeDeferralEnded: ev.NoticeDeferralEnded(MEASURE, "accomplices detained", "u-i", AT),
    ev.ReleaseNoticeGiven: ev.ReleaseNoticeGiven(MEASURE, AT, AT, "u-i"),
    ev.MeasureChangeRequested: ev.MeasureChangeRequested(
        MEASURE, "change-1", "NEAR_RELATIVE", "Zhang (spouse)", "LIFT", "ill health", AT, AT, "u-i"
    ),
    ev.MeasureChangeDecided: ev.MeasureChangeDecided(
        MEASURE, "change-1", False, "risk", "u-head", "commission_head", AT
    ),
    ev.MeasureChangeOverdue: ev.MeasureChangeOverdue(MEASURE, "change-1", AT),
    ev.CustodyTransferred: ev.CustodyTransferred(
        MEASURE, ev.Document("羁押回执", "ef" * 32), AT, "u-cm", "case_manager"
    ),
    ev.MeasureAttachedToCase: ev.MeasureAttachedToCase(MEASURE, CASE, "clue-1"),  # before filing (SL 25, 41)
    # the person's safeguards (SL 26-28, 50 ¶4, 69)
    ev.MeasureFoundUnrelated: ev.MeasureFoundUnrelated(MEASURE, "account 6222", AT, "u-i", "investigator", AT),
    ev.MeasureReleaseOverdue: ev.MeasureReleaseOverdue(MEASURE, AT),
    ev.MeasureComplaintFiled: ev.MeasureComplaintFiled(
        MEASURE, "complaint-1", "INTERESTED_PARTY", "Zhao (owner)", "UNRELATED_PROPERTY", "my car", AT, AT, "u-i"
    ),
    ev.MeasureComplaintDecided: ev.MeasureComplaintDecided(
        MEASURE, "complaint-1", True, "unrelated", "u-head", "commission_head", AT, review_sought_by=AT
    ),
    ev.MeasureComplaintReviewSought: ev.MeasureComplaintReviewSought(MEASURE, "complaint-1", AT, AT, "u-i"),
    ev.MeasureComplaintOverdue: ev.MeasureComplaintOverdue(MEASURE, "complaint-1", "REVIEW", AT),
    # after a transfer for prosecution (SL 54; CPL 172; issue 24)
    ev.ReturnedForSupplementaryInvestigation: ev.ReturnedForSupplementaryInvestigation(
        CASE,
        "p-1",
        1,
        ev.Document("退回补充调查决定书", "ab" * 32),
        AT,
        AT,
        "u-p",
        "procuratorate",
        "intake",
        "partner_system",
    ),
    ev.SupplementaryInvestigationCompleted: ev.SupplementaryInvestigationCompleted(
        CASE, "p-1", 1, ev.Document("补充调查报告", "ab" * 32), AT, "u-cm", True
    ),
    ev.SupplementaryInvestigationWarning: ev.SupplementaryInvestigationWarning(CASE, "p-1", 2, "RED", AT),
    ev.ProsecutionDecisionReported: ev.ProsecutionDecisionReported(
        CASE,
        "p-1",
        "NOT_PROSECUTED",
        ev.Document("不起诉决定书", "ab" * 32),
        AT,
        AT,
        False,
        "u-p",
        "procuratorate",
        "intake",
        "partner_system",
    ),
    ev.NonProsecutionReferred: ev.NonProsecutionReferred(
        CASE, "p-1", ev.Document("提请复议意见书", "ab" * 32), AT, "u-cm", "上级"
    ),
}
# SL 27, 50 ¶4: a search's execution record and the custody record's offset round-trip too
SEARCHED = ev.MeasureExecuted(
    MEASURE,
    (ev.Staff("Wang", "JC-1", "FEMALE"), ev.Staff("Li", "JC-2", "FEMALE")),
    ev.Document("搜查证", "ab" * 32),
    ev.Document("搜查笔录", "cd" * 32),
    AT,
    "u-i",
    warrant=ev.Document("搜查证", "ab" * 32),
    witnesses=("Chen",),
    searched_sex="FEMALE",
)
OFFSET = ev.CustodyTransferred(MEASURE, ev.Document("羁押回执", "ef" * 32), AT, "u-cm", "case_manager", 91, 182, 91)


@pytest.mark.parametrize("event", [SEARCHED, OFFSET], ids=["search_sl_27", "offset_sl_50"])
def test_safeguard_fields_round_trip(event):
    assert mapping.event_from_pb(mapping.event_to_pb(event)) == event


def test_every_published_event_has_a_sample():
    assert set(SAMPLES) == set(ev.ALL_EVENTS)


@pytest.mark.parametrize("cls", list(SAMPLES), ids=lambda c: c.__name__)
def test_round_trip_through_bytes(cls):
    event = SAMPLES[cls]
    msg = mapping.event_to_pb(event)
    assert msg.DESCRIPTOR.full_name == f"cases.v1.{cls.__name__}"
    assert mapping.event_from_pb(type(msg).FromString(msg.SerializeToString())) == event


def test_an_unset_end_is_none_and_words_become_enum_values():
    open_ended = ev.MeasureApproved(MEASURE, "superior_head", "u-sup", AT, None)
    msg = mapping.event_to_pb(open_ended)
    assert not msg.HasField("ends_at") and mapping.event_from_pb(msg) == open_ended
    disposed = mapping.event_to_pb(SAMPLES[ev.CaseDisposed])
    assert disposed.outcomes[0].sanction == events_pb2.SANCTION_TYPE_PARTY_SERIOUS_WARNING
    assert disposed.outcomes[1].kind == events_pb2.OUTCOME_KIND_TRANSFER_FOR_PROSECUTION


def test_a_completed_search_carries_its_recording_and_an_older_end_reads_without_one():
    """SL 44 ¶2: MeasureEnded.recording (issue 19); an end recorded before has none."""
    ended = ev.MeasureEnded(MEASURE, "COMPLETED", "done", "u-i", AT, recording=ev.Recording("ab" * 32, 60, "search"))
    assert mapping.event_from_pb(mapping.event_to_pb(ended)) == ended
    old = events_pb2.MeasureEnded(measure_id=MEASURE, outcome=events_pb2.MEASURE_OUTCOME_RELEASED, reason="r")
    assert mapping.event_from_pb(old).recording is None
    custody = ev.MeasureEnded(MEASURE, "CUSTODY_TRANSFERRED", "taken", "u-cm", AT)
    assert mapping.event_to_pb(custody).outcome == events_pb2.MEASURE_OUTCOME_CUSTODY_TRANSFERRED
