"""The measures table of domain.md §3 by the commission's level (issue 19), on the shipped
deploy/config/measures.toml: one row per rule, citing its article, and the worked examples."""

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from kernel.domain import facts as f
from kernel.domain.decider_spec import DeciderSpec
from kernel.domain.errors import Forbidden, IllegalState, Validation
from kernel.domain.meetings import CollectiveDecision
from kernel.domain.principal import Principal
from services.cases.app.measure_rules import load_measure_rules
from services.cases.domain import events as ev, measures as m
from services.cases.domain.measure_conditions import Related
from services.cases.domain.measures import Span

UTC8 = timezone(timedelta(hours=8))
ID, CASE, PERSON = "measure-1", "case-1", "P-1"
RULES = {level: load_measure_rules(level=level) for level in ("COUNTY", "CITY", "PROVINCIAL", "NATIONAL")}

INVESTIGATOR = Principal("commission", "investigation_1", "investigator", "u-inv")
HEAD = Principal("commission", "leadership", "commission_head", "u-head")
SUPERIOR = Principal("superior_commission", "superior_leadership", "superior_head", "u-sup")
PROVINCIAL = Principal("provincial_commission", "provincial_leadership", "provincial_head", "u-prov")
NATIONAL = Principal("national_commission", "national_leadership", "national_head", "u-nat")
COMMITTEE = Principal("party_committee", "committee_leadership", "party_committee_head", "u-party")

T0 = datetime(2026, 1, 10, 9, 0, tzinfo=UTC8)


def d(month, day, year=2026, hour=9):
    return datetime(year, month, day, hour, 0, tzinfo=UTC8)


def meeting(by: Principal, attendees=("u-d1", "u-d2"), body="LEADERSHIP", at=T0) -> CollectiveDecision:
    return CollectiveDecision(body, at, (by.user, *attendees), (), "decided: detain P-1", "u-sec")


def spec(level: str, rules=None) -> DeciderSpec:
    return DeciderSpec(lambda command, state: m.decide(command, state, rules or RULES[level]), m.fold)


def requested(kind="DETENTION", level="COUNTY", **extra):
    return [
        ev.MeasureRequested(ID, CASE, kind, PERSON, "investigation_1", "risk", "u-inv", commission_level=level, **extra)
    ]


def running(kind, starts, level="COUNTY", role="commission_head", **approved):
    rule = RULES[level].of(kind)
    ends = rule.limit.after(starts) if rule.limit else None
    return requested(kind, level) + [ev.MeasureApproved(ID, role, "u-x", starts, ends, **approved)]


# -- approvals by level (SL 47 detention; SL 33 exit ban; SL 46 the head) -------------------------

LOCAL_DECISION = meeting(HEAD)
UPPER_DECISION = meeting(SUPERIOR, ("u-s1", "u-s2"))


@pytest.mark.parametrize(
    "level, article",
    [("COUNTY", "SL 47: city level and below, the upper level approves"), ("CITY", "SL 47: city level")],
)
def test_a_detention_below_provincial_level_is_the_leaderships_decision_then_the_upper_levels(level, article):
    local = spec(level).given(requested(level=level)).when(m.ApproveMeasure(ID, T0, HEAD, LOCAL_DECISION))
    given = local.then([ev.MeasureApprovalGiven(ID, "LOCAL", "commission_head", "u-head", LOCAL_DECISION, level)])
    assert m.fold(requested(level=level) + given).status == m.REQUESTED  # awaits the upper level
    upper = spec(level).given(requested(level=level) + given).when(m.ApproveMeasure(ID, T0, SUPERIOR, UPPER_DECISION))
    upper.then([ev.MeasureApproved(ID, "superior_head", "u-sup", T0, d(4, 10), "UPPER", UPPER_DECISION, level, False)])


@pytest.mark.parametrize(
    "level, owed, article",
    [("PROVINCIAL", True, "SL 47: 备案 with the NCC"), ("NATIONAL", False, "SL 47: the NCC decides")],
)
def test_a_detention_at_provincial_level_and_up_is_the_leaderships_decision_alone(level, owed, article):
    spec(level).given(requested(level=level)).when(m.ApproveMeasure(ID, T0, HEAD, LOCAL_DECISION)).then(
        [ev.MeasureApproved(ID, "commission_head", "u-head", T0, d(4, 10), "LOCAL", LOCAL_DECISION, level, owed)]
    )


def test_a_provincial_detention_is_filed_with_the_national_commission_once():
    """SL 47: 备案 with the NCC, owed by the approval at provincial level, recorded once."""
    approved = (
        spec("PROVINCIAL").given(requested(level="PROVINCIAL")).when(m.ApproveMeasure(ID, T0, HEAD, LOCAL_DECISION))
    )
    history = requested(level="PROVINCIAL") + approved.run()
    assert m.fold(history).filing_owed
    record = m.RecordNationalFiling(ID, d(1, 11), "省纪委备〔2026〕1号", INVESTIGATOR)
    filed = (
        spec("PROVINCIAL")
        .given(history)
        .when(record)
        .then([ev.MeasureFiledWithNational(ID, d(1, 11), "省纪委备〔2026〕1号", "u-inv")])
    )
    assert not m.fold(history + filed).filing_owed
    spec("PROVINCIAL").given(history + filed).when(record).raises(IllegalState)  # once
    spec("PROVINCIAL").given(history).when(replace(record, filed_at=d(1, 9))).raises(Validation)  # not before
    spec("PROVINCIAL").given(history).when(replace(record, reference=" ")).raises(Validation, field="reference")
    spec("CITY").given(running("DETENTION", T0, "CITY")).when(record).raises(IllegalState)  # none owed below
    spec("PROVINCIAL").given(requested(level="PROVINCIAL")).when(record).raises(IllegalState)  # not yet approved


@pytest.mark.parametrize(
    "given, command, error, what",
    [
        (requested(), m.ApproveMeasure(ID, T0, HEAD), Validation, "SL 47: no collective decision"),
        (requested(), m.ApproveMeasure(ID, T0, HEAD, meeting(HEAD, ("u-d1",))), Validation, "SL 47: below quorum"),
        (requested(), m.ApproveMeasure(ID, T0, HEAD, meeting(HEAD, body="TOPIC_MEETING")), Validation, "wrong body"),
        (requested(), m.ApproveMeasure(ID, T0, HEAD, meeting(SUPERIOR)), Validation, "the head did not attend"),
        (requested(), m.ApproveMeasure(ID, T0, SUPERIOR, UPPER_DECISION), Forbidden, "SL 47: the local decision first"),
        (
            requested() + [ev.MeasureApprovalGiven(ID, "LOCAL", "commission_head", "u-head", LOCAL_DECISION)],
            m.ApproveMeasure(ID, T0, HEAD, LOCAL_DECISION),
            Forbidden,
            "SL 47: the upper level's now",
        ),
        (
            requested() + [ev.MeasureApprovalGiven(ID, "LOCAL", "commission_head", "u-head", LOCAL_DECISION)],
            m.ApproveMeasure(ID, T0, SUPERIOR),
            Validation,
            "SL 47: the upper level's collective decision",
        ),
        (requested(), m.ApproveMeasure(ID, T0, replace(HEAD, user="u-inv"), LOCAL_DECISION), Forbidden, "requester"),
    ],
)
def test_a_detention_is_never_one_persons_approval(given, command, error, what):
    spec("COUNTY").given(given).when(command).raises(error)


def test_the_upper_level_may_refuse_what_the_leadership_decided():
    given = requested() + [ev.MeasureApprovalGiven(ID, "LOCAL", "commission_head", "u-head", LOCAL_DECISION)]
    spec("COUNTY").given(given).when(m.RefuseMeasure(ID, "not needed", SUPERIOR)).then(
        [ev.MeasureRefused(ID, "not needed", "u-sup", "superior_head")]
    )
    spec("COUNTY").given(given).when(m.RefuseMeasure(ID, "no", HEAD)).raises(Forbidden)


COMMITTEE_RULES = replace(
    RULES["CITY"],
    kinds={**RULES["CITY"].kinds, "DETENTION": replace(RULES["CITY"].of("DETENTION"), committee_head=True)},
)
SOURCE = f.FactSource("organisation_department", T0)


@pytest.mark.parametrize(
    "level, managed",
    [(f.CITY, True), (f.COUNTY, False)],  # 市管 cadres are the city committee's (干部管理权限)
)
def test_the_party_committee_head_approves_for_its_cadres_when_configured(level, managed):
    """Unverified for measures: `committee_head`, off in the shipped file."""
    facts = f.PersonFacts(PERSON, cadre=f.Cadre(level, False, SOURCE))
    command = m.RequestMeasure(
        ID, CASE, "DETENTION", PERSON, "investigation_1", "risk", INVESTIGATOR, person_facts=facts
    )
    [event] = spec("CITY", COMMITTEE_RULES).given([]).when(command).run()
    assert (event.managed, event.person_facts, event.commission_level) == (managed, facts, "CITY")
    local = [event, ev.MeasureApprovalGiven(ID, "LOCAL", "commission_head", "u-head", LOCAL_DECISION)]
    step = spec("CITY", COMMITTEE_RULES).given(local).when(m.ApproveMeasure(ID, T0, COMMITTEE))
    if managed:
        assert step.run()[0] == ev.MeasureApprovalGiven(
            ID, "COMMITTEE", "party_committee_head", "u-party", None, "CITY"
        )
    else:
        step.raises(Forbidden)


def test_the_committee_heads_approval_needs_the_cadre_level_stated():
    command = m.RequestMeasure(ID, CASE, "DETENTION", PERSON, "investigation_1", "risk", INVESTIGATOR)
    spec("CITY", COMMITTEE_RULES).given([]).when(command).raises(f.FactMissing, fact="cadre")
    assert not RULES["CITY"].of("DETENTION").committee_head  # off by default (unverified)


@pytest.mark.parametrize(
    "level, chain",
    [  # SL 33: a commission at provincial level or above decides an exit ban
        ("COUNTY", (HEAD, PROVINCIAL)),
        ("CITY", (HEAD, SUPERIOR)),
        ("PROVINCIAL", (HEAD,)),
        ("NATIONAL", (HEAD,)),
    ],
)
def test_an_exit_ban_is_decided_at_provincial_level_or_above(level, chain):
    history = requested("EXIT_BAN", level)
    for by in chain[:-1]:
        history += spec(level).given(history).when(m.ApproveMeasure(ID, T0, by)).run()
        assert isinstance(history[-1], ev.MeasureApprovalGiven)
    [approved] = spec(level).given(history).when(m.ApproveMeasure(ID, T0, chain[-1])).run()
    assert (approved.approver_role, approved.ends_at, m.fold(history + [approved]).status) == (
        chain[-1].role,
        None,
        "ACTIVE",
    )
    if len(chain) == 1:
        spec(level).given(requested("EXIT_BAN", level)).when(m.ApproveMeasure(ID, T0, SUPERIOR)).raises(Forbidden)


# -- detention's time (SL 48; IR2025 133): the worked example ---------------------------------------

JOB_CRIME = ev.Charge("受贿罪", True, "TEN_YEARS_OR_MORE")
OTHER_CRIME = ev.Charge("贪污罪", True, "TEN_YEARS_OR_MORE")


def test_the_worked_example_detention_extended_plus_two_then_recounted_refuses_a_second_plus_two():
    """domain.md §3: 留置 2026-01-10 → 04-10, extended 07-10, +2 → 09-10; recounted, a second +2 refused."""
    level = "PROVINCIAL"
    s = spec(level)
    history = running("DETENTION", T0, level)
    assert m.fold(history).ends_at == d(4, 10)  # 3 months (48 ¶1)
    history += s.given(history).when(m.ExtendMeasure(ID, "accounts abroad", False, SUPERIOR)).run()
    assert m.fold(history).ends_at == d(7, 10)  # one extension, upward (48 ¶1)
    plus_two = s.given(history).when(m.ExtendMeasure(ID, "complex", True, NATIONAL, charge=JOB_CRIME)).run()
    assert plus_two == [ev.MeasureExtended(ID, d(9, 10), "complex", "national_head", "u-nat", True, JOB_CRIME)]
    history += plus_two  # +2 for a job crime likely >= 10 years, by the NCC (48 ¶2)
    recount = m.RecountDetention(ID, d(8, 1), "DIFFERENT_CRIME", OTHER_CRIME, "another crime", NATIONAL, d(8, 2))
    recounted = s.given(history).when(recount).run()
    assert recounted == [
        ev.DetentionRecounted(
            ID, d(8, 1), d(11, 1), "DIFFERENT_CRIME", OTHER_CRIME, "another crime", "national_head", "u-nat"
        )
    ]
    history += recounted  # 3 months again from the discovery (48 ¶3)
    history += s.given(history).when(m.ExtendMeasure(ID, "still", False, SUPERIOR)).run()
    assert m.fold(history).ends_at == d(2, 1, 2027)  # and one extension again
    e = s.given(history).when(m.ExtendMeasure(ID, "more", True, NATIONAL, charge=JOB_CRIME)).raises(IllegalState)
    assert "once in all, IR2025 133" in str(e)
    s.given(history).when(replace(recount, at=d(1, 1, 2027))).raises(IllegalState)  # recounted once only


@pytest.mark.parametrize(
    "charge, error, what",
    [
        (None, Validation, "SL 48 ¶2: the charge is stated"),
        (ev.Charge("受贿罪", False, "TEN_YEARS_OR_MORE"), IllegalState, "SL 48 ¶2: a job crime only"),
        (ev.Charge("受贿罪", True, "THREE_TO_TEN_YEARS"), IllegalState, "SL 48 ¶2: likely ten years or more"),
        (ev.Charge("", True, "TEN_YEARS_OR_MORE"), Validation, "the crime named"),
        (ev.Charge("受贿罪", True, ""), Validation, "the band stated"),
    ],
)
def test_the_plus_two_months_conditions(charge, error, what):
    history = running("DETENTION", T0) + [ev.MeasureExtended(ID, d(7, 10), "x", "superior_head", "u-sup")]
    spec("COUNTY").given(history).when(m.ExtendMeasure(ID, "more", True, NATIONAL, charge=charge)).raises(error)


@pytest.mark.parametrize(
    "level, command, error, what",
    [
        (
            "COUNTY",
            m.ExtendMeasure(ID, "x", True, NATIONAL, charge=JOB_CRIME),
            Validation,
            "SL 48 ¶2: after the extension",
        ),
        (
            "COUNTY",
            m.ExtendMeasure(ID, "x", False, HEAD),
            Forbidden,
            "SL 48 ¶1: approved upward below provincial level",
        ),
        ("NATIONAL", m.ExtendMeasure(ID, "x", False, SUPERIOR), Forbidden, "SL 48 ¶1: the NCC extends its own"),
        (
            "CITY",
            m.RecountDetention(ID, d(2, 1), "DIFFERENT_CRIME", OTHER_CRIME, "x", NATIONAL),
            IllegalState,
            "SL 48 ¶3: provincial level and up",
        ),
        (
            "PROVINCIAL",
            m.RecountDetention(ID, d(2, 1), "DIFFERENT_CRIME", OTHER_CRIME, "x", SUPERIOR),
            Forbidden,
            "SL 48 ¶3: the NCC approves",
        ),
        (
            "PROVINCIAL",
            m.RecountDetention(
                ID, d(2, 1), "DIFFERENT_CRIME", ev.Charge("x", False, "UNDER_THREE_YEARS"), "x", NATIONAL
            ),
            IllegalState,
            "SL 48 ¶3: another serious job crime",
        ),
        (
            "PROVINCIAL",
            m.RecountDetention(ID, d(2, 1), "SAME_CRIME", OTHER_CRIME, "x", NATIONAL),
            Validation,
            "SL 48 ¶3: a different kind, or a changed charge or band",
        ),
        (
            "PROVINCIAL",
            m.RecountDetention(ID, d(1, 1), "DIFFERENT_CRIME", OTHER_CRIME, "x", NATIONAL),
            Validation,
            "found before the detention",
        ),
    ],
)
def test_detention_extensions_and_recounting_by_level(level, command, error, what):
    spec(level).given(running("DETENTION", T0, level)).when(command).raises(error)


def test_at_national_level_the_ncc_extends_and_adds_the_two_months_itself():
    s, history = spec("NATIONAL"), running("DETENTION", T0, "NATIONAL")
    history += s.given(history).when(m.ExtendMeasure(ID, "x", False, HEAD)).run()
    [plus_two] = s.given(history).when(m.ExtendMeasure(ID, "x", True, HEAD, charge=JOB_CRIME)).run()
    assert (plus_two.ends_at, plus_two.approver_role, plus_two.charge) == (d(9, 10), "commission_head", JOB_CRIME)


def test_a_shorter_detention_extension_may_be_stated_but_never_a_longer_one():
    history, s = running("DETENTION", T0), spec("COUNTY")
    [short] = s.given(history).when(m.ExtendMeasure(ID, "x", False, SUPERIOR, length=Span(months=1))).run()
    assert short.ends_at == d(5, 10)  # at most 3 months (SL 48 ¶1)
    s.given(history).when(m.ExtendMeasure(ID, "x", False, SUPERIOR, length=Span(months=4))).raises(Validation)


# -- protective custody (管护, SL 25, 46 ¶4): the worked example ----------------------------------

GROUNDS = ev.CustodyGrounds("CONFESSED", ("FLIGHT",), "confessed in a talk, then tried to leave")
CUSTODY_START = d(5, 1)


def test_the_worked_example_protective_custody_seven_days_then_one_to_three_chosen():
    """domain.md §3: 管护 2026-05-01 09:00 → decision by 05-08 09:00 (05-11 extended, SL 46 ¶4)."""
    history, s = running("PROTECTIVE_CUSTODY", CUSTODY_START), spec("COUNTY")
    assert m.fold(history).ends_at == d(5, 8)
    for days, ends in ((1, d(5, 9)), (2, d(5, 10)), (3, d(5, 11))):  # the approver chooses 1, 2 or 3 days
        [e] = s.given(history).when(m.ExtendMeasure(ID, "special case", False, HEAD, length=Span(days=days))).run()
        assert e.ends_at == ends
    s.given(history).when(m.ExtendMeasure(ID, "x", False, HEAD)).raises(Validation, field="length")  # chosen
    s.given(history).when(m.ExtendMeasure(ID, "x", False, HEAD, length=Span(days=4))).raises(Validation)
    extended = history + [ev.MeasureExtended(ID, d(5, 11), "x", "commission_head", "u-head")]
    s.given(extended).when(m.ExtendMeasure(ID, "x", False, HEAD, length=Span(days=1))).raises(IllegalState)  # once


@pytest.mark.parametrize(
    "grounds, field",
    [
        (None, "custody_grounds"),  # SL 25: stated on the request
        (ev.CustodyGrounds("CONFESSED", (), "x"), "custody_grounds.risks"),  # a flight or suicide risk
        (ev.CustodyGrounds("ARRESTED", ("FLIGHT",), "x"), "custody_grounds.conduct"),
        (ev.CustodyGrounds("SURRENDERED", ("BOREDOM",), "x"), "custody_grounds.risks"),
        (ev.CustodyGrounds("SURRENDERED", ("SUICIDE",), ""), "custody_grounds.detail"),
    ],
)
def test_protective_custody_states_its_grounds(grounds, field):
    command = m.RequestMeasure(
        ID, CASE, "PROTECTIVE_CUSTODY", PERSON, "o", "risk", INVESTIGATOR, custody_grounds=grounds
    )
    spec("COUNTY").given([]).when(command).raises(Validation, field=field)


def test_protective_custody_grounds_are_recorded_and_refused_on_other_kinds():
    command = m.RequestMeasure(
        ID, CASE, "PROTECTIVE_CUSTODY", PERSON, "o", "risk", INVESTIGATOR, custody_grounds=GROUNDS
    )
    [event] = spec("COUNTY").given([]).when(command).run()
    assert event.custody_grounds == GROUNDS
    other = replace(command, kind="SEARCH")
    spec("COUNTY").given([]).when(other).raises(Validation, field="custody_grounds")


# -- compelled appearance (强制到案, SL 46) ---------------------------------------------------------

A0 = d(3, 2)
DETENTION_NEXT = Related("measure-2", "DETENTION", PERSON, "REQUESTED")


@pytest.mark.parametrize(
    "followed_by, error, what",
    [
        (None, Validation, "SL 46: 24 h only when 管护 or 留置 follows"),
        (Related("measure-2", "SEARCH", PERSON, "REQUESTED"), Validation, "a 管护 or 留置"),
        (Related("measure-2", "DETENTION", "P-2", "REQUESTED"), Validation, "of the same person"),
        (Related("measure-2", "DETENTION", PERSON, "REFUSED"), IllegalState, "requested or approved"),
    ],
)
def test_a_compelled_appearance_runs_24_hours_only_when_custody_or_detention_follows(followed_by, error, what):
    history = running("COMPELLED_APPEARANCE", A0)
    assert m.fold(history).ends_at == A0 + timedelta(hours=12)
    spec("COUNTY").given(history).when(m.ExtendMeasure(ID, "x", False, HEAD, followed_by=followed_by)).raises(error)


def test_the_24_hours_are_a_condition_recorded_once():
    history = running("COMPELLED_APPEARANCE", A0)
    [e] = (
        spec("COUNTY")
        .given(history)
        .when(m.ExtendMeasure(ID, "detention", False, HEAD, followed_by=DETENTION_NEXT))
        .run()
    )
    assert (e.ends_at, e.followed_by) == (A0 + timedelta(hours=24), "measure-2")
    again = m.ExtendMeasure(ID, "x", False, HEAD, followed_by=DETENTION_NEXT)
    spec("COUNTY").given(history + [e]).when(again).raises(IllegalState)


@pytest.mark.parametrize(
    "other, allowed, what",
    [
        (Related("measure-0", "COMPELLED_APPEARANCE", PERSON, "ACTIVE", A0 - timedelta(hours=3)), False, "runs"),
        (
            Related("measure-0", "COMPELLED_APPEARANCE", PERSON, "ENDED", None, None, A0 - timedelta(hours=2)),
            False,
            "SL 46 ¶2: right after one ended",
        ),
        (
            Related("measure-0", "COMPELLED_APPEARANCE", PERSON, "ENDED", None, None, A0 - timedelta(hours=25)),
            True,
            "gap",
        ),
        (Related("measure-0", "COMPELLED_APPEARANCE", PERSON, "REFUSED"), True, "never ran"),
    ],
)
def test_compelled_appearances_are_never_consecutive(other, allowed, what):
    when = spec("COUNTY").given(requested("COMPELLED_APPEARANCE")).when(m.ApproveMeasure(ID, A0, HEAD, others=(other,)))
    if allowed:
        assert when.run()[0].ends_at == A0 + timedelta(hours=12)
    else:
        when.raises(IllegalState)


# -- conversion, ordered waiting, confinement, technical investigation, freeze ----------------------

WAITING = Related("measure-2", "ORDERED_WAITING", PERSON, "REQUESTED")


@pytest.mark.parametrize(
    "kind, into, error",
    [
        ("DETENTION", WAITING, None),  # SL 48: convert to ordered waiting when unneeded
        ("PROTECTIVE_CUSTODY", replace(WAITING, kind="DETENTION"), None),  # SL 46 ¶4: detain
        ("ORDERED_WAITING", replace(WAITING, kind="DETENTION"), None),  # SL 23: a serious breach
        ("DETENTION", replace(WAITING, kind="SEARCH"), Validation),
        ("DETENTION", replace(WAITING, person_id="P-2"), Validation),
        ("DETENTION", None, Validation),
        ("SEARCH", WAITING, Validation),
    ],
)
def test_a_conversion_ends_the_first_measure_and_links_the_new(kind, into, error):
    when = (
        spec("COUNTY")
        .given(running(kind, T0))
        .when(m.EndMeasure(ID, "CONVERTED", "unneeded", d(2, 1), INVESTIGATOR, into))
    )
    if error:
        when.raises(error)
    else:
        when.then([ev.MeasureEnded(ID, "CONVERTED", "unneeded", "u-inv", d(2, 1), converted_to="measure-2")])


@pytest.mark.parametrize(
    "kind, ends, article",
    [
        ("ORDERED_WAITING", d(1, 10, 2027), "SL 46: at most 12 months"),
        ("CONFINEMENT", d(1, 17), "SL 64: at most 7 days"),
        ("TECHNICAL_INVESTIGATION", d(4, 10), "SL 31: 3 months"),
        ("FREEZING", d(7, 10), "SL 28: valid 6 months (unverified)"),
        ("PROTECTIVE_CUSTODY", d(1, 17), "SL 46 ¶4: 7 days"),
        ("EXIT_BAN", None, "SL 33: until lifted"),
    ],
)
def test_limits_of_each_kind(kind, ends, article):
    approver = PROVINCIAL if kind == "EXIT_BAN" else SUPERIOR if kind == "TECHNICAL_INVESTIGATION" else HEAD
    history = requested(kind)
    if kind == "EXIT_BAN":
        history += [ev.MeasureApprovalGiven(ID, "LOCAL", "commission_head", "u-head")]
    [approved] = spec("COUNTY").given(history).when(m.ApproveMeasure(ID, T0, approver)).run()
    assert approved.ends_at == ends


def test_technical_investigation_is_renewable_three_months_each_time():
    """SL 31."""
    history, s = running("TECHNICAL_INVESTIGATION", T0, role="superior_head"), spec("COUNTY")
    for ends in (d(7, 10), d(10, 10), d(1, 10, 2027)):
        history += s.given(history).when(m.ExtendMeasure(ID, "renewed", False, SUPERIOR)).run()
        assert m.fold(history).ends_at == ends


def test_measures_recorded_before_issue_19_fold_the_same():
    """An old one-step detention (the superior head alone) and an old CONVERTED end without a link."""
    old = [
        ev.MeasureRequested(ID, CASE, "DETENTION", PERSON, "investigation_1", "r", "u-inv"),
        ev.MeasureApproved(ID, "superior_head", "u-sup", T0, d(4, 10)),
        ev.MeasureExtended(ID, d(7, 10), "r", "superior_head", "u-sup"),
        ev.MeasureEnded(ID, "CONVERTED", "r", "u-inv", d(5, 1)),
    ]
    state = m.fold(old)
    assert (state.status, state.ends_at, state.extensions, state.outcome, state.approvals) == (
        "ENDED",
        d(7, 10),
        1,
        "CONVERTED",
        0,
    )
