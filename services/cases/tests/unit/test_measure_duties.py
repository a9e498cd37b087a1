"""The duties common to investigation measures (domain.md §3, the bullets under the measures table),
table-driven, each row citing its article: notice within 24 hours or an approved deferral ending
in an immediate notice, and on release (SL 50 ¶1; 64); change requests decided within 3 days with
reasons (SL 50 ¶2); two staff, the written notice and the signed record (SL 44); no search, seizure
or sealing completed without its recording (SL 44 ¶2); expiry an alert on the leaders' queue
(SL 74(7)); the procuratorate taking custody ends the detention (IR2025 134)."""

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from kernel.domain.decider_spec import DeciderSpec
from kernel.domain.errors import Forbidden, IllegalState, Validation
from kernel.domain.principal import Principal
from services.cases.domain import events as ev, measure_duties as md, measures as m
from services.cases.tests.unit.test_measures import RULES

UTC8 = timezone(timedelta(hours=8))
START = datetime(2026, 5, 1, 9, 0, tzinfo=UTC8)  # domain.md §3: 管护 2026-05-01 09:00
ID, CASE = "measure-1", "case-1"
INVESTIGATOR = Principal("commission", "investigation_1", "investigator", "u-inv")
HEAD = Principal("commission", "leadership", "commission_head", "u-head")
MANAGER = Principal("commission", "case_management", "case_manager", "u-cm")
HASH = "ab" * 32
DOC = ev.Document("留置决定书", HASH)
RECORD = ev.Document("留置笔录 (signed)", "cd" * 32)
VIDEO = ev.Recording("ef" * 32, 3600, "search")
STAFF = (ev.Staff("Wang", "JC-0001"), ev.Staff("Li", "JC-0002"))

spec = DeciderSpec(lambda command, state: m.decide(command, state, RULES), m.fold)


def running(kind="PROTECTIVE_CUSTODY", starts=START):
    rule = RULES.of(kind)
    return [
        ev.MeasureRequested(ID, CASE, kind, "P-1", "investigation_1", "flight risk", "u-inv"),
        ev.MeasureApproved(ID, rule.approvers[0], "u-x", starts, rule.limit.after(starts) if rule.limit else None),
    ]


CUSTODY, DETENTION = running(), running("DETENTION")
DUE = START + timedelta(hours=24)  # 05-02 09:00
DEFERRED = CUSTODY + [ev.NoticeDeferred(ID, "accomplices at large", "u-head", "commission_head", START)]
OBSTRUCTION_ENDS = START + timedelta(days=3)
UNDEFERRED = DEFERRED + [ev.NoticeDeferralEnded(ID, "accomplices detained", "u-inv", OBSTRUCTION_ENDS)]


def ended(given, outcome="RELEASED", at=START + timedelta(days=5)):
    return given + [ev.MeasureEnded(ID, outcome, "no longer needed", "u-inv", at)]


# -- notice (SL 50 ¶1; 64) ------------------------------------------------------------------------


def test_worked_example_protective_custody_notice_due_within_24_hours_sl_50():
    state = m.fold(CUSTODY)
    assert m.notice_due(state, RULES) == datetime(2026, 5, 2, 9, 0, tzinfo=UTC8)
    assert m.timers_for(state, RULES)[f"notice:{ID}"][0] == DUE


@pytest.mark.parametrize(
    "given, command, expected",
    [
        # SL 50 ¶1: an approved deferral, with its reason, before the notice is due
        (CUSTODY, md.DeferNotice(ID, "accomplices at large", START, HEAD), DEFERRED[-1:]),
        (
            DETENTION,
            md.DeferNotice(ID, "r", START + timedelta(hours=23), HEAD),
            [ev.NoticeDeferred(ID, "r", "u-head", "commission_head", START + timedelta(hours=23))],
        ),
        # SL 50 ¶1: when the obstruction ends, the notice is due at once; given with it, it is on time
        (DEFERRED, md.EndNoticeDeferral(ID, "accomplices detained", OBSTRUCTION_ENDS, INVESTIGATOR), UNDEFERRED[-1:]),
        (
            DEFERRED,
            md.EndNoticeDeferral(ID, "done", OBSTRUCTION_ENDS, INVESTIGATOR, OBSTRUCTION_ENDS, OBSTRUCTION_ENDS),
            [
                ev.NoticeDeferralEnded(ID, "done", "u-inv", OBSTRUCTION_ENDS),
                ev.DetentionNoticeGiven(ID, OBSTRUCTION_ENDS, OBSTRUCTION_ENDS, "u-inv"),
            ],
        ),
        # SL 50 ¶1: the release is told too
        (
            ended(CUSTODY),
            md.GiveReleaseNotice(ID, START + timedelta(days=5), START + timedelta(days=5, hours=1), INVESTIGATOR),
            [ev.ReleaseNoticeGiven(ID, START + timedelta(days=5), START + timedelta(days=5, hours=1), "u-inv")],
        ),
    ],
)
def test_notice_rows_sl_50(given, command, expected):
    spec.given(given).when(command).then(expected)


@pytest.mark.parametrize(
    "given, command, error, attrs",
    [
        # SL 50 ¶1: only a kind owing a notice (管护, 留置, 禁闭) can defer it
        (
            running("ORDERED_WAITING"),
            md.DeferNotice(ID, "r", START, HEAD),
            IllegalState,
            {"current_state": "ACTIVE (ORDERED_WAITING owes no notice)"},
        ),
        # the deferral is an approval: a configured role (local practice)
        (CUSTODY, md.DeferNotice(ID, "r", START, INVESTIGATOR), Forbidden, {}),
        # too late: the 24 hours have passed
        (CUSTODY, md.DeferNotice(ID, "r", DUE, HEAD), IllegalState, {}),
        (
            CUSTODY + [ev.DetentionNoticeGiven(ID, START, START, "u-inv")],
            md.DeferNotice(ID, "r", START, HEAD),
            IllegalState,
            {"current_state": "ACTIVE (notice already given)"},
        ),
        (
            DEFERRED,
            md.DeferNotice(ID, "r", START, HEAD),
            IllegalState,
            {"current_state": "ACTIVE (notice already deferred)"},
        ),
        # once the obstruction ended the notice is due now: no second deferral
        (UNDEFERRED, md.DeferNotice(ID, "r", START, HEAD), IllegalState, {}),
        (CUSTODY, md.DeferNotice(ID, " ", START, HEAD), Validation, {"field": "reason"}),
        (
            CUSTODY,
            md.EndNoticeDeferral(ID, "r", START, INVESTIGATOR),
            IllegalState,
            {"current_state": "ACTIVE (no notice deferred)"},
        ),
        (
            DEFERRED,
            md.EndNoticeDeferral(ID, "r", START, INVESTIGATOR, START),
            Validation,
            {"field": "family_notified_at"},
        ),
        # the release notice: after a release only, once
        (CUSTODY, md.GiveReleaseNotice(ID, START, START, INVESTIGATOR), IllegalState, {}),
        (
            ended(CUSTODY, "CONVERTED"),
            md.GiveReleaseNotice(ID, START, START, INVESTIGATOR),
            IllegalState,
            {"current_state": "ENDED (CONVERTED: not a release)"},
        ),
        (
            ended(CUSTODY),
            md.GiveReleaseNotice(ID, START, START, INVESTIGATOR),
            Validation,
            {"field": "unit_notified_at"},
        ),
        (
            ended(CUSTODY) + [ev.ReleaseNoticeGiven(ID, START, START, "u-inv")],
            md.GiveReleaseNotice(ID, START + timedelta(days=6), START + timedelta(days=6), INVESTIGATOR),
            IllegalState,
            {"current_state": "ENDED (release notice already given)"},
        ),
    ],
)
def test_notice_refusals_sl_50(given, command, error, attrs):
    spec.given(given).when(command).raises(error, **attrs)


def test_a_deferral_stops_the_notice_clock_and_its_end_makes_the_notice_due_at_once_sl_50():
    deferred = m.fold(DEFERRED)
    assert m.notice_due(deferred, RULES) is None
    assert not any(k.startswith("notice:") for k in m.timers_for(deferred, RULES))
    assert m.ledger_row(deferred, RULES)["notice_deferred"] is True
    undeferred = m.fold(UNDEFERRED)
    assert m.notice_due(undeferred, RULES) == OBSTRUCTION_ENDS
    key = next(k for k in m.timers_for(undeferred, RULES) if k.startswith("notice:"))
    assert key != f"notice:{ID}" and m.timers_for(undeferred, RULES)[key][0] == OBSTRUCTION_ENDS
    # the timer it raises is current, and records the notice overdue; a stale one does nothing
    spec.given(DEFERRED).when(m.RecordNoticeOverdue(ID, DUE)).then([])
    spec.given(UNDEFERRED).when(m.RecordNoticeOverdue(ID, OBSTRUCTION_ENDS)).then(
        [ev.DetentionNoticeOverdue(ID, OBSTRUCTION_ENDS)]
    )


def test_a_release_owes_its_notice_within_the_same_time_sl_50():
    released = m.fold(ended(CUSTODY))
    assert m.notice_due(released, RULES) == START + timedelta(days=6)
    told = m.fold(ended(CUSTODY) + [ev.ReleaseNoticeGiven(ID, START, START, "u-inv")])
    assert m.notice_due(told, RULES) is None and m.ledger_row(told, RULES)["release_notice_given"]
    assert m.notice_due(m.fold(ended(CUSTODY, "CONVERTED")), RULES) is None


def test_an_old_detention_notice_reads_as_before():
    state = m.fold(DETENTION + [ev.DetentionNoticeGiven(ID, START, START, "u-inv")])
    assert state.notice_given and m.notice_due(state, RULES) is None


# -- change requests (SL 50 ¶2) ---------------------------------------------------------------------

RECEIVED = START + timedelta(days=2)
ASKED = ev.MeasureChangeRequested(
    ID,
    "change-1",
    "NEAR_RELATIVE",
    "Zhang (spouse)",
    "LIFT",
    "ill health",
    RECEIVED,
    RECEIVED + timedelta(days=3),
    "u-inv",
)
REQUEST = md.RequestChange(
    ID, "change-1", "NEAR_RELATIVE", "Zhang (spouse)", "LIFT", "ill health", RECEIVED, INVESTIGATOR
)


@pytest.mark.parametrize(
    "given, command, expected",
    [
        (DETENTION, REQUEST, [ASKED]),  # SL 50 ¶2: decided within 3 days of receipt
        (
            DETENTION + [ASKED],
            md.DecideChange(ID, "change-1", False, "risk of collusion", RECEIVED, HEAD),
            [
                ev.MeasureChangeDecided(
                    ID, "change-1", False, "risk of collusion", "u-head", "commission_head", RECEIVED
                )
            ],
        ),
        (
            DETENTION + [ASKED],
            md.DecideChange(ID, "change-1", True, "", RECEIVED, HEAD),
            [ev.MeasureChangeDecided(ID, "change-1", True, "", "u-head", "commission_head", RECEIVED)],
        ),
        # the timer: current while undecided, stale once decided, overdue, or the measure ended
        (
            DETENTION + [ASKED],
            md.RecordChangeOverdue(ID, "change-1", ASKED.due),
            [ev.MeasureChangeOverdue(ID, "change-1", ASKED.due)],
        ),
        (
            DETENTION + [ASKED, ev.MeasureChangeOverdue(ID, "change-1", ASKED.due)],
            md.RecordChangeOverdue(ID, "change-1", ASKED.due),
            [],
        ),
        (
            DETENTION
            + [ASKED, ev.MeasureChangeDecided(ID, "change-1", True, "", "u-head", "commission_head", RECEIVED)],
            md.RecordChangeOverdue(ID, "change-1", ASKED.due),
            [],
        ),
        (ended(DETENTION + [ASKED]), md.RecordChangeOverdue(ID, "change-1", ASKED.due), []),
        ([], md.RecordChangeOverdue(ID, "change-1", ASKED.due), []),
    ],
)
def test_change_request_rows_sl_50(given, command, expected):
    spec.given(given).when(command).then(expected)


@pytest.mark.parametrize(
    "given, command, error, attrs",
    [
        # SL 50 ¶2: reasons when refused
        (
            DETENTION + [ASKED],
            md.DecideChange(ID, "change-1", False, " ", RECEIVED, HEAD),
            Validation,
            {"field": "reasons"},
        ),
        (DETENTION + [ASKED], md.DecideChange(ID, "change-1", False, "r", RECEIVED, INVESTIGATOR), Forbidden, {}),
        (DETENTION, md.DecideChange(ID, "change-1", True, "", RECEIVED, HEAD), IllegalState, {}),
        (DETENTION + [ASKED], md.DecideChange(ID, "change-1", True, "", START, HEAD), Validation, {"field": "at"}),
        (DETENTION, replace(REQUEST, applicant="FRIEND"), Validation, {"field": "applicant"}),
        (DETENTION, replace(REQUEST, asked="MOVE"), Validation, {"field": "asked"}),
        (DETENTION, replace(REQUEST, grounds=""), Validation, {"field": "grounds"}),
        (DETENTION + [ASKED], REQUEST, IllegalState, {}),
        (ended(DETENTION), REQUEST, IllegalState, {"current_state": "ENDED"}),
    ],
)
def test_change_request_refusals_sl_50(given, command, error, attrs):
    spec.given(given).when(command).raises(error, **attrs)


def test_an_undecided_change_request_has_its_timer_and_ledger_line_sl_50():
    state = m.fold(DETENTION + [ASKED])
    assert m.timers_for(state, RULES)[f"change:{ID}:change-1"][0] == RECEIVED + timedelta(days=3)
    row = m.ledger_row(state, RULES)
    assert (row["changes_pending"], row["change_due"], row["change_overdue"]) == (1, ASKED.due, False)
    overdue = m.fold(DETENTION + [ASKED, ev.MeasureChangeOverdue(ID, "change-1", ASKED.due)])
    assert m.ledger_row(overdue, RULES)["change_overdue"] and f"change:{ID}:change-1" not in m.timers_for(
        overdue, RULES
    )
    assert m.ledger_row(m.fold(ended(DETENTION + [ASKED])), RULES)["changes_pending"] == 0


def test_the_decision_window_is_configuration_sl_50():
    rules = replace(RULES, duties=replace(RULES.duties, change_within=timedelta(days=5)))
    (asked,) = m.decide(REQUEST, m.fold(DETENTION), rules)
    assert asked.due == RECEIVED + timedelta(days=5)


# -- two staff (SL 44) ------------------------------------------------------------------------------


EXECUTE = md.RecordExecution(ID, STAFF, DOC, RECORD, START, INVESTIGATOR)


def test_execution_names_two_staff_the_written_notice_and_the_signed_record_sl_44():
    spec.given(DETENTION).when(EXECUTE).then([ev.MeasureExecuted(ID, STAFF, DOC, RECORD, START, "u-inv")])
    assert m.ledger_row(m.fold(DETENTION + [ev.MeasureExecuted(ID, STAFF, DOC, RECORD, START, "u-inv")]), RULES)[
        "executed"
    ]


@pytest.mark.parametrize(
    "given, command, error, field",
    [
        (DETENTION, replace(EXECUTE, staff=STAFF[:1]), Validation, "staff"),  # SL 44: at least two
        (DETENTION, replace(EXECUTE, staff=(STAFF[0], STAFF[0])), Validation, "staff"),
        (DETENTION, replace(EXECUTE, staff=(STAFF[0], ev.Staff("Li", ""))), Validation, "staff[1].id_number"),
        (DETENTION, replace(EXECUTE, written_notice=None), Validation, "written_notice"),
        (DETENTION, replace(EXECUTE, signed_record=ev.Document("r", "XYZ")), Validation, "signed_record.sha256"),
        (DETENTION, replace(EXECUTE, executed_at=START - timedelta(hours=1)), Validation, "executed_at"),
    ],
)
def test_execution_refusals_sl_44(given, command, error, field):
    spec.given(given).when(command).raises(error, field=field)


def test_execution_is_recorded_once_after_approval_sl_44():
    spec.given(DETENTION[:1]).when(EXECUTE).raises(IllegalState, current_state="REQUESTED")
    spec.given(DETENTION + [ev.MeasureExecuted(ID, STAFF, DOC, RECORD, START, "u-inv")]).when(EXECUTE).raises(
        IllegalState, current_state="ACTIVE (execution already recorded)"
    )


# -- recordings (SL 44 ¶2) ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["SEARCH", "SEIZURE", "SEALING"])
def test_a_search_seizure_or_sealing_is_completed_only_with_its_recording_sl_44(kind):
    given, at = running(kind), START + timedelta(hours=2)
    spec.given(given).when(m.EndMeasure(ID, "COMPLETED", "done", at, INVESTIGATOR)).raises(
        Validation, field="recording"
    )
    spec.given(given).when(m.EndMeasure(ID, "COMPLETED", "done", at, INVESTIGATOR, recording=VIDEO)).then(
        [ev.MeasureEnded(ID, "COMPLETED", "done", "u-inv", at, recording=VIDEO)]
    )
    bad = replace(VIDEO, sha256="00")
    spec.given(given).when(m.EndMeasure(ID, "COMPLETED", "d", at, INVESTIGATOR, recording=bad)).raises(
        Validation, field="recording.sha256"
    )


def test_other_ends_and_kinds_need_no_recording_sl_44():
    at = START + timedelta(hours=2)
    spec.given(running("SEARCH")).when(m.EndMeasure(ID, "LIFTED", "not needed", at, INVESTIGATOR)).then(
        [ev.MeasureEnded(ID, "LIFTED", "not needed", "u-inv", at)]
    )
    spec.given(running("INQUIRY")).when(m.EndMeasure(ID, "COMPLETED", "done", at, INVESTIGATOR)).then(
        [ev.MeasureEnded(ID, "COMPLETED", "done", "u-inv", at)]
    )


# -- expiry is an alert (SL 74(7)) -------------------------------------------------------------------


def test_an_expired_measure_is_raised_once_and_names_the_leaders_until_ended_sl_74():
    end = RULES.of("PROTECTIVE_CUSTODY").limit.after(START)
    spec.given(CUSTODY).when(m.RecordExpired(ID, end)).then([ev.MeasureExpired(ID, end)])
    expired = CUSTODY + [ev.MeasureExpired(ID, end)]
    spec.given(expired).when(m.RecordExpired(ID, end)).then([])  # once
    assert "commission_head" in m.approver_roles("DETENTION", "EXPIRED", 0, True, RULES)
    assert "commission_head" not in m.approver_roles("DETENTION", "ACTIVE", 0, True, RULES)
    assert "commission_head" not in m.approver_roles("DETENTION", "ENDED", 0, True, RULES)
    assert m.ledger_row(m.fold(expired), RULES)["expired_not_ended"]
    assert not m.ledger_row(m.fold(ended(expired)), RULES)["expired_not_ended"]


# -- custody (IR2025 134) ---------------------------------------------------------------------------


TAKEN = START + timedelta(days=60)


def test_the_procuratorate_taking_custody_ends_the_detention_ir2025_134():
    reason = "taken into custody by the procuratorate (IR2025 134): 留置决定书"
    spec.given(DETENTION).when(md.TransferCustody(ID, DOC, TAKEN, MANAGER)).then(
        [
            # with the days in detention and their offset (SL 50 ¶4; test_measure_safeguards.py)
            ev.CustodyTransferred(ID, DOC, TAKEN, "u-cm", "case_manager", 60, 120, 60),
            ev.MeasureEnded(ID, "CUSTODY_TRANSFERRED", reason, "u-cm", TAKEN),
        ]
    )
    end = DETENTION[-1].ends_at
    expired = DETENTION + [ev.MeasureExpired(ID, end)]  # an expired detention too: custody ends it
    (_, ended_) = m.decide(md.TransferCustody(ID, DOC, end, MANAGER), m.fold(expired), RULES)
    assert m.fold([*expired, ended_]).status == m.ENDED


@pytest.mark.parametrize(
    "given, command, error, attrs",
    [
        (CUSTODY, md.TransferCustody(ID, DOC, TAKEN, MANAGER), IllegalState, {}),  # from a detention only
        (DETENTION, md.TransferCustody(ID, None, TAKEN, MANAGER), Validation, {"field": "document"}),
        (
            DETENTION,
            md.TransferCustody(ID, ev.Document("", HASH), TAKEN, MANAGER),
            Validation,
            {"field": "document.title"},
        ),
        (DETENTION, md.TransferCustody(ID, DOC, START - timedelta(days=1), MANAGER), Validation, {"field": "taken_at"}),
        (ended(DETENTION), md.TransferCustody(ID, DOC, TAKEN, MANAGER), IllegalState, {"current_state": "ENDED"}),
        # only through its command, with its document
        (DETENTION, m.EndMeasure(ID, "CUSTODY_TRANSFERRED", "r", TAKEN, MANAGER), Validation, {"field": "outcome"}),
    ],
)
def test_custody_refusals_ir2025_134(given, command, error, attrs):
    spec.given(given).when(command).raises(error, **attrs)


def line(kind="DETENTION", status="ACTIVE", case_id=CASE):
    return {"case_id": case_id, "kind": kind, "status": status}


@pytest.mark.parametrize(
    "activity, measure, error, field",
    [
        ("INTERROGATION", line(), None, ""),  # SL 44 ¶2: the running detention it belongs to
        ("INTERROGATION", line("PROTECTIVE_CUSTODY", "EXPIRED"), None, ""),
        ("SEARCH", line("SEARCH", "ENDED"), None, ""),  # a search's recording may follow its completion
        ("INTERROGATION", None, Validation, "measure_id"),  # no such measure
        ("INTERROGATION", line(case_id="case-2"), Validation, "measure_id"),  # another case's
        ("INTERROGATION", line("SEARCH"), Validation, "measure_id"),  # not a measure holding the person
        ("SEIZURE", line("SEARCH"), Validation, "measure_id"),
        ("INTERROGATION", line(status="ENDED"), IllegalState, ""),  # the detention is over
        ("SEARCH", line("SEARCH", "REQUESTED"), IllegalState, ""),  # not approved
    ],
)
def test_a_recorded_activity_names_its_measure_of_this_case_sl_44(activity, measure, error, field):
    if error is None:
        md.check_activity_measure(activity, CASE, ID, measure)
        return
    with pytest.raises(error) as raised:
        md.check_activity_measure(activity, CASE, ID, measure)
    assert getattr(raised.value, "field", "") == field


def test_a_deferral_may_be_decided_ahead_of_a_planned_start_sl_50():
    ahead = START - timedelta(hours=2)
    spec.given(CUSTODY).when(md.DeferNotice(ID, "r", ahead, HEAD)).then(
        [ev.NoticeDeferred(ID, "r", "u-head", "commission_head", ahead)]
    )


RUNNING = [
    ("measure-d", "DETENTION", "P-1"),
    ("measure-w", "ORDERED_WAITING", "P-1"),
    ("measure-e", "DETENTION", "P-2"),
]


@pytest.mark.parametrize(
    "outcomes, blocking",
    [
        ((), ["measure-d", "measure-w", "measure-e"]),
        ((ev.Outcome("TRANSFER_FOR_PROSECUTION", "P-1"),), ["measure-w", "measure-e"]),
        ((ev.Outcome("NO_SANCTION", "P-2"), ev.Outcome("TRANSFER_FOR_PROSECUTION", "P-2")), ["measure-d", "measure-w"]),
    ],
)
def test_sl_54_a_disposal_transferring_a_person_leaves_only_their_detention_running_until_custody(outcomes, blocking):
    """IR2025 134: the detention ends when the procuratorate takes custody, after the transfer;
    every other running measure is ended before the case closes."""
    assert md.blocking_closure(SimpleNamespace(outcomes=outcomes), RUNNING, ("DETENTION",)) == blocking
