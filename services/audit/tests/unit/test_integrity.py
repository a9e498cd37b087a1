"""Integrity opinions (党风廉政意见回复; domain.md §5, seed 004): the judge (one row per check of §5
and the combination rule), the reply's words, the request aggregate (sign-offs, the head's reply,
the fast track once per request and clue) and integrity.toml's loader (every error names the key)."""

from __future__ import annotations

import re
import tomllib
from datetime import date, datetime, timedelta, timezone
from functools import reduce

import pytest

from kernel.domain.decider_spec import DeciderSpec
from kernel.domain.errors import Forbidden, IllegalState, Validation
from kernel.domain.person import Subject
from services.audit.app.integrity_config import DEFAULT_FILE, IntegrityConfigError, parse_integrity_rules
from services.audit.domain import integrity as i, integrity_request as ir
from services.audit.domain.dossier import Bar, Item

UTC = timezone.utc
DAY = date(2026, 12, 10)  # the intended date of use
SINCE = datetime(2026, 11, 2, 9, tzinfo=UTC)
RULES = i.DEFAULT_RULES
COMMENTING = i.IntegrityRules(impact_answer=i.COMMENT)


def clue(state="TALK_OR_LETTER", open_=True, ref="clue-1"):
    return Item("CLUE", ref, state=state, open=open_, since=SINCE)


def filing(open_=True):
    return Item("FILING", "case-f", state="FILING", open=open_, since=SINCE)


def case(state="FILED", open_=True):
    return Item("CASE", "case-1", state=state, open=open_, since=SINCE)


def sanction(family, what, start, end, state="IN_EFFECT", bars=()):
    return Item("SANCTION", f"decision-{what}", state=state, what=what, family=family, start=start, end=end, bars=bars)


def impact(start, end, state="IN_EFFECT"):
    return Item("IMPACT", "decision-impact", state=state, what="ADMONISHMENT", start=start, end=end)


PARTY_WARNING = sanction(
    "PARTY", "PARTY_WARNING", "2026-03-01", "2027-03-01", bars=(Bar("NO_PARTY_PROMOTION", "2027-03-01", "P2"),)
)
PARTY_REMOVAL_BAR = sanction(  # 撤销 for a member without a post: period over, the 24-month bar runs (P3)
    "PARTY", "PARTY_SERIOUS_WARNING", "2025-01-01", "2026-07-01", bars=(Bar("NO_EQUAL_POST", "2027-01-01", "P3"),)
)
GOV_DEMERIT = sanction(
    "GOVERNMENT", "GOVERNMENT_DEMERIT", "2026-03-10", "2027-03-10", bars=(Bar("PROMOTION_LOCK", "2027-03-10", "G7"),)
)
GOV_ENDED = sanction("GOVERNMENT", "GOVERNMENT_WARNING", "2026-01-01", "2026-07-01", state="LIFTED")
GOV_ENDS_ON_DAY = sanction("GOVERNMENT", "GOVERNMENT_WARNING", "2026-06-10", "2026-12-10")  # end exclusive
REVOKED = sanction("GOVERNMENT", "GOVERNMENT_DEMERIT", "2026-03-10", "2027-03-10", state="REVOKED")
ADMONISHED = impact("2026-10-01", "2027-04-01")


# -- the judge: one row per check of domain.md §5 ---------------------------------------------------

JUDGE_ROWS = [
    # (why, items, use, rules, answer, checks)
    ("§5 none: NO_OBJECTION", [], i.PROMOTION, RULES, i.NO_OBJECTION, []),
    ("§5 open clue (TALK_OR_LETTER): PENDING", [clue()], i.PROMOTION, RULES, i.PENDING, [i.OPEN_CLUE]),
    ("§5 open clue (PRELIM_CHECK): PENDING", [clue("PRELIM_CHECK")], i.PROMOTION, RULES, i.PENDING, [i.OPEN_CLUE]),
    ("§5 concluded clue (CLOSED): nothing", [clue("CLOSED", False)], i.PROMOTION, RULES, i.NO_OBJECTION, []),
    ("§5 forwarded clue: nothing", [clue("FORWARDED", False)], i.PROMOTION, RULES, i.NO_OBJECTION, []),
    ("§5 filing awaiting approval: PENDING", [filing()], i.PROMOTION, RULES, i.PENDING, [i.FILING_AWAITING_APPROVAL]),
    ("§5 filing refused: nothing", [filing(False)], i.PROMOTION, RULES, i.NO_OBJECTION, []),
    ("PSL 52 open case: OBJECTION", [case()], i.PROMOTION, RULES, i.OBJECTION, [i.OPEN_CASE]),
    ("PSL 52 open case objects to a same-level move", [case()], i.SAME_LEVEL_MOVE, RULES, i.OBJECTION, [i.OPEN_CASE]),
    ("PSL 52 disposed case: nothing", [case("DISPOSED", False)], i.PROMOTION, RULES, i.NO_OBJECTION, []),
    (
        "P2 (Regs 10) Party sanction in its period: OBJECTION to promotion",
        [PARTY_WARNING],
        i.PROMOTION,
        RULES,
        i.OBJECTION,
        [i.PARTY_SANCTION_PERIOD],
    ),
    (
        "P3 Party bar past the period still objects",
        [PARTY_REMOVAL_BAR],
        i.PROMOTION,
        RULES,
        i.OBJECTION,
        [i.PARTY_SANCTION_PERIOD],
    ),
    (
        "[uses] SAME_LEVEL_MOVE lists the Party periods: OBJECTION",
        [PARTY_WARNING],
        i.SAME_LEVEL_MOVE,
        RULES,
        i.OBJECTION,
        [i.PARTY_SANCTION_PERIOD],
    ),
    (
        "G7 (PSL 19-21) government sanction in its period: OBJECTION to promotion",
        [GOV_DEMERIT],
        i.PROMOTION,
        RULES,
        i.OBJECTION,
        [i.GOVERNMENT_SANCTION_PERIOD],
    ),
    (
        "[uses] SAME_LEVEL_MOVE does not list government periods: a comment, NO_OBJECTION",
        [GOV_DEMERIT],
        i.SAME_LEVEL_MOVE,
        RULES,
        i.NO_OBJECTION,
        [i.GOVERNMENT_SANCTION_PERIOD],
    ),
    (
        "[uses] OTHER lists government periods: OBJECTION",
        [GOV_DEMERIT],
        i.OTHER,
        RULES,
        i.OBJECTION,
        [i.GOVERNMENT_SANCTION_PERIOD],
    ),
    (
        "[uses] SAME_LEVEL_MOVE does not list impact periods: a comment, NO_OBJECTION",
        [ADMONISHED],
        i.SAME_LEVEL_MOVE,
        RULES,
        i.NO_OBJECTION,
        [i.IMPACT_PERIOD],
    ),
    ("G9 (PSL 26) lifted at its end: nothing", [GOV_ENDED], i.PROMOTION, RULES, i.NO_OBJECTION, []),
    ("§4 the period's end is exclusive", [GOV_ENDS_ON_DAY], i.PROMOTION, RULES, i.NO_OBJECTION, []),
    ("A5 (PSL 57) revoked: nothing", [REVOKED], i.PROMOTION, RULES, i.NO_OBJECTION, []),
    ("§5 诫勉 in its impact period: OBJECTION", [ADMONISHED], i.PROMOTION, RULES, i.OBJECTION, [i.IMPACT_PERIOD]),
    (
        "[impacts] answer = COMMENT: 诫勉 told, NO_OBJECTION",
        [ADMONISHED],
        i.PROMOTION,
        COMMENTING,
        i.NO_OBJECTION,
        [i.IMPACT_PERIOD],
    ),
    (
        "§5 combination: OBJECTION wins over PENDING, with all reasons",
        [clue(), case(), GOV_DEMERIT],
        i.PROMOTION,
        RULES,
        i.OBJECTION,
        [i.OPEN_CLUE, i.OPEN_CASE, i.GOVERNMENT_SANCTION_PERIOD],
    ),
    (
        "§5 combination: PENDING over NO_OBJECTION comments",
        [filing(), GOV_DEMERIT],
        i.SAME_LEVEL_MOVE,
        RULES,
        i.PENDING,
        [i.FILING_AWAITING_APPROVAL, i.GOVERNMENT_SANCTION_PERIOD],
    ),
]


@pytest.mark.parametrize(
    ("why", "items", "use", "rules", "answer", "checks"), JUDGE_ROWS, ids=[r[0] for r in JUDGE_ROWS]
)
def test_judge_domain_5(why, items, use, rules, answer, checks):
    proposal = i.judge(items, DAY, use, rules)
    assert proposal.answer == answer
    assert [r.check for r in proposal.reasons] == checks
    assert all(r.rule and r.ref and r.text for r in proposal.reasons)


def test_judge_after_the_period_end_no_objection_domain_5():
    """The intended date after a period's end: the sanction no longer objects (G1, P2 periods)."""
    assert i.judge([GOV_DEMERIT, PARTY_WARNING], date(2027, 3, 10), i.PROMOTION).answer == i.NO_OBJECTION
    assert i.judge([GOV_DEMERIT], date(2027, 3, 9), i.PROMOTION).answer == i.OBJECTION


def test_open_clue_reason_names_the_clue_and_stage_seed_004():
    (reason,) = i.judge([clue("PRELIM_CHECK", ref="clue-42")], DAY, i.PROMOTION).reasons
    assert (reason.ref, reason.answer, reason.rule) == ("clue-42", i.PENDING, "domain.md §5")
    assert "PRELIM_CHECK" in reason.text and "2026-11-02" in reason.text


@pytest.mark.parametrize(
    ("answers", "combined"),
    [
        ([], i.NO_OBJECTION),
        ([i.NO_OBJECTION, i.NO_OBJECTION], i.NO_OBJECTION),
        ([i.NO_OBJECTION, i.PENDING], i.PENDING),
        ([i.PENDING, i.OBJECTION, i.NO_OBJECTION], i.OBJECTION),
    ],
)
def test_combine_platform_rule_domain_5(answers, combined):
    assert i.combine(answers) == combined


def test_reply_words_domain_5():
    texts = RULES.texts
    assert (
        i.reply_text(i.NO_OBJECTION, "张三", (), "", texts)
        == "经核查，未发现张三同志有违反党风廉政建设规定的问题，对其使用不持异议。"
    )
    pending = i.judge([clue()], DAY, i.PROMOTION)
    assert "正在核实" in i.reply_text(i.PENDING, "李四", pending.reasons, "", texts)
    objection = i.judge([case(), GOV_DEMERIT], DAY, i.PROMOTION)
    words = i.reply_text(i.OBJECTION, "王五", objection.reasons, "", texts)
    assert "正被立案审查调查" in words and "在政务处分期内" in words and "持有异议" in words
    commented = i.judge([GOV_DEMERIT], DAY, i.SAME_LEVEL_MOVE)
    assert "另：在政务处分期内" in i.reply_text(i.NO_OBJECTION, "赵六", commented.reasons, "", texts)
    # an office changing the answer with no reason of its own: its comment is the finding
    assert "经谈话核实" in i.reply_text(i.OBJECTION, "钱七", (), "经谈话核实", texts)


def test_notice_due_before_the_intended_date_seed_004():
    now = datetime(2026, 12, 7, 10, tzinfo=UTC)
    assert i.notice_due(DAY, 1, UTC, now) == datetime(2026, 12, 9, tzinfo=UTC)
    # the lead already past: the intended date's beginning
    assert i.notice_due(date(2026, 12, 8), 1, UTC, now) == datetime(2026, 12, 8, tzinfo=UTC)


def test_liaison_by_unit_else_default():
    rules = i.IntegrityRules(liaison_units={"县教育局": "supervision_2"}, liaison_default="supervision_1")
    assert rules.liaison_of("县教育局") == "supervision_2"
    assert rules.liaison_of("县财政局") == "supervision_1"


# -- the request aggregate ---------------------------------------------------------------------------

REQ = "integrity-00000000-0000-4000-8000-000000000026"
NOW = datetime(2026, 12, 7, 10, tzinfo=UTC)
DUE_NOTICE = datetime(2026, 12, 9, tzinfo=UTC)


def cand(pid, office="supervision_1"):
    return ir.RequestedCandidate(Subject(pid, f"name-{pid}", unit="县教育局"), office)


CANDIDATES = (cand("p-clean"), cand("p-pending"), cand("p-case", "supervision_2"), cand("p-two-clues"))
PROPOSALS = (
    i.judge([], DAY, i.PROMOTION),
    i.judge([clue(ref="clue-a")], DAY, i.PROMOTION),
    i.judge([case(), clue(ref="clue-c")], DAY, i.PROMOTION),  # OBJECTION: its clue is not fast-tracked
    i.judge([clue(ref="clue-a"), clue(ref="clue-b")], DAY, i.PROMOTION),  # clue-a shared: once
)


def submit(**changes) -> ir.SubmitRequest:
    base = dict(
        request_id=REQ,
        reference="组干函〔2026〕26号",
        intended_use=i.PROMOTION,
        intended_date=DAY,
        due_at=NOW + timedelta(hours=24),
        agency="organisation_department",
        candidates=CANDIDATES,
        proposals=PROPOSALS,
        tree_size=100,
        now=NOW,
        today=NOW.date(),
        notice_due_at=DUE_NOTICE,
    )
    base.update(changes)
    return ir.SubmitRequest(**base)


spec = DeciderSpec(lambda c, s: ir.decide(c, s, RULES), lambda events: reduce(ir.evolve, events, ir.IntegrityRequest()))
RECEIVED = ir.decide(submit(), ir.IntegrityRequest(), RULES)


def test_submit_proposes_and_fast_tracks_once_per_request_and_clue_seed_004():
    received, *fast = RECEIVED
    assert isinstance(received, ir.IntegrityRequestReceived)
    assert [p.answer for p in received.proposals] == [i.NO_OBJECTION, i.PENDING, i.OBJECTION, i.PENDING]
    assert [(f.person_id, f.clue_id) for f in fast] == [("p-pending", "clue-a"), ("p-two-clues", "clue-b")]
    assert all(f.notice_due_at == DUE_NOTICE and f.intended_date == DAY for f in fast)
    state = spec.fold(RECEIVED)
    assert state.status == ir.PROPOSED and state.counts() == {i.NO_OBJECTION: 1, i.PENDING: 2, i.OBJECTION: 1}


def test_submit_twice_refused():
    spec.given(RECEIVED).when(submit()).raises(IllegalState, current_state=ir.PROPOSED)


SUBMIT_REFUSALS = [
    ("intended_date", dict(intended_date=NOW.date() - timedelta(days=1))),
    ("intended_date", dict(intended_date=None)),
    ("intended_use", dict(intended_use="")),
    ("due_at", dict(due_at=NOW)),
    ("candidates", dict(candidates=(), proposals=())),
    ("candidates[1].person.person_id", dict(candidates=(cand("p"), cand("p")), proposals=PROPOSALS[:2])),
    ("candidates[0].liaison_office", dict(candidates=(cand("p", ""),), proposals=PROPOSALS[:1])),
    ("reference", dict(reference=" ")),
]


@pytest.mark.parametrize(
    ("field", "changes"), SUBMIT_REFUSALS, ids=[f"{r[0]}-{k}" for k, r in enumerate(SUBMIT_REFUSALS)]
)
def test_submit_refusals_name_the_field(field, changes):
    spec.given([]).when(submit(**changes)).raises(Validation, field=field)


def test_sign_off_all_of_the_office_as_proposed():
    (event,) = spec.given(RECEIVED).when(ir.SignOff(REQ, "supervision_1", "u-s1")).run()
    assert [(c.person_id, c.answer) for c in event.candidates] == [
        ("p-clean", i.NO_OBJECTION),
        ("p-pending", i.PENDING),
        ("p-two-clues", i.PENDING),
    ]
    state = spec.fold([*RECEIVED, event])
    assert state.unsigned == ["p-case"] and state.status == ir.PROPOSED
    # nothing left to sign off for the office: no event
    spec.given([*RECEIVED, event]).when(ir.SignOff(REQ, "supervision_1", "u-s1")).then([])


def test_sign_off_only_the_offices_candidates_domain_5():
    spec.given(RECEIVED).when(ir.SignOff(REQ, "supervision_2", "u", (ir.CandidateSignedOff("p-clean"),))).raises(
        Forbidden
    )
    spec.given(RECEIVED).when(ir.SignOff(REQ, "investigation_1", "u")).raises(Forbidden)
    spec.given(RECEIVED).when(ir.SignOff(REQ, "supervision_1", "u", (ir.CandidateSignedOff("p-x"),))).raises(
        Validation, field="candidates[0].person_id"
    )


def test_a_changed_answer_needs_a_comment_domain_5():
    changed = ir.CandidateSignedOff("p-pending", i.NO_OBJECTION)
    spec.given(RECEIVED).when(ir.SignOff(REQ, "supervision_1", "u", (changed,))).raises(
        Validation, field="candidates[0].comment"
    )
    with_reason = ir.CandidateSignedOff("p-pending", i.NO_OBJECTION, "线索已了结，经核查不属实")
    (event,) = spec.given(RECEIVED).when(ir.SignOff(REQ, "supervision_1", "u", (with_reason,))).run()
    assert event.candidates == (with_reason,)
    kept = ir.CandidateSignedOff("p-clean")  # unspecified: the proposed answer
    (event,) = spec.given(RECEIVED).when(ir.SignOff(REQ, "supervision_1", "u", (kept,))).run()
    assert event.candidates[0].answer == i.NO_OBJECTION


SIGNED_1 = ir.IntegrityCandidatesSignedOff(
    REQ,
    "supervision_1",
    "u-s1",
    (
        ir.CandidateSignedOff("p-clean", i.NO_OBJECTION),
        ir.CandidateSignedOff("p-pending", i.PENDING),
        ir.CandidateSignedOff("p-two-clues", i.PENDING),
    ),
)
SIGNED_2 = ir.IntegrityCandidatesSignedOff(
    REQ, "supervision_2", "u-s2", (ir.CandidateSignedOff("p-case", i.OBJECTION, "立案审查中"),)
)


def test_the_head_signs_only_when_every_candidate_is_signed_off_domain_5():
    error = spec.given([*RECEIVED, SIGNED_1]).when(ir.SignReply(REQ, "u-head")).raises(IllegalState)
    assert "p-case" in str(error) and "p-clean" not in str(error)
    (reply,) = spec.given([*RECEIVED, SIGNED_1, SIGNED_2]).when(ir.SignReply(REQ, "u-head")).run()
    assert reply.reference == "组干函〔2026〕26号" and reply.signed_by == "u-head"
    assert [(r.person_id, r.answer) for r in reply.replies] == [
        ("p-clean", i.NO_OBJECTION),
        ("p-pending", i.PENDING),
        ("p-case", i.OBJECTION),
        ("p-two-clues", i.PENDING),
    ]
    assert reply.replies[0].reply_text.endswith("对其使用不持异议。")
    assert spec.fold([*RECEIVED, SIGNED_1, SIGNED_2]).status == ir.SIGNED_OFF


def test_nothing_after_the_reply_domain_5():
    done = [
        *RECEIVED,
        SIGNED_1,
        SIGNED_2,
        *ir.decide(ir.SignReply(REQ, "h"), spec.fold([*RECEIVED, SIGNED_1, SIGNED_2]), RULES),
    ]
    assert spec.fold(done).status == ir.REPLIED
    spec.given(done).when(ir.SignOff(REQ, "supervision_1", "u")).raises(IllegalState, current_state=ir.REPLIED)
    spec.given(done).when(ir.SignReply(REQ, "h")).raises(IllegalState, current_state=ir.REPLIED)


# -- integrity.toml ------------------------------------------------------------------------------------


def test_the_shipped_file_loads():
    rules = parse_integrity_rules(tomllib.loads(DEFAULT_FILE.read_text(encoding="utf-8")))
    assert rules.due_hours == 24 and rules.lead_days == 1 and rules.agency == "organisation_department"
    assert rules.objects(i.SAME_LEVEL_MOVE, i.PARTY_SANCTION_PERIOD)
    assert not rules.objects(i.SAME_LEVEL_MOVE, i.GOVERNMENT_SANCTION_PERIOD)


def _broken(path: str, value):
    data = tomllib.loads(DEFAULT_FILE.read_text(encoding="utf-8"))
    *tables, key = path.split(".")
    target = data
    for t in tables:
        target = target[t]
    if value is None:
        del target[key]
    else:
        target[key] = value
    return data


CONFIG_ERRORS = [
    ("schema_version", 2),
    ("request.due_hours", 0),
    ("request.due_hours", None),
    ("request.agency", ""),
    ("fast_track.lead_days", -1),
    ("uses.OTHER", ["OPEN_CASE"]),
    ("uses.SAME_LEVEL_MOVE", None),
    ("impacts.answer", "MAYBE"),
    ("liaison.default", None),
    ("texts.pending", "{nobody}"),
    ("texts.checks.OPEN_CLUE", None),
]


@pytest.mark.parametrize(("key", "value"), CONFIG_ERRORS, ids=[f"{k}={v}" for k, v in CONFIG_ERRORS])
def test_every_config_error_names_the_key(key, value):
    with pytest.raises(IntegrityConfigError, match=re.escape(f"integrity.toml: {key}: ")):
        parse_integrity_rules(_broken(key, value))


def test_liaison_offices_and_agency_checked_against_the_catalogue():
    data = tomllib.loads(DEFAULT_FILE.read_text(encoding="utf-8"))
    with pytest.raises(IntegrityConfigError, match=r"liaison\.default"):
        parse_integrity_rules(data, offices={"supervision_2"}, agencies={"organisation_department"})
    with pytest.raises(IntegrityConfigError, match=r"request\.agency"):
        parse_integrity_rules(data, offices=None, agencies={"commission"})


# -- large requests: parts that fit the store's MAX_EVENT_BYTES (issue 26) --------------------------


def test_a_500_candidate_request_is_received_signed_off_and_replied_in_parts_that_fit():
    from services.audit.adapters.integrity_mapping import CODEC  # noqa: PLC0415 - the sizes are the protobuf's

    long = "某" * 200  # 4-byte-ish worst: long names, posts and units
    many = tuple(
        ir.RequestedCandidate(Subject(f"p-{k:03d}", long[:50], long, long), "supervision_1") for k in range(500)
    )
    judged = tuple(i.judge([clue(ref=f"clue-{k}"), case(), GOV_DEMERIT], DAY, i.PROMOTION) for k in range(500))
    events = ir.decide(submit(candidates=many, proposals=judged), ir.IntegrityRequest(), RULES)
    parts = [e for e in events if isinstance(e, ir.IntegrityRequestReceived)]
    assert len(parts) > 1 and [(p.part, p.parts) for p in parts] == [(k, len(parts)) for k in range(1, len(parts) + 1)]
    assert all(CODEC.to_pb(e).ByteSize() <= 128 * 1024 for e in events)
    state = spec.fold(events)
    assert [c.person.person_id for c in state.candidates] == [c.person.person_id for c in many]
    assert len(state.proposals) == 500 and state.counts()[i.OBJECTION] == 500
    comment = "说明" * 250  # 500 characters each
    given = tuple(ir.CandidateSignedOff(c.person.person_id, i.NO_OBJECTION, comment) for c in many)
    signed = ir.decide(ir.SignOff(REQ, "supervision_1", "u", given), state, RULES)
    assert len(signed) > 1 and all(CODEC.to_pb(e).ByteSize() <= 128 * 1024 for e in signed)
    state = spec.fold([*events, *signed])
    assert state.status == ir.SIGNED_OFF
    replies = ir.decide(ir.SignReply(REQ, "u-head"), state, RULES)
    assert all(CODEC.to_pb(e).ByteSize() <= 128 * 1024 for e in replies)
    done = spec.fold([*events, *signed, *replies])
    assert done.status == ir.REPLIED and len(done.reply.replies) == 500
