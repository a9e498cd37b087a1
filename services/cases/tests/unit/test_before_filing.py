"""Measures before filing (domain.md §2 "Before filing", §3): 管护 at the clue stage (SL 25) and the
preliminary check's measures (SL 41) are taken on a clue under preliminary check on an approved
plan, only for the kinds configured `before_filing`, only on the clue's subjects; they follow the
clue into the case filed from it, once. Table tests, one row per rule."""

import copy
import re
import tomllib
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from cases.v1 import events_pb2
from clues.v1 import events_pb2 as clues_pb2
from kernel.domain.errors import IllegalState, Validation
from kernel.domain.principal import Principal
from kernel.eventstore import envelope as env_mod
from kernel.eventstore.envelope import Link, NewEvent
from services.cases.adapters.mapping import CODEC
from services.cases.adapters.translators import from_clues_to_directory
from services.cases.app.measure_rules import DEFAULT_FILE, MeasureRulesError, load_measure_rules, parse_measure_rules
from services.cases.domain import before_filing as bf, events as ev, measures as m
from services.cases.tests.unit.test_measures import BEFORE_FILING, INVESTIGATOR, RULES, spec

CLUE, CASE, OTHER_CASE, MID = "clue-1", "case-1", "case-2", "measure-1"


def news(version: int, **changes) -> bf.ClueNews:
    return bf.ClueNews(CLUE, version, **changes)


RECEIVED = [news(1, stage="RECEIVED", subjects=("P-1", "P-2"), holder="complaints")]
REGISTERED = RECEIVED + [
    news(2, proposed_office="supervision_1"),
    news(3, stage="REGISTERED", registration_approved=True),
]
IN_CHECK = REGISTERED + [news(4, stage="DISPOSAL_PROPOSED"), news(5, stage="PRELIM_CHECK", plan_dropped=True)]
PLANNED = IN_CHECK + [news(6, plan_needs=frozenset({"commission_head"}))]
UNDER_CHECK = PLANNED + [news(7, plan_approved_by="commission_head")]


def fold(items) -> bf.ClueEntry:
    entry = bf.ClueEntry(CLUE)
    for n in items:
        entry = bf.apply(entry, n)
    return entry


@pytest.mark.parametrize(
    "history, under_check, state",
    [
        (RECEIVED, False, "clue RECEIVED"),
        (REGISTERED, False, "clue REGISTERED"),
        (IN_CHECK, False, "clue PRELIM_CHECK (work plan not approved)"),  # SL 41: the check runs on its plan
        (PLANNED, False, "clue PRELIM_CHECK (work plan not approved)"),
        (UNDER_CHECK, True, "clue PRELIM_CHECK"),
        # Rules 33: the subject heads the next-lower committee; the Party committee head too
        (
            PLANNED[:-1]
            + [news(6, plan_needs=frozenset({"commission_head", "party_committee_head"}))]
            + [news(7, plan_approved_by="commission_head")],
            False,
            "clue PRELIM_CHECK (work plan not approved)",
        ),
        (UNDER_CHECK + [news(8, stage="REPORTED")], False, "clue REPORTED"),
        (UNDER_CHECK + [news(8, stage="REPORTED"), news(9, stage="PRELIM_CHECK")], True, "clue PRELIM_CHECK"),
        (
            UNDER_CHECK + [news(8, stage="PRELIM_CHECK", plan_dropped=True)],
            False,
            "clue PRELIM_CHECK (work plan not approved)",
        ),  # reopened: a new plan first
        (REGISTERED + [news(4, stage="TALK_OR_LETTER")], False, "clue TALK_OR_LETTER"),
        (
            UNDER_CHECK + [news(8, stage="CASE_FILED", case_id=CASE)],
            False,
            f"clue CASE_FILED (filed as {CASE}: request the measure on the case)",
        ),
    ],
)
def test_measures_are_allowed_only_under_preliminary_check_sl_41(history, under_check, state):
    entry = fold(history)
    assert (entry.under_check, entry.state()) == (under_check, state)


def test_the_holder_follows_registration_and_escalation_and_the_links_liaison():
    assert fold(RECEIVED).holder == "complaints"
    assert (fold(REGISTERED).holder, fold(REGISTERED).liaison) == ("supervision_1", "")
    escalated = fold(UNDER_CHECK + [news(8, holder="investigation_1", liaison="supervision_1")])
    assert (escalated.holder, escalated.liaison, escalated.subjects) == (
        "investigation_1",
        "supervision_1",
        ("P-1", "P-2"),
    )


def test_an_event_older_than_the_entry_changes_nothing():
    entry = fold(UNDER_CHECK)
    assert bf.apply(entry, news(3, stage="REGISTERED")) == entry


TALKING = REGISTERED + [news(4, stage="TALK_OR_LETTER")]


@pytest.mark.parametrize(
    "history, kind, person, error, text",
    [
        (UNDER_CHECK, "INQUIRY", "P-2", None, ""),  # SL 41: the check's measures on its plan
        (UNDER_CHECK, "PROTECTIVE_CUSTODY", "P-1", None, ""),  # SL 25: confessed in an inquiry
        (TALKING, "PROTECTIVE_CUSTODY", "P-1", None, ""),  # SL 25: confessed in a talk or letter inquiry
        (TALKING, "INQUIRY", "P-1", IllegalState, "clue TALK_OR_LETTER"),  # SL 41: only in a check
        (PLANNED, "INQUIRY", "P-1", IllegalState, "PRELIM_CHECK (work plan not approved)"),
        (PLANNED, "PROTECTIVE_CUSTODY", "P-1", IllegalState, "PRELIM_CHECK (work plan not approved)"),
        (REGISTERED, "PROTECTIVE_CUSTODY", "P-1", IllegalState, "clue REGISTERED"),
        (UNDER_CHECK + [news(8, stage="AWAITING_FILING")], "INQUIRY", "P-1", IllegalState, "AWAITING_FILING"),
        (
            TALKING + [news(5, stage="CASE_FILED", case_id=CASE)],
            "PROTECTIVE_CUSTODY",
            "P-1",
            IllegalState,
            "CASE_FILED",
        ),
        (UNDER_CHECK, "INQUIRY", "P-9", Validation, "person_id"),  # not a subject of the clue
        (TALKING, "PROTECTIVE_CUSTODY", "P-9", Validation, "person_id"),
    ],
)
def test_a_request_on_a_clue_sl_25_41(history, kind, person, error, text):
    if error is None:
        bf.check_request(fold(history), person, kind)
        return
    with pytest.raises(error, match=re.escape(text)):
        bf.check_request(fold(history), person, kind)


def test_approval_needs_the_stage_running_and_extension_an_open_clue():
    bf.check_approval(fold(UNDER_CHECK), "INQUIRY")
    bf.check_approval(fold(TALKING), "PROTECTIVE_CUSTODY")
    with pytest.raises(IllegalState, match="REPORTED"):
        bf.check_approval(fold(UNDER_CHECK + [news(8, stage="REPORTED")]), "INQUIRY")
    with pytest.raises(IllegalState, match="CLOSED"):  # the talk concluded, cleared
        bf.check_approval(fold(TALKING + [news(5, stage="CLOSED")]), "PROTECTIVE_CUSTODY")
    bf.check_extension(fold(UNDER_CHECK + [news(8, stage="AWAITING_FILING")]))
    with pytest.raises(IllegalState, match="CLOSED"):
        bf.check_extension(fold(UNDER_CHECK + [news(8, stage="CLOSED")]))


# -- the measure's decider ------------------------------------------------------------------------


GROUNDS = ev.CustodyGrounds("CONFESSED", ("FLIGHT",), "confessed in a talk, bought a ticket abroad")  # SL 25


def request(kind="PROTECTIVE_CUSTODY", case_id="", clue_id=CLUE):
    grounds = GROUNDS if kind == "PROTECTIVE_CUSTODY" else None
    return m.RequestMeasure(
        MID,
        case_id,
        kind,
        "P-1",
        "supervision_1",
        "confessed in a talk",
        INVESTIGATOR,
        clue_id=clue_id,
        custody_grounds=grounds,
    )


ON_CLUE = ev.MeasureRequested(
    MID, "", "PROTECTIVE_CUSTODY", "P-1", "supervision_1", "confessed in a talk", "u-inv", clue_id=CLUE
)


@pytest.mark.parametrize("kind", BEFORE_FILING)
def test_the_kinds_configured_before_filing_are_requested_on_the_clue(kind):
    [requested] = spec.given([]).when(request(kind)).run()
    assert (requested.kind, requested.case_id, requested.clue_id, requested.office) == (kind, "", CLUE, "supervision_1")


@pytest.mark.parametrize(
    "command, field",
    [
        (request("SEARCH"), "kind"),  # not before filing (not among SL 41's)
        (request("DETENTION"), "kind"),
        (request(case_id=CASE), "clue_id"),  # both
        (request(clue_id=""), "case_id"),  # neither
    ],
)
def test_refused_requests_name_the_field(command, field):
    spec.given([]).when(command).raises(Validation, field=field)


def test_a_measure_follows_its_clue_into_the_case_once():
    attach = m.AttachToCase(MID, CASE, CLUE)
    spec.given([ON_CLUE]).when(attach).then([ev.MeasureAttachedToCase(MID, CASE, CLUE)])
    attached = [ON_CLUE, ev.MeasureAttachedToCase(MID, CASE, CLUE)]
    spec.given(attached).when(attach).then([])  # redelivered, restarted: nothing more
    spec.given(attached).when(m.AttachToCase(MID, OTHER_CASE, CLUE)).raises(IllegalState)
    on_case = replace(ON_CLUE, case_id=CASE, clue_id="")
    spec.given([on_case]).when(attach).raises(IllegalState)  # a case's measure has no clue to follow
    spec.given([replace(ON_CLUE, clue_id="clue-2")]).when(attach).raises(IllegalState)


def test_once_attached_the_ledger_lists_it_under_the_case():
    before = m.ledger_row(m.fold([ON_CLUE]), RULES)
    after = m.ledger_row(m.fold([ON_CLUE, ev.MeasureAttachedToCase(MID, CASE, CLUE)]), RULES)
    assert (before["case_id"], before["clue_id"]) == ("", CLUE)
    assert (after["case_id"], after["clue_id"], after["office"]) == (CASE, CLUE, "supervision_1")


def test_a_measure_recorded_before_reads_the_same():
    old = ev.MeasureRequested(MID, CASE, "SEARCH", "P-1", "supervision_1", "r", "u-inv")
    row = m.ledger_row(m.fold([old]), RULES)
    assert (row["case_id"], row["clue_id"]) == (CASE, "")


# -- configuration ----------------------------------------------------------------------------------


SHIPPED = tomllib.loads(DEFAULT_FILE.read_text(encoding="utf-8"))


def _set(kind: str, value):
    """The shipped data with `before_filing` of `kind` set to `value` (removed if None)."""
    data = copy.deepcopy(SHIPPED)
    data["kinds"][kind].pop("before_filing", None)
    if value is not None:
        data["kinds"][kind]["before_filing"] = value
    return data


def test_the_shipped_file_allows_custody_and_the_preliminary_checks_measures_sl_25_41():
    rules = load_measure_rules()
    assert {k for k, r in rules.kinds.items() if r.before_filing} == set(BEFORE_FILING)


def test_before_filing_is_false_when_absent_and_must_be_a_boolean():
    assert parse_measure_rules(_set("PROTECTIVE_CUSTODY", None), "x").of("PROTECTIVE_CUSTODY").before_filing is False
    with pytest.raises(MeasureRulesError, match=r"^local\.toml: kinds\.INQUIRY\.before_filing:"):
        parse_measure_rules(_set("INQUIRY", "yes"), "local.toml")
    assert SHIPPED["kinds"]["PROTECTIVE_CUSTODY"]["before_filing"] is True


# -- the contract -----------------------------------------------------------------------------------


def test_a_measure_on_a_clue_round_trips_and_one_recorded_before_reads_without_a_clue():
    assert CODEC.from_pb(CODEC.to_pb(ON_CLUE)) == ON_CLUE
    attached = ev.MeasureAttachedToCase(MID, CASE, CLUE)
    assert CODEC.from_pb(CODEC.to_pb(attached)) == attached
    old = events_pb2.MeasureRequested(
        measure_id=MID, case_id=CASE, kind=events_pb2.MEASURE_KIND_SEARCH, person_id="P-1"
    )
    assert (CODEC.from_pb(old).case_id, CODEC.from_pb(old).clue_id) == (CASE, "")


def _clue_envelope(payload, stream_id: str, links=()):

    at = datetime(2026, 5, 1, 9, tzinfo=timezone.utc)
    event = NewEvent("e-1", payload, at, Principal.system("t"), "c", links=tuple(Link(*x) for x in links))
    return env_mod.parse(env_mod.seal(env_mod.build(event, stream_id, 3, at)))


def test_the_translator_reads_the_stage_and_the_holding_the_links_state():

    clue = "clue-00000000-0000-0000-0000-000000000001"
    prelim = clues_pb2.DisposalApproved(clue_id=clue, method=clues_pb2.DISPOSAL_METHOD_PRELIM_CHECK)
    held = [("office", "investigation_1", "holder"), ("office", "supervision_1", "liaison")]
    assert from_clues_to_directory(_clue_envelope(prelim, clue, held)) == bf.ClueNews(
        clue, 3, stage="PRELIM_CHECK", plan_dropped=True, holder="investigation_1", liaison="supervision_1"
    )
    plan = clues_pb2.PrelimCheckPlanSubmitted(clue_id=clue, subject_heads_lower_committee=True)
    assert from_clues_to_directory(_clue_envelope(plan, clue)).plan_needs == {"commission_head", "party_committee_head"}
    warning = clues_pb2.ClueWarningRaised(clue_id=clue)  # on the clue's timer stream: of no concern
    assert from_clues_to_directory(_clue_envelope(warning, "clue-timers-00000000-0000-0000-0000-000000000001")) is None
    assert from_clues_to_directory(_clue_envelope(clues_pb2.InformantIdentityRead(clue_id=clue), clue)) is None


@pytest.mark.parametrize(
    "proposal, stage",
    [
        ("FILE_CASE", "AWAITING_FILING"),
        ("CLOSE", "CLOSED"),
        ("TALK_OR_LETTER", "TALK_OR_LETTER"),
        ("SHELVE", "SHELVED"),  # SL 41; Rules ch. 6: the report's full set of proposals
        ("LIGHT_HANDLING", "CLOSED"),
        ("HAND_OVER_TO_PARTY_ORGANISATION", "CLOSED"),
    ],
)
def test_the_directory_follows_every_approved_report_proposal(proposal, stage):
    """No measure is taken on a clue the report shelved, closed or handed over (SL 41)."""
    clue = "clue-00000000-0000-0000-0000-000000000001"
    approved = clues_pb2.ReportApproved(clue_id=clue, proposal=getattr(clues_pb2, f"REPORT_PROPOSAL_{proposal}"))
    assert from_clues_to_directory(_clue_envelope(approved, clue)).stage == stage
