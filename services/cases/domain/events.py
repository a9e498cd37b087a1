"""Events of cases (立案审查调查) and their investigation measures (调查措施), domain.md §3.
Past tense; pure data. Names and field names are those of `proto/cases/v1/events.proto`.

A case is the stream `case-<uuid>`; a measure is its own stream `measure-<uuid>` (its own
approvals and timers), linked to its case. Approvals and refusals carry the acting user (and the
role the approval was given in), so a replay shows who proposed and who approved each step.
Words (kinds, sides, grades) are upper-case domain words; the proto enums add their prefix.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kernel.domain.facts import PersonFacts
from kernel.domain.meetings import CollectiveDecision, Consultation
from kernel.domain.person import Subject
from kernel.domain.sanctions import Combined, Violation
from services.cases.domain.person_facts import PersonFactsReported


@dataclass(frozen=True)
class Outcome:
    """One outcome for one person. `kind`: LIGHT_HANDLING, PARTY_SANCTION, GOVERNMENT_SANCTION,
    ACCOUNTABILITY, TRANSFER_FOR_PROSECUTION, SUPERVISION_RECOMMENDATION, NO_SANCTION,
    ADMONISHMENT, ORGANISATIONAL_HANDLING (the last two and ACCOUNTABILITY weigh for an impact period).
    `sanction` (sanction kinds only): PARTY_WARNING, PARTY_SERIOUS_WARNING,
    PARTY_REMOVAL_FROM_POSTS, PARTY_PROBATION, PARTY_EXPULSION; GOVERNMENT_WARNING,
    GOVERNMENT_DEMERIT, GOVERNMENT_MAJOR_DEMERIT, GOVERNMENT_DEMOTION, GOVERNMENT_REMOVAL,
    GOVERNMENT_DISMISSAL. `article`: the legal basis, e.g. "纪律处分条例 art. 98"."""

    kind: str
    person_id: str
    sanction: str = ""
    article: str = ""
    detail: str = ""


@dataclass(frozen=True)
class PersonSanctions:
    """One person's violations, each with its article and the sanction it alone would bring, and
    the combined sanction per family (G2, G3 PSL 15; P6 Regs 24), with what the sanctions bring
    (`consequences`, G4-G6: set at disposal from the person's facts). `kernel.domain.sanctions`."""

    person_id: str
    violations: tuple[Violation, ...]
    combined: tuple[Combined, ...]
    consequences: tuple[str, ...] = ()
    serious: bool = False  # G5 (PSL 23): 情节严重, stated by the decision


@dataclass(frozen=True)
class Document:
    """One item of a transfer-for-prosecution package (移送审查起诉), by content hash."""

    title: str
    sha256: str


@dataclass(frozen=True)
class Recording:
    """An audio/video recording by content hash (`common.v1.RecordingRef`)."""

    sha256: str
    duration_seconds: int
    kind: str
    archive_ref: str = ""


@dataclass(frozen=True)
class Criterion:
    """One of the eight quality criteria (案件质量评查): CLEAR_FACTS, SOLID_EVIDENCE,
    CORRECT_CHARACTERISATION, APPROPRIATE_HANDLING, COMPLETE_PAPERWORK, CORRECT_PROCEDURE,
    PROPER_MANAGEMENT, FULL_EXECUTION."""

    criterion: str
    met: bool
    note: str = ""


# --- filing (立案) -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FilingOpened:
    """A filing awaits its approvals: proposed from a clue (`clue_id`), or opened as the
    accountability case of a serious case (一案双查, `origin_case_id`).

    `by_person` (issue 18): the sides and approvals follow each subject's facts and what is at
    issue (`FilingPrepared`, Rules 38, SL 42). Absent (False) in filings recorded before: they
    read as they were, both sides, the Party committee head on the Party side for everyone, the
    plan on the supervision side's approval, no topic meeting (`services.cases.domain.filing`)."""

    case_id: str
    clue_id: str
    clue_number: str
    subjects: tuple[Subject, ...]
    findings: str
    handling_office: str
    proposed_by: str
    origin_case_id: str = ""
    # The office supervising the case as liaison (联系), kept through hand-overs; "" in filings
    # recorded before holdings were (the catalogue's liaison of the handling office applies).
    liaison_office: str = ""
    by_person: bool = False


@dataclass(frozen=True)
class FilingApproved:
    """One filing approval. `side`: PARTY (commission head, then the same-level Party committee
    head), SUPERVISION (the head, who chairs the meeting that sets the plan and measures), or
    SIMPLE (a simple case with clear facts: one approval files it and sends it to trial review).
    From issue 18 (`FilingOpened.by_person`): either side (and SIMPLE) by the head, then the
    same-level Party committee head where that committee manages a subject; `plan` stays empty
    (the topic meeting's) and the head's SIMPLE approval carries the `report`."""

    case_id: str
    side: str
    approver_role: str
    approved_by: str
    plan: str = ""
    report: str = ""


@dataclass(frozen=True)
class SubjectAtIssue:
    """What is at issue for one subject: PARTY_DISCIPLINE, OFFICIAL_MISCONDUCT (职务违法、职务犯罪)
    or BOTH."""

    person_id: str
    at_issue: str


@dataclass(frozen=True)
class FilingPrepared:
    """The filing report (立案审查调查呈批报告) states per subject the facts and what is at issue, as of
    now; `sides` (PARTY, SUPERVISION) and `managed` (subjects the same-level Party committee manages
    at `commission_level`) are what the filing rules derived from them (Rules 38; SL 42)."""

    case_id: str
    person_facts: tuple[PersonFacts, ...]
    at_issue: tuple[SubjectAtIssue, ...]
    serious: bool
    sides: tuple[str, ...]
    managed: tuple[str, ...]
    commission_level: str
    prepared_by: str
    escalated_to: str = ""  # a resident group's 提级审批 (seed 003): the dispatching head's role
    facts_reason: str = ""  # why stated facts differ from the reported ones (issue 24)


@dataclass(frozen=True)
class TopicMeetingHeld:
    """The topic meeting (专题会议) the head chaired on the filed case's plan and measures (SL 42;
    Rules 39)."""

    case_id: str
    meeting: CollectiveDecision
    recorded_by: str


@dataclass(frozen=True)
class FilingRejected:
    """The filing was refused; the clue goes back to REPORTED (published to the clues service)."""

    case_id: str
    clue_id: str
    reason: str
    rejected_by: str
    rejected_at: datetime


@dataclass(frozen=True)
class CaseFiled:
    """Every filing approval is in: the case is FILED (published to the clues service)."""

    case_id: str
    clue_id: str
    filed_at: datetime
    subjects: tuple[Subject, ...]
    handling_office: str
    simple: bool = False
    origin_case_id: str = ""


# --- investigation and trial review (审查调查, 案件审理) ----------------------------------------


@dataclass(frozen=True)
class InvestigationStarted:
    """FILED -> INVESTIGATING: the filing announced to the subject and notified to the unit; a
    serious case's family notified and the filing published (SL 42 ¶3; None otherwise and before
    issue 18). A simple case goes on to trial review in the same step."""

    case_id: str
    announced_at: datetime
    unit_notified_at: datetime
    started_by: str
    family_notified_at: datetime | None = None
    published_at: datetime | None = None


@dataclass(frozen=True)
class SentToTrialReview:
    """-> UNDER_TRIAL_REVIEW with the investigation report; the review is due by `due`."""

    case_id: str
    report: str
    sent_by: str
    accepted_at: datetime
    due: datetime


@dataclass(frozen=True)
class TrialReviewReturnProposed:
    """The trial reviewer proposes to send the case back (Rules 55): REINVESTIGATE for the head's
    approval, SUPPLEMENTARY_INVESTIGATION for the responsible deputy's."""

    case_id: str
    to: str
    reason: str
    proposed_by: str


@dataclass(frozen=True)
class TrialReviewReturned:
    """UNDER_TRIAL_REVIEW -> `to`: REINVESTIGATE (main facts unclear) or
    SUPPLEMENTARY_INVESTIGATION (evidence needs strengthening). `returned_by` proposed it; the
    approver and role are "" in returns recorded before they needed approval (Rules 55)."""

    case_id: str
    to: str
    reason: str
    returned_by: str
    approved_by: str = ""
    approver_role: str = ""


@dataclass(frozen=True)
class TrialReviewReturnRejected:
    """The proposed return was refused; the trial review goes on."""

    case_id: str
    to: str
    reason: str
    rejected_by: str
    approver_role: str


@dataclass(frozen=True)
class TrialReviewExtended:
    """The trial review's time limit was extended, with approval (Rules art. 55-56)."""

    case_id: str
    due: datetime
    reason: str
    approved_by: str
    approver_role: str = ""  # "" in extensions recorded before it was: the head's


@dataclass(frozen=True)
class TrialReviewOverdue:
    """Raised by a timer: the trial review passed its time limit undecided."""

    case_id: str
    due: datetime


@dataclass(frozen=True)
class InvestigationWarningRaised:
    """Raised by a timer (issue 20): the investigation stage `stage` (its `round`-th, counted from 1)
    reached `colour` (YELLOW before its limit, RED at it) of its configured time limit `due`, its
    clock started at `started_at` (deploy/config/investigation.toml, local practice)."""

    case_id: str
    stage: str
    round: int
    colour: str
    started_at: datetime
    due: datetime


@dataclass(frozen=True)
class TrialReviewConcluded:
    """UNDER_TRIAL_REVIEW -> DELIBERATION with the proposed outcomes."""

    case_id: str
    proposals: tuple[Outcome, ...]
    reviewed_by: str
    # Per person: violations and the proposed combined sanction per family; older conclusions
    # carry none (their sanction outcomes read as single violations, upcast at the edge).
    sanctions: tuple[PersonSanctions, ...] = ()


@dataclass(frozen=True)
class SubjectHeard:
    """The subject heard the facts and the planned sanction and was heard in defence; the
    proposals after hearing are never heavier than before it."""

    case_id: str
    person_id: str
    statement: str
    heard_by: str
    proposals: tuple[Outcome, ...]
    sanctions: tuple[PersonSanctions, ...] = ()  # the proposed sanctions after hearing (as in the conclusion)


@dataclass(frozen=True)
class RehearingRequired:
    """The standing committee decided heavier, on other grounds, than what `persons` were heard on
    (PSL 43; PC 43): nothing is disposed; they are heard again on `sanctions` (-> REHEARING)."""

    case_id: str
    persons: tuple[str, ...]
    sanctions: tuple[PersonSanctions, ...]
    deliberation: CollectiveDecision
    recorded_by: str
    decided_at: datetime


@dataclass(frozen=True)
class CaseDisposed:
    """DELIBERATION -> DISPOSED: the outcomes decided, with the transfer package if any. A sanction
    outcome names each person's combined sanction per family; `sanctions` holds the violations
    behind it and its consequences, `facts` the person facts it was decided on, `deliberation` the
    standing committee's meeting (Rules 56; SL 51). Older disposals carry neither: each sanction
    outcome reads as one violation (upcast at the edge)."""

    case_id: str
    outcomes: tuple[Outcome, ...]
    decided_by: str
    decided_at: datetime
    transfer: tuple[Document, ...] = ()
    sanctions: tuple[PersonSanctions, ...] = ()
    facts: tuple[PersonFacts, ...] = ()
    deliberation: CollectiveDecision | None = None
    consultations: tuple[Consultation, ...] = ()  # before the deliberation (Rules 56)
    facts_reason: str = ""  # why stated facts differ from the reported ones (issue 24)


@dataclass(frozen=True)
class CaseWithdrawn:
    """Any open state -> WITHDRAWN (no evidence of wrongdoing); the unit is told."""

    case_id: str
    reason: str
    withdrawn_by: str
    unit_told_at: datetime


@dataclass(frozen=True)
class AccountabilityCaseOpened:
    """一案双查: this serious case opened an accountability case on those who failed to supervise."""

    case_id: str
    accountability_case_id: str
    reason: str
    opened_by: str


@dataclass(frozen=True)
class ActivityRecorded:
    """An interrogation, search, sealing or seizure (`activity`) was recorded on audio and video."""

    case_id: str
    activity: str
    recording: Recording
    recorded_by: str
    measure_id: str = ""


@dataclass(frozen=True)
class QualityReviewed:
    """A closed case was graded (EXCELLENT, PASS, FLAWED, FAIL) against the eight criteria."""

    case_id: str
    grade: str
    criteria: tuple[Criterion, ...]
    reviewed_by: str


# --- hand-over (移交审查调查) ---------------------------------------------------------------------


@dataclass(frozen=True)
class CaseHandOverProposed:
    """A hand-over of the case to `to_office` awaits the head's approval (need to know: the holder
    changes only by an approved hand-over, issue 17)."""

    case_id: str
    from_office: str
    to_office: str
    reason: str
    proposed_by: str


@dataclass(frozen=True)
class CaseHandedOver:
    """`to_office` holds the case from now on; its liaison stays."""

    case_id: str
    from_office: str
    to_office: str
    approved_by: str
    approver_role: str


@dataclass(frozen=True)
class CaseHandOverRejected:
    """The hand-over was refused; the case stays with its holder."""

    case_id: str
    to_office: str
    reason: str
    rejected_by: str
    approver_role: str


# --- after a transfer for prosecution (移送审查起诉; SL 54, IR2025 134): services.cases.domain.prosecution
# The procuratorate's reports carry its principal (agency, office, role, user) and the document by
# hash; the commission's own commands carry its user.


@dataclass(frozen=True)
class ReturnedForSupplementaryInvestigation:
    """The procuratorate returned a transferred person's case for supplementary investigation
    (退回补充调查, SL 54): round `round` (at most twice), to be completed by `due` (1 month)."""

    case_id: str
    person_id: str
    round: int
    document: Document
    returned_at: datetime
    due: datetime
    reported_by: str
    agency: str
    office: str
    role: str


@dataclass(frozen=True)
class SupplementaryInvestigationCompleted:
    """The commission completed the supplementary investigation of `round` and sent the case back."""

    case_id: str
    person_id: str
    round: int
    document: Document
    completed_at: datetime
    completed_by: str
    late: bool  # after the round's due


@dataclass(frozen=True)
class SupplementaryInvestigationWarning:
    """Raised by a timer: the supplementary investigation of `round` nears (YELLOW) or reached
    (RED) its due, uncompleted (SL 54; the lead is local configuration)."""

    case_id: str
    person_id: str
    round: int
    colour: str
    due: datetime


@dataclass(frozen=True)
class ProsecutionDecisionReported:
    """The procuratorate's decision on a transferred person: CHARGED (起诉) or NOT_PROSECUTED
    (不起诉); `due` the charge decision's limit from the case's receipt (CPL 172, unverified), `late`
    whether it came after it."""

    case_id: str
    person_id: str
    decision: str
    document: Document
    decided_at: datetime
    due: datetime
    late: bool
    reported_by: str
    agency: str
    office: str
    role: str


@dataclass(frozen=True)
class NonProsecutionReferred:
    """The commission referred a non-prosecution to the upper procuratorate for reconsideration
    (复议, SL 54)."""

    case_id: str
    person_id: str
    document: Document
    referred_at: datetime
    referred_by: str
    upper_procuratorate: str


CaseEvent = (
    FilingOpened
    | FilingPrepared
    | TopicMeetingHeld
    | FilingApproved
    | FilingRejected
    | CaseFiled
    | InvestigationStarted
    | SentToTrialReview
    | TrialReviewReturnProposed
    | TrialReviewReturned
    | TrialReviewReturnRejected
    | TrialReviewExtended
    | TrialReviewOverdue
    | TrialReviewConcluded
    | SubjectHeard
    | RehearingRequired
    | CaseDisposed
    | CaseWithdrawn
    | AccountabilityCaseOpened
    | ActivityRecorded
    | QualityReviewed
    | CaseHandOverProposed
    | CaseHandedOver
    | CaseHandOverRejected
    | InvestigationWarningRaised
    | ReturnedForSupplementaryInvestigation
    | SupplementaryInvestigationCompleted
    | SupplementaryInvestigationWarning
    | ProsecutionDecisionReported
    | NonProsecutionReferred
)


# --- measures (调查措施) -------------------------------------------------------------------------


@dataclass(frozen=True)
class Charge:
    """The crime a measure's rule turns on, as the command states it (SL 48): what it is, whether it
    is a job crime (职务犯罪), and the likely sentence band: UNDER_THREE_YEARS, THREE_TO_TEN_YEARS,
    TEN_YEARS_OR_MORE (ten years or more, life or death)."""

    crime: str
    job_crime: bool
    sentence_band: str


@dataclass(frozen=True)
class CustodyGrounds:
    """Why protective custody (管护) may be used (SL 25): `conduct` SURRENDERED (自动投案),
    CONFESSED (交代问题 in a talk, letter inquiry or inquiry) or VOLUNTEERED_MAJOR_CRIME (under
    interrogation); `risks` FLIGHT and/or SUICIDE (at least one); `detail` what was observed."""

    conduct: str
    risks: tuple[str, ...]
    detail: str


@dataclass(frozen=True)
class MeasureRequested:
    """A measure on a person in a case was requested for approval. `kind`: DETENTION,
    COMPELLED_APPEARANCE, ORDERED_WAITING, PROTECTIVE_CUSTODY, TECHNICAL_INVESTIGATION, EXIT_BAN,
    INQUIRY, FREEZING, SEARCH, SEIZURE, SEALING, APPRAISAL."""

    measure_id: str
    case_id: str
    kind: str
    person_id: str
    office: str
    reason: str
    requested_by: str
    # The case's liaison when requested; "" in measures recorded before holdings were (the
    # catalogue's liaison of `office` applies).
    liaison_office: str = ""
    # Issue 19 (absent before): the commission's level when requested (its approvals follow it),
    # the protective custody's grounds (SL 25), whether the same-level Party committee manages the
    # person (its head then approves, where configured) with the facts that say so.
    commission_level: str = ""
    custody_grounds: CustodyGrounds | None = None
    managed: bool = False
    person_facts: PersonFacts | None = None
    # A measure before filing (SL 25, 41): the clue under preliminary check it was requested on,
    # `case_id` then "" until the case filed from the clue takes it (MeasureAttachedToCase). ""
    # in every measure requested on a case, and in all recorded before (they read the same).
    clue_id: str = ""


@dataclass(frozen=True)
class MeasureApproved:
    """Approved: the measure runs from `starts_at` to `ends_at` (None: until lifted, or no limit)."""

    measure_id: str
    approver_role: str
    approved_by: str
    starts_at: datetime
    ends_at: datetime | None = None
    # Issue 19 (absent before): the approval step that completed it (LOCAL, COMMITTEE, UPPER), the
    # collective decision it recorded (SL 47), the level, and a filing (备案) owed to the NCC.
    step: str = ""
    meeting: CollectiveDecision | None = None
    commission_level: str = ""
    national_filing_owed: bool = False


@dataclass(frozen=True)
class MeasureFiledWithNational:
    """The filing (备案) with the national commission a detention approved at provincial level owes
    (SL 47) was made: when, its document reference, who recorded it."""

    measure_id: str
    filed_at: datetime
    reference: str
    filed_by: str


@dataclass(frozen=True)
class MeasureApprovalGiven:
    """One approval step of several (SL 47: the leadership's collective decision, then the Party
    committee head's for its cadres where configured, then the upper level's), not yet the last:
    the measure awaits the next one. `step`: LOCAL, COMMITTEE, UPPER."""

    measure_id: str
    step: str
    approver_role: str
    approved_by: str
    meeting: CollectiveDecision | None = None
    commission_level: str = ""


@dataclass(frozen=True)
class MeasureRefused:
    measure_id: str
    reason: str
    refused_by: str
    approver_role: str = ""


@dataclass(frozen=True)
class DetentionNoticeGiven:
    """The unit and the family were told of a detention, 管护 or 禁闭 (SL 50 ¶1; 64): due within 24
    hours of its start, or at once when a deferral ended (the name is the one it had when only a
    detention owed it)."""

    measure_id: str
    unit_notified_at: datetime
    family_notified_at: datetime
    given_by: str


@dataclass(frozen=True)
class DetentionNoticeOverdue:
    """Raised by a timer: 24 hours passed without the detention notice."""

    measure_id: str
    due: datetime


@dataclass(frozen=True)
class MeasureExtended:
    """The measure's end moved to `ends_at`, with the approval its rule requires (`special`: the
    extra extension of a detention in special cases, national approval)."""

    measure_id: str
    ends_at: datetime
    reason: str
    approver_role: str
    approved_by: str
    special: bool = False
    # Issue 19 (absent before): the charge the +2 months of a detention was granted on (SL 48 ¶2),
    # and the 管护 or 留置 whose following allowed a compelled appearance 24 hours (SL 46).
    charge: Charge | None = None
    followed_by: str = ""


@dataclass(frozen=True)
class DetentionRecounted:
    """The detention's time counts again from `discovered_at` (重新计算, SL 48 ¶3; IR2025 133): once,
    at provincial level and up, with the upper level's (the NCC's) approval, on another serious
    crime of a different kind (`ground` DIFFERENT_CRIME) or one of the same kind changing the charge
    or the sentencing band (CHANGES_CHARGE_OR_BAND). `ends_at`: the new end; the +2 months stays
    once in all."""

    measure_id: str
    discovered_at: datetime
    ends_at: datetime
    ground: str
    charge: Charge
    reason: str
    approver_role: str
    approved_by: str


@dataclass(frozen=True)
class MeasureExpiring:
    """Raised by a timer ahead of the end (lead time is configuration)."""

    measure_id: str
    ends_at: datetime


@dataclass(frozen=True)
class MeasureExpired:
    """Raised by a timer at the end: the measure may not go on; it stays EXPIRED (and shows
    so in the office's ledger) until ended."""

    measure_id: str
    ends_at: datetime


@dataclass(frozen=True)
class MeasureEnded:
    """`outcome`: RELEASED, CONVERTED (e.g. custody into detention), LIFTED, COMPLETED."""

    measure_id: str
    outcome: str
    reason: str
    ended_by: str
    ended_at: datetime | None = None
    # Issue 19 (absent before): the measure it was converted into (CONVERTED: e.g. a detention
    # into ordered waiting, SL 48).
    converted_to: str = ""
    # Issue 19 (absent before): the recording of a search, seizure or sealing ended COMPLETED
    # (SL 44 ¶2: none is completed without it); None otherwise and in measures ended before.
    recording: Recording | None = None


# --- duties common to measures (SL 44, 50, 64, 74(7); IR2025 134): services.cases.domain.measure_duties


@dataclass(frozen=True)
class Staff:
    """One of the staff executing a measure (SL 44): name and the number of the ID shown."""

    name: str
    id_number: str
    sex: str = ""  # FEMALE or MALE, stated on a search (SL 27); "" otherwise and before


@dataclass(frozen=True)
class MeasureExecuted:
    """The measure was carried out (SL 44) by at least two staff showing their IDs, with the written
    notice (e.g. 留置决定书) and the record signed on site, each by content hash."""

    measure_id: str
    staff: tuple[Staff, ...]
    written_notice: Document
    signed_record: Document
    executed_at: datetime
    recorded_by: str
    # A search (SL 27; measure_safeguards), absent before: the search warrant (搜查证) by content
    # hash, the witnesses present (at least one), the searched person's sex (FEMALE, MALE: a woman
    # is searched by women, each staff member's sex stated). None, (), "" for other measures.
    warrant: Document | None = None
    witnesses: tuple[str, ...] = ()
    searched_sex: str = ""


@dataclass(frozen=True)
class NoticeDeferred:
    """Telling the unit and family within 24 hours would obstruct the investigation (SL 50 ¶1): the
    notice waits, with this approval, until the obstruction ends (NoticeDeferralEnded)."""

    measure_id: str
    reason: str
    approved_by: str
    approver_role: str
    deferred_at: datetime


@dataclass(frozen=True)
class NoticeDeferralEnded:
    """The obstruction ended at `ended_at`: the notice is due immediately (SL 50 ¶1)."""

    measure_id: str
    reason: str
    ended_by: str
    ended_at: datetime


@dataclass(frozen=True)
class ReleaseNoticeGiven:
    """The unit and family were told of the release (SL 50 ¶1)."""

    measure_id: str
    unit_notified_at: datetime
    family_notified_at: datetime
    given_by: str


@dataclass(frozen=True)
class MeasureChangeRequested:
    """The person or a near relative asked to change or lift the measure (SL 50 ¶2): `applicant`
    PERSON or NEAR_RELATIVE, `asked` CHANGE or LIFT; to be decided by `due`."""

    measure_id: str
    change_id: str
    applicant: str
    applicant_name: str
    asked: str
    grounds: str
    received_at: datetime
    due: datetime
    recorded_by: str


@dataclass(frozen=True)
class MeasureChangeDecided:
    """The change request was decided (SL 50 ¶2), with the reasons (required when refused)."""

    measure_id: str
    change_id: str
    granted: bool
    reasons: str
    decided_by: str
    decider_role: str
    decided_at: datetime


@dataclass(frozen=True)
class MeasureChangeOverdue:
    """Raised by a timer: the change request was not decided by `due` (SL 50 ¶2)."""

    measure_id: str
    change_id: str
    due: datetime


@dataclass(frozen=True)
class CustodyTransferred:
    """The procuratorate took the detained person into custody (IR2025 134), by the document
    stated; the detention ends with it (MeasureEnded, outcome CUSTODY_TRANSFERRED)."""

    measure_id: str
    document: Document
    taken_at: datetime
    recorded_by: str
    recorder_role: str
    # SL 50 ¶4 (measure_safeguards), absent before (0): the days in detention until custody (a
    # part-day as configured) and their offset: 2 days of 管制 each, or 1 day of 拘役 or prison.
    detention_days: int = 0
    control_offset_days: int = 0
    prison_offset_days: int = 0


@dataclass(frozen=True)
class MeasureAttachedToCase:
    """A measure taken on a clue before filing (SL 25, 41) follows the clue into the case filed from
    it (`CaseFiled.clue_id`): from now on it is the case's measure. Issued once per measure."""

    measure_id: str
    case_id: str
    clue_id: str


# --- the person's safeguards (SL 26-28, 50 ¶4, 69): services.cases.domain.measure_safeguards


@dataclass(frozen=True)
class MeasureFoundUnrelated:
    """The frozen, sealed or seized property (`what`) was found unrelated to the case (SL 26, 28):
    it is to be released by `release_due` (3 days, configuration), by ending the measure."""

    measure_id: str
    what: str
    found_at: datetime
    found_by: str
    finder_role: str
    release_due: datetime


@dataclass(frozen=True)
class MeasureReleaseOverdue:
    """Raised by a timer: property found unrelated was not released by `due` (SL 26, 28)."""

    measure_id: str
    due: datetime


@dataclass(frozen=True)
class MeasureComplaintFiled:
    """A complaint (申诉) about the measure (SL 69): `complainant` PERSON, NEAR_RELATIVE or
    INTERESTED_PARTY; `ground` PAST_LIMIT, UNRELATED_PROPERTY, NOT_RELEASED, PROPERTY_MISUSED,
    OTHER_UNLAWFUL; the commission decides by `due` (1 month)."""

    measure_id: str
    complaint_id: str
    complainant: str
    complainant_name: str
    ground: str
    detail: str
    received_at: datetime
    due: datetime
    recorded_by: str


@dataclass(frozen=True)
class MeasureComplaintDecided:
    """The commission decided the complaint (`review` False; a review may be sought by
    `review_sought_by`, 1 month), or the upper commission its review (`review` True) (SL 69)."""

    measure_id: str
    complaint_id: str
    upheld: bool
    reasons: str
    decided_by: str
    decider_role: str
    decided_at: datetime
    review: bool = False
    review_sought_by: datetime | None = None


@dataclass(frozen=True)
class MeasureComplaintReviewSought:
    """The complainant sought the upper commission's review (SL 69), to be decided by `due` (2 months)."""

    measure_id: str
    complaint_id: str
    sought_at: datetime
    due: datetime
    recorded_by: str


@dataclass(frozen=True)
class MeasureComplaintOverdue:
    """Raised by a timer: the complaint's `stage` (DECISION, REVIEW) was not decided by `due` (SL 69)."""

    measure_id: str
    complaint_id: str
    stage: str
    due: datetime


MeasureEvent = (
    MeasureRequested
    | MeasureApproved
    | MeasureApprovalGiven
    | MeasureFiledWithNational
    | MeasureRefused
    | DetentionNoticeGiven
    | DetentionNoticeOverdue
    | MeasureExtended
    | DetentionRecounted
    | MeasureExpiring
    | MeasureExpired
    | MeasureEnded
    | MeasureAttachedToCase
    | MeasureExecuted
    | NoticeDeferred
    | NoticeDeferralEnded
    | ReleaseNoticeGiven
    | MeasureChangeRequested
    | MeasureChangeDecided
    | MeasureChangeOverdue
    | CustodyTransferred
    | MeasureFoundUnrelated
    | MeasureReleaseOverdue
    | MeasureComplaintFiled
    | MeasureComplaintDecided
    | MeasureComplaintReviewSought
    | MeasureComplaintOverdue
)

CASE_EVENTS = CaseEvent.__args__  # type: ignore[attr-defined]
MEASURE_EVENTS = MeasureEvent.__args__  # type: ignore[attr-defined]
PERSON_EVENTS = (PersonFactsReported,)  # a person's reported facts (issue 24), on `person-<uuid>`
ALL_EVENTS = CASE_EVENTS + MEASURE_EVENTS + PERSON_EVENTS
