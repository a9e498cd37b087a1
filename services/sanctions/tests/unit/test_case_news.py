"""adapters.translators.from_cases_to_directory (issue 22): what a case event tells the case
directory: a filing's subjects and day (G10, PSL 13, 26: a case filed on the person within the
period), a disposal's or withdrawal's day (the lift held back follows), an investigator or trial
reviewer acting on the case or its measures (A1, Rules 59); days in the service's zone."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from cases.v1 import events_pb2 as cases_pb2
from common.v1 import identity_pb2
from kernel.domain.principal import Principal
from kernel.eventstore import envelope as env_mod
from kernel.eventstore.envelope import Link, NewEvent
from services.sanctions.adapters.translators import from_cases_to_directory
from services.sanctions.app.case_directory import CaseNews

CASE = "case-00000000-0000-0000-0000-0000000000c1"
MEASURE = "measure-00000000-0000-0000-0000-0000000000c1"
BEIJING = timezone(timedelta(hours=8))
AT = datetime(2026, 8, 31, 17, tzinfo=timezone.utc)  # 1 September in Beijing
HEAD = Principal("commission", "leadership", "commission_head", "u-head")
INVESTIGATOR = Principal("commission", "investigation_1", "investigator", "u-inv")
REVIEWER = Principal("commission", "trial", "trial_reviewer", "u-rev")


def news(payload, by=HEAD, stream=CASE, relation="case"):
    event = NewEvent("e-1", payload, AT, by, "c", links=(Link("case", CASE, relation),))
    return from_cases_to_directory(env_mod.parse(env_mod.seal(env_mod.build(event, stream, 1, AT))), BEIJING)


def test_g10_a_filing_names_its_subjects_and_its_day_in_the_service_zone():
    filed = cases_pb2.CaseFiled(
        case_id=CASE,
        subjects=[
            identity_pb2.PersonRef(person_id="P-1", name="甲"),
            identity_pb2.PersonRef(person_id="P-2", name="乙"),
        ],
    )
    filed.filed_at.FromDatetime(AT)
    assert news(filed) == CaseNews(CASE, ("P-1", "P-2"), date(2026, 9, 1))


def test_g10_a_disposal_and_a_withdrawal_close_the_case_on_their_day():
    disposed = cases_pb2.CaseDisposed(case_id=CASE, decided_by="u-head")
    disposed.decided_at.FromDatetime(AT)
    assert news(disposed) == CaseNews(CASE, closed_on=date(2026, 9, 1))
    assert news(cases_pb2.CaseWithdrawn(case_id=CASE, reason="no evidence")) == CaseNews(
        CASE, closed_on=date(2026, 9, 1)
    )


def test_a1_investigators_and_trial_reviewers_on_the_case_or_its_measures_are_its_handlers():
    started = cases_pb2.InvestigationStarted(case_id=CASE, started_by="u-inv")
    assert news(started, INVESTIGATOR) == CaseNews(CASE, participant=("u-inv", "investigator"))
    assert news(started, REVIEWER, MEASURE, "measure-of") == CaseNews(CASE, participant=("u-rev", "trial_reviewer"))
    assert news(started, HEAD) is None  # the head is no original handler, and nothing else is news


def test_g12_a_disposal_names_the_persons_it_transferred_for_prosecution_whom_the_court_may_report_on():
    """Issue 24 (SL 54; G12, PSL 14, 49): the court reports a judgment only on them."""
    disposed = cases_pb2.CaseDisposed(
        case_id=CASE,
        outcomes=[
            cases_pb2.Outcome(kind=cases_pb2.OUTCOME_KIND_TRANSFER_FOR_PROSECUTION, person_id="P-1"),
            cases_pb2.Outcome(kind=cases_pb2.OUTCOME_KIND_NO_SANCTION, person_id="P-2"),
        ],
    )
    disposed.decided_at.FromDatetime(AT)
    assert news(disposed) == CaseNews(CASE, closed_on=date(2026, 9, 1), transferred=("P-1",))
