"""The demo's generated history (tools/demo/plan.py, meetings.py): the same seed gives the same
people and stories; a small plan is the start of the normal one (so loading normal after small
extends it); names are Chinese, person ids valid and unique; the candidates' units are those
integrity.toml assigns liaison offices to; the meetings meet their quorums."""

import re
import tomllib
from pathlib import Path

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from kernel.eventstore.commands import check_request_id
from tools.demo import meetings
from tools.demo.cast import EVERYONE, LIAISONS, REPORTERS
from tools.demo.plan import SIZES, make_plan, part_steps, total_steps

ROOT = Path(__file__).resolve().parents[2]
PERSON_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}")  # rules.proto ID_FORMAT_PERSON
CJK = re.compile(r"[\u4e00-\u9fff]+")


def test_the_same_seed_gives_the_same_plan_and_another_seed_other_people():
    assert make_plan(5, "normal") == make_plan(5, "normal")
    one, other = make_plan(5, "small"), make_plan(6, "small")
    assert [p.name for p in one.office_clues] != [p.name for p in other.office_clues]
    assert {p.person_id for p in one.candidates}.isdisjoint(p.person_id for p in other.candidates)


def test_a_small_plan_is_the_start_of_the_normal_one():
    small, normal = make_plan(3, "small"), make_plan(3, "normal")
    assert normal.cases[: len(small.cases)] == small.cases
    assert normal.office_clues[: len(small.office_clues)] == small.office_clues
    assert normal.tour_problems[: len(small.tour_problems)] == small.tour_problems
    assert normal.candidates[: len(small.candidates)] == small.candidates
    assert len(normal.cases) > len(small.cases) and len(normal.candidates) == 200  # seed 004: 200 candidates


def test_people_have_chinese_names_and_valid_unique_ids():
    plan = make_plan(9, "normal")
    people = [c.person for c in plan.cases] + list(plan.office_clues + plan.tour_clues + plan.candidates)
    assert all(CJK.fullmatch(p.name) and 2 <= len(p.name) <= 3 for p in people)
    assert all(PERSON_ID.fullmatch(p.person_id) for p in people)
    assert len({p.person_id for p in people}) == len(people)
    assert all(CJK.search(c.allegation) for c in plan.cases)


def test_only_the_first_case_detains_and_transfers_and_recordings_have_a_hash_and_duration():
    cases = make_plan(1, "normal").cases
    assert [c.detention for c in cases] == [True] + [False] * (len(cases) - 1)
    assert all(re.fullmatch(r"[0-9a-f]{64}", c.recording_sha256) and c.recording_seconds >= 2400 for c in cases)
    assert all(20 <= c.received_days_ago < 90 for c in cases)  # petitions received weeks before: warnings show
    assert {c.government for c in cases} == {"GOVERNMENT_DEMOTION", "GOVERNMENT_MAJOR_DEMERIT", "GOVERNMENT_DEMERIT"}


def test_candidates_work_in_units_integrity_toml_assigns_to_offices_the_cast_can_sign_for():
    config = tomllib.loads((ROOT / "deploy/config/integrity.toml").read_text(encoding="utf-8"))
    units = config["liaison"]["units"]
    plan = make_plan(2, "small")
    assert {p.unit for p in plan.candidates} <= set(units)
    assert set(units.values()) <= set(LIAISONS)


def test_an_unknown_size_is_refused_naming_the_sizes():
    with pytest.raises(ValueError, match="small, normal"):
        make_plan(1, "huge")
    assert set(SIZES) == {"small", "normal"}


def test_the_step_estimates_cover_every_part_and_request_ids_are_valid():
    plan = make_plan(12, "normal")
    parts = part_steps(plan)
    assert set(parts) == {"notices", "tour", "integrity"} | {c.key for c in plan.cases}
    assert total_steps(plan) == sum(parts.values())
    longest = f"{plan.tag}-{plan.cases[-1].key}-done-POST_PAY_CHANGE"
    assert check_request_id(longest) == longest


def test_the_meetings_meet_their_quorums_and_the_sanctions_combine():
    spec = make_plan(1, "small").cases[0]
    at = Timestamp(seconds=1_780_000_000)
    assert len(meetings.standing_committee(at).attendees) >= 5  # Rules 56: the shipped quorum is 5
    assert len(meetings.topic_meeting(at).attendees) >= 3
    assert len(set(meetings.leadership(EVERYONE[1], at, "留置").attendees)) == 3
    told = meetings.sanctions(spec)
    assert told.person_id == spec.person.person_id and len(told.combined) == 2
    assert {p.agency for p in REPORTERS.values()} == {"archives", "personnel_bureau"}
