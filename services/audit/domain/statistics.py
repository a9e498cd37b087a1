"""Statistics over the recorded events (domain.md §5 "Statistics the seeds quote"; seeds 001, 002,
004; issue 27). Pure: given the facts the ledger's events state, the figures and the events each
count rests on.

A `Fact` is one thing one event states for statistics (`adapters.statistics_facts` reads them off
the envelopes, the only place that knows other services' event types): its `kind` (one of KINDS),
the stream `ref` it is on, the `key` within (a clue a case was filed from, a problem, an execution
item, a notice), the person it is about (if any), `attrs` (codes and dates only), the `office`
holding the file and its `liaison` office when it was recorded, its domain time `occurred_at` (the date that counts: a
disposal's `decided_at`, a notice's issue, a problem's recording) and its ledger leaf and event id
(the evidence, provable with GetInclusionProof).

The caller gives the facts recorded at or before `as_of` (and below the tree size); the formulas
judge periods on `occurred_at`, half-open [start, end). The office filter applies to the facts a
statistic counts (disposals, notices, a round's problems and letters, outcomes, overdue items): an
office's figures count the files it holds or supervises as liaison (联系, domain.md §1);
what they are followed through (a case's origin clue, a notice's clue's stages, a detention on a
case filed from it) counts wherever it is held.

A person counts once unless stated (domain.md §5).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time

# --- fact kinds (what `adapters.statistics_facts` states) ----------------------------------------
CLUE_REGISTERED = "CLUE_REGISTERED"  # ref clue; attrs source (ClueSource name), tour_round_id
CLUE_STAGE = "CLUE_STAGE"  # ref clue; attrs stage (FORWARDED, CLOSED, CASE_FILED, ...)
NOTICE_ISSUED = "NOTICE_ISSUED"  # ref clue; key notice id
CASE_FILED = "CASE_FILED"  # ref case; key the origin clue ("" when none)
DISPOSED = "DISPOSED"  # ref case; person; attrs outcome (OutcomeKind), sanction, code, level
PERSON_LEVEL = "PERSON_LEVEL"  # ref person-<uuid>; person; attrs level; occurred_at = the facts' date
TALK_CONCLUDED = "TALK_CONCLUDED"  # ref clue; person; attrs outcome (TalkOutcome), code
MEASURE_REQUESTED = "MEASURE_REQUESTED"  # ref measure; person; attrs kind, case_id, clue_id
MEASURE_APPROVED = "MEASURE_APPROVED"  # ref measure
MEASURE_ATTACHED = "MEASURE_ATTACHED"  # ref measure; attrs case_id
TOUR_OPENED = "TOUR_OPENED"  # ref tour; attrs reference, kind
TOUR_PROBLEM = "TOUR_PROBLEM"  # ref tour; key problem id
TOUR_LETTER = "TOUR_LETTER"  # ref tour; key letter id
# an execution item's key is `<decision id>/<item id>` (its overdue is raised on the decision's timer stream)
EXEC_OVERDUE = "EXEC_OVERDUE"  # ref decision or its timers; key item; attrs due (YYYY-MM-DD), kind, stage
EXEC_BLOCKAGE = "EXEC_BLOCKAGE"  # ref decision; key item; attrs cause
EXEC_DONE = "EXEC_DONE"  # ref decision; key item
KINDS = (
    CLUE_REGISTERED,
    CLUE_STAGE,
    NOTICE_ISSUED,
    CASE_FILED,
    DISPOSED,
    PERSON_LEVEL,
    TALK_CONCLUDED,
    MEASURE_REQUESTED,
    MEASURE_APPROVED,
    MEASURE_ATTACHED,
    TOUR_OPENED,
    TOUR_PROBLEM,
    TOUR_LETTER,
    EXEC_OVERDUE,
    EXEC_BLOCKAGE,
    EXEC_DONE,
)

# --- the statistics (audit.v1.Statistic without its prefix) --------------------------------------
TOUR_CONTRIBUTION, NOTICE_RESULTS, TOUR_PROBLEMS = "TOUR_CONTRIBUTION", "NOTICE_RESULTS", "TOUR_PROBLEMS"
FOUR_FORMS, OVERDUE_EXECUTION = "FOUR_FORMS", "OVERDUE_EXECUTION"
STATISTICS = (TOUR_CONTRIBUTION, NOTICE_RESULTS, TOUR_PROBLEMS, FOUR_FORMS, OVERDUE_EXECUTION)

# domain.md §5, tour contribution: disposed "by Party or government sanction or organisational handling"
DISPOSED_FOR_D = frozenset({"PARTY_SANCTION", "GOVERNMENT_SANCTION", "ORGANISATIONAL_HANDLING"})
TOUR_SOURCE = "INSPECTION_TOUR"  # clues.v1.ClueSource CLUE_SOURCE_INSPECTION_TOUR
CONCLUDED = frozenset({"FORWARDED", "CLOSED", "CASE_FILED"})  # domain.md §5 notices: C
FILED = "CASE_FILED"
DETENTION = "DETENTION"  # cases.v1.MeasureKind MEASURE_KIND_DETENTION (留置)
NO_BLOCKAGE = "NONE"  # an overdue item with no blockage recorded
FORMS = ("form1", "form2", "form3", "form4")
COUNTINGS = ("each", "heaviest_per_decision", "heaviest_per_person")


@dataclass(frozen=True)
class Fact:
    """One thing one recorded event states for statistics (see the module docstring)."""

    kind: str
    ref: str
    key: str
    person_id: str
    attrs: Mapping[str, str]
    office: str
    occurred_at: datetime
    recorded_at: datetime
    leaf_index: int
    event_id: str
    liaison: str = ""  # the office supervising the file as liaison (联系) when it was recorded

    def of(self, offices: frozenset[str] | None) -> bool:
        """Whether the file is one of `offices`' (held or supervised as liaison; None: every office)."""
        return offices is None or self.office in offices or self.liaison in offices


@dataclass(frozen=True)
class Evidence:
    """An event a count rests on (audit.v1.Evidence)."""

    event_id: str
    leaf_index: int
    stream_id: str
    person_id: str
    what: str


@dataclass(frozen=True)
class Figure:
    """One figure (audit.v1.Figure): a count with its evidence, or a ratio of two figures."""

    key: str
    label: str
    count: int
    value: float = 0.0
    numerator_key: str = ""
    denominator_key: str = ""
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class Period:
    """[start, end): aware instants; a due date (a day) counts when its midnight in `start`'s zone
    falls inside."""

    start: datetime
    end: datetime

    def __contains__(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    def has_day(self, day: date) -> bool:
        return datetime.combine(day, time(), tzinfo=self.start.tzinfo) in self


@dataclass(frozen=True)
class FourFormRules:
    """Four forms (四种形态; domain.md §5, seed 002) — configuration, unverified
    (`deploy/config/statistics.toml [four_forms]`): each outcome code's form (1-4; a code not
    listed is no form: cleared, no sanction, a recommendation) and how a person's several outcomes
    count: "each" (every person-outcome), "heaviest_per_decision" (a person's outcomes of one
    event once, at the heaviest form), "heaviest_per_person" (a person once in the period, at the
    heaviest form reached)."""

    forms: Mapping[str, int] = field(default_factory=dict)
    counting: str = "heaviest_per_decision"


@dataclass(frozen=True)
class Query:
    """What to compute: the statistic, the period, the offices whose files count (None: every
    office), the management level for TOUR_CONTRIBUTION ("" every level; e.g. "CITY" 市管)."""

    statistic: str
    period: Period
    offices: frozenset[str] | None = None
    management_level: str = ""


def _ev(f: Fact, what: str, person: str = "") -> Evidence:
    """The event of `f` as evidence, for `person` (default: the fact's own)."""
    return Evidence(f.event_id, f.leaf_index, f.ref, person or f.person_id, what)


def _sorted(evidence: Iterable[Evidence]) -> tuple[Evidence, ...]:
    """Evidence in leaf order, each (event, person, what) once."""
    return tuple(sorted(set(evidence), key=lambda e: (e.leaf_index, e.person_id, e.what)))


def _ratio(key: str, label: str, num: Figure, den: Figure) -> Figure:
    return Figure(key, label, num.count, num.count / den.count if den.count else 0.0, num.key, den.key)


def _in(f: Fact, q: Query) -> bool:
    """A counted fact: in the period and held by one of the offices asked."""
    return f.occurred_at in q.period and f.of(q.offices)


def _by_kind(facts: Iterable[Fact]) -> dict[str, list[Fact]]:
    found: dict[str, list[Fact]] = defaultdict(list)
    for f in sorted(facts, key=lambda f: f.leaf_index):
        found[f.kind].append(f)
    return found


# --- TOUR_CONTRIBUTION (seed 001: 69%, 市管, 2019) ------------------------------------------------


def level_at(disposal: Fact, levels: Iterable[Fact]) -> str:
    """The person's cadre management level at the decision (domain.md §1: the value at the
    decision): the level the disposal states (the facts it was decided on), else the latest
    reported (PERSON_LEVEL) dated at or before the decision, else ""."""
    if stated := disposal.attrs.get("level", ""):
        return stated
    known = [
        f
        for f in levels
        if f.person_id == disposal.person_id and f.occurred_at <= disposal.occurred_at and f.attrs.get("level")
    ]
    return max(known, key=lambda f: (f.occurred_at, f.leaf_index)).attrs["level"] if known else ""


def tour_contribution(facts: Iterable[Fact], q: Query) -> list[Figure]:
    """D = persons disposed in the period by a Party or government sanction or organisational
    handling at level `q.management_level` at the decision; T = those of D whose case's origin
    clue (CaseFiled's clue) has source INSPECTION_TOUR; rate = |T| / |D| (domain.md §5)."""
    k = _by_kind(facts)
    filed = {f.ref: f for f in k[CASE_FILED]}  # a case is filed once
    registered = {f.ref: f for f in k[CLUE_REGISTERED]}
    d_ev: dict[str, list[Evidence]] = defaultdict(list)
    t_ev: dict[str, list[Evidence]] = defaultdict(list)
    for f in k[DISPOSED]:
        outcome = f.attrs.get("outcome", "")
        if outcome not in DISPOSED_FOR_D or not _in(f, q):
            continue
        if q.management_level and level_at(f, k[PERSON_LEVEL]) != q.management_level:
            continue
        d_ev[f.person_id].append(_ev(f, f"disposed: {f.attrs.get('code') or outcome}"))
        case = filed.get(f.ref)
        clue = registered.get(case.key) if case and case.key else None
        if clue and clue.attrs.get("source") == TOUR_SOURCE:
            t_ev[f.person_id] += [
                _ev(f, f"disposed: {f.attrs.get('code') or outcome}"),
                _ev(case, f"case filed from {clue.ref}", f.person_id),
                _ev(clue, f"origin clue source {TOUR_SOURCE}", f.person_id),
            ]
    level = f" ({q.management_level})" if q.management_level else ""
    d = Figure(
        "D",
        f"persons disposed by sanction or organisational handling{level}",
        len(d_ev),
        evidence=_sorted(e for es in d_ev.values() for e in es),
    )
    t = Figure(
        "T",
        f"of D, origin clue from an inspection tour{level}",
        len(t_ev),
        evidence=_sorted(e for es in t_ev.values() for e in es),
    )
    return [d, t, _ratio("rate", "tour contribution rate (T / D)", t, d)]


# --- NOTICE_RESULTS (seed 004: 30 / 26 / 5 / 1) --------------------------------------------------


def notice_results(facts: Iterable[Fact], q: Query) -> list[Figure]:
    """N = supervision notices issued in the period; C = distinct clues of N reaching FORWARDED,
    CLOSED or CASE_FILED after their (first) notice; F = those of C reaching CASE_FILED after it;
    X = distinct persons with an approved DETENTION on a case filed from a clue of F (or requested
    on such a clue before its filing) (domain.md §5)."""
    k = _by_kind(facts)
    seen: dict[tuple[str, str], Fact] = {}
    for f in k[NOTICE_ISSUED]:
        if _in(f, q):
            seen.setdefault((f.ref, f.key), f)  # each notice once
    notices = list(seen.values())
    first: dict[str, Fact] = {}
    for f in notices:
        first.setdefault(f.ref, f)
    concluded: dict[str, Fact] = {}
    filed_clue: dict[str, Fact] = {}
    for f in k[CLUE_STAGE]:
        notice = first.get(f.ref)
        if notice is None or f.leaf_index <= notice.leaf_index or f.attrs.get("stage") not in CONCLUDED:
            continue
        concluded.setdefault(f.ref, f)
        if f.attrs["stage"] == FILED:
            filed_clue.setdefault(f.ref, f)
    cases = {f.ref: f for f in k[CASE_FILED] if f.key in filed_clue}
    attached = {f.ref: f for f in k[MEASURE_ATTACHED] if f.attrs.get("case_id") in cases}
    approved = {f.ref: f for f in k[MEASURE_APPROVED]}
    x_ev: dict[str, list[Evidence]] = defaultdict(list)
    for f in k[MEASURE_REQUESTED]:
        if f.attrs.get("kind") != DETENTION or f.ref not in approved or not f.person_id:
            continue
        case_id = f.attrs.get("case_id", "") or (attached[f.ref].attrs["case_id"] if f.ref in attached else "")
        if case_id not in cases and f.attrs.get("clue_id", "") not in filed_clue:
            continue
        x_ev[f.person_id] += [
            _ev(f, "detention requested"),
            _ev(approved[f.ref], "detention approved", f.person_id),
            *([_ev(cases[case_id], "case filed from a clue of F", f.person_id)] if case_id in cases else []),
        ]
    return [
        Figure(
            "N", "supervision notices issued", len(notices), evidence=_sorted(_ev(f, "notice issued") for f in notices)
        ),
        Figure(
            "C",
            "clues of N concluded after the notice (forwarded, closed, filed)",
            len(concluded),
            evidence=_sorted(_ev(f, f"clue reached {f.attrs['stage']}") for f in concluded.values()),
        ),
        Figure(
            "F",
            "of C, filed as cases",
            len(filed_clue),
            evidence=_sorted(_ev(f, "clue reached CASE_FILED") for f in filed_clue.values()),
        ),
        Figure(
            "X",
            "persons detained (留置) on cases from F",
            len(x_ev),
            evidence=_sorted(e for es in x_ev.values() for e in es),
        ),
    ]


# --- TOUR_PROBLEMS (seed 001: 1443 problems, 14 letters) -----------------------------------------


def tour_problems(facts: Iterable[Fact], q: Query) -> list[Figure]:
    """Per round (by its stream id), the problem-ledger items recorded and the suggestion letters
    issued in the period, then their sums (domain.md §5); rounds with neither are left out."""
    k = _by_kind(facts)
    names = {f.ref: f.attrs.get("reference", "") for f in k[TOUR_OPENED]}
    problems: dict[str, dict[str, Fact]] = defaultdict(dict)
    letters: dict[str, dict[str, Fact]] = defaultdict(dict)
    for kind, into in ((TOUR_PROBLEM, problems), (TOUR_LETTER, letters)):
        for f in k[kind]:
            if _in(f, q):
                into[f.ref].setdefault(f.key, f)
    figures: list[Figure] = []
    for r in sorted(set(problems) | set(letters)):
        name = names.get(r) or r
        figures.append(
            Figure(
                f"problems:{r}",
                f"problems recorded, {name}",
                len(problems[r]),
                evidence=_sorted(_ev(f, f"problem recorded {f.key}") for f in problems[r].values()),
            )
        )
        figures.append(
            Figure(
                f"letters:{r}",
                f"suggestion letters issued, {name}",
                len(letters[r]),
                evidence=_sorted(_ev(f, f"suggestion letter {f.key}") for f in letters[r].values()),
            )
        )
    every_problem = [f for per in problems.values() for f in per.values()]
    every_letter = [f for per in letters.values() for f in per.values()]
    return [
        *figures,
        Figure(
            "problems",
            "problems recorded, every round",
            len(every_problem),
            evidence=_sorted(_ev(f, f"problem recorded {f.key}") for f in every_problem),
        ),
        Figure(
            "letters",
            "suggestion letters issued, every round",
            len(every_letter),
            evidence=_sorted(_ev(f, f"suggestion letter {f.key}") for f in every_letter),
        ),
    ]


# --- FOUR_FORMS (seed 002) -----------------------------------------------------------------------

FORM_LABELS = {
    "form1": "first form (谈话提醒, 批评教育, 责令检查, 诫勉)",
    "form2": "second form (light sanctions, organisational adjustment)",
    "form3": "third form (heavy sanctions, major post change)",
    "form4": "fourth form (transfer for prosecution)",
}


def four_forms(facts: Iterable[Fact], q: Query, rules: FourFormRules) -> list[Figure]:
    """Each person-outcome in the period (talk/letter conclusions, case disposals' outcomes) by its
    form; share(k) = count(k) / total; counted as `rules.counting` says (domain.md §5)."""
    k = _by_kind(facts)
    outcomes = [
        (f, rules.forms[code])
        for f in [*k[TALK_CONCLUDED], *k[DISPOSED]]
        if _in(f, q) and f.person_id and (code := f.attrs.get("code", "")) in rules.forms
    ]
    counted: dict[tuple, tuple[Fact, int, list[Fact]]] = {}
    for f, form in sorted(outcomes, key=lambda o: o[0].leaf_index):
        unit = {
            "each": (f.person_id, f.event_id, f.attrs.get("code", ""), f.attrs.get("family", "")),
            "heaviest_per_decision": (f.person_id, f.event_id),
            "heaviest_per_person": (f.person_id,),
        }[rules.counting]
        held = counted.get(unit)
        if held is None or form > held[1]:
            counted[unit] = (f, form, [*(held[2] if held else []), f])
        else:
            held[2].append(f)
    by_form: dict[int, list[Evidence]] = defaultdict(list)
    totals: dict[int, int] = defaultdict(int)
    for f, form, _ in counted.values():
        totals[form] += 1
        by_form[form].append(_ev(f, f"form{form}: {f.attrs.get('code', '')}"))
    total = Figure(
        "total",
        "person-outcomes counted",
        sum(totals.values()),
        evidence=_sorted(e for es in by_form.values() for e in es),
    )
    figures = [
        Figure(
            key,
            FORM_LABELS[key],
            totals[n],
            totals[n] / total.count if total.count else 0.0,
            key,
            "total",
            _sorted(by_form[n]),
        )
        for n, key in enumerate(FORMS, start=1)
    ]
    return [*figures, total]


# --- OVERDUE_EXECUTION (domain.md §4d; seed 000's blockages) -------------------------------------


def overdue_execution(facts: Iterable[Fact], q: Query) -> list[Figure]:
    """Execution items overdue (ExecutionItemOverdue) and not reported done, among the facts given
    (those recorded at or before `as_of`), whose due date falls in the period, by the cause of
    their latest blockage ("NONE" when none is recorded), and the total. An item counts once."""
    k = _by_kind(facts)
    done = {f.key for f in k[EXEC_DONE]}
    blockage = {f.key: f for f in k[EXEC_BLOCKAGE]}  # leaf order: the latest stays
    items: dict[str, Fact] = {}
    for f in k[EXEC_OVERDUE]:
        item = f.key
        if item in done or item in items or not f.of(q.offices):
            continue
        try:
            due = date.fromisoformat(f.attrs.get("due", ""))
        except ValueError:
            continue
        if q.period.has_day(due):
            items[item] = f
    by_cause: dict[str, list[Fact]] = defaultdict(list)
    for item, f in items.items():
        by_cause[_cause(blockage.get(item))].append(f)
    figures = []
    for c in sorted(by_cause):
        evidence = [_ev(f, f"overdue {f.key} due {f.attrs.get('due', '')}") for f in by_cause[c]]
        evidence += [_ev(b, f"blockage {c}") for f in by_cause[c] if (b := blockage.get(f.key))]
        label = "items overdue, no blockage recorded" if c == NO_BLOCKAGE else f"items overdue, blocked by {c}"
        figures.append(Figure(f"overdue:{c}", label, len(by_cause[c]), evidence=_sorted(evidence)))
    every = _sorted(e for f in figures for e in f.evidence)
    return [*figures, Figure("overdue", "execution items overdue and not done", len(items), evidence=every)]


def _cause(b: Fact | None) -> str:
    return (b.attrs.get("cause") or NO_BLOCKAGE) if b else NO_BLOCKAGE


def compute(facts: Iterable[Fact], q: Query, four: FourFormRules | None = None) -> list[Figure]:
    """The figures of `q.statistic` over `facts` (those recorded at or before the moment asked)."""
    facts = list(facts)
    if q.statistic == TOUR_CONTRIBUTION:
        return tour_contribution(facts, q)
    if q.statistic == NOTICE_RESULTS:
        return notice_results(facts, q)
    if q.statistic == TOUR_PROBLEMS:
        return tour_problems(facts, q)
    if q.statistic == FOUR_FORMS:
        return four_forms(facts, q, four or FourFormRules())
    if q.statistic == OVERDUE_EXECUTION:
        return overdue_execution(facts, q)
    raise ValueError(f"unknown statistic {q.statistic!r}")


# the fact kinds each statistic reads (the app's query asks only for these)
NEEDS: Mapping[str, tuple[str, ...]] = {
    TOUR_CONTRIBUTION: (DISPOSED, PERSON_LEVEL, CASE_FILED, CLUE_REGISTERED),
    NOTICE_RESULTS: (NOTICE_ISSUED, CLUE_STAGE, CASE_FILED, MEASURE_REQUESTED, MEASURE_APPROVED, MEASURE_ATTACHED),
    TOUR_PROBLEMS: (TOUR_OPENED, TOUR_PROBLEM, TOUR_LETTER),
    FOUR_FORMS: (TALK_CONCLUDED, DISPOSED),
    OVERDUE_EXECUTION: (EXEC_OVERDUE, EXEC_BLOCKAGE, EXEC_DONE),
}
