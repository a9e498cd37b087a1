"""The person's safeguards around investigation measures (domain.md §3), table-driven, each row
citing its article: property found unrelated released within 3 days (SL 26, 28); a search with its
warrant, a witness, a woman searched by women (SL 27); complaints decided in 1 month, reviewed
upward when sought within 1 month, decided in 2 (SL 69); the days in detention offset against the
sentence when the procuratorate takes custody (SL 50 ¶4)."""

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from kernel.domain.decider_spec import DeciderSpec
from kernel.domain.errors import Forbidden, IllegalState, Validation
from kernel.domain.principal import Principal
from services.cases.domain import (
    awaiting as aw,
    events as ev,
    measure_duties as md,
    measure_safeguards as ms,
    measures as m,
)
from services.cases.tests.unit.test_measures import RULES

UTC8 = timezone(timedelta(hours=8))
START = datetime(2026, 1, 10, 9, 0, tzinfo=UTC8)
ID, CASE = "measure-1", "case-1"
INVESTIGATOR = Principal("commission", "investigation_1", "investigator", "u-inv")
HEAD = Principal("commission", "leadership", "commission_head", "u-head")
SUPERIOR = Principal("commission", "leadership", "superior_head", "u-sup")
MANAGER = Principal("commission", "case_management", "case_manager", "u-cm")
HASH = "ab" * 32
WARRANT = ev.Document("搜查证", HASH)
RECORD = ev.Document("搜查笔录 (signed)", "cd" * 32)
WOMEN = (ev.Staff("Wang", "JC-0001", "FEMALE"), ev.Staff("Li", "JC-0002", "FEMALE"))
MIXED = (ev.Staff("Wang", "JC-0001", "FEMALE"), ev.Staff("Zhou", "JC-0003", "MALE"))

spec = DeciderSpec(lambda command, state: m.decide(command, state, RULES), m.fold)


def running(kind="FREEZING", starts=START):
    rule = RULES.of(kind)
    return [
        ev.MeasureRequested(ID, CASE, kind, "P-1", "investigation_1", "r", "u-inv"),
        ev.MeasureApproved(ID, rule.approvers[0], "u-x", starts, rule.limit.after(starts) if rule.limit else None),
    ]


# -- freeze, seal, seize: released within 3 days once unrelated (SL 26, 28) ----------------------

FOUND_AT = START + timedelta(days=10)
RELEASE_DUE = FOUND_AT + timedelta(days=3)


def found(kind="FREEZING"):
    return running(kind) + [
        ev.MeasureFoundUnrelated(
            ID, "account 6222 is the spouse's salary", FOUND_AT, "u-inv", "investigator", RELEASE_DUE
        )
    ]


@pytest.mark.parametrize("kind", ["FREEZING", "SEALING", "SEIZURE"])
def test_property_found_unrelated_is_due_for_release_within_3_days_sl_26_28(kind):
    cmd = ms.FindUnrelated(ID, "account 6222 is the spouse's salary", FOUND_AT, INVESTIGATOR)
    spec.given(running(kind)).when(cmd).then(found(kind)[-1:])
    state = m.fold(found(kind))
    row = m.ledger_row(state, RULES)
    assert (row["unrelated_at"], row["release_due"], row["release_overdue"]) == (FOUND_AT, RELEASE_DUE, False)
    assert m.timers_for(state, RULES)[f"release:{ID}"] == (RELEASE_DUE, ev.MeasureReleaseOverdue(ID, RELEASE_DUE))


def test_the_release_overdue_is_raised_once_and_the_release_shows_on_the_ledger_sl_26_28():
    spec.given(found()).when(ms.RecordReleaseOverdue(ID, RELEASE_DUE)).then([ev.MeasureReleaseOverdue(ID, RELEASE_DUE)])
    late = found() + [ev.MeasureReleaseOverdue(ID, RELEASE_DUE)]
    spec.given(late).when(ms.RecordReleaseOverdue(ID, RELEASE_DUE)).then([])  # once
    assert f"release:{ID}" not in m.timers_for(m.fold(late), RULES)
    assert m.ledger_row(m.fold(late), RULES)["release_overdue"] is True
    released_at = RELEASE_DUE + timedelta(hours=5)
    cmd = m.EndMeasure(ID, "LIFTED", "unrelated to the case (SL 26)", released_at, INVESTIGATOR)
    (end,) = m.decide(cmd, m.fold(late), RULES)
    row = m.ledger_row(m.fold([*late, end]), RULES)
    assert (row["released_at"], row["release_due"], row["release_overdue"]) == (released_at, None, True)
    spec.given([*found(), end]).when(ms.RecordReleaseOverdue(ID, RELEASE_DUE)).then([])  # released: stale


@pytest.mark.parametrize(
    "given, command, error, attrs",
    [
        # SL 26, 28: only a measure holding property
        (running("SEARCH"), ms.FindUnrelated(ID, "x", FOUND_AT, INVESTIGATOR), IllegalState, {}),
        (found(), ms.FindUnrelated(ID, "again", FOUND_AT, INVESTIGATOR), IllegalState, {}),  # once
        (running(), ms.FindUnrelated(ID, " ", FOUND_AT, INVESTIGATOR), Validation, {"field": "what"}),
        (
            running(),
            ms.FindUnrelated(ID, "x", START - timedelta(days=1), INVESTIGATOR),
            Validation,
            {"field": "found_at"},
        ),
        # released, not completed or converted, once found unrelated
        (found(), m.EndMeasure(ID, "COMPLETED", "done", RELEASE_DUE, INVESTIGATOR), Validation, {"field": "outcome"}),
    ],
)
def test_release_refusals_sl_26_28(given, command, error, attrs):
    spec.given(given).when(command).raises(error, **attrs)


# -- search: warrant, witness, a woman by women (SL 27) -------------------------------------------


def search(staff=WOMEN, searched="FEMALE", warrant=WARRANT, witnesses=("Chen (neighbour)",)):
    return md.RecordExecution(ID, staff, WARRANT, RECORD, START, INVESTIGATOR, warrant, witnesses, searched)


def test_a_search_records_its_warrant_witnesses_and_sexes_sl_27():
    spec.given(running("SEARCH")).when(search()).then(
        [
            ev.MeasureExecuted(
                ID,
                WOMEN,
                WARRANT,
                RECORD,
                START,
                "u-inv",
                warrant=WARRANT,
                witnesses=("Chen (neighbour)",),
                searched_sex="FEMALE",
            )
        ]
    )
    (executed,) = m.decide(search(MIXED, "MALE"), m.fold(running("SEARCH")), RULES)  # a man by anyone
    assert [s.sex for s in executed.staff] == ["FEMALE", "MALE"]


@pytest.mark.parametrize(
    "command, field",
    [
        (search(warrant=None), "warrant"),  # SL 27: with a search warrant
        (search(warrant=ev.Document("搜查证", "xyz")), "warrant.sha256"),
        (search(witnesses=()), "witnesses"),  # SL 27: a witness present
        (search(witnesses=(" ",)), "witnesses[0]"),
        (search(searched=""), "searched_sex"),  # SL 27: the searched person's sex stated
        (search(staff=(WOMEN[0], ev.Staff("Li", "JC-0002"))), "staff[1].sex"),
        (search(staff=MIXED), "staff[1].sex"),  # SL 27: a woman is searched by women only
        (search(staff=WOMEN[:1]), "staff"),  # SL 44: two staff still
    ],
)
def test_search_refusals_name_the_field_sl_27(command, field):
    spec.given(running("SEARCH")).when(command).raises(Validation, field=field)


def test_search_fields_belong_to_a_search_only_sl_27():
    cmd = replace(search(), staff=(ev.Staff("Wang", "JC-0001"), ev.Staff("Li", "JC-0002")))
    spec.given(running("FREEZING")).when(cmd).raises(Validation, field="warrant")
    plain = md.RecordExecution(ID, cmd.staff, WARRANT, RECORD, START, INVESTIGATOR)
    (executed,) = m.decide(plain, m.fold(running("FREEZING")), RULES)
    assert (executed.warrant, executed.witnesses, executed.searched_sex) == (None, (), "")


# -- complaints: 1 month; review sought in 1, decided in 2 (SL 69) -------------------------------

RECEIVED = START + timedelta(days=120)  # 2026-05-10 09:00
DECIDED_AT = datetime(2026, 5, 30, 9, 0, tzinfo=UTC8)
SOUGHT = datetime(2026, 6, 20, 9, 0, tzinfo=UTC8)
FILED = ev.MeasureComplaintFiled(
    ID,
    "complaint-1",
    "NEAR_RELATIVE",
    "Zhang (spouse)",
    "PAST_LIMIT",
    "held past the limit",
    RECEIVED,
    datetime(2026, 6, 10, 9, 0, tzinfo=UTC8),  # 1 month
    "u-inv",
)
DECIDED = ev.MeasureComplaintDecided(
    ID,
    "complaint-1",
    False,
    "extended in time",
    "u-head",
    "commission_head",
    DECIDED_AT,
    review_sought_by=datetime(2026, 6, 30, 9, 0, tzinfo=UTC8),  # 1 month
)
SOUGHT_EV = ev.MeasureComplaintReviewSought(
    ID, "complaint-1", SOUGHT, datetime(2026, 8, 20, 9, 0, tzinfo=UTC8), "u-inv"
)
DETAINED = running("DETENTION")
ENDED = DETAINED + [ev.MeasureEnded(ID, "RELEASED", "r", "u-inv", RECEIVED - timedelta(days=1))]


def complaint(**kw):
    args = dict(
        measure_id=ID,
        complaint_id="complaint-1",
        complainant="NEAR_RELATIVE",
        complainant_name="Zhang (spouse)",
        ground="PAST_LIMIT",
        detail="held past the limit",
        received_at=RECEIVED,
        by=INVESTIGATOR,
    )
    return ms.FileComplaint(**{**args, **kw})


@pytest.mark.parametrize(
    "given, command, expected",
    [
        # SL 69: filed about a running or ended measure, decided within 1 month
        (DETAINED, complaint(), [FILED]),
        (ENDED, complaint(), [FILED]),
        # SL 69: the commission decides, with reasons; a review may be sought within 1 month
        (
            DETAINED + [FILED],
            ms.DecideComplaint(ID, "complaint-1", False, "extended in time", DECIDED_AT, HEAD),
            [DECIDED],
        ),
        # SL 69: the review sought within the month is decided within 2 months
        (DETAINED + [FILED, DECIDED], ms.SeekComplaintReview(ID, "complaint-1", SOUGHT, INVESTIGATOR), [SOUGHT_EV]),
        # SL 69: the upper commission decides the review
        (
            DETAINED + [FILED, DECIDED, SOUGHT_EV],
            ms.DecideComplaint(ID, "complaint-1", True, "past its limit", SOUGHT, SUPERIOR, review=True),
            [
                ev.MeasureComplaintDecided(
                    ID, "complaint-1", True, "past its limit", "u-sup", "superior_head", SOUGHT, True
                )
            ],
        ),
        # timers raise once, while the stage is open
        (
            DETAINED + [FILED],
            ms.RecordComplaintOverdue(ID, "complaint-1", "DECISION", FILED.due),
            [ev.MeasureComplaintOverdue(ID, "complaint-1", "DECISION", FILED.due)],
        ),
        (
            DETAINED + [FILED, ev.MeasureComplaintOverdue(ID, "complaint-1", "DECISION", FILED.due)],
            ms.RecordComplaintOverdue(ID, "complaint-1", "DECISION", FILED.due),
            [],
        ),
        (DETAINED + [FILED, DECIDED], ms.RecordComplaintOverdue(ID, "complaint-1", "DECISION", FILED.due), []),
        (
            DETAINED + [FILED, DECIDED, SOUGHT_EV],
            ms.RecordComplaintOverdue(ID, "complaint-1", "REVIEW", SOUGHT_EV.due),
            [ev.MeasureComplaintOverdue(ID, "complaint-1", "REVIEW", SOUGHT_EV.due)],
        ),
    ],
)
def test_complaints_sl_69(given, command, expected):
    spec.given(given).when(command).then(expected)


@pytest.mark.parametrize(
    "given, command, error, attrs",
    [
        (running("DETENTION")[:1], complaint(), IllegalState, {}),  # not approved: no measure to complain of
        (DETAINED, complaint(complainant="LAWYER"), Validation, {"field": "complainant"}),
        (DETAINED, complaint(ground=""), Validation, {"field": "ground"}),
        (DETAINED, complaint(detail=""), Validation, {"field": "detail"}),
        (DETAINED + [FILED], complaint(), IllegalState, {}),  # the same id twice
        # SL 69: the commission decides (configured roles), with reasons
        (
            DETAINED + [FILED],
            ms.DecideComplaint(ID, "complaint-1", False, "r", DECIDED_AT, INVESTIGATOR),
            Forbidden,
            {},
        ),
        (
            DETAINED + [FILED],
            ms.DecideComplaint(ID, "complaint-1", False, "", DECIDED_AT, HEAD),
            Validation,
            {"field": "reasons"},
        ),
        (DETAINED, ms.DecideComplaint(ID, "complaint-9", False, "r", DECIDED_AT, HEAD), IllegalState, {}),
        # SL 69: the review only after the decision, sought within 1 month of it, decided upward
        (DETAINED + [FILED], ms.SeekComplaintReview(ID, "complaint-1", SOUGHT, INVESTIGATOR), IllegalState, {}),
        (
            DETAINED + [FILED, DECIDED],
            ms.SeekComplaintReview(ID, "complaint-1", DECIDED.review_sought_by + timedelta(seconds=1), INVESTIGATOR),
            IllegalState,
            {},
        ),
        (
            DETAINED + [FILED, DECIDED, SOUGHT_EV],
            ms.DecideComplaint(ID, "complaint-1", True, "r", SOUGHT, HEAD, review=True),
            Forbidden,
            {},
        ),
        (
            DETAINED + [FILED, DECIDED],
            ms.DecideComplaint(ID, "complaint-1", True, "r", SOUGHT, SUPERIOR, review=True),
            IllegalState,
            {},
        ),
    ],
)
def test_complaint_refusals_sl_69(given, command, error, attrs):
    spec.given(given).when(command).raises(error, **attrs)


def test_complaint_timers_and_ledger_sl_69():
    state = m.fold(ENDED + [FILED])  # an ended measure's complaint still runs its timer
    assert m.timers_for(state, RULES)[f"complaint:{ID}:complaint-1:DECISION"][0] == FILED.due
    row = m.ledger_row(state, RULES)
    assert (row["complaints_pending"], row["complaint_due"], row["complaint_overdue"]) == (1, FILED.due, False)
    reviewed = m.fold(ENDED + [FILED, DECIDED, SOUGHT_EV])
    assert list(ms.timers(reviewed)) == [f"complaint:{ID}:complaint-1:REVIEW"]
    assert m.ledger_row(reviewed, RULES)["complaint_due"] == SOUGHT_EV.due
    assert m.ledger_row(m.fold(ENDED + [FILED, DECIDED]), RULES)["complaints_pending"] == 0  # awaits the complainant


# -- offset: 1 day = 2 days of 管制, or 1 day of 拘役 or prison (SL 50 ¶4) ---------------------------


@pytest.mark.parametrize(
    "taken, part_day, days",
    [
        (START + timedelta(days=91), "WHOLE", 91),  # whole days
        (START + timedelta(days=91, hours=3), "WHOLE", 92),  # a part-day counts as a day (unverified)
        (START + timedelta(days=91, hours=3), "NONE", 91),  # ... or not at all (configuration)
        (START + timedelta(hours=3), "WHOLE", 1),
    ],
)
def test_custody_records_the_days_in_detention_and_their_offset_sl_50_4(taken, part_day, days):
    rules = replace(RULES, safeguards=replace(RULES.safeguards, part_day=part_day))
    doc = ev.Document("羁押回执", HASH)
    custody, end = m.decide(md.TransferCustody(ID, doc, taken, MANAGER), m.fold(DETAINED), rules)
    assert (custody.detention_days, custody.control_offset_days, custody.prison_offset_days) == (days, 2 * days, days)
    assert end.outcome == "CUSTODY_TRANSFERRED"


def test_old_measure_events_fold_the_same():
    """Events recorded before the safeguards (no finding, no complaint, no offset) read as before."""
    old = DETAINED + [
        ev.MeasureExecuted(ID, WOMEN[:1] + MIXED[1:], WARRANT, RECORD, START, "u-inv"),
        ev.CustodyTransferred(ID, WARRANT, START + timedelta(days=3), "u-cm", "case_manager"),
        ev.MeasureEnded(ID, "CUSTODY_TRANSFERRED", "r", "u-cm", START + timedelta(days=3)),
    ]
    state = m.fold(old)
    assert state.safeguards == ms.Safeguards() and state.status == m.ENDED
    assert ms.timers(state) == {}


def test_the_safeguards_waits_are_on_the_awaiting_lists_sl_26_28_69():
    """ListAwaitingMe: the release of property found unrelated (the holding office), each complaint's
    decision (the commission's deciders, on review the upper commission's)."""
    release = [a for a in aw.measure_awaited(m.fold(found()), RULES) if a.step == "EndMeasure"]
    assert [(a.role, a.due, a.at_holder) for a in release] == [("investigator", RELEASE_DUE, True)]
    filed = [a for a in aw.measure_awaited(m.fold(ENDED + [FILED]), RULES) if "complaint" in a.summary]
    assert [(a.step, a.role) for a in filed] == [("DecideMeasureComplaint", "commission_head")]
    review = aw.measure_awaited(m.fold(ENDED + [FILED, DECIDED, SOUGHT_EV]), RULES)
    assert [(a.step, a.role) for a in review if "complaint" in a.summary] == [
        ("DecideMeasureComplaint", "superior_head")
    ]
