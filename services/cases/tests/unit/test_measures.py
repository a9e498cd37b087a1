"""Investigation measures (调查措施, domain.md §3), table-driven: every command in every state, every
limit and extension, every timer and every refusal."""

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from kernel.domain.decider_spec import DeciderSpec
from kernel.domain.errors import Forbidden, IllegalState, Validation
from kernel.domain.principal import Principal
from services.cases.domain import events as ev, measures as m
from services.cases.domain.measure_conditions import Related
from services.cases.domain.measures import Extension, KindRule, MeasureRules, Span

UTC8 = timezone(timedelta(hours=8))
AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC8)
ID, CASE = "measure-1", "case-1"
INVESTIGATOR = Principal("commission", "supervision_1", "investigator", "u-inv")
SUPERIOR = Principal("provincial_commission", "leadership", "superior_head", "u-sup")
NATIONAL = Principal("national_commission", "leadership", "national_head", "u-nat")
HEAD = Principal("commission", "leadership", "commission_head", "u-head")
SELF = Principal("commission", "supervision_1", "superior_head", "u-inv")  # the requester, holding the role

_SUP, _HEAD = ("superior_head",), ("commission_head",)
RULES = MeasureRules(
    {  # the defaults of domain.md §3 (deploy/config/measures.toml)
        "DETENTION": KindRule(
            _SUP,
            Span(months=3),
            (Extension(Span(months=3), "superior_head"), Extension(Span(months=2), "national_head", special=True)),
            notice_within=Span(hours=24),
            warn_before=Span(days=14),
        ),
        "COMPELLED_APPEARANCE": KindRule(
            _HEAD, Span(hours=12), (Extension(Span(hours=12), "commission_head"),), warn_before=Span(hours=2)
        ),
        "ORDERED_WAITING": KindRule(_HEAD, Span(months=12), warn_before=Span(days=30)),
        "PROTECTIVE_CUSTODY": KindRule(_HEAD, Span(days=7), notice_within=Span(hours=24), warn_before=Span(days=1)),
        "TECHNICAL_INVESTIGATION": KindRule(
            _SUP, Span(months=3), renewal=Extension(Span(months=3), "superior_head"), warn_before=Span(days=7)
        ),
        "EXIT_BAN": KindRule(_SUP),
        **{k: KindRule(_HEAD) for k in ("INQUIRY", "FREEZING", "SEARCH", "SEIZURE", "SEALING", "APPRAISAL")},
    }
)
# before filing, on a clue under preliminary check (管护 SL 25; the preliminary check's measures SL 41)
BEFORE_FILING = ("PROTECTIVE_CUSTODY", "TECHNICAL_INVESTIGATION", "EXIT_BAN", "INQUIRY", "APPRAISAL")
RULES = replace(RULES, kinds={k: replace(r, before_filing=k in BEFORE_FILING) for k, r in RULES.kinds.items()})
spec = DeciderSpec(lambda command, state: m.decide(command, state, RULES), m.fold)


def requested(kind="DETENTION"):
    return [ev.MeasureRequested(ID, CASE, kind, "P-1", "supervision_1", "risk of collusion", "u-inv")]


def approved(kind="DETENTION", starts=AT):
    rule = RULES.of(kind)
    return requested(kind) + [
        ev.MeasureApproved(ID, rule.approvers[0], "u-x", starts, rule.limit.after(starts) if rule.limit else None)
    ]


END1 = datetime(2026, 6, 2, 9, 30, tzinfo=UTC8)
END2 = datetime(2026, 9, 2, 9, 30, tzinfo=UTC8)
END3 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC8)
ACTIVE = approved()
NOTIFIED = ACTIVE + [ev.DetentionNoticeGiven(ID, AT, AT + timedelta(hours=3), "u-inv")]
EXTENDED = NOTIFIED + [ev.MeasureExtended(ID, END2, "accounts abroad", "superior_head", "u-sup")]
EXTENDED_TWICE = EXTENDED + [ev.MeasureExtended(ID, END3, "complex", "national_head", "u-nat", True)]
EXPIRED = NOTIFIED + [ev.MeasureExpired(ID, END1)]
SITUATIONS = {
    "NONE": [],
    "REQUESTED": requested(),
    "ACTIVE": ACTIVE,
    "ACTIVE+notice": NOTIFIED,
    "ACTIVE+extended": EXTENDED,
    "EXPIRED": EXPIRED,
    "EXPIRED-no-notice": ACTIVE + [ev.MeasureExpired(ID, END1)],
    "REFUSED": requested() + [ev.MeasureRefused(ID, "not needed", "u-sup")],
    "ENDED": NOTIFIED + [ev.MeasureEnded(ID, "RELEASED", "done", "u-inv")],
}
LATER = AT + timedelta(hours=5)
COMMANDS = {  # command -> situations in which it is legal
    "request": (m.RequestMeasure(ID, CASE, "DETENTION", "P-1", "supervision_1", "risk", INVESTIGATOR), {"NONE"}),
    "approve": (m.ApproveMeasure(ID, AT, SUPERIOR), {"REQUESTED"}),
    "refuse": (m.RefuseMeasure(ID, "not needed", SUPERIOR), {"REQUESTED"}),
    "notice": (m.GiveDetentionNotice(ID, LATER, LATER, INVESTIGATOR), {"ACTIVE", "EXPIRED-no-notice"}),
    "extend": (m.ExtendMeasure(ID, "accounts abroad", False, SUPERIOR), {"ACTIVE", "ACTIVE+notice"}),
    "end": (
        m.EndMeasure(ID, "RELEASED", "done", LATER, INVESTIGATOR),
        {"ACTIVE", "ACTIVE+notice", "ACTIVE+extended", "EXPIRED", "EXPIRED-no-notice"},
    ),
}


SPECIAL_REFUSALS = {  # (command, situation) -> (error, attributes) where the state is right but not enough
    ("notice", "ACTIVE+notice"): (IllegalState, {"current_state": "ACTIVE (notice already given)"}),
    ("notice", "ACTIVE+extended"): (IllegalState, {"current_state": "ACTIVE (notice already given)"}),
    ("notice", "EXPIRED"): (IllegalState, {"current_state": "EXPIRED (notice already given)"}),
    ("extend", "ACTIVE+extended"): (Validation, {"field": "special"}),  # only the special one remains
}


@pytest.mark.parametrize("situation", SITUATIONS)
@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_in_every_state(name, situation):
    command, legal = COMMANDS[name]
    when = spec.given(SITUATIONS[situation]).when(command)
    if situation in legal:
        assert when.run()
    elif (name, situation) in SPECIAL_REFUSALS:
        error, attributes = SPECIAL_REFUSALS[name, situation]
        when.raises(error, **attributes)
    else:
        when.raises(IllegalState, current_state=situation.split("+")[0].split("-")[0])


def test_an_expired_detention_cannot_continue_silently():
    e = spec.given(EXPIRED).when(m.ExtendMeasure(ID, "one more", False, SUPERIOR)).raises(IllegalState)
    assert e.current_state == "EXPIRED" and "extend" in str(e)


# -- request, approval, refusal ----------------------------------------------------------------


def test_a_request_names_the_case_person_office_and_requester():
    spec.given([]).when(COMMANDS["request"][0]).then(
        [ev.MeasureRequested(ID, CASE, "DETENTION", "P-1", "supervision_1", "risk", "u-inv", commission_level="COUNTY")]
    )


@pytest.mark.parametrize(
    "kind, approver, ends",
    [  # domain.md §3, the "Limit" column
        ("DETENTION", SUPERIOR, datetime(2026, 6, 2, 9, 30, tzinfo=UTC8)),  # 3 months
        ("COMPELLED_APPEARANCE", HEAD, datetime(2026, 3, 2, 21, 30, tzinfo=UTC8)),  # 12 hours
        ("ORDERED_WAITING", HEAD, datetime(2027, 3, 2, 9, 30, tzinfo=UTC8)),  # 12 months
        ("PROTECTIVE_CUSTODY", HEAD, datetime(2026, 3, 9, 9, 30, tzinfo=UTC8)),  # 7 days to decide
        ("TECHNICAL_INVESTIGATION", SUPERIOR, datetime(2026, 6, 2, 9, 30, tzinfo=UTC8)),  # 3 months per grant
        ("EXIT_BAN", SUPERIOR, None),  # until lifted
        *[(k, HEAD, None) for k in ("INQUIRY", "FREEZING", "SEARCH", "SEIZURE", "SEALING", "APPRAISAL")],
    ],
)
def test_approval_sets_the_end_of_each_kind(kind, approver, ends):
    spec.given(requested(kind)).when(m.ApproveMeasure(ID, AT, approver)).then(
        [ev.MeasureApproved(ID, approver.role, approver.user, AT, ends)]
    )


@pytest.mark.parametrize(
    "starts, ends",
    [
        (datetime(2025, 11, 30, 22, 0, tzinfo=UTC8), datetime(2026, 2, 28, 22, 0, tzinfo=UTC8)),  # clamped to Feb
        (datetime(2026, 1, 31, 0, 15, tzinfo=timezone.utc), datetime(2026, 4, 30, 0, 15, tzinfo=timezone.utc)),
    ],
)
def test_months_are_calendar_months_keeping_the_time_of_day(starts, ends):
    assert spec.given(requested()).when(m.ApproveMeasure(ID, starts, SUPERIOR)).run()[0].ends_at == ends


@pytest.mark.parametrize(
    "kind, command",
    [
        ("DETENTION", m.ApproveMeasure(ID, AT, HEAD)),  # the upper-level body approves a detention
        ("DETENTION", m.RefuseMeasure(ID, "no", HEAD)),
        ("EXIT_BAN", m.ApproveMeasure(ID, AT, HEAD)),  # provincial level
        ("SEARCH", m.ApproveMeasure(ID, AT, INVESTIGATOR)),
        ("DETENTION", m.ApproveMeasure(ID, AT, SELF)),  # never one's own request
        ("DETENTION", m.RefuseMeasure(ID, "no", SELF)),
    ],
)
def test_only_the_rule_s_roles_and_never_the_requester_decide(kind, command):
    spec.given(requested(kind)).when(command).raises(Forbidden)


# -- detention notice ------------------------------------------------------------------------


def test_the_detention_notice_is_given_once_with_both_times():
    spec.given(ACTIVE).when(m.GiveDetentionNotice(ID, LATER, LATER + timedelta(hours=1), INVESTIGATOR)).then(
        [ev.DetentionNoticeGiven(ID, LATER, LATER + timedelta(hours=1), "u-inv")]
    )


def test_only_custody_and_detention_owe_a_notice_sl_50():
    spec.given(approved("ORDERED_WAITING")).when(COMMANDS["notice"][0]).raises(
        IllegalState, current_state="ACTIVE (ORDERED_WAITING owes no notice)"
    )


# -- extensions ------------------------------------------------------------------------------

JOB_CRIME = ev.Charge("受贿罪", True, "TEN_YEARS_OR_MORE")  # SL 48 ¶2
WAITING = Related("measure-2", "ORDERED_WAITING", "P-1", "REQUESTED")


@pytest.mark.parametrize(
    "given, command, event",
    [
        (
            NOTIFIED,
            m.ExtendMeasure(ID, "more", False, SUPERIOR),  # once, +3 months, upper level
            ev.MeasureExtended(ID, END2, "more", "superior_head", "u-sup"),
        ),
        (
            EXTENDED,
            m.ExtendMeasure(ID, "more", True, NATIONAL, charge=JOB_CRIME),  # +2 months, national (SL 48 ¶2)
            ev.MeasureExtended(ID, END3, "more", "national_head", "u-nat", True, charge=JOB_CRIME),
        ),
        (
            approved("COMPELLED_APPEARANCE"),
            m.ExtendMeasure(ID, "detention follows", False, HEAD),  # 24 hours in all
            ev.MeasureExtended(ID, AT + timedelta(hours=24), "detention follows", "commission_head", "u-head"),
        ),
        (
            approved("TECHNICAL_INVESTIGATION") + [ev.MeasureExtended(ID, END2, "x", "superior_head", "u-sup")],
            m.ExtendMeasure(ID, "new grant", False, SUPERIOR),  # renewable, 3 months per grant
            ev.MeasureExtended(ID, datetime(2026, 12, 2, 9, 30, tzinfo=UTC8), "new grant", "superior_head", "u-sup"),
        ),
    ],
)
def test_extensions_within_the_allowance(given, command, event):
    spec.given(given).when(command).then([event])


def test_an_extension_decided_before_the_end_is_granted():
    got = spec.given(NOTIFIED).when(m.ExtendMeasure(ID, "more", False, SUPERIOR, END1 - timedelta(seconds=1))).run()
    assert got[0].ends_at == END2


@pytest.mark.parametrize(
    "given, command, error",
    [
        (NOTIFIED, m.ExtendMeasure(ID, "more", True, NATIONAL), Validation),  # the ordinary one comes first
        (EXTENDED, m.ExtendMeasure(ID, "more", False, SUPERIOR), Validation),  # only the special one remains
        (EXTENDED, m.ExtendMeasure(ID, "more", True, SUPERIOR), Forbidden),  # special: national approval
        (NOTIFIED, m.ExtendMeasure(ID, "more", False, HEAD), Forbidden),  # upper-level approval
        (NOTIFIED, m.ExtendMeasure(ID, "more", False, SELF), Forbidden),  # not by the requester
        (EXTENDED_TWICE, m.ExtendMeasure(ID, "more", True, NATIONAL), IllegalState),  # no third
        (
            approved("COMPELLED_APPEARANCE")
            + [ev.MeasureExtended(ID, AT + timedelta(hours=24), "x", "commission_head", "u-head")],
            m.ExtendMeasure(ID, "more", False, HEAD),
            IllegalState,
        ),  # 24 hours at most
        (approved("TECHNICAL_INVESTIGATION"), m.ExtendMeasure(ID, "more", True, SUPERIOR), Validation),
        (approved("ORDERED_WAITING"), m.ExtendMeasure(ID, "more", False, HEAD), IllegalState),
        (approved("PROTECTIVE_CUSTODY"), m.ExtendMeasure(ID, "more", False, HEAD), IllegalState),
        (approved("EXIT_BAN"), m.ExtendMeasure(ID, "more", False, SUPERIOR), IllegalState),  # no end to move
        (approved("SEARCH"), m.ExtendMeasure(ID, "more", False, HEAD), IllegalState),
        (NOTIFIED, m.ExtendMeasure(ID, "more", False, SUPERIOR, END1), IllegalState),  # at the end, timer or not
    ],
)
def test_extensions_beyond_the_allowance_are_refused(given, command, error):
    spec.given(given).when(command).raises(error)


# -- ending ----------------------------------------------------------------------------------


@pytest.mark.parametrize("outcome", m.OUTCOMES)
@pytest.mark.parametrize("given", [NOTIFIED, EXPIRED])
def test_an_active_or_expired_measure_ends(given, outcome):
    into = WAITING if outcome == "CONVERTED" else None  # a detention converted into ordered waiting (SL 48)
    linked = {"converted_to": WAITING.measure_id} if into else {}
    spec.given(given).when(m.EndMeasure(ID, outcome, "done", LATER, INVESTIGATOR, converted_to=into)).then(
        [ev.MeasureEnded(ID, outcome, "done", "u-inv", LATER, **linked)]
    )
    assert m.fold(given + [ev.MeasureEnded(ID, outcome, "done", "u-inv")]).status == m.ENDED


# -- input refusals --------------------------------------------------------------------------

NAIVE = datetime(2026, 3, 2, 12, 0)
BEFORE = AT - timedelta(minutes=1)


@pytest.mark.parametrize(
    "given, command, field",
    [
        ([], m.RequestMeasure(ID, CASE, "HOUSE_ARREST", "P-1", "supervision_1", "r", INVESTIGATOR), "kind"),
        ([], m.RequestMeasure(ID, CASE, "DETENTION", " ", "supervision_1", "r", INVESTIGATOR), "person_id"),
        ([], m.RequestMeasure(ID, CASE, "DETENTION", "P-1", "", "r", INVESTIGATOR), "office"),
        ([], m.RequestMeasure(ID, CASE, "DETENTION", "P-1", "supervision_1", "  ", INVESTIGATOR), "reason"),
        ([], m.RequestMeasure(ID, "", "DETENTION", "P-1", "supervision_1", "r", INVESTIGATOR), "case_id"),
        ([], m.RequestMeasure(ID, CASE, "DETENTION", "P-1", "supervision_1", "r" * 4001, INVESTIGATOR), "reason"),
        (requested(), m.ApproveMeasure(ID, NAIVE, SUPERIOR), "starts_at"),
        (requested(), m.ApproveMeasure(ID, None, SUPERIOR), "starts_at"),
        (requested(), m.ApproveMeasure("measure-2", AT, SUPERIOR), "measure_id"),
        (requested(), m.RefuseMeasure(ID, "", SUPERIOR), "reason"),
        (ACTIVE, m.GiveDetentionNotice(ID, None, LATER, INVESTIGATOR), "unit_notified_at"),
        (ACTIVE, m.GiveDetentionNotice(ID, LATER, NAIVE, INVESTIGATOR), "family_notified_at"),
        (ACTIVE, m.GiveDetentionNotice(ID, BEFORE, LATER, INVESTIGATOR), "unit_notified_at"),
        (ACTIVE, m.GiveDetentionNotice(ID, LATER, BEFORE, INVESTIGATOR), "family_notified_at"),
        (NOTIFIED, m.ExtendMeasure(ID, "", False, SUPERIOR), "reason"),
        (NOTIFIED, m.ExtendMeasure(ID, "more", False, SUPERIOR, NAIVE), "at"),
        (NOTIFIED, m.EndMeasure(ID, "ESCAPED", "done", LATER, INVESTIGATOR), "outcome"),
        (NOTIFIED, m.EndMeasure(ID, "RELEASED", "", LATER, INVESTIGATOR), "reason"),
        (NOTIFIED, m.EndMeasure(ID, "RELEASED", "done", BEFORE, INVESTIGATOR), "at"),
        (NOTIFIED, m.EndMeasure(ID, "RELEASED", "done", NAIVE, INVESTIGATOR), "at"),
    ],
)
def test_bad_input_is_refused_naming_the_field(given, command, field):
    spec.given(given).when(command).raises(Validation, field=field)


# -- timer commands: current or stale, never refused ----------------------------------------

ENDED = SITUATIONS["ENDED"]
NOTICE_DUE = AT + timedelta(hours=24)


@pytest.mark.parametrize(
    "given, command, events",
    [
        (ACTIVE, m.RecordExpiring(ID, END1), [ev.MeasureExpiring(ID, END1)]),
        (ACTIVE + [ev.MeasureExpiring(ID, END1)], m.RecordExpiring(ID, END1), []),  # raised already
        (EXTENDED, m.RecordExpiring(ID, END1), []),  # the end moved
        (EXTENDED, m.RecordExpiring(ID, END2), [ev.MeasureExpiring(ID, END2)]),
        (ENDED, m.RecordExpiring(ID, END1), []),
        (ACTIVE, m.RecordExpired(ID, END1), [ev.MeasureExpired(ID, END1)]),
        (EXTENDED, m.RecordExpired(ID, END1), []),
        (EXPIRED, m.RecordExpired(ID, END1), []),
        (ENDED, m.RecordExpired(ID, END1), []),
        (approved("EXIT_BAN"), m.RecordExpired(ID, END1), []),
        ([], m.RecordExpired(ID, END1), []),
        (ACTIVE, m.RecordNoticeOverdue(ID, NOTICE_DUE), [ev.DetentionNoticeOverdue(ID, NOTICE_DUE)]),
        (ACTIVE + [ev.DetentionNoticeOverdue(ID, NOTICE_DUE)], m.RecordNoticeOverdue(ID, NOTICE_DUE), []),
        (NOTIFIED, m.RecordNoticeOverdue(ID, NOTICE_DUE), []),  # the notice was given
        (ACTIVE + [ev.MeasureEnded(ID, "RELEASED", "done", "u-inv")], m.RecordNoticeOverdue(ID, NOTICE_DUE), []),
        (approved("ORDERED_WAITING"), m.RecordNoticeOverdue(ID, NOTICE_DUE), []),
    ],
)
def test_timer_commands_raise_their_event_only_while_current(given, command, events):
    spec.given(given).when(command).then(events)


def test_the_current_end_passing_moves_the_measure_to_expired():
    assert m.fold(ACTIVE + [ev.MeasureExpired(ID, END1)]).status == m.EXPIRED


@pytest.mark.parametrize(
    "given, stale",
    [  # timer events folded late change nothing
        (EXTENDED, ev.MeasureExpired(ID, END1)),
        (EXTENDED, ev.MeasureExpiring(ID, END1)),
        (ENDED, ev.MeasureExpired(ID, END1)),
        (NOTIFIED, ev.DetentionNoticeOverdue(ID, NOTICE_DUE)),
    ],
)
def test_stale_timer_events_change_nothing(given, stale):
    assert m.fold(given + [stale]) == m.fold(given)


# -- timers ----------------------------------------------------------------------------------

HALF_DAY = AT + timedelta(hours=12)


def _keys(end):
    return f"expiring:{ID}:{m.utc_key(end)}", f"expired:{ID}:{m.utc_key(end)}"


@pytest.mark.parametrize(
    "given, wanted",
    [
        (
            ACTIVE,
            {
                _keys(END1)[0]: (END1 - timedelta(days=14), ev.MeasureExpiring(ID, END1)),
                _keys(END1)[1]: (END1, ev.MeasureExpired(ID, END1)),
                f"notice:{ID}": (NOTICE_DUE, ev.DetentionNoticeOverdue(ID, NOTICE_DUE)),
            },
        ),
        (
            NOTIFIED,
            {
                _keys(END1)[0]: (END1 - timedelta(days=14), ev.MeasureExpiring(ID, END1)),
                _keys(END1)[1]: (END1, ev.MeasureExpired(ID, END1)),
            },
        ),
        (
            EXTENDED,
            {
                _keys(END2)[0]: (END2 - timedelta(days=14), ev.MeasureExpiring(ID, END2)),  # a new end,
                _keys(END2)[1]: (END2, ev.MeasureExpired(ID, END2)),
            },
        ),  # new timers
        (
            approved("COMPELLED_APPEARANCE"),
            {
                _keys(HALF_DAY)[0]: (HALF_DAY - timedelta(hours=2), ev.MeasureExpiring(ID, HALF_DAY)),  # 2 hours ahead
                _keys(HALF_DAY)[1]: (HALF_DAY, ev.MeasureExpired(ID, HALF_DAY)),
            },
        ),
        (approved("EXIT_BAN"), {}),
        (approved("SEIZURE"), {}),
        (requested(), {}),
        (EXPIRED, {}),
        (SITUATIONS["EXPIRED-no-notice"], {}),
        (ENDED, {}),
        (SITUATIONS["REFUSED"], {}),
    ],
)
def test_timers_for(given, wanted):
    assert m.timers_for(m.fold(given), RULES) == wanted


def test_an_extension_replaces_the_expiry_timers():
    before, after = m.timers_for(m.fold(NOTIFIED), RULES), m.timers_for(m.fold(EXTENDED), RULES)
    assert not set(before) & set(after)


# -- ledger ----------------------------------------------------------------------------------

BASE = {
    "measure_id": ID,
    "case_id": CASE,
    "office": "supervision_1",
    "kind": "DETENTION",
    "person_id": "P-1",
    "liaison": "",
    "clue_id": "",  # a measure before filing names its clue (test_before_filing.py)
    **{  # the duties' columns (measure_duties; tested in test_measure_duties.py)
        "notice_deferred": False,
        "executed": False,
        "changes_pending": 0,
        "change_due": None,
        "change_overdue": False,
        "release_notice_given": False,
        "outcome": "",
    },
    **{  # the safeguards' columns (measure_safeguards; tested in test_measure_safeguards.py)
        "unrelated_at": None,
        "release_due": None,
        "release_overdue": False,
        "released_at": None,
        "complaints_pending": 0,
        "complaint_due": None,
        "complaint_overdue": False,
    },
}


@pytest.mark.parametrize(
    "given, row",
    [
        (
            requested(),
            dict(
                status="REQUESTED",
                starts_at=None,
                ends_at=None,
                extensions=0,
                notice_due=None,
                notice_given=False,
                notice_overdue=False,
                expired_not_ended=False,
            ),
        ),
        (
            ACTIVE,
            dict(
                status="ACTIVE",
                starts_at=AT,
                ends_at=END1,
                extensions=0,
                notice_due=NOTICE_DUE,
                notice_given=False,
                notice_overdue=False,
                expired_not_ended=False,
            ),
        ),
        (
            ACTIVE + [ev.DetentionNoticeOverdue(ID, NOTICE_DUE)],
            dict(
                status="ACTIVE",
                starts_at=AT,
                ends_at=END1,
                extensions=0,
                notice_due=None,
                notice_given=False,
                notice_overdue=True,
                expired_not_ended=False,
            ),
        ),
        (
            EXTENDED_TWICE,
            dict(
                status="ACTIVE",
                starts_at=AT,
                ends_at=END3,
                extensions=2,
                notice_due=None,
                notice_given=True,
                notice_overdue=False,
                expired_not_ended=False,
            ),
        ),
        (
            ACTIVE + [ev.DetentionNoticeOverdue(ID, NOTICE_DUE), ev.DetentionNoticeGiven(ID, LATER, LATER, "u-inv")],
            dict(
                status="ACTIVE",
                starts_at=AT,
                ends_at=END1,
                extensions=0,
                notice_due=None,
                notice_given=True,
                notice_overdue=True,
                expired_not_ended=False,
            ),
        ),  # given late: both stay on record
        (
            EXPIRED,
            dict(
                status="EXPIRED",
                starts_at=AT,
                ends_at=END1,
                extensions=0,
                notice_due=None,
                notice_given=True,
                notice_overdue=False,
                expired_not_ended=True,
            ),
        ),
        (
            ENDED,
            dict(
                status="ENDED",
                starts_at=AT,
                ends_at=END1,
                extensions=0,
                notice_due=None,
                notice_given=True,
                notice_overdue=False,
                expired_not_ended=False,
                outcome="RELEASED",
            ),
        ),
    ],
)
def test_ledger_row(given, row):
    assert m.ledger_row(m.fold(given), RULES) == {**BASE, **row}


def test_a_refusal_records_who_refused_and_in_which_role():
    spec.given(requested()).when(m.RefuseMeasure(ID, "not proportionate", SUPERIOR)).then(
        [ev.MeasureRefused(ID, "not proportionate", SUPERIOR.user, SUPERIOR.role)]
    )


def test_timer_keys_name_the_instant_not_the_zone_it_came_in():
    from zoneinfo import ZoneInfo

    end = datetime(2026, 6, 1, 9, tzinfo=timezone.utc)
    assert m.utc_key(end) == m.utc_key(end.astimezone(ZoneInfo("Asia/Shanghai"))) == "2026-06-01T09:00:00+00:00"
