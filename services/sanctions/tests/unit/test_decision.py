"""services.sanctions.domain.decision (issue 21 points 1, 3-5): the decision aggregate's commands,
one row per rule (G1, G11-G13, P2, P7, P9, A1, §4d, §5, local configuration), with domain.md's
worked examples. Pure: no store, no clock."""

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest

from kernel.domain import facts as f, sanctions as s
from kernel.domain.errors import Forbidden, IllegalState, NotFound, Validation
from kernel.domain.principal import Principal
from services.sanctions.domain import commands as c, decision as d, events as ev, preview as pv
from services.sanctions.domain.government import ReviewRoute
from services.sanctions.domain.issuing import IssueRules
from services.sanctions.domain.rules import SanctionRules

AT = datetime(2026, 1, 5, tzinfo=timezone.utc)
SRC = f.FactSource("organisation_department", AT)
ID = "decision-00000000-0000-0000-0000-000000000021"
IMPACT_ID = "decision-00000000-0000-0000-0000-000000000022"
CASE = "case-00000000-0000-0000-0000-000000000001"
CLUE = "clue-00000000-0000-0000-0000-000000000001"
SHA = "a" * 64
GW, GD, GMD, GDM, GRM, GDS = s.GOVERNMENT_SANCTIONS
PW, PSW, PRM, PPR, PEX = s.PARTY_SANCTIONS
POLICY = d.DecisionPolicy()

TRANSLATOR = Principal.system("sanctions-decisions")
CASE_MANAGER = Principal("commission", "case_management", "case_manager", "u-cm")
HEAD = Principal("commission", "leadership", "commission_head", "u-head")
COMMITTEE = Principal("party_committee", "committee_leadership", "party_committee_head", "u-pc")
ARCHIVES = Principal("archives", "personnel_files", "partner_system", "sys-archives")
FINANCE = Principal("finance_bureau", "treasury", "partner_system", "sys-finance")
HR = Principal("personnel_bureau", "personnel_records", "partner_officer", "u-hr")


def person(category=f.CIVIL_SERVANT, posts=(), level=None) -> f.PersonFacts:
    return f.PersonFacts(
        "P-1",
        party=f.PartyMembership(True, SRC),
        official=f.PublicOfficial(category, False, SRC),
        cadre=f.Cadre(level, False, SRC) if level else None,
        service=f.Service(f.SERVING, AT, SRC),
        posts=tuple(posts),
    )


def opening(sanction=GD, facts=None, violations=None, disposed=date(2026, 3, 10), period=None):
    family = s.family_of(sanction)
    vs = violations or (s.Violation("art. 1", sanction),)
    return c.OpenDecision(
        ID,
        CASE,
        CLUE,
        "P-1",
        family,
        s.Combined(sanction, period, "SINGLE" if len(vs) == 1 else ("G3" if period else "G2")),
        tuple(vs),
        (),
        False,
        facts or person(),
        None,
        datetime.combine(disposed, datetime.min.time(), timezone.utc) + timedelta(hours=9),
        "evt-1",
        "investigation_1",
        "supervision_1",
        TRANSLATOR,
    )


def route(family=s.GOVERNMENT) -> ReviewRoute:
    return ReviewRoute("本委", "上级监委", 1) if family == s.GOVERNMENT else ReviewRoute("本委", "", 0)


def drafting(family=s.GOVERNMENT, **kw) -> c.DraftDecision:
    base = dict(
        decision_id=ID,
        title="关于给予张某某处分的决定",
        legal_basis=("PSL 8",),
        review_route=route(family),
        announcement_scope="所在单位",
        gains_found=False,
        appraisals=(),
        removal_from_office=None,
        probation_months=0,
        by=CASE_MANAGER,
    )
    base.update(kw)
    return c.DraftDecision(**base)


def fold(*commands, policy=POLICY) -> d.Decision:
    state = d.Decision()
    for cmd in commands:
        for e in d.decide(cmd, state, policy):
            state = d.evolve(state, e)
    return state


def issuing(on=date(2026, 3, 10)) -> c.IssueDecision:
    return c.IssueDecision(ID, "京纪〔2026〕12号", on, HEAD)


def issued(sanction=GD, on=date(2026, 3, 10), policy=POLICY, **kw) -> d.Decision:
    o = opening(sanction, disposed=kw.pop("disposed", on), **{k: kw.pop(k) for k in ("facts", "violations") if k in kw})
    return fold(o, drafting(s.family_of(sanction), **kw), issuing(on), policy=policy)


def at(day: date, hour=10) -> datetime:
    return datetime.combine(day, datetime.min.time(), timezone.utc) + timedelta(hours=hour)


def delivery(recipient="PERSON", refused=False, witnesses=(), on=date(2026, 3, 12)) -> c.RecordDelivery:
    means = "LEFT_WITH_WITNESSES" if refused else "IN_PERSON"
    return c.RecordDelivery(ID, recipient, means, at(on), SHA, refused, tuple(witnesses), CASE_MANAGER)


def report(item_id, by=ARCHIVES, on=date(2026, 3, 20)) -> c.ReportItem:
    return c.ReportItem(ID, item_id, at(on), SHA, "", by)


# --- opening and drafting ----------------------------------------------------------------------


def test_open_records_the_disposal_and_waits_for_the_draft():
    state = fold(opening())
    assert (state.status, state.person_id, state.case_id, state.clue_id) == ("OPENED", "P-1", CASE, CLUE)
    assert [x.person_id for x in state.subjects] == ["P-1"]
    assert d.awaiting(state) == "draft by case management"
    assert d.in_force(state, date(2026, 3, 10)) is None  # nothing before the issue


def test_g2_open_refuses_a_combined_sanction_the_violations_do_not_allow():
    """G2 (PSL 15): 警告 + 记大过 combined as 记过 → refused at opening (the translator skips it)."""
    o = opening(GD, violations=(s.Violation("a", GW), s.Violation("b", GMD)))
    with pytest.raises(Validation, match=r"^combined.sanction: refused by G2"):
        fold(o)


def test_g13_draft_without_a_review_route_is_refused():
    """G13 (PSL 45): no route → refused."""
    with pytest.raises(Validation, match=r"^review_route: refused by G13 \(PSL 45\)"):
        fold(opening(), drafting(review_route=None))


def test_a1_party_draft_names_the_appeal_body_without_recheck_or_deadline():
    """A1 (Rules 59): a Party decision's route is the 申诉 body, no 复核, no deadline."""
    with pytest.raises(Validation, match=r"^review_route.recheck_body: refused by A1 \(Rules 59\)"):
        fold(opening(PW), drafting(s.PARTY, review_route=ReviewRoute("本委", "上级纪委", 0)))
    with pytest.raises(Validation, match=r"^review_route.apply_within_months: refused by A1"):
        fold(opening(PW), drafting(s.PARTY, review_route=ReviewRoute("本委", "", 1)))
    assert fold(opening(PW), drafting(s.PARTY)).status == "DRAFTED"


def test_g11_draft_of_a_removal_of_an_appointee_needs_the_removal_from_office():
    """G11 (PSL 50): 撤职 of a congress appointee → blocked until the removal is recorded (the
    draft runs the issue's rules on the disposal date)."""
    appointee = person(posts=[f.Post("副局长", False, False, False, False, True, SRC)])
    with pytest.raises(IllegalState, match=r"refused by G11 \(PSL 50\)"):
        fold(opening(GRM, facts=appointee), drafting())
    doc = ev.Document("罢免决定", SHA)
    assert fold(opening(GRM, facts=appointee), drafting(removal_from_office=doc)).draft.removal_from_office == doc


def test_p2_probation_draft_must_choose_a_configured_length():
    """P2, P4 (Regs 12): 留党察看 lasts 12 or 24 months; only 留党察看 has a chosen length."""
    with pytest.raises(Validation, match=r"^probation_months: refused by P2 \(Regs 12\)"):
        fold(opening(PPR), drafting(s.PARTY, probation_months=18))
    with pytest.raises(Validation, match=r"^probation_months: refused by P2"):
        fold(opening(PW), drafting(s.PARTY, probation_months=12))
    assert fold(opening(PPR), drafting(s.PARTY, probation_months=24)).draft.probation_months == 24


def test_p1_draft_for_a_non_member_is_refused_by_the_rules_at_once():
    """P1 (Regs 8): members only; the draft runs the rules as the issue will."""
    outsider = replace(person(), party=f.PartyMembership(False, SRC))
    with pytest.raises(Validation, match=r"refused by P1 \(Regs 8\)"):
        fold(opening(PW, facts=outsider), drafting(s.PARTY))


def test_draft_checks_its_fields():
    with pytest.raises(Validation, match=r"^title:"):
        fold(opening(), drafting(title=" "))
    with pytest.raises(Validation, match=r"^legal_basis:"):
        fold(opening(), drafting(legal_basis=()))
    with pytest.raises(Validation, match=r"^removal_from_office.sha256:"):
        fold(opening(), drafting(removal_from_office=ev.Document("罢免决定", "xyz")))


def test_redraft_after_issue_is_refused_naming_the_state():
    state = issued()
    with pytest.raises(IllegalState, match=r"in state ISSUED"):
        d.decide(drafting(), state, POLICY)


def test_redraft_before_issue_replaces_the_draft():
    state = fold(opening(), drafting(), drafting(title="新的标题"))
    assert (state.status, state.draft.title) == ("DRAFTED", "新的标题")


# --- approval and issue ------------------------------------------------------------------------


def test_issue_before_draft_is_failed_precondition_naming_the_state():
    with pytest.raises(IllegalState, match=r"in state OPENED"):
        fold(opening(), issuing())


def test_local_committee_approves_a_county_cadre_before_the_issue():
    """[issue] committee_approves (local): a COUNTY cadre's decision is approved by the same-level
    Party committee first; the issue without it names the state."""
    county = person(level=f.COUNTY)
    state = fold(opening(facts=county), drafting())
    assert d.awaiting(state) == "approval by the same-level Party committee"
    with pytest.raises(IllegalState, match=r"in state DRAFTED"):
        d.decide(issuing(), state, POLICY)
    with pytest.raises(Forbidden):
        d.decide(c.ApproveDecision(ID, CASE_MANAGER), state, POLICY)
    state = fold(opening(facts=county), drafting(), c.ApproveDecision(ID, COMMITTEE), issuing())
    assert (state.status, state.approval.approved_by) == ("ISSUED", "u-pc")
    assert d.index_row(state)["approvers"] == ["commission_head", "party_committee_head"]


def test_local_committee_approval_refused_when_not_needed():
    """[issue] committee_approves (local): a CITY cadre (not listed) or no cadre fact → none needed."""
    for facts in (person(level=f.CITY), person()):
        state = fold(opening(facts=facts), drafting())
        with pytest.raises(IllegalState, match=r"cannot approve the decision.*committee_approves"):
            d.decide(c.ApproveDecision(ID, COMMITTEE), state, POLICY)
        assert d.awaiting(state) == "issue by the commission head"
    city = d.DecisionPolicy(SanctionRules(issue=IssueRules(committee_approves=("CITY",))))
    state = fold(opening(facts=person(level=f.CITY)), drafting(), policy=city)
    assert d.decide(c.ApproveDecision(ID, COMMITTEE), state, city)[0].approver_role == "party_committee_head"


def test_issue_only_by_the_commission_head_not_before_the_disposal():
    state = fold(opening(), drafting())
    with pytest.raises(Forbidden):
        d.decide(c.IssueDecision(ID, "京纪〔2026〕12号", date(2026, 3, 10), CASE_MANAGER), state, POLICY)
    with pytest.raises(Validation, match=r"^decided_on: must not be before the disposal"):
        d.decide(issuing(date(2026, 3, 9)), state, POLICY)
    with pytest.raises(Validation, match=r"^document_number:"):
        d.decide(c.IssueDecision(ID, "", date(2026, 3, 10), HEAD), state, POLICY)


def test_g1_issue_of_a_demerit_worked_example_ends_2027_03_10_and_agrees_with_the_preview():
    """G1 (PSL 8): 记过 2026-03-10 → ends 2027-03-10; the issue and the preview never disagree."""
    state = issued(GD, date(2026, 3, 10))
    i = state.issued
    assert (i.sanction, i.start, i.end, i.period_months) == (GD, date(2026, 3, 10), date(2027, 3, 10), 12)
    p = pv.preview(s.GOVERNMENT, person(), (s.Violation("art. 1", GD),), GD, date(2026, 3, 10), POLICY.calendar)
    assert i.locks == p.locks
    assert [(x.kind, x.owner, x.due, x.latest_due, x.rule) for x in i.items] == [
        (x.kind, x.owner, x.due, x.latest_due, x.rule) for x in p.items
    ]
    assert d.awaiting(state) == ""


def test_4d_items_are_numbered_and_placed_by_the_owners_configuration():
    """§4d, [owners]: item_id = the kind, `kind:n` from the second; the catalogue agency/office of
    each owner; PSL 25 gains → CONFISCATION (finance)."""
    appraisals = (date(2026, 12, 20), date(2027, 6, 20))
    state = issued(GMD, date(2026, 3, 10), gains_found=True, appraisals=appraisals)
    ids = list(state.items)
    assert "APPRAISAL" in ids and "APPRAISAL:2" in ids
    by_id = {k: (v.item.agency, v.item.office) for k, v in state.items.items()}
    assert by_id["DELIVER_PERSON"] == ("commission", "case_management")
    assert by_id["PERSONNEL_FILE"] == ("archives", "personnel_files")
    assert by_id["CONFISCATION"] == ("finance_bureau", "treasury")
    assert by_id["PROMOTION_LOCK"] == ("personnel_bureau", "personnel_records")
    assert by_id["APPRAISAL:2"] == ("employer_unit", "unit_office")
    assert state.items["APPRAISAL:2"].item.due == date(2027, 6, 20)
    assert d.index_row(state)["steps"][:2] == ["case_management", "personnel_files"]


def test_p9_probation_issue_worked_example_items_due_07_30_post_pay_by_12_30():
    """P9 (Regs 44): 留党察看 2026-06-30 → due 07-30; post and pay at the latest 12-30; P10 (Regs 45)
    execution report 12-30; P4 review at the probation's end."""
    state = issued(PPR, date(2026, 6, 30), probation_months=12)
    items = {k: v.item for k, v in state.items.items()}
    assert (items["ANNOUNCE"].due, items["ANNOUNCE"].agency) == (date(2026, 7, 30), "party_organisation")
    assert (items["POST_PAY_CHANGE"].due, items["POST_PAY_CHANGE"].latest_due) == (
        date(2026, 7, 30),
        date(2026, 12, 30),
    )
    assert items["EXECUTION_REPORT"].due == date(2026, 12, 30)
    assert items["PROBATION_REVIEW"].due == date(2027, 6, 30)
    assert state.issued.end == date(2027, 6, 30)


def test_p5_delegate_end_mandate_item_goes_to_the_configured_owner():
    """P5 (Regs 13): a congress delegate at 留党察看 → END_MANDATE, owned by CONGRESS_BODY ([owners])."""
    delegate = person(posts=[f.Post("党代表", False, True, False, False, False, SRC)])
    state = issued(PPR, date(2026, 6, 30), facts=delegate, probation_months=12)
    assert (state.items["END_MANDATE"].item.owner, state.items["END_MANDATE"].item.agency) == (
        "CONGRESS_BODY",
        "organisation_department",
    )


# --- delivery -------------------------------------------------------------------------------------


def test_g13_delivery_completes_its_item_once_per_recipient():
    """G13 (PSL 46): delivered to the person → DELIVER_PERSON done; a second delivery refused."""
    state = fold(opening(), drafting(), issuing())
    state = d.evolve(state, d.decide(delivery(), state, POLICY)[0])
    assert state.items["DELIVER_PERSON"].status == "DONE"
    assert d.item_status(state.items["DELIVER_UNIT"], date(2026, 3, 12)) == "OPEN"
    with pytest.raises(IllegalState, match=r"delivered to PERSON"):
        d.decide(delivery(), state, POLICY)


def test_g13_refusal_to_sign_with_one_witness_is_refused_two_complete_it():
    """G13 (PSL 46), [issue] refusal_witnesses = 2 (local)."""
    state = issued()
    one = (ev.Witness("李某", "工会主席"),)
    with pytest.raises(Validation, match=r"^witnesses: refused by G13 \(PSL 46\).*at least 2"):
        d.decide(delivery(refused=True, witnesses=one), state, POLICY)
    two = one + (ev.Witness("王某", "办公室主任"),)
    e = d.decide(delivery("UNIT", refused=True, witnesses=two), state, POLICY)[0]
    assert (e.item_id, e.refused_to_sign, len(e.witnesses)) == ("DELIVER_UNIT", True, 2)
    with pytest.raises(Validation, match=r"^witnesses: witnesses are recorded only with a refusal"):
        d.decide(delivery(witnesses=two), state, POLICY)


def test_g13_delivery_not_before_the_issue_and_not_before_it_is_issued():
    state = issued()
    with pytest.raises(Validation, match=r"^delivered_at: must not be before the issue"):
        d.decide(delivery(on=date(2026, 3, 9)), state, POLICY)
    with pytest.raises(IllegalState, match=r"in state DRAFTED"):
        fold(opening(), drafting(), delivery())


# --- execution items ----------------------------------------------------------------------------


def test_4d_ledger_worked_example_personnel_file_overdue_on_07_31_owner_archives():
    """§4d: decision 2026-06-30, no PERSONNEL_FILE receipt on 07-31 → overdue, owner archives."""
    state = issued(PSW, date(2026, 6, 30))
    item = state.items["PERSONNEL_FILE"]
    assert (item.item.due, item.item.owner, item.item.agency) == (date(2026, 7, 30), "ARCHIVES", "archives")
    assert d.item_status(item, date(2026, 7, 30)) == "OPEN"
    assert d.item_status(item, date(2026, 7, 31)) == "OVERDUE"
    assert d.days_over(item, date(2026, 7, 31)) == 1
    row = next(r for r in d.ledger_rows(state) if r["item_id"] == "PERSONNEL_FILE")
    assert (row["agency"], row["office"], row["status"], row["cause"], row["due"]) == (
        "archives",
        "personnel_files",
        "OPEN",
        "",
        date(2026, 7, 30),
    )


def test_4d_the_owning_agency_reports_its_item_done_once():
    """§4d: the owning agency reports with the receipt; DONE once."""
    state = issued()
    e = d.decide(report("PERSONNEL_FILE"), state, POLICY)[0]
    assert (e.kind, e.agency, e.office, e.reported_by) == (
        "PERSONNEL_FILE",
        "archives",
        "personnel_files",
        "sys-archives",
    )
    state = d.evolve(state, e)
    assert d.item_status(state.items["PERSONNEL_FILE"], date(2027, 1, 1)) == "DONE"
    with pytest.raises(IllegalState, match=r"in state DONE"):
        d.decide(report("PERSONNEL_FILE"), state, POLICY)


def test_4d_a_partner_of_another_agency_gets_not_found_as_for_an_unknown_item():
    """§4d (issue 21 point 5): an agency reports only the items it owns: NOT_FOUND otherwise."""
    state = issued()
    with pytest.raises(NotFound):
        d.decide(report("PERSONNEL_FILE", by=FINANCE), state, POLICY)
    with pytest.raises(NotFound):
        d.decide(report("NO_SUCH_ITEM"), state, POLICY)


def test_4d_delivery_items_are_completed_only_by_record_delivery():
    case_management = Principal("commission", "case_management", "partner_system", "x")
    with pytest.raises(IllegalState, match=r"RecordDelivery"):
        d.decide(report("DELIVER_PERSON", by=case_management), issued(), POLICY)


def test_4d_report_before_the_issue_names_the_state_and_not_before_the_issue_date():
    with pytest.raises(IllegalState, match=r"in state DRAFTED"):
        fold(opening(), drafting(), report("PERSONNEL_FILE"))
    with pytest.raises(Validation, match=r"^done_at:"):
        d.decide(report("PERSONNEL_FILE", on=date(2026, 3, 1)), issued(), POLICY)
    with pytest.raises(Validation, match=r"^receipt_sha256:"):
        d.decide(replace(report("PERSONNEL_FILE"), receipt_sha256="x"), issued(), POLICY)


def test_seed000_blockage_by_the_owning_office_with_one_of_four_causes():
    """seed 000: the owning office records a blockage cause; another office NOT_FOUND; a bad cause
    INVALID_ARGUMENT; a done item FAILED_PRECONDITION; a later cause replaces it."""
    state = issued()
    block = c.RecordBlockage(ID, "PERSONNEL_FILE", "INTER_DEPARTMENT", "等待调档", ARCHIVES)
    state = d.evolve(state, d.decide(block, state, POLICY)[0])
    assert state.items["PERSONNEL_FILE"].cause == "INTER_DEPARTMENT"
    state = d.evolve(state, d.decide(replace(block, cause="RULES_MISSING"), state, POLICY)[0])
    assert state.items["PERSONNEL_FILE"].cause == "RULES_MISSING"
    with pytest.raises(NotFound):
        d.decide(replace(block, by=HR), state, POLICY)
    with pytest.raises(Validation, match=r"^cause:"):
        d.decide(replace(block, cause="LAZY"), state, POLICY)
    state = d.evolve(state, d.decide(report("PERSONNEL_FILE"), state, POLICY)[0])
    with pytest.raises(IllegalState, match=r"in state DONE"):
        d.decide(block, state, POLICY)


# --- judgment, in force, impacts -----------------------------------------------------------------


def test_g12_intentional_crime_suspended_sentence_requires_dismissal_and_redecision():
    """G12 (PSL 14, 49): suspended sentence for an intentional crime → 开除; re-decide."""
    state = issued()
    cmd = c.RecordJudgment(ID, ev.Document("刑事判决书", SHA), "(2026)京0101刑初12号", True, "SUSPENDED", CASE_MANAGER)
    e = d.decide(cmd, state, POLICY)[0]
    assert e.required_sanction == "GOVERNMENT_DISMISSAL"
    state = d.evolve(state, e)
    assert state.status == "REDECISION_REQUIRED"
    assert "G12" in d.awaiting(state)
    assert d.decide(replace(cmd, intentional=False), state, POLICY)[0].required_sanction == ""


def test_g12_party_decision_requires_no_government_sanction():
    state = issued(PW)
    cmd = c.RecordJudgment(ID, ev.Document("刑事判决书", SHA), "(2026)京0101刑初12号", True, "FIXED_TERM", CASE_MANAGER)
    assert d.decide(cmd, state, POLICY)[0].required_sanction == ""
    with pytest.raises(IllegalState, match=r"in state OPENED"):
        fold(opening(), cmd)


def test_g1_g7_in_force_with_the_locks_holding_on_the_day():
    """G1, G7 (PSL 8, 19-21): 记过 from 2026-03-10 to 2027-03-10 (exclusive), with its locks."""
    state = issued()
    assert d.in_force(state, date(2026, 3, 9)) is None
    entry = d.in_force(state, date(2027, 3, 9))
    assert (entry.sanction, entry.start, entry.end) == (GD, date(2026, 3, 10), date(2027, 3, 10))
    assert {x.kind for x in entry.locks} == {"PROMOTION_LOCK", "PAY_STEP_LOCK"}
    assert d.in_force(state, date(2027, 3, 10)) is None


def test_g8_dismissal_in_force_without_end():
    """G8 (PSL 8): 开除 has no end; its permanent bar holds."""
    entry = d.in_force(issued(GDS), date(2040, 1, 1))
    assert entry.end is None and [x.kind for x in entry.locks] == ["PERMANENT_BAR"]


def test_s5_impact_period_from_configuration_admonishment_six_months():
    """§5 ([impacts], local, unverified): 诫勉 decided 2026-03-10 → in force until 2026-09-10."""
    cmd = c.RecordImpact(IMPACT_ID, "ADMONISHMENT", "P-1", "", CLUE, date(2026, 3, 10), "诫勉", "", "evt-2", TRANSLATOR)
    state = fold(cmd)
    assert (state.status, state.impact.end) == ("IMPACT_RECORDED", date(2026, 9, 10))
    assert d.in_force(state, date(2026, 9, 9)).impact_kind == "ADMONISHMENT"
    assert d.in_force(state, date(2026, 9, 10)) is None
    assert d.index_row(state)["impact_kind"] == "ADMONISHMENT"
    with pytest.raises(IllegalState, match=r"IMPACT_RECORDED"):
        d.decide(replace(drafting(), decision_id=IMPACT_ID), state, POLICY)
    with pytest.raises(Validation, match=r"^kind:"):
        fold(replace(cmd, kind="WARNING"))
    assert fold(replace(cmd, kind="ACCOUNTABILITY")).impact.end == date(2027, 3, 10)


def test_dates_are_read_in_the_service_zone():
    """A disposal at 2026-03-09 20:00 UTC is 2026-03-10 in Beijing: an issue dated 03-09 is before it."""
    beijing = d.DecisionPolicy(zone=timezone(timedelta(hours=8)))
    o = replace(opening(), disposed_at=datetime(2026, 3, 9, 20, tzinfo=timezone.utc))
    state = fold(o, drafting(), policy=beijing)
    with pytest.raises(Validation, match=r"^decided_on: must not be before the disposal \(2026-03-10\)"):
        d.decide(issuing(date(2026, 3, 9)), state, beijing)
    assert d.decide(issuing(date(2026, 3, 9)), state, POLICY)[0].start == date(2026, 3, 9)


def test_a_decision_is_opened_once_and_commands_name_their_decision():
    state = fold(opening())
    with pytest.raises(IllegalState, match=r"in state OPENED"):
        d.decide(opening(), state, POLICY)
    with pytest.raises(Validation, match=r"^decision_id:"):
        d.decide(replace(drafting(), decision_id=IMPACT_ID), state, POLICY)
    with pytest.raises(Validation, match=r"^decision_id: must look like decision-<uuid>"):
        fold(replace(opening(), decision_id="case-1"))


def test_need_to_know_steps_are_the_owning_offices_once_issued():
    assert d.steps(fold(opening())) == ()
    assert d.approvers(fold(opening())) == ("commission_head",)
    offices = d.steps(issued())
    assert offices[0] == "case_management" and "personnel_files" in offices and len(offices) == len(set(offices))


def test_p3_a_serious_warning_in_lieu_of_removal_carries_the_24_month_bar_and_matches_the_preview():
    """P3 (Regs 11): 严重警告 in lieu of 撤销党内职务 for a member holding no Party post: the issued
    decision carries the bar on equal or higher posts for 24 months, as the preview says."""
    state = issued(PSW, on=date(2026, 2, 28), in_lieu_of_removal=True)
    bars = [x for x in state.issued.locks if x.kind == "NO_EQUAL_OR_HIGHER_POST"]
    assert [x.until for x in bars] == [date(2028, 2, 28)]
    p = pv.preview(
        s.PARTY,
        person(),
        (s.Violation("art. 1", PSW),),
        PSW,
        date(2026, 2, 28),
        POLICY.calendar,
        heard_on=PSW,
        in_lieu_of_removal=True,
    )
    assert state.issued.locks == p.locks and state.issued.end == p.end


def test_p3_in_lieu_of_removal_is_refused_for_a_warning():
    with pytest.raises(Validation) as e:
        fold(opening(PW, disposed=date(2026, 2, 28)), drafting(s.PARTY, in_lieu_of_removal=True))
    assert "P3" in e.value.problem


def test_a_disposal_recorded_before_holdings_opens_a_decision_without_a_holder():
    """Older CaseDisposed events carry no holding links: the decision opens all the same, held by no
    office (only case management, which sees every file, knows it)."""
    state = fold(replace(opening(), holder="", liaison=""))
    assert state.status == d.OPENED and state.opened.holder == ""
