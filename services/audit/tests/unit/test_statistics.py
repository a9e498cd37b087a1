"""Statistics from events (issue 27; domain.md §5 "Statistics the seeds quote"): the pure formulas —
one row per rule, citing the text — the four forms' configuration (statistics.toml, unverified)
with its loader naming the key, and the facts the recorded events give (`adapters.statistics_facts`)."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from audit.v1 import statistics_pb2 as pb
from cases.v1 import events_pb2 as cases
from clues.v1 import events_pb2 as clues, tour_events_pb2 as tours
from common.v1 import person_pb2
from kernel.domain.principal import Principal
from kernel.eventstore import envelope as env_mod
from kernel.eventstore.envelope import Link, NewEvent
from sanctions.v1 import events_pb2 as sanctions
from services.audit import report
from services.audit.adapters import statistics_facts
from services.audit.app.statistics_config import StatisticsConfigError, load_statistics_rules, parse_statistics_rules
from services.audit.domain import statistics as s
from services.audit.domain.statistics import Fact, FourFormRules, Period, Query, compute

UTC = timezone.utc
Y2019 = Period(datetime(2019, 1, 1, tzinfo=UTC), datetime(2020, 1, 1, tzinfo=UTC))
IN, BEFORE, AFTER = (
    datetime(2019, 6, 1, tzinfo=UTC),
    datetime(2018, 12, 31, 23, tzinfo=UTC),
    datetime(2020, 1, 1, tzinfo=UTC),
)
RULES = load_statistics_rules()


class Facts:
    """Facts on leaves 0, 1, 2, ... in the order added."""

    def __init__(self):
        self.rows: list[Fact] = []

    def add(self, fact, ref, key="", person="", at=IN, office="supervision_1", liaison="", **attrs) -> Fact:
        n = len(self.rows)
        f = Fact(fact, ref, key, person, attrs, office, at, at, n, f"e{n}", liaison)
        self.rows.append(f)
        return f

    def disposed(self, person, outcome="PARTY_SANCTION", code="PARTY_WARNING", *, case=None, clue_source=None,
                 level="CITY", at=IN, office="investigation_1", liaison="supervision_1"):  # fmt: skip
        """A clue (of `clue_source`, or none), its case, and the disposal of `person`."""
        case = case or f"case-{person}-{len(self.rows)}"
        if clue_source is not None:
            clue = f"clue-{case}"
            self.add(s.CLUE_REGISTERED, clue, office="complaints", source=clue_source)
            self.add(s.CASE_FILED, case, clue, office=office)
        attrs = {"outcome": outcome, "code": code, **({"level": level} if level else {})}
        return self.add(s.DISPOSED, case, code, person, at, office, liaison, **attrs)


def counts(figures) -> dict:
    return {f.key: f.count for f in figures}


def q(statistic, offices=None, level="") -> Query:
    return Query(statistic, Y2019, offices, level)


# --- TOUR_CONTRIBUTION (domain.md §5; seed 001: 69%, 市管, 2019) -----------------------------------


def _contribution(build, level="CITY", offices=None):
    f = Facts()
    build(f)
    return counts(compute(f.rows, q(s.TOUR_CONTRIBUTION, offices, level)))


@pytest.mark.parametrize(
    "rule, build, expected",
    [
        ("§5: a Party sanction in Y from a tour clue counts in D and T",
         lambda f: f.disposed("P1", clue_source="INSPECTION_TOUR"), {"D": 1, "T": 1, "rate": 1}),
        ("§5: a government sanction counts in D",
         lambda f: f.disposed("P1", "GOVERNMENT_SANCTION", "GOVERNMENT_DEMERIT", clue_source="PETITION"),
         {"D": 1, "T": 0, "rate": 0}),
        ("§5: organisational handling counts in D",
         lambda f: f.disposed("P1", "ORGANISATIONAL_HANDLING", "ORGANISATIONAL_HANDLING"), {"D": 1, "T": 0, "rate": 0}),
        ("§5: light handling is not a sanction or organisational handling",
         lambda f: f.disposed("P1", "LIGHT_HANDLING", "LIGHT_HANDLING", clue_source="INSPECTION_TOUR"),
         {"D": 0, "T": 0, "rate": 0}),
        ("§5: admonishment (诫勉) is not counted", lambda f: f.disposed("P1", "ADMONISHMENT", "ADMONISHMENT"),
         {"D": 0, "T": 0, "rate": 0}),
        ("§5: no sanction is not counted", lambda f: f.disposed("P1", "NO_SANCTION", "NO_SANCTION"),
         {"D": 0, "T": 0, "rate": 0}),
        ("§5 year Y: decided before the period", lambda f: f.disposed("P1", at=BEFORE), {"D": 0, "T": 0, "rate": 0}),
        ("§5 year Y: the period's end is exclusive", lambda f: f.disposed("P1", at=AFTER), {"D": 0, "T": 0, "rate": 0}),
        ("§5 level L: another level at the decision is not counted",
         lambda f: f.disposed("P1", level="COUNTY", clue_source="INSPECTION_TOUR"), {"D": 0, "T": 0, "rate": 0}),
        ("§5: a person disposed twice counts once; T if either case came from a tour",
         lambda f: (f.disposed("P1", clue_source="PETITION"), f.disposed("P1", clue_source="INSPECTION_TOUR")),
         {"D": 1, "T": 1, "rate": 1}),
        ("§5: a case with no origin clue (accountability) is not from a tour",
         lambda f: f.disposed("P1"), {"D": 1, "T": 0, "rate": 0}),
    ],
)  # fmt: skip
def test_tour_contribution(rule, build, expected):
    got = _contribution(build)
    assert got == expected, rule


def test_tour_contribution_rate_is_t_over_d_with_its_keys():
    """Seed 001: 69 of 100 市管 persons → 69%."""
    f = Facts()
    for k in range(100):
        f.disposed(f"P{k}", clue_source="INSPECTION_TOUR" if k < 69 else "PETITION")
    d, t, rate = compute(f.rows, q(s.TOUR_CONTRIBUTION, level="CITY"))
    assert (d.count, t.count, rate.key, rate.value) == (100, 69, "rate", 0.69)
    assert (rate.numerator_key, rate.denominator_key, rate.evidence) == ("T", "D", ())
    assert {e.person_id for e in t.evidence} == {f"P{k}" for k in range(69)}
    # T's evidence: the disposal, the filing from the clue and the clue's registration with its source
    assert {e.what.split(":")[0].split(" ")[0] for e in t.evidence} == {"disposed", "case", "origin"}


def test_the_level_at_the_decision_is_the_stated_one_else_the_latest_reported_before_it():
    """domain.md §1: a rule uses the value at the decision (PersonFactsReported before it, not after)."""
    f = Facts()
    f.add(s.PERSON_LEVEL, "person-1", person="P1", at=IN - timedelta(days=30), level="CITY")
    f.add(s.PERSON_LEVEL, "person-1", person="P1", at=IN + timedelta(days=30), level="PROVINCIAL")
    f.disposed("P1", level="")
    f.disposed("P2", level="COUNTY")
    f.add(
        s.PERSON_LEVEL, "person-2", person="P2", at=IN - timedelta(days=1), level="CITY"
    )  # the disposal states COUNTY
    assert counts(compute(f.rows, q(s.TOUR_CONTRIBUTION, level="CITY")))["D"] == 1
    assert counts(compute(f.rows, q(s.TOUR_CONTRIBUTION, level="")))["D"] == 2  # every level


# --- NOTICE_RESULTS (domain.md §5; seed 004: 30 / 26 / 5 / 1) -----------------------------------


def _notice(f: Facts, clue: str, *, at=IN, office="supervision_1") -> None:
    f.add(s.NOTICE_ISSUED, clue, f"n-{clue}-{len(f.rows)}", at=at, office=office)


def _stage(f: Facts, clue: str, stage: str) -> None:
    f.add(s.CLUE_STAGE, clue, stage=stage)


def _filed_with_detention(f: Facts, clue: str, person: str, *, approved=True, kind="DETENTION", attach=False):
    _stage(f, clue, "CASE_FILED")
    case = f"case-{clue}"
    f.add(s.CASE_FILED, case, clue)
    measure = f"measure-{clue}-{len(f.rows)}"
    f.add(
        s.MEASURE_REQUESTED,
        measure,
        person=person,
        kind=kind,
        case_id="" if attach else case,
        clue_id=clue if attach else "",
    )
    if attach:
        f.add(s.MEASURE_ATTACHED, measure, case, case_id=case)
    if approved:
        f.add(s.MEASURE_APPROVED, measure)


@pytest.mark.parametrize(
    "rule, build, expected",
    [
        ("§5 N: a notice issued in W", lambda f: _notice(f, "clue-1"), {"N": 1, "C": 0, "F": 0, "X": 0}),
        ("§5 N: a notice outside W is not counted", lambda f: _notice(f, "clue-1", at=BEFORE),
         {"N": 0, "C": 0, "F": 0, "X": 0}),
        ("§5 C: CLOSED after the notice", lambda f: (_notice(f, "clue-1"), _stage(f, "clue-1", "CLOSED")),
         {"N": 1, "C": 1, "F": 0, "X": 0}),
        ("§5 C: FORWARDED after the notice", lambda f: (_notice(f, "clue-1"), _stage(f, "clue-1", "FORWARDED")),
         {"N": 1, "C": 1, "F": 0, "X": 0}),
        ("§5 C: a stage that concludes nothing", lambda f: (_notice(f, "clue-1"), _stage(f, "clue-1", "TALK_OR_LETTER")),
         {"N": 1, "C": 0, "F": 0, "X": 0}),
        ("§5 C: concluded before the notice is not a result of it",
         lambda f: (_stage(f, "clue-1", "CLOSED"), _notice(f, "clue-1")), {"N": 1, "C": 0, "F": 0, "X": 0}),
        ("§5 C: two notices on one clue are two N, one C",
         lambda f: (_notice(f, "clue-1"), _notice(f, "clue-1"), _stage(f, "clue-1", "CLOSED")),
         {"N": 2, "C": 1, "F": 0, "X": 0}),
        ("§5 F: CASE_FILED after the notice", lambda f: (_notice(f, "clue-1"), _filed_with_detention(f, "clue-1", "P1", approved=False)),
         {"N": 1, "C": 1, "F": 1, "X": 0}),
        ("§5 X: an approved DETENTION on a case from F", lambda f: (_notice(f, "clue-1"), _filed_with_detention(f, "clue-1", "P1")),
         {"N": 1, "C": 1, "F": 1, "X": 1}),
        ("§5 X: a detention requested on the clue and attached to its case",
         lambda f: (_notice(f, "clue-1"), _filed_with_detention(f, "clue-1", "P1", attach=True)),
         {"N": 1, "C": 1, "F": 1, "X": 1}),
        ("§5 X: another measure is not a detention",
         lambda f: (_notice(f, "clue-1"), _filed_with_detention(f, "clue-1", "P1", kind="ORDERED_WAITING")),
         {"N": 1, "C": 1, "F": 1, "X": 0}),
        ("§5 X: a person detained twice counts once",
         lambda f: (_notice(f, "clue-1"), _filed_with_detention(f, "clue-1", "P1"),
                    f.add(s.MEASURE_REQUESTED, "measure-2", person="P1", kind="DETENTION", case_id="case-clue-1"),
                    f.add(s.MEASURE_APPROVED, "measure-2")),
         {"N": 1, "C": 1, "F": 1, "X": 1}),
        ("§5 X: a detention on a case no notice led to", lambda f: _filed_with_detention(f, "clue-9", "P9"),
         {"N": 0, "C": 0, "F": 0, "X": 0}),
    ],
)  # fmt: skip
def test_notice_results(rule, build, expected):
    f = Facts()
    build(f)
    assert counts(compute(f.rows, q(s.NOTICE_RESULTS))) == expected, rule


# --- TOUR_PROBLEMS (domain.md §5; seed 001: 1443 problems, 14 letters) --------------------------


def test_problems_and_letters_per_round_and_their_sums():
    f = Facts()
    for r in ("tour-a", "tour-b"):
        f.add(s.TOUR_OPENED, r, office="inspection_tour", reference=f"2019 {r}")
    for n in range(3):
        f.add(s.TOUR_PROBLEM, "tour-a", f"tour-a#{n + 1}", office="inspection_tour")
    f.add(s.TOUR_PROBLEM, "tour-a", "tour-a#1", office="inspection_tour")  # the same problem again: once
    f.add(s.TOUR_PROBLEM, "tour-b", "tour-b#1", office="inspection_tour", at=BEFORE)  # last year's
    f.add(s.TOUR_LETTER, "tour-b", "建议书1", office="inspection_tour")
    got = compute(f.rows, q(s.TOUR_PROBLEMS))
    assert counts(got) == {
        "problems:tour-a": 3,
        "letters:tour-a": 0,
        "problems:tour-b": 0,
        "letters:tour-b": 1,
        "problems": 3,
        "letters": 1,
    }
    assert got[0].label == "problems recorded, 2019 tour-a"
    assert counts(compute(f.rows, q(s.TOUR_PROBLEMS, frozenset({"supervision_1"})))) == {"problems": 0, "letters": 0}


# --- FOUR_FORMS (domain.md §5; seed 002; unverified: configuration) ------------------------------


@pytest.mark.parametrize(
    "rule, build, counting, expected",
    [
        ("§5 form 1: 谈话提醒 (a talk/letter conclusion)",
         lambda f: f.add(s.TALK_CONCLUDED, "clue-1", "TALK_REMINDER", "P1", code="TALK_REMINDER"), "each",
         {"form1": 1, "total": 1}),
        ("§5 form 1: 诫勉", lambda f: f.add(s.TALK_CONCLUDED, "clue-1", "ADMONISHMENT", "P1", code="ADMONISHMENT"), "each",
         {"form1": 1, "total": 1}),
        ("§5: cleared is no form", lambda f: f.add(s.TALK_CONCLUDED, "clue-1", "CLEARED", "P1", code="CLEARED"), "each",
         {"total": 0}),
        ("§5 form 2: Party 警告", lambda f: f.disposed("P1"), "each", {"form2": 1, "total": 1}),
        ("§5 form 2: organisational adjustment",
         lambda f: f.disposed("P1", "ORGANISATIONAL_HANDLING", "ORGANISATIONAL_HANDLING"), "each", {"form2": 1, "total": 1}),
        ("§5 form 3: 留党察看", lambda f: f.disposed("P1", code="PARTY_PROBATION"), "each", {"form3": 1, "total": 1}),
        ("§5 form 3: 开除党籍", lambda f: f.disposed("P1", code="PARTY_EXPULSION"), "each", {"form3": 1, "total": 1}),
        ("§5 form 4: transfer for prosecution",
         lambda f: f.disposed("P1", "TRANSFER_FOR_PROSECUTION", "TRANSFER_FOR_PROSECUTION"), "each", {"form4": 1, "total": 1}),
        ("§5: no sanction is no form", lambda f: f.disposed("P1", "NO_SANCTION", "NO_SANCTION"), "each", {"total": 0}),
        ("§5: outside Y", lambda f: f.disposed("P1", at=AFTER), "each", {"total": 0}),
        ("§5 multi-outcome 'each': a Party and a government sanction of one decision count twice",
         lambda f: _two_families(f), "each", {"form2": 1, "form3": 1, "total": 2}),
        ("§5 multi-outcome 'heaviest_per_decision': once, at the heaviest form",
         lambda f: _two_families(f), "heaviest_per_decision", {"form3": 1, "total": 1}),
        ("§5 multi-outcome 'heaviest_per_decision': two decisions count twice",
         lambda f: (f.disposed("P1"), f.disposed("P1", code="PARTY_EXPULSION")), "heaviest_per_decision",
         {"form2": 1, "form3": 1, "total": 2}),
        ("§5 multi-outcome 'heaviest_per_person': a person once in Y, at the heaviest form",
         lambda f: (f.disposed("P1"), f.disposed("P1", code="PARTY_EXPULSION")), "heaviest_per_person",
         {"form3": 1, "total": 1}),
    ],
)  # fmt: skip
def test_four_forms(rule, build, counting, expected):
    f = Facts()
    build(f)
    rules = FourFormRules(RULES.four_forms.forms, counting)
    got = {k: v for k, v in counts(compute(f.rows, q(s.FOUR_FORMS), rules)).items() if v or k == "total"}
    assert got == expected, rule


def _two_families(f: Facts) -> None:
    """One CaseDisposed event with a Party warning and a government dismissal of one person."""
    a = f.disposed("P1")
    f.rows.append(Fact(s.DISPOSED, a.ref, "GOVERNMENT_DISMISSAL", "P1", {"outcome": "GOVERNMENT_SANCTION",
                       "code": "GOVERNMENT_DISMISSAL"}, a.office, a.occurred_at, a.recorded_at, a.leaf_index, a.event_id))  # fmt: skip


def test_four_forms_shares_are_count_over_total():
    f = Facts()
    f.disposed("P1")
    f.disposed("P2")
    f.disposed("P3", code="PARTY_EXPULSION")
    f.add(s.TALK_CONCLUDED, "clue-1", "TALK_REMINDER", "P4", code="TALK_REMINDER")
    by = {x.key: x for x in compute(f.rows, q(s.FOUR_FORMS), RULES.four_forms)}
    assert [(by[k].count, by[k].value) for k in s.FORMS] == [(1, 0.25), (2, 0.5), (1, 0.25), (0, 0.0)]
    assert (by["form2"].numerator_key, by["form2"].denominator_key, by["total"].count) == ("form2", "total", 4)


# --- OVERDUE_EXECUTION (domain.md §4d; seed 000's blockages) -------------------------------------


def _item(f: Facts, item: str, due="2019-07-31", *events) -> None:
    f.add(s.EXEC_OVERDUE, "decision-timers-1", f"decision-1/{item}", due=due, stage="DUE")
    for kind, attrs in events:
        f.add(kind, "decision-1", f"decision-1/{item}", **attrs)


@pytest.mark.parametrize(
    "rule, build, expected",
    [
        ("§4d: overdue, no blockage recorded", lambda f: _item(f, "PERSONNEL_FILE"), {"overdue:NONE": 1, "overdue": 1}),
        ("§4d: overdue, blocked (seed 000 部门协作不顺畅)",
         lambda f: _item(f, "PERSONNEL_FILE", "2019-07-31", (s.EXEC_BLOCKAGE, {"cause": "INTER_DEPARTMENT"})),
         {"overdue:INTER_DEPARTMENT": 1, "overdue": 1}),
        ("§4d: a later blockage replaces the earlier",
         lambda f: _item(f, "ANNOUNCE", "2019-07-31", (s.EXEC_BLOCKAGE, {"cause": "RULES_MISSING"}),
                         (s.EXEC_BLOCKAGE, {"cause": "MOBILE_PARTY_MEMBER"})),
         {"overdue:MOBILE_PARTY_MEMBER": 1, "overdue": 1}),
        ("§4d: done (its receipt) is no longer overdue",
         lambda f: _item(f, "PERSONNEL_FILE", "2019-07-31", (s.EXEC_DONE, {})), {"overdue": 0}),
        ("§4d: overdue at DUE and LATEST_DUE counts once",
         lambda f: (_item(f, "POST_PAY_CHANGE"), _item(f, "POST_PAY_CHANGE", "2019-12-31")), {"overdue:NONE": 1, "overdue": 1}),
        ("§4d: a due date outside the period", lambda f: _item(f, "PERSONNEL_FILE", "2020-01-01"), {"overdue": 0}),
    ],
)  # fmt: skip
def test_overdue_execution(rule, build, expected):
    f = Facts()
    build(f)
    assert counts(compute(f.rows, q(s.OVERDUE_EXECUTION))) == expected, rule


# --- offices (domain.md §1: held or supervised as liaison) ---------------------------------------


@pytest.mark.parametrize(
    "offices, expected",
    [(None, 2), (frozenset({"investigation_1"}), 1), (frozenset({"supervision_1"}), 1), (frozenset({"complaints"}), 0)],
)
def test_an_offices_figures_count_the_files_it_holds_or_liaises(offices, expected):
    f = Facts()
    f.disposed("P1", office="investigation_1", liaison="supervision_1")
    f.disposed("P2", office="investigation_2", liaison="supervision_2")
    assert counts(compute(f.rows, q(s.TOUR_CONTRIBUTION, offices)))["D"] == expected


def test_evidence_is_in_leaf_order_and_names_each_event_once():
    f = Facts()
    for k in range(3):
        _notice(f, f"clue-{k}")
    (n, *_) = compute(reversed(f.rows), q(s.NOTICE_RESULTS))
    assert [e.leaf_index for e in n.evidence] == [0, 1, 2]
    assert [e.event_id for e in n.evidence] == ["e0", "e1", "e2"]


def test_an_unknown_statistic_is_refused():
    with pytest.raises(ValueError, match="unknown statistic"):
        compute([], q("SOMETHING"))


# --- statistics.toml (unverified, domain.md §5): every mistake names the key --------------------

GOOD = {
    "schema_version": 1,
    "readers": {"all_offices": ["commission_head"]},
    "four_forms": {"counting": "each", "form1": ["TALK_REMINDER"], "form2": [], "form3": [], "form4": []},
}


def _with(table, key, value):
    data = {k: dict(v) if isinstance(v, dict) else v for k, v in GOOD.items()}
    if key is None:
        data.pop(table)
    elif value is None:
        data[table].pop(key)
    else:
        data[table][key] = value
    return data


@pytest.mark.parametrize(
    "data, key",
    [
        ({**GOOD, "schema_version": 2}, "schema_version"),
        ({**GOOD, "extra": {}}, "extra"),
        (_with("readers", None, None), "readers"),
        (_with("readers", "all_offices", None), "readers.all_offices"),
        (_with("readers", "all_offices", ["nobody"]), "readers.all_offices"),
        (_with("readers", "others", []), "readers.others"),
        (_with("four_forms", "counting", "most"), "four_forms.counting"),
        (_with("four_forms", "form3", None), "four_forms.form3"),
        (_with("four_forms", "form2", "PARTY_WARNING"), "four_forms.form2"),
        (_with("four_forms", "form2", ["TALK_REMINDER"]), "four_forms.form2"),
        (_with("four_forms", "form5", []), "four_forms.form5"),
    ],
)
def test_a_wrong_statistics_file_names_the_key(data, key):
    with pytest.raises(StatisticsConfigError, match=f"statistics.toml: {key}: "):
        parse_statistics_rules(data, roles=["commission_head", "deputy_head"])


def test_the_shipped_file_maps_every_form_the_text_names():
    """domain.md §5: 1 谈话提醒, 批评教育, 责令检查, 诫勉; 2 Party 警告, 严重警告, organisational
    adjustment; 3 撤销, 留党察看, 开除党籍; 4 transfer for prosecution."""
    forms = RULES.four_forms.forms
    named = {
        1: ["TALK_REMINDER", "CRITICISM_AND_EDUCATION", "ORDERED_SELF_EXAMINATION", "ADMONISHMENT"],
        2: ["PARTY_WARNING", "PARTY_SERIOUS_WARNING", "ORGANISATIONAL_HANDLING"],
        3: ["PARTY_REMOVAL_FROM_POSTS", "PARTY_PROBATION", "PARTY_EXPULSION"],
        4: ["TRANSFER_FOR_PROSECUTION"],
    }
    assert all(forms[code] == n for n, codes in named.items() for code in codes)
    assert RULES.all_offices == {"commission_head", "deputy_head"}


# --- the facts recorded events give (adapters.statistics_facts) ----------------------------------

OFFICER = Principal("commission", "supervision_1", "supervisor", "u-1")
HOLDING = (Link("office", "investigation_1", "holder"), Link("office", "supervision_1", "liaison"))


def _env(stream, payload, at=IN, links=HOLDING, principal=OFFICER):
    event = NewEvent(str(env_mod.new_event_id()), payload, at, principal, "c-1", links=tuple(links))
    return env_mod.parse(env_mod.seal(env_mod.build(event, stream, 1, at + timedelta(seconds=1))))


def test_a_disposal_gives_each_persons_outcome_at_the_decision_date_with_the_stated_level():
    decided = datetime(2019, 5, 1, 12, tzinfo=UTC)
    cadre = person_pb2.Cadre(level=person_pb2.MANAGEMENT_LEVEL_CITY)
    env = _env(
        "case-1",
        cases.CaseDisposed(
            case_id="case-1",
            outcomes=[
                cases.Outcome(
                    kind=cases.OUTCOME_KIND_PARTY_SANCTION, person_id="P1", sanction=cases.SANCTION_TYPE_PARTY_WARNING
                ),
                cases.Outcome(kind=cases.OUTCOME_KIND_TRANSFER_FOR_PROSECUTION, person_id="P1"),
            ],
            decided_at=env_mod._ts(decided),
            facts=[person_pb2.PersonFacts(person_id="P1", cadre=cadre)],
        ),
        at=decided + timedelta(days=2),
    )
    got = statistics_facts.facts_of(env, 7)
    assert [(f.kind, f.person_id, dict(f.attrs), f.occurred_at, f.office, f.liaison, f.leaf_index) for f in got] == [
        (s.DISPOSED, "P1", {"outcome": "PARTY_SANCTION", "code": "PARTY_WARNING", "level": "CITY"}, decided,
         "investigation_1", "supervision_1", 7),
        (s.DISPOSED, "P1", {"outcome": "TRANSFER_FOR_PROSECUTION", "code": "TRANSFER_FOR_PROSECUTION", "level": "CITY"},
         decided, "investigation_1", "supervision_1", 7),
    ]  # fmt: skip
    assert {f.event_id for f in got} == {env.event_id}


@pytest.mark.parametrize(
    "stream, payload, expected",
    [
        ("clue-1", clues.ClueRegistered(clue_id="clue-1", source=clues.CLUE_SOURCE_INSPECTION_TOUR, tour_round_id="tour-1"),
         [(s.CLUE_REGISTERED, "", {"source": "INSPECTION_TOUR", "tour_round_id": "tour-1"})]),
        ("clue-1", clues.ClueRegistered(clue_id="clue-1", source=clues.CLUE_SOURCE_PETITION), []),
        ("clue-1", clues.ClueForwarded(clue_id="clue-1"), [(s.CLUE_STAGE, "", {"stage": "FORWARDED"})]),
        ("clue-1", clues.ClueCaseFiled(clue_id="clue-1", case_id="case-1"), [(s.CLUE_STAGE, "", {"stage": "CASE_FILED"})]),
        ("clue-1", clues.DisposalApproved(clue_id="clue-1", method=clues.DISPOSAL_METHOD_CLOSED),
         [(s.CLUE_STAGE, "", {"stage": "CLOSED"})]),
        ("clue-1", clues.SupervisionNoticeIssued(clue_id="clue-1", notice_id="督办1号", to_office="supervision_1"),
         [(s.NOTICE_ISSUED, "督办1号", {"to_office": "supervision_1"})]),
        ("case-1", cases.CaseFiled(case_id="case-1", clue_id="clue-1"), [(s.CASE_FILED, "clue-1", {})]),
        ("measure-1", cases.MeasureRequested(measure_id="measure-1", case_id="case-1", kind=cases.MEASURE_KIND_DETENTION, person_id="P1"),
         [(s.MEASURE_REQUESTED, "", {"kind": "DETENTION", "case_id": "case-1", "clue_id": ""})]),
        ("measure-1", cases.MeasureApproved(measure_id="measure-1"), [(s.MEASURE_APPROVED, "", {})]),
        ("tour-1", tours.TourProblemRecorded(round_id="tour-1", problem_id="tour-1#1", unit="u"),
         [(s.TOUR_PROBLEM, "tour-1#1", {"unit": "u"})]),
        ("tour-1", tours.TourSuggestionLetterIssued(round_id="tour-1", letter_id="L1"), [(s.TOUR_LETTER, "L1", {})]),
        ("decision-timers-1", sanctions.ExecutionItemOverdue(decision_id="decision-1", item_id="ANNOUNCE", due="2019-07-01", stage="DUE"),
         [(s.EXEC_OVERDUE, "decision-1/ANNOUNCE", {"due": "2019-07-01", "kind": "", "stage": "DUE", "owner": "", "item_id": "ANNOUNCE"})]),
        ("decision-1", sanctions.ExecutionBlockageRecorded(decision_id="decision-1", item_id="ANNOUNCE", cause=sanctions.BLOCKAGE_CAUSE_RULES_MISSING),
         [(s.EXEC_BLOCKAGE, "decision-1/ANNOUNCE", {"cause": "RULES_MISSING"})]),
        ("decision-1", sanctions.ExecutionItemReported(decision_id="decision-1", item_id="ANNOUNCE"),
         [(s.EXEC_DONE, "decision-1/ANNOUNCE", {})]),
        ("clue-1", clues.RegistrationApproved(clue_id="clue-1"), []),
        ("case-1", cases.InvestigationStarted(case_id="case-1"), []),
    ],
)  # fmt: skip
def test_each_event_gives_its_facts(stream, payload, expected):
    got = statistics_facts.facts_of(_env(stream, payload), 0)
    assert [(f.kind, f.key, dict(f.attrs)) for f in got] == expected
    assert all(f.ref == stream for f in got)


def test_a_talk_conclusion_is_an_outcome_of_each_subject_in_its_form():
    links = (*HOLDING, Link("person", "P1", "subject"), Link("person", "P2", "subject"))
    m = clues.TalkOrLetterConcluded(
        clue_id="clue-1", outcome=clues.TALK_OUTCOME_LIGHT_HANDLING, light_handling=clues.LIGHT_HANDLING_TALK_REMINDER
    )
    got = statistics_facts.facts_of(_env("clue-1", m, links=links), 0)
    assert [(f.kind, f.person_id, f.attrs.get("code", f.attrs.get("stage"))) for f in got] == [
        (s.CLUE_STAGE, "", "CLOSED"),
        (s.TALK_CONCLUDED, "P1", "TALK_REMINDER"),
        (s.TALK_CONCLUDED, "P2", "TALK_REMINDER"),
    ]


def test_a_tour_event_without_holding_links_counts_for_its_office():
    m = tours.TourRoundOpened(
        round_id="tour-1", reference="2019 第五轮", kind=tours.TOUR_KIND_REGULAR, office="inspection_tour"
    )
    (f,) = statistics_facts.facts_of(_env("tour-1", m, links=()), 0)
    assert (f.kind, f.office, dict(f.attrs)) == (
        s.TOUR_OPENED,
        "inspection_tour",
        {"reference": "2019 第五轮", "kind": "REGULAR"},
    )
    p = tours.TourProblemRecorded(round_id="tour-1", problem_id="tour-1#1")
    tour_officer = Principal("commission", "inspection_tour", "tour_officer", "u-t")
    (f,) = statistics_facts.facts_of(_env("tour-1", p, links=(), principal=tour_officer), 1)
    assert f.office == "inspection_tour"


# --- the report command (python -m services.audit.report) ----------------------------------------


def test_the_report_asks_for_the_period_in_the_commissions_time_zone_and_prints_each_figure():
    zone = ZoneInfo("Asia/Shanghai")
    args = report.parser().parse_args(
        ["tour-contribution", "--year", "2019", "--level", "CITY", "--as-of", "2020-01-31"]
    )
    req = report.request(args, zone)
    assert (req.statistic, req.management_level) == (pb.STATISTIC_TOUR_CONTRIBUTION, person_pb2.MANAGEMENT_LEVEL_CITY)
    assert req.period_start.ToDatetime() == datetime(2018, 12, 31, 16)  # 2019-01-01 00:00 in Beijing
    assert req.as_of.ToDatetime() == datetime(2020, 1, 31, 16)  # the day's end
    answer = pb.GetStatisticResponse(
        figures=[
            pb.Figure(key="D", label="persons disposed", count=100,
                      evidence=[pb.Evidence(event_id="e1", leaf_index=7, stream_id="case-1", person_id="P1", what="disposed")]),
            pb.Figure(key="T", label="of D, from tours", count=69),
            pb.Figure(key="rate", label="rate", count=69, value=0.69, numerator_key="T", denominator_key="D"),
        ],
        tree_size=9,
    )  # fmt: skip
    out = report.text(answer, True, zone).splitlines()
    assert out[0].split() == ["D", "100", "persons", "disposed"]
    assert out[1].split() == ["leaf", "7", "e1", "case-1", "P1", "disposed"]
    assert "69.00%" in out[3] and "(T / D)" in out[3]
    assert out[-1].startswith("-- as of") and "tree size 9, every office" in out[-1]


@pytest.mark.parametrize(
    "argv",
    [
        ["tour-problems", "--token", "t"],  # no period
        ["tour-problems", "--token", "t", "--year", "2019", "--from", "2019-01-01"],
        ["tour-problems", "--token", "t", "--from", "2019-02-01", "--to", "2019-01-01"],
        ["tour-problems", "--token", "t", "--year", "2019", "--as-of", "yesterday"],
    ],
)
def test_a_usage_error_is_exit_status_2(argv, capsys):
    assert report.main(argv, env={}) == 2
    assert capsys.readouterr().err.startswith("error: ")
