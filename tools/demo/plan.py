"""The demo's generated history, as data (pure): who the people are, which cases, notices, tour
problems and candidates there are. Each part draws from its own seeded random source, so a small
plan is the first part of the normal one with the same seed, and a second run asks for the same
things again."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

from tools.demo import names

SIZES = {  # cases, extra clues for the notices' office, tour problems, tour clues, candidates
    "small": (2, 0, 6, 2, 12),
    "normal": (12, 24, 40, 6, 200),
}
GOVERNMENT = (  # the government sanction (G2: one violation combines to itself) and its article
    ("GOVERNMENT_DEMOTION", "政务处分法 art. 32"),
    ("GOVERNMENT_MAJOR_DEMERIT", "政务处分法 art. 33"),
    ("GOVERNMENT_DEMERIT", "政务处分法 art. 32"),
)


@dataclass(frozen=True)
class Person:
    person_id: str
    name: str
    post: str
    unit: str


@dataclass(frozen=True)
class CaseSpec:
    """One clue taken to a disposed case and its decisions: case 0 with a detention and a transfer
    for prosecution (SL 47, 54), the others with a freezing of assets (SL 28)."""

    key: str
    person: Person
    allegation: str
    government: str
    article: str
    detention: bool
    gains_found: bool
    recording_sha256: str
    recording_seconds: int
    received_days_ago: int  # the petition's receipt


@dataclass(frozen=True)
class Plan:
    seed: int
    size: str
    cases: tuple[CaseSpec, ...]
    office_clues: tuple[Person, ...]  # seed 004: the resident group's clues (4 planted, then more)
    tour_problems: tuple[tuple[str, str, str], ...]  # (unit code, category, description)
    tour_clues: tuple[Person, ...]
    candidates: tuple[Person, ...]

    @property
    def tag(self) -> str:
        """What every request id of this seed starts with."""
        return f"demo{self.seed}"


def digest(*parts: object) -> str:
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()


def _rng(seed: int, part: str, k: int = 0) -> random.Random:
    return random.Random(digest(seed, part, k))


def _person(seed: int, part: str, k: int, unit: str | None = None) -> Person:
    rng = _rng(seed, part, k)
    return Person(
        f"P{seed}-{part[:1].upper()}{k:04d}",
        names.person_name(rng),
        names.pick(rng, names.POSTS),
        unit or names.pick(rng, names.UNITS),
    )


def _case(seed: int, k: int) -> CaseSpec:
    rng = _rng(seed, "case", k)
    government, article = GOVERNMENT[k % len(GOVERNMENT)]
    return CaseSpec(
        key=f"case{k}",
        person=_person(seed, "case", k),
        allegation=names.pick(rng, names.ALLEGATIONS),
        government=government,
        article=article,
        detention=k == 0,
        gains_found=k % 2 == 1,
        recording_sha256=digest(seed, "recording", k),
        recording_seconds=rng.randrange(40, 180) * 60,
        received_days_ago=rng.randrange(20, 90),
    )


def make_plan(seed: int, size: str) -> Plan:
    if size not in SIZES:
        raise ValueError(f"size {size!r}: one of {', '.join(SIZES)}")
    cases, extra, problems, tour_clues, candidates = SIZES[size]
    tour_units = ("chengguan", "education", "health")
    return Plan(
        seed=seed,
        size=size,
        cases=tuple(_case(seed, k) for k in range(cases)),
        office_clues=tuple(_person(seed, "office", k) for k in range(8 + extra)),
        tour_problems=tuple(
            (
                tour_units[k % len(tour_units)],
                names.pick(_rng(seed, "problem", k), names.TOUR_CATEGORIES),
                names.pick(_rng(seed, "problem-text", k), names.TOUR_PROBLEMS),
            )
            for k in range(problems)
        ),
        tour_clues=tuple(_person(seed, "tour", k) for k in range(tour_clues)),
        candidates=tuple(_person(seed, "integrity", k, names.UNITS[k % 4]) for k in range(candidates)),
    )


def part_steps(plan: Plan) -> dict[str, int]:
    """The mutations each part of the plan sends (the progress bar's total): the notices' office
    clues (3 each, 2 more for a disposal) with the notices, the ledger and the fast track; the tour;
    the integrity request; each case from its clue to its decision's items."""
    extra = sum(3 + (2 if k % 3 == 0 else 0) for k in range(8, len(plan.office_clues)))
    parts = {"notices": 36 + extra, "tour": 5, "integrity": 11}  # the notices' 3 first: the anchor clue
    parts.update({spec.key: case_steps(spec) for spec in plan.cases})
    return parts


def case_steps(spec: CaseSpec) -> int:
    """29 from the clue to the decision's deliveries; a detention with its notice and custody (5)
    or a freezing and its release (3); the partners' items: a demotion has three (G14, G7), the
    others two."""
    return 29 + (5 if spec.detention else 3) + (3 if spec.government == "GOVERNMENT_DEMOTION" else 2)


def total_steps(plan: Plan) -> int:
    return sum(part_steps(plan).values())
