import datetime

from common.v1 import rules_pb2 as _rules_pb2
from common.v1 import identity_pb2 as _identity_pb2
from common.v1 import meeting_pb2 as _meeting_pb2
from common.v1 import person_pb2 as _person_pb2
from common.v1 import recording_pb2 as _recording_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class FilingSide(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FILING_SIDE_UNSPECIFIED: _ClassVar[FilingSide]
    FILING_SIDE_PARTY: _ClassVar[FilingSide]
    FILING_SIDE_SUPERVISION: _ClassVar[FilingSide]
    FILING_SIDE_SIMPLE: _ClassVar[FilingSide]

class ReturnTarget(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RETURN_TARGET_UNSPECIFIED: _ClassVar[ReturnTarget]
    RETURN_TARGET_REINVESTIGATE: _ClassVar[ReturnTarget]
    RETURN_TARGET_SUPPLEMENTARY_INVESTIGATION: _ClassVar[ReturnTarget]

class OutcomeKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OUTCOME_KIND_UNSPECIFIED: _ClassVar[OutcomeKind]
    OUTCOME_KIND_LIGHT_HANDLING: _ClassVar[OutcomeKind]
    OUTCOME_KIND_PARTY_SANCTION: _ClassVar[OutcomeKind]
    OUTCOME_KIND_GOVERNMENT_SANCTION: _ClassVar[OutcomeKind]
    OUTCOME_KIND_ACCOUNTABILITY: _ClassVar[OutcomeKind]
    OUTCOME_KIND_TRANSFER_FOR_PROSECUTION: _ClassVar[OutcomeKind]
    OUTCOME_KIND_SUPERVISION_RECOMMENDATION: _ClassVar[OutcomeKind]
    OUTCOME_KIND_NO_SANCTION: _ClassVar[OutcomeKind]
    OUTCOME_KIND_ADMONISHMENT: _ClassVar[OutcomeKind]
    OUTCOME_KIND_ORGANISATIONAL_HANDLING: _ClassVar[OutcomeKind]

class SanctionType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SANCTION_TYPE_UNSPECIFIED: _ClassVar[SanctionType]
    SANCTION_TYPE_PARTY_WARNING: _ClassVar[SanctionType]
    SANCTION_TYPE_PARTY_SERIOUS_WARNING: _ClassVar[SanctionType]
    SANCTION_TYPE_PARTY_REMOVAL_FROM_POSTS: _ClassVar[SanctionType]
    SANCTION_TYPE_PARTY_PROBATION: _ClassVar[SanctionType]
    SANCTION_TYPE_PARTY_EXPULSION: _ClassVar[SanctionType]
    SANCTION_TYPE_GOVERNMENT_WARNING: _ClassVar[SanctionType]
    SANCTION_TYPE_GOVERNMENT_DEMERIT: _ClassVar[SanctionType]
    SANCTION_TYPE_GOVERNMENT_MAJOR_DEMERIT: _ClassVar[SanctionType]
    SANCTION_TYPE_GOVERNMENT_DEMOTION: _ClassVar[SanctionType]
    SANCTION_TYPE_GOVERNMENT_REMOVAL: _ClassVar[SanctionType]
    SANCTION_TYPE_GOVERNMENT_DISMISSAL: _ClassVar[SanctionType]

class RecordedActivity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RECORDED_ACTIVITY_UNSPECIFIED: _ClassVar[RecordedActivity]
    RECORDED_ACTIVITY_INTERROGATION: _ClassVar[RecordedActivity]
    RECORDED_ACTIVITY_SEARCH: _ClassVar[RecordedActivity]
    RECORDED_ACTIVITY_SEALING: _ClassVar[RecordedActivity]
    RECORDED_ACTIVITY_SEIZURE: _ClassVar[RecordedActivity]

class QualityGrade(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    QUALITY_GRADE_UNSPECIFIED: _ClassVar[QualityGrade]
    QUALITY_GRADE_EXCELLENT: _ClassVar[QualityGrade]
    QUALITY_GRADE_PASS: _ClassVar[QualityGrade]
    QUALITY_GRADE_FLAWED: _ClassVar[QualityGrade]
    QUALITY_GRADE_FAIL: _ClassVar[QualityGrade]

class QualityCriterion(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    QUALITY_CRITERION_UNSPECIFIED: _ClassVar[QualityCriterion]
    QUALITY_CRITERION_CLEAR_FACTS: _ClassVar[QualityCriterion]
    QUALITY_CRITERION_SOLID_EVIDENCE: _ClassVar[QualityCriterion]
    QUALITY_CRITERION_CORRECT_CHARACTERISATION: _ClassVar[QualityCriterion]
    QUALITY_CRITERION_APPROPRIATE_HANDLING: _ClassVar[QualityCriterion]
    QUALITY_CRITERION_COMPLETE_PAPERWORK: _ClassVar[QualityCriterion]
    QUALITY_CRITERION_CORRECT_PROCEDURE: _ClassVar[QualityCriterion]
    QUALITY_CRITERION_PROPER_MANAGEMENT: _ClassVar[QualityCriterion]
    QUALITY_CRITERION_FULL_EXECUTION: _ClassVar[QualityCriterion]

class AtIssue(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AT_ISSUE_UNSPECIFIED: _ClassVar[AtIssue]
    AT_ISSUE_PARTY_DISCIPLINE: _ClassVar[AtIssue]
    AT_ISSUE_OFFICIAL_MISCONDUCT: _ClassVar[AtIssue]
    AT_ISSUE_BOTH: _ClassVar[AtIssue]

class CommissionLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COMMISSION_LEVEL_UNSPECIFIED: _ClassVar[CommissionLevel]
    COMMISSION_LEVEL_COUNTY: _ClassVar[CommissionLevel]
    COMMISSION_LEVEL_CITY: _ClassVar[CommissionLevel]
    COMMISSION_LEVEL_PROVINCIAL: _ClassVar[CommissionLevel]
    COMMISSION_LEVEL_NATIONAL: _ClassVar[CommissionLevel]

class MeasureKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MEASURE_KIND_UNSPECIFIED: _ClassVar[MeasureKind]
    MEASURE_KIND_DETENTION: _ClassVar[MeasureKind]
    MEASURE_KIND_COMPELLED_APPEARANCE: _ClassVar[MeasureKind]
    MEASURE_KIND_ORDERED_WAITING: _ClassVar[MeasureKind]
    MEASURE_KIND_PROTECTIVE_CUSTODY: _ClassVar[MeasureKind]
    MEASURE_KIND_TECHNICAL_INVESTIGATION: _ClassVar[MeasureKind]
    MEASURE_KIND_EXIT_BAN: _ClassVar[MeasureKind]
    MEASURE_KIND_INQUIRY: _ClassVar[MeasureKind]
    MEASURE_KIND_FREEZING: _ClassVar[MeasureKind]
    MEASURE_KIND_SEARCH: _ClassVar[MeasureKind]
    MEASURE_KIND_SEIZURE: _ClassVar[MeasureKind]
    MEASURE_KIND_SEALING: _ClassVar[MeasureKind]
    MEASURE_KIND_APPRAISAL: _ClassVar[MeasureKind]
    MEASURE_KIND_CONFINEMENT: _ClassVar[MeasureKind]

class MeasureOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MEASURE_OUTCOME_UNSPECIFIED: _ClassVar[MeasureOutcome]
    MEASURE_OUTCOME_RELEASED: _ClassVar[MeasureOutcome]
    MEASURE_OUTCOME_CONVERTED: _ClassVar[MeasureOutcome]
    MEASURE_OUTCOME_LIFTED: _ClassVar[MeasureOutcome]
    MEASURE_OUTCOME_COMPLETED: _ClassVar[MeasureOutcome]
    MEASURE_OUTCOME_CUSTODY_TRANSFERRED: _ClassVar[MeasureOutcome]

class SentenceBand(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SENTENCE_BAND_UNSPECIFIED: _ClassVar[SentenceBand]
    SENTENCE_BAND_UNDER_THREE_YEARS: _ClassVar[SentenceBand]
    SENTENCE_BAND_THREE_TO_TEN_YEARS: _ClassVar[SentenceBand]
    SENTENCE_BAND_TEN_YEARS_OR_MORE: _ClassVar[SentenceBand]

class CustodyConduct(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CUSTODY_CONDUCT_UNSPECIFIED: _ClassVar[CustodyConduct]
    CUSTODY_CONDUCT_SURRENDERED: _ClassVar[CustodyConduct]
    CUSTODY_CONDUCT_CONFESSED: _ClassVar[CustodyConduct]
    CUSTODY_CONDUCT_VOLUNTEERED_MAJOR_CRIME: _ClassVar[CustodyConduct]

class CustodyRisk(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CUSTODY_RISK_UNSPECIFIED: _ClassVar[CustodyRisk]
    CUSTODY_RISK_FLIGHT: _ClassVar[CustodyRisk]
    CUSTODY_RISK_SUICIDE: _ClassVar[CustodyRisk]

class Sex(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SEX_UNSPECIFIED: _ClassVar[Sex]
    SEX_FEMALE: _ClassVar[Sex]
    SEX_MALE: _ClassVar[Sex]

class ChangeApplicant(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANGE_APPLICANT_UNSPECIFIED: _ClassVar[ChangeApplicant]
    CHANGE_APPLICANT_PERSON: _ClassVar[ChangeApplicant]
    CHANGE_APPLICANT_NEAR_RELATIVE: _ClassVar[ChangeApplicant]

class ChangeAsked(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANGE_ASKED_UNSPECIFIED: _ClassVar[ChangeAsked]
    CHANGE_ASKED_CHANGE: _ClassVar[ChangeAsked]
    CHANGE_ASKED_LIFT: _ClassVar[ChangeAsked]

class Complainant(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COMPLAINANT_UNSPECIFIED: _ClassVar[Complainant]
    COMPLAINANT_PERSON: _ClassVar[Complainant]
    COMPLAINANT_NEAR_RELATIVE: _ClassVar[Complainant]
    COMPLAINANT_INTERESTED_PARTY: _ClassVar[Complainant]

class ComplaintGround(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COMPLAINT_GROUND_UNSPECIFIED: _ClassVar[ComplaintGround]
    COMPLAINT_GROUND_PAST_LIMIT: _ClassVar[ComplaintGround]
    COMPLAINT_GROUND_UNRELATED_PROPERTY: _ClassVar[ComplaintGround]
    COMPLAINT_GROUND_NOT_RELEASED: _ClassVar[ComplaintGround]
    COMPLAINT_GROUND_PROPERTY_MISUSED: _ClassVar[ComplaintGround]
    COMPLAINT_GROUND_OTHER_UNLAWFUL: _ClassVar[ComplaintGround]

class ComplaintStage(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COMPLAINT_STAGE_UNSPECIFIED: _ClassVar[ComplaintStage]
    COMPLAINT_STAGE_DECISION: _ClassVar[ComplaintStage]
    COMPLAINT_STAGE_REVIEW: _ClassVar[ComplaintStage]
FILING_SIDE_UNSPECIFIED: FilingSide
FILING_SIDE_PARTY: FilingSide
FILING_SIDE_SUPERVISION: FilingSide
FILING_SIDE_SIMPLE: FilingSide
RETURN_TARGET_UNSPECIFIED: ReturnTarget
RETURN_TARGET_REINVESTIGATE: ReturnTarget
RETURN_TARGET_SUPPLEMENTARY_INVESTIGATION: ReturnTarget
OUTCOME_KIND_UNSPECIFIED: OutcomeKind
OUTCOME_KIND_LIGHT_HANDLING: OutcomeKind
OUTCOME_KIND_PARTY_SANCTION: OutcomeKind
OUTCOME_KIND_GOVERNMENT_SANCTION: OutcomeKind
OUTCOME_KIND_ACCOUNTABILITY: OutcomeKind
OUTCOME_KIND_TRANSFER_FOR_PROSECUTION: OutcomeKind
OUTCOME_KIND_SUPERVISION_RECOMMENDATION: OutcomeKind
OUTCOME_KIND_NO_SANCTION: OutcomeKind
OUTCOME_KIND_ADMONISHMENT: OutcomeKind
OUTCOME_KIND_ORGANISATIONAL_HANDLING: OutcomeKind
SANCTION_TYPE_UNSPECIFIED: SanctionType
SANCTION_TYPE_PARTY_WARNING: SanctionType
SANCTION_TYPE_PARTY_SERIOUS_WARNING: SanctionType
SANCTION_TYPE_PARTY_REMOVAL_FROM_POSTS: SanctionType
SANCTION_TYPE_PARTY_PROBATION: SanctionType
SANCTION_TYPE_PARTY_EXPULSION: SanctionType
SANCTION_TYPE_GOVERNMENT_WARNING: SanctionType
SANCTION_TYPE_GOVERNMENT_DEMERIT: SanctionType
SANCTION_TYPE_GOVERNMENT_MAJOR_DEMERIT: SanctionType
SANCTION_TYPE_GOVERNMENT_DEMOTION: SanctionType
SANCTION_TYPE_GOVERNMENT_REMOVAL: SanctionType
SANCTION_TYPE_GOVERNMENT_DISMISSAL: SanctionType
RECORDED_ACTIVITY_UNSPECIFIED: RecordedActivity
RECORDED_ACTIVITY_INTERROGATION: RecordedActivity
RECORDED_ACTIVITY_SEARCH: RecordedActivity
RECORDED_ACTIVITY_SEALING: RecordedActivity
RECORDED_ACTIVITY_SEIZURE: RecordedActivity
QUALITY_GRADE_UNSPECIFIED: QualityGrade
QUALITY_GRADE_EXCELLENT: QualityGrade
QUALITY_GRADE_PASS: QualityGrade
QUALITY_GRADE_FLAWED: QualityGrade
QUALITY_GRADE_FAIL: QualityGrade
QUALITY_CRITERION_UNSPECIFIED: QualityCriterion
QUALITY_CRITERION_CLEAR_FACTS: QualityCriterion
QUALITY_CRITERION_SOLID_EVIDENCE: QualityCriterion
QUALITY_CRITERION_CORRECT_CHARACTERISATION: QualityCriterion
QUALITY_CRITERION_APPROPRIATE_HANDLING: QualityCriterion
QUALITY_CRITERION_COMPLETE_PAPERWORK: QualityCriterion
QUALITY_CRITERION_CORRECT_PROCEDURE: QualityCriterion
QUALITY_CRITERION_PROPER_MANAGEMENT: QualityCriterion
QUALITY_CRITERION_FULL_EXECUTION: QualityCriterion
AT_ISSUE_UNSPECIFIED: AtIssue
AT_ISSUE_PARTY_DISCIPLINE: AtIssue
AT_ISSUE_OFFICIAL_MISCONDUCT: AtIssue
AT_ISSUE_BOTH: AtIssue
COMMISSION_LEVEL_UNSPECIFIED: CommissionLevel
COMMISSION_LEVEL_COUNTY: CommissionLevel
COMMISSION_LEVEL_CITY: CommissionLevel
COMMISSION_LEVEL_PROVINCIAL: CommissionLevel
COMMISSION_LEVEL_NATIONAL: CommissionLevel
MEASURE_KIND_UNSPECIFIED: MeasureKind
MEASURE_KIND_DETENTION: MeasureKind
MEASURE_KIND_COMPELLED_APPEARANCE: MeasureKind
MEASURE_KIND_ORDERED_WAITING: MeasureKind
MEASURE_KIND_PROTECTIVE_CUSTODY: MeasureKind
MEASURE_KIND_TECHNICAL_INVESTIGATION: MeasureKind
MEASURE_KIND_EXIT_BAN: MeasureKind
MEASURE_KIND_INQUIRY: MeasureKind
MEASURE_KIND_FREEZING: MeasureKind
MEASURE_KIND_SEARCH: MeasureKind
MEASURE_KIND_SEIZURE: MeasureKind
MEASURE_KIND_SEALING: MeasureKind
MEASURE_KIND_APPRAISAL: MeasureKind
MEASURE_KIND_CONFINEMENT: MeasureKind
MEASURE_OUTCOME_UNSPECIFIED: MeasureOutcome
MEASURE_OUTCOME_RELEASED: MeasureOutcome
MEASURE_OUTCOME_CONVERTED: MeasureOutcome
MEASURE_OUTCOME_LIFTED: MeasureOutcome
MEASURE_OUTCOME_COMPLETED: MeasureOutcome
MEASURE_OUTCOME_CUSTODY_TRANSFERRED: MeasureOutcome
SENTENCE_BAND_UNSPECIFIED: SentenceBand
SENTENCE_BAND_UNDER_THREE_YEARS: SentenceBand
SENTENCE_BAND_THREE_TO_TEN_YEARS: SentenceBand
SENTENCE_BAND_TEN_YEARS_OR_MORE: SentenceBand
CUSTODY_CONDUCT_UNSPECIFIED: CustodyConduct
CUSTODY_CONDUCT_SURRENDERED: CustodyConduct
CUSTODY_CONDUCT_CONFESSED: CustodyConduct
CUSTODY_CONDUCT_VOLUNTEERED_MAJOR_CRIME: CustodyConduct
CUSTODY_RISK_UNSPECIFIED: CustodyRisk
CUSTODY_RISK_FLIGHT: CustodyRisk
CUSTODY_RISK_SUICIDE: CustodyRisk
SEX_UNSPECIFIED: Sex
SEX_FEMALE: Sex
SEX_MALE: Sex
CHANGE_APPLICANT_UNSPECIFIED: ChangeApplicant
CHANGE_APPLICANT_PERSON: ChangeApplicant
CHANGE_APPLICANT_NEAR_RELATIVE: ChangeApplicant
CHANGE_ASKED_UNSPECIFIED: ChangeAsked
CHANGE_ASKED_CHANGE: ChangeAsked
CHANGE_ASKED_LIFT: ChangeAsked
COMPLAINANT_UNSPECIFIED: Complainant
COMPLAINANT_PERSON: Complainant
COMPLAINANT_NEAR_RELATIVE: Complainant
COMPLAINANT_INTERESTED_PARTY: Complainant
COMPLAINT_GROUND_UNSPECIFIED: ComplaintGround
COMPLAINT_GROUND_PAST_LIMIT: ComplaintGround
COMPLAINT_GROUND_UNRELATED_PROPERTY: ComplaintGround
COMPLAINT_GROUND_NOT_RELEASED: ComplaintGround
COMPLAINT_GROUND_PROPERTY_MISUSED: ComplaintGround
COMPLAINT_GROUND_OTHER_UNLAWFUL: ComplaintGround
COMPLAINT_STAGE_UNSPECIFIED: ComplaintStage
COMPLAINT_STAGE_DECISION: ComplaintStage
COMPLAINT_STAGE_REVIEW: ComplaintStage

class Outcome(_message.Message):
    __slots__ = ("kind", "person_id", "sanction", "article", "detail")
    KIND_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    SANCTION_FIELD_NUMBER: _ClassVar[int]
    ARTICLE_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    kind: OutcomeKind
    person_id: str
    sanction: SanctionType
    article: str
    detail: str
    def __init__(self, kind: _Optional[_Union[OutcomeKind, str]] = ..., person_id: _Optional[str] = ..., sanction: _Optional[_Union[SanctionType, str]] = ..., article: _Optional[str] = ..., detail: _Optional[str] = ...) -> None: ...

class Violation(_message.Message):
    __slots__ = ("article", "sanction", "detail")
    ARTICLE_FIELD_NUMBER: _ClassVar[int]
    SANCTION_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    article: str
    sanction: SanctionType
    detail: str
    def __init__(self, article: _Optional[str] = ..., sanction: _Optional[_Union[SanctionType, str]] = ..., detail: _Optional[str] = ...) -> None: ...

class CombinedSanction(_message.Message):
    __slots__ = ("sanction", "period_months", "rule", "mitigation")
    SANCTION_FIELD_NUMBER: _ClassVar[int]
    PERIOD_MONTHS_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    MITIGATION_FIELD_NUMBER: _ClassVar[int]
    sanction: SanctionType
    period_months: int
    rule: str
    mitigation: str
    def __init__(self, sanction: _Optional[_Union[SanctionType, str]] = ..., period_months: _Optional[int] = ..., rule: _Optional[str] = ..., mitigation: _Optional[str] = ...) -> None: ...

class PersonSanctions(_message.Message):
    __slots__ = ("person_id", "violations", "combined", "consequences", "serious")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    COMBINED_FIELD_NUMBER: _ClassVar[int]
    CONSEQUENCES_FIELD_NUMBER: _ClassVar[int]
    SERIOUS_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    violations: _containers.RepeatedCompositeFieldContainer[Violation]
    combined: _containers.RepeatedCompositeFieldContainer[CombinedSanction]
    consequences: _containers.RepeatedScalarFieldContainer[str]
    serious: bool
    def __init__(self, person_id: _Optional[str] = ..., violations: _Optional[_Iterable[_Union[Violation, _Mapping]]] = ..., combined: _Optional[_Iterable[_Union[CombinedSanction, _Mapping]]] = ..., consequences: _Optional[_Iterable[str]] = ..., serious: _Optional[bool] = ...) -> None: ...

class TransferDocument(_message.Message):
    __slots__ = ("title", "sha256")
    TITLE_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    title: str
    sha256: str
    def __init__(self, title: _Optional[str] = ..., sha256: _Optional[str] = ...) -> None: ...

class Criterion(_message.Message):
    __slots__ = ("criterion", "met", "note")
    CRITERION_FIELD_NUMBER: _ClassVar[int]
    MET_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    criterion: QualityCriterion
    met: bool
    note: str
    def __init__(self, criterion: _Optional[_Union[QualityCriterion, str]] = ..., met: _Optional[bool] = ..., note: _Optional[str] = ...) -> None: ...

class FilingOpened(_message.Message):
    __slots__ = ("case_id", "clue_id", "clue_number", "subjects", "findings", "handling_office", "proposed_by", "origin_case_id", "liaison_office", "by_person")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    CLUE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    SUBJECTS_FIELD_NUMBER: _ClassVar[int]
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    HANDLING_OFFICE_FIELD_NUMBER: _ClassVar[int]
    PROPOSED_BY_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_CASE_ID_FIELD_NUMBER: _ClassVar[int]
    LIAISON_OFFICE_FIELD_NUMBER: _ClassVar[int]
    BY_PERSON_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    clue_id: str
    clue_number: str
    subjects: _containers.RepeatedCompositeFieldContainer[_identity_pb2.PersonRef]
    findings: str
    handling_office: str
    proposed_by: str
    origin_case_id: str
    liaison_office: str
    by_person: bool
    def __init__(self, case_id: _Optional[str] = ..., clue_id: _Optional[str] = ..., clue_number: _Optional[str] = ..., subjects: _Optional[_Iterable[_Union[_identity_pb2.PersonRef, _Mapping]]] = ..., findings: _Optional[str] = ..., handling_office: _Optional[str] = ..., proposed_by: _Optional[str] = ..., origin_case_id: _Optional[str] = ..., liaison_office: _Optional[str] = ..., by_person: _Optional[bool] = ...) -> None: ...

class SubjectAtIssue(_message.Message):
    __slots__ = ("person_id", "at_issue")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    AT_ISSUE_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    at_issue: AtIssue
    def __init__(self, person_id: _Optional[str] = ..., at_issue: _Optional[_Union[AtIssue, str]] = ...) -> None: ...

class FilingPrepared(_message.Message):
    __slots__ = ("case_id", "person_facts", "at_issue", "serious", "sides", "managed", "commission_level", "prepared_by", "escalated_to", "facts_reason")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_FACTS_FIELD_NUMBER: _ClassVar[int]
    AT_ISSUE_FIELD_NUMBER: _ClassVar[int]
    SERIOUS_FIELD_NUMBER: _ClassVar[int]
    SIDES_FIELD_NUMBER: _ClassVar[int]
    MANAGED_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_LEVEL_FIELD_NUMBER: _ClassVar[int]
    PREPARED_BY_FIELD_NUMBER: _ClassVar[int]
    ESCALATED_TO_FIELD_NUMBER: _ClassVar[int]
    FACTS_REASON_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    person_facts: _containers.RepeatedCompositeFieldContainer[_person_pb2.PersonFacts]
    at_issue: _containers.RepeatedCompositeFieldContainer[SubjectAtIssue]
    serious: bool
    sides: _containers.RepeatedScalarFieldContainer[FilingSide]
    managed: _containers.RepeatedScalarFieldContainer[str]
    commission_level: CommissionLevel
    prepared_by: str
    escalated_to: str
    facts_reason: str
    def __init__(self, case_id: _Optional[str] = ..., person_facts: _Optional[_Iterable[_Union[_person_pb2.PersonFacts, _Mapping]]] = ..., at_issue: _Optional[_Iterable[_Union[SubjectAtIssue, _Mapping]]] = ..., serious: _Optional[bool] = ..., sides: _Optional[_Iterable[_Union[FilingSide, str]]] = ..., managed: _Optional[_Iterable[str]] = ..., commission_level: _Optional[_Union[CommissionLevel, str]] = ..., prepared_by: _Optional[str] = ..., escalated_to: _Optional[str] = ..., facts_reason: _Optional[str] = ...) -> None: ...

class TopicMeetingHeld(_message.Message):
    __slots__ = ("case_id", "meeting", "recorded_by")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    MEETING_FIELD_NUMBER: _ClassVar[int]
    RECORDED_BY_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    meeting: _meeting_pb2.CollectiveDecision
    recorded_by: str
    def __init__(self, case_id: _Optional[str] = ..., meeting: _Optional[_Union[_meeting_pb2.CollectiveDecision, _Mapping]] = ..., recorded_by: _Optional[str] = ...) -> None: ...

class FilingApproved(_message.Message):
    __slots__ = ("case_id", "side", "approver_role", "approved_by", "plan", "report")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    APPROVER_ROLE_FIELD_NUMBER: _ClassVar[int]
    APPROVED_BY_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    REPORT_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    side: FilingSide
    approver_role: str
    approved_by: str
    plan: str
    report: str
    def __init__(self, case_id: _Optional[str] = ..., side: _Optional[_Union[FilingSide, str]] = ..., approver_role: _Optional[str] = ..., approved_by: _Optional[str] = ..., plan: _Optional[str] = ..., report: _Optional[str] = ...) -> None: ...

class CaseFiled(_message.Message):
    __slots__ = ("case_id", "clue_id", "filed_at", "subjects", "handling_office", "simple", "origin_case_id")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    FILED_AT_FIELD_NUMBER: _ClassVar[int]
    SUBJECTS_FIELD_NUMBER: _ClassVar[int]
    HANDLING_OFFICE_FIELD_NUMBER: _ClassVar[int]
    SIMPLE_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_CASE_ID_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    clue_id: str
    filed_at: _timestamp_pb2.Timestamp
    subjects: _containers.RepeatedCompositeFieldContainer[_identity_pb2.PersonRef]
    handling_office: str
    simple: bool
    origin_case_id: str
    def __init__(self, case_id: _Optional[str] = ..., clue_id: _Optional[str] = ..., filed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., subjects: _Optional[_Iterable[_Union[_identity_pb2.PersonRef, _Mapping]]] = ..., handling_office: _Optional[str] = ..., simple: _Optional[bool] = ..., origin_case_id: _Optional[str] = ...) -> None: ...

class FilingRejected(_message.Message):
    __slots__ = ("clue_id", "reason", "rejected_at", "case_id", "rejected_by")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REJECTED_AT_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    REJECTED_BY_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    reason: str
    rejected_at: _timestamp_pb2.Timestamp
    case_id: str
    rejected_by: str
    def __init__(self, clue_id: _Optional[str] = ..., reason: _Optional[str] = ..., rejected_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., case_id: _Optional[str] = ..., rejected_by: _Optional[str] = ...) -> None: ...

class InvestigationStarted(_message.Message):
    __slots__ = ("case_id", "announced_at", "unit_notified_at", "started_by", "family_notified_at", "published_at")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    ANNOUNCED_AT_FIELD_NUMBER: _ClassVar[int]
    UNIT_NOTIFIED_AT_FIELD_NUMBER: _ClassVar[int]
    STARTED_BY_FIELD_NUMBER: _ClassVar[int]
    FAMILY_NOTIFIED_AT_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_AT_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    announced_at: _timestamp_pb2.Timestamp
    unit_notified_at: _timestamp_pb2.Timestamp
    started_by: str
    family_notified_at: _timestamp_pb2.Timestamp
    published_at: _timestamp_pb2.Timestamp
    def __init__(self, case_id: _Optional[str] = ..., announced_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., unit_notified_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., started_by: _Optional[str] = ..., family_notified_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., published_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SentToTrialReview(_message.Message):
    __slots__ = ("case_id", "report", "sent_by", "accepted_at", "due")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    REPORT_FIELD_NUMBER: _ClassVar[int]
    SENT_BY_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_AT_FIELD_NUMBER: _ClassVar[int]
    DUE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    report: str
    sent_by: str
    accepted_at: _timestamp_pb2.Timestamp
    due: _timestamp_pb2.Timestamp
    def __init__(self, case_id: _Optional[str] = ..., report: _Optional[str] = ..., sent_by: _Optional[str] = ..., accepted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class TrialReviewReturnProposed(_message.Message):
    __slots__ = ("case_id", "to", "reason", "proposed_by")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    PROPOSED_BY_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    to: ReturnTarget
    reason: str
    proposed_by: str
    def __init__(self, case_id: _Optional[str] = ..., to: _Optional[_Union[ReturnTarget, str]] = ..., reason: _Optional[str] = ..., proposed_by: _Optional[str] = ...) -> None: ...

class TrialReviewReturned(_message.Message):
    __slots__ = ("case_id", "to", "reason", "returned_by", "approved_by", "approver_role")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    RETURNED_BY_FIELD_NUMBER: _ClassVar[int]
    APPROVED_BY_FIELD_NUMBER: _ClassVar[int]
    APPROVER_ROLE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    to: ReturnTarget
    reason: str
    returned_by: str
    approved_by: str
    approver_role: str
    def __init__(self, case_id: _Optional[str] = ..., to: _Optional[_Union[ReturnTarget, str]] = ..., reason: _Optional[str] = ..., returned_by: _Optional[str] = ..., approved_by: _Optional[str] = ..., approver_role: _Optional[str] = ...) -> None: ...

class TrialReviewReturnRejected(_message.Message):
    __slots__ = ("case_id", "to", "reason", "rejected_by", "approver_role")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REJECTED_BY_FIELD_NUMBER: _ClassVar[int]
    APPROVER_ROLE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    to: ReturnTarget
    reason: str
    rejected_by: str
    approver_role: str
    def __init__(self, case_id: _Optional[str] = ..., to: _Optional[_Union[ReturnTarget, str]] = ..., reason: _Optional[str] = ..., rejected_by: _Optional[str] = ..., approver_role: _Optional[str] = ...) -> None: ...

class TrialReviewExtended(_message.Message):
    __slots__ = ("case_id", "due", "reason", "approved_by", "approver_role")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    DUE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    APPROVED_BY_FIELD_NUMBER: _ClassVar[int]
    APPROVER_ROLE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    due: _timestamp_pb2.Timestamp
    reason: str
    approved_by: str
    approver_role: str
    def __init__(self, case_id: _Optional[str] = ..., due: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reason: _Optional[str] = ..., approved_by: _Optional[str] = ..., approver_role: _Optional[str] = ...) -> None: ...

class TrialReviewOverdue(_message.Message):
    __slots__ = ("case_id", "due")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    DUE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    due: _timestamp_pb2.Timestamp
    def __init__(self, case_id: _Optional[str] = ..., due: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class InvestigationWarningRaised(_message.Message):
    __slots__ = ("case_id", "stage", "round", "colour", "started_at", "due")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    ROUND_FIELD_NUMBER: _ClassVar[int]
    COLOUR_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    DUE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    stage: str
    round: int
    colour: str
    started_at: _timestamp_pb2.Timestamp
    due: _timestamp_pb2.Timestamp
    def __init__(self, case_id: _Optional[str] = ..., stage: _Optional[str] = ..., round: _Optional[int] = ..., colour: _Optional[str] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class TrialReviewConcluded(_message.Message):
    __slots__ = ("case_id", "proposals", "reviewed_by", "sanctions")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    PROPOSALS_FIELD_NUMBER: _ClassVar[int]
    REVIEWED_BY_FIELD_NUMBER: _ClassVar[int]
    SANCTIONS_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    proposals: _containers.RepeatedCompositeFieldContainer[Outcome]
    reviewed_by: str
    sanctions: _containers.RepeatedCompositeFieldContainer[PersonSanctions]
    def __init__(self, case_id: _Optional[str] = ..., proposals: _Optional[_Iterable[_Union[Outcome, _Mapping]]] = ..., reviewed_by: _Optional[str] = ..., sanctions: _Optional[_Iterable[_Union[PersonSanctions, _Mapping]]] = ...) -> None: ...

class SubjectHeard(_message.Message):
    __slots__ = ("case_id", "person_id", "statement", "heard_by", "proposals", "sanctions")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    STATEMENT_FIELD_NUMBER: _ClassVar[int]
    HEARD_BY_FIELD_NUMBER: _ClassVar[int]
    PROPOSALS_FIELD_NUMBER: _ClassVar[int]
    SANCTIONS_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    person_id: str
    statement: str
    heard_by: str
    proposals: _containers.RepeatedCompositeFieldContainer[Outcome]
    sanctions: _containers.RepeatedCompositeFieldContainer[PersonSanctions]
    def __init__(self, case_id: _Optional[str] = ..., person_id: _Optional[str] = ..., statement: _Optional[str] = ..., heard_by: _Optional[str] = ..., proposals: _Optional[_Iterable[_Union[Outcome, _Mapping]]] = ..., sanctions: _Optional[_Iterable[_Union[PersonSanctions, _Mapping]]] = ...) -> None: ...

class RehearingRequired(_message.Message):
    __slots__ = ("case_id", "persons", "sanctions", "deliberation", "recorded_by", "decided_at")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    PERSONS_FIELD_NUMBER: _ClassVar[int]
    SANCTIONS_FIELD_NUMBER: _ClassVar[int]
    DELIBERATION_FIELD_NUMBER: _ClassVar[int]
    RECORDED_BY_FIELD_NUMBER: _ClassVar[int]
    DECIDED_AT_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    persons: _containers.RepeatedScalarFieldContainer[str]
    sanctions: _containers.RepeatedCompositeFieldContainer[PersonSanctions]
    deliberation: _meeting_pb2.CollectiveDecision
    recorded_by: str
    decided_at: _timestamp_pb2.Timestamp
    def __init__(self, case_id: _Optional[str] = ..., persons: _Optional[_Iterable[str]] = ..., sanctions: _Optional[_Iterable[_Union[PersonSanctions, _Mapping]]] = ..., deliberation: _Optional[_Union[_meeting_pb2.CollectiveDecision, _Mapping]] = ..., recorded_by: _Optional[str] = ..., decided_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CaseDisposed(_message.Message):
    __slots__ = ("case_id", "outcomes", "decided_by", "decided_at", "transfer", "sanctions", "facts", "deliberation", "consultations", "facts_reason")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    DECIDED_AT_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_FIELD_NUMBER: _ClassVar[int]
    SANCTIONS_FIELD_NUMBER: _ClassVar[int]
    FACTS_FIELD_NUMBER: _ClassVar[int]
    DELIBERATION_FIELD_NUMBER: _ClassVar[int]
    CONSULTATIONS_FIELD_NUMBER: _ClassVar[int]
    FACTS_REASON_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    outcomes: _containers.RepeatedCompositeFieldContainer[Outcome]
    decided_by: str
    decided_at: _timestamp_pb2.Timestamp
    transfer: _containers.RepeatedCompositeFieldContainer[TransferDocument]
    sanctions: _containers.RepeatedCompositeFieldContainer[PersonSanctions]
    facts: _containers.RepeatedCompositeFieldContainer[_person_pb2.PersonFacts]
    deliberation: _meeting_pb2.CollectiveDecision
    consultations: _containers.RepeatedCompositeFieldContainer[_meeting_pb2.Consultation]
    facts_reason: str
    def __init__(self, case_id: _Optional[str] = ..., outcomes: _Optional[_Iterable[_Union[Outcome, _Mapping]]] = ..., decided_by: _Optional[str] = ..., decided_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., transfer: _Optional[_Iterable[_Union[TransferDocument, _Mapping]]] = ..., sanctions: _Optional[_Iterable[_Union[PersonSanctions, _Mapping]]] = ..., facts: _Optional[_Iterable[_Union[_person_pb2.PersonFacts, _Mapping]]] = ..., deliberation: _Optional[_Union[_meeting_pb2.CollectiveDecision, _Mapping]] = ..., consultations: _Optional[_Iterable[_Union[_meeting_pb2.Consultation, _Mapping]]] = ..., facts_reason: _Optional[str] = ...) -> None: ...

class CaseWithdrawn(_message.Message):
    __slots__ = ("case_id", "reason", "withdrawn_by", "unit_told_at")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    WITHDRAWN_BY_FIELD_NUMBER: _ClassVar[int]
    UNIT_TOLD_AT_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    reason: str
    withdrawn_by: str
    unit_told_at: _timestamp_pb2.Timestamp
    def __init__(self, case_id: _Optional[str] = ..., reason: _Optional[str] = ..., withdrawn_by: _Optional[str] = ..., unit_told_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AccountabilityCaseOpened(_message.Message):
    __slots__ = ("case_id", "accountability_case_id", "reason", "opened_by")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNTABILITY_CASE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    OPENED_BY_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    accountability_case_id: str
    reason: str
    opened_by: str
    def __init__(self, case_id: _Optional[str] = ..., accountability_case_id: _Optional[str] = ..., reason: _Optional[str] = ..., opened_by: _Optional[str] = ...) -> None: ...

class ActivityRecorded(_message.Message):
    __slots__ = ("case_id", "activity", "recording", "recorded_by", "measure_id")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_FIELD_NUMBER: _ClassVar[int]
    RECORDING_FIELD_NUMBER: _ClassVar[int]
    RECORDED_BY_FIELD_NUMBER: _ClassVar[int]
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    activity: RecordedActivity
    recording: _recording_pb2.RecordingRef
    recorded_by: str
    measure_id: str
    def __init__(self, case_id: _Optional[str] = ..., activity: _Optional[_Union[RecordedActivity, str]] = ..., recording: _Optional[_Union[_recording_pb2.RecordingRef, _Mapping]] = ..., recorded_by: _Optional[str] = ..., measure_id: _Optional[str] = ...) -> None: ...

class QualityReviewed(_message.Message):
    __slots__ = ("case_id", "grade", "criteria", "reviewed_by")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    GRADE_FIELD_NUMBER: _ClassVar[int]
    CRITERIA_FIELD_NUMBER: _ClassVar[int]
    REVIEWED_BY_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    grade: QualityGrade
    criteria: _containers.RepeatedCompositeFieldContainer[Criterion]
    reviewed_by: str
    def __init__(self, case_id: _Optional[str] = ..., grade: _Optional[_Union[QualityGrade, str]] = ..., criteria: _Optional[_Iterable[_Union[Criterion, _Mapping]]] = ..., reviewed_by: _Optional[str] = ...) -> None: ...

class CaseHandOverProposed(_message.Message):
    __slots__ = ("case_id", "from_office", "to_office", "reason", "proposed_by")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_OFFICE_FIELD_NUMBER: _ClassVar[int]
    TO_OFFICE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    PROPOSED_BY_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    from_office: str
    to_office: str
    reason: str
    proposed_by: str
    def __init__(self, case_id: _Optional[str] = ..., from_office: _Optional[str] = ..., to_office: _Optional[str] = ..., reason: _Optional[str] = ..., proposed_by: _Optional[str] = ...) -> None: ...

class CaseHandedOver(_message.Message):
    __slots__ = ("case_id", "from_office", "to_office", "approved_by", "approver_role")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_OFFICE_FIELD_NUMBER: _ClassVar[int]
    TO_OFFICE_FIELD_NUMBER: _ClassVar[int]
    APPROVED_BY_FIELD_NUMBER: _ClassVar[int]
    APPROVER_ROLE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    from_office: str
    to_office: str
    approved_by: str
    approver_role: str
    def __init__(self, case_id: _Optional[str] = ..., from_office: _Optional[str] = ..., to_office: _Optional[str] = ..., approved_by: _Optional[str] = ..., approver_role: _Optional[str] = ...) -> None: ...

class CaseHandOverRejected(_message.Message):
    __slots__ = ("case_id", "to_office", "reason", "rejected_by", "approver_role")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    TO_OFFICE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REJECTED_BY_FIELD_NUMBER: _ClassVar[int]
    APPROVER_ROLE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    to_office: str
    reason: str
    rejected_by: str
    approver_role: str
    def __init__(self, case_id: _Optional[str] = ..., to_office: _Optional[str] = ..., reason: _Optional[str] = ..., rejected_by: _Optional[str] = ..., approver_role: _Optional[str] = ...) -> None: ...

class ReturnedForSupplementaryInvestigation(_message.Message):
    __slots__ = ("case_id", "person_id", "round", "document", "returned_at", "due", "reported_by", "agency", "office", "role")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    ROUND_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    RETURNED_AT_FIELD_NUMBER: _ClassVar[int]
    DUE_FIELD_NUMBER: _ClassVar[int]
    REPORTED_BY_FIELD_NUMBER: _ClassVar[int]
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    person_id: str
    round: int
    document: DocumentRef
    returned_at: _timestamp_pb2.Timestamp
    due: _timestamp_pb2.Timestamp
    reported_by: str
    agency: str
    office: str
    role: str
    def __init__(self, case_id: _Optional[str] = ..., person_id: _Optional[str] = ..., round: _Optional[int] = ..., document: _Optional[_Union[DocumentRef, _Mapping]] = ..., returned_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reported_by: _Optional[str] = ..., agency: _Optional[str] = ..., office: _Optional[str] = ..., role: _Optional[str] = ...) -> None: ...

class SupplementaryInvestigationCompleted(_message.Message):
    __slots__ = ("case_id", "person_id", "round", "document", "completed_at", "completed_by", "late")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    ROUND_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_BY_FIELD_NUMBER: _ClassVar[int]
    LATE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    person_id: str
    round: int
    document: DocumentRef
    completed_at: _timestamp_pb2.Timestamp
    completed_by: str
    late: bool
    def __init__(self, case_id: _Optional[str] = ..., person_id: _Optional[str] = ..., round: _Optional[int] = ..., document: _Optional[_Union[DocumentRef, _Mapping]] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., completed_by: _Optional[str] = ..., late: _Optional[bool] = ...) -> None: ...

class SupplementaryInvestigationWarning(_message.Message):
    __slots__ = ("case_id", "person_id", "round", "colour", "due")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    ROUND_FIELD_NUMBER: _ClassVar[int]
    COLOUR_FIELD_NUMBER: _ClassVar[int]
    DUE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    person_id: str
    round: int
    colour: str
    due: _timestamp_pb2.Timestamp
    def __init__(self, case_id: _Optional[str] = ..., person_id: _Optional[str] = ..., round: _Optional[int] = ..., colour: _Optional[str] = ..., due: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ProsecutionDecisionReported(_message.Message):
    __slots__ = ("case_id", "person_id", "decision", "document", "decided_at", "due", "late", "reported_by", "agency", "office", "role")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    DECIDED_AT_FIELD_NUMBER: _ClassVar[int]
    DUE_FIELD_NUMBER: _ClassVar[int]
    LATE_FIELD_NUMBER: _ClassVar[int]
    REPORTED_BY_FIELD_NUMBER: _ClassVar[int]
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    person_id: str
    decision: str
    document: DocumentRef
    decided_at: _timestamp_pb2.Timestamp
    due: _timestamp_pb2.Timestamp
    late: bool
    reported_by: str
    agency: str
    office: str
    role: str
    def __init__(self, case_id: _Optional[str] = ..., person_id: _Optional[str] = ..., decision: _Optional[str] = ..., document: _Optional[_Union[DocumentRef, _Mapping]] = ..., decided_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., late: _Optional[bool] = ..., reported_by: _Optional[str] = ..., agency: _Optional[str] = ..., office: _Optional[str] = ..., role: _Optional[str] = ...) -> None: ...

class NonProsecutionReferred(_message.Message):
    __slots__ = ("case_id", "person_id", "document", "referred_at", "referred_by", "upper_procuratorate")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    REFERRED_AT_FIELD_NUMBER: _ClassVar[int]
    REFERRED_BY_FIELD_NUMBER: _ClassVar[int]
    UPPER_PROCURATORATE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    person_id: str
    document: DocumentRef
    referred_at: _timestamp_pb2.Timestamp
    referred_by: str
    upper_procuratorate: str
    def __init__(self, case_id: _Optional[str] = ..., person_id: _Optional[str] = ..., document: _Optional[_Union[DocumentRef, _Mapping]] = ..., referred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., referred_by: _Optional[str] = ..., upper_procuratorate: _Optional[str] = ...) -> None: ...

class Charge(_message.Message):
    __slots__ = ("crime", "job_crime", "sentence_band")
    CRIME_FIELD_NUMBER: _ClassVar[int]
    JOB_CRIME_FIELD_NUMBER: _ClassVar[int]
    SENTENCE_BAND_FIELD_NUMBER: _ClassVar[int]
    crime: str
    job_crime: bool
    sentence_band: SentenceBand
    def __init__(self, crime: _Optional[str] = ..., job_crime: _Optional[bool] = ..., sentence_band: _Optional[_Union[SentenceBand, str]] = ...) -> None: ...

class CustodyGrounds(_message.Message):
    __slots__ = ("conduct", "risks", "detail")
    CONDUCT_FIELD_NUMBER: _ClassVar[int]
    RISKS_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    conduct: CustodyConduct
    risks: _containers.RepeatedScalarFieldContainer[CustodyRisk]
    detail: str
    def __init__(self, conduct: _Optional[_Union[CustodyConduct, str]] = ..., risks: _Optional[_Iterable[_Union[CustodyRisk, str]]] = ..., detail: _Optional[str] = ...) -> None: ...

class MeasureRequested(_message.Message):
    __slots__ = ("measure_id", "case_id", "kind", "person_id", "office", "reason", "requested_by", "liaison_office", "clue_id", "commission_level", "custody_grounds", "managed", "person_facts")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_BY_FIELD_NUMBER: _ClassVar[int]
    LIAISON_OFFICE_FIELD_NUMBER: _ClassVar[int]
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_LEVEL_FIELD_NUMBER: _ClassVar[int]
    CUSTODY_GROUNDS_FIELD_NUMBER: _ClassVar[int]
    MANAGED_FIELD_NUMBER: _ClassVar[int]
    PERSON_FACTS_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    case_id: str
    kind: MeasureKind
    person_id: str
    office: str
    reason: str
    requested_by: str
    liaison_office: str
    clue_id: str
    commission_level: CommissionLevel
    custody_grounds: CustodyGrounds
    managed: bool
    person_facts: _person_pb2.PersonFacts
    def __init__(self, measure_id: _Optional[str] = ..., case_id: _Optional[str] = ..., kind: _Optional[_Union[MeasureKind, str]] = ..., person_id: _Optional[str] = ..., office: _Optional[str] = ..., reason: _Optional[str] = ..., requested_by: _Optional[str] = ..., liaison_office: _Optional[str] = ..., clue_id: _Optional[str] = ..., commission_level: _Optional[_Union[CommissionLevel, str]] = ..., custody_grounds: _Optional[_Union[CustodyGrounds, _Mapping]] = ..., managed: _Optional[bool] = ..., person_facts: _Optional[_Union[_person_pb2.PersonFacts, _Mapping]] = ...) -> None: ...

class MeasureApproved(_message.Message):
    __slots__ = ("measure_id", "approver_role", "approved_by", "starts_at", "ends_at", "step", "meeting", "commission_level", "national_filing_owed")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    APPROVER_ROLE_FIELD_NUMBER: _ClassVar[int]
    APPROVED_BY_FIELD_NUMBER: _ClassVar[int]
    STARTS_AT_FIELD_NUMBER: _ClassVar[int]
    ENDS_AT_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    MEETING_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_LEVEL_FIELD_NUMBER: _ClassVar[int]
    NATIONAL_FILING_OWED_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    approver_role: str
    approved_by: str
    starts_at: _timestamp_pb2.Timestamp
    ends_at: _timestamp_pb2.Timestamp
    step: str
    meeting: _meeting_pb2.CollectiveDecision
    commission_level: CommissionLevel
    national_filing_owed: bool
    def __init__(self, measure_id: _Optional[str] = ..., approver_role: _Optional[str] = ..., approved_by: _Optional[str] = ..., starts_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ends_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., step: _Optional[str] = ..., meeting: _Optional[_Union[_meeting_pb2.CollectiveDecision, _Mapping]] = ..., commission_level: _Optional[_Union[CommissionLevel, str]] = ..., national_filing_owed: _Optional[bool] = ...) -> None: ...

class MeasureFiledWithNational(_message.Message):
    __slots__ = ("measure_id", "filed_at", "reference", "filed_by")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    FILED_AT_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    FILED_BY_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    filed_at: _timestamp_pb2.Timestamp
    reference: str
    filed_by: str
    def __init__(self, measure_id: _Optional[str] = ..., filed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reference: _Optional[str] = ..., filed_by: _Optional[str] = ...) -> None: ...

class MeasureApprovalGiven(_message.Message):
    __slots__ = ("measure_id", "step", "approver_role", "approved_by", "meeting", "commission_level")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    APPROVER_ROLE_FIELD_NUMBER: _ClassVar[int]
    APPROVED_BY_FIELD_NUMBER: _ClassVar[int]
    MEETING_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_LEVEL_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    step: str
    approver_role: str
    approved_by: str
    meeting: _meeting_pb2.CollectiveDecision
    commission_level: CommissionLevel
    def __init__(self, measure_id: _Optional[str] = ..., step: _Optional[str] = ..., approver_role: _Optional[str] = ..., approved_by: _Optional[str] = ..., meeting: _Optional[_Union[_meeting_pb2.CollectiveDecision, _Mapping]] = ..., commission_level: _Optional[_Union[CommissionLevel, str]] = ...) -> None: ...

class MeasureRefused(_message.Message):
    __slots__ = ("measure_id", "reason", "refused_by", "approver_role")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REFUSED_BY_FIELD_NUMBER: _ClassVar[int]
    APPROVER_ROLE_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    reason: str
    refused_by: str
    approver_role: str
    def __init__(self, measure_id: _Optional[str] = ..., reason: _Optional[str] = ..., refused_by: _Optional[str] = ..., approver_role: _Optional[str] = ...) -> None: ...

class DetentionNoticeGiven(_message.Message):
    __slots__ = ("measure_id", "unit_notified_at", "family_notified_at", "given_by")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    UNIT_NOTIFIED_AT_FIELD_NUMBER: _ClassVar[int]
    FAMILY_NOTIFIED_AT_FIELD_NUMBER: _ClassVar[int]
    GIVEN_BY_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    unit_notified_at: _timestamp_pb2.Timestamp
    family_notified_at: _timestamp_pb2.Timestamp
    given_by: str
    def __init__(self, measure_id: _Optional[str] = ..., unit_notified_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., family_notified_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., given_by: _Optional[str] = ...) -> None: ...

class DetentionNoticeOverdue(_message.Message):
    __slots__ = ("measure_id", "due")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    DUE_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    due: _timestamp_pb2.Timestamp
    def __init__(self, measure_id: _Optional[str] = ..., due: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class MeasureExtended(_message.Message):
    __slots__ = ("measure_id", "ends_at", "reason", "approver_role", "approved_by", "special", "charge", "followed_by")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    ENDS_AT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    APPROVER_ROLE_FIELD_NUMBER: _ClassVar[int]
    APPROVED_BY_FIELD_NUMBER: _ClassVar[int]
    SPECIAL_FIELD_NUMBER: _ClassVar[int]
    CHARGE_FIELD_NUMBER: _ClassVar[int]
    FOLLOWED_BY_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    ends_at: _timestamp_pb2.Timestamp
    reason: str
    approver_role: str
    approved_by: str
    special: bool
    charge: Charge
    followed_by: str
    def __init__(self, measure_id: _Optional[str] = ..., ends_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reason: _Optional[str] = ..., approver_role: _Optional[str] = ..., approved_by: _Optional[str] = ..., special: _Optional[bool] = ..., charge: _Optional[_Union[Charge, _Mapping]] = ..., followed_by: _Optional[str] = ...) -> None: ...

class DetentionRecounted(_message.Message):
    __slots__ = ("measure_id", "discovered_at", "ends_at", "ground", "charge", "reason", "approver_role", "approved_by")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    DISCOVERED_AT_FIELD_NUMBER: _ClassVar[int]
    ENDS_AT_FIELD_NUMBER: _ClassVar[int]
    GROUND_FIELD_NUMBER: _ClassVar[int]
    CHARGE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    APPROVER_ROLE_FIELD_NUMBER: _ClassVar[int]
    APPROVED_BY_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    discovered_at: _timestamp_pb2.Timestamp
    ends_at: _timestamp_pb2.Timestamp
    ground: str
    charge: Charge
    reason: str
    approver_role: str
    approved_by: str
    def __init__(self, measure_id: _Optional[str] = ..., discovered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ends_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ground: _Optional[str] = ..., charge: _Optional[_Union[Charge, _Mapping]] = ..., reason: _Optional[str] = ..., approver_role: _Optional[str] = ..., approved_by: _Optional[str] = ...) -> None: ...

class MeasureExpiring(_message.Message):
    __slots__ = ("measure_id", "ends_at")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    ENDS_AT_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    ends_at: _timestamp_pb2.Timestamp
    def __init__(self, measure_id: _Optional[str] = ..., ends_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class MeasureExpired(_message.Message):
    __slots__ = ("measure_id", "ends_at")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    ENDS_AT_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    ends_at: _timestamp_pb2.Timestamp
    def __init__(self, measure_id: _Optional[str] = ..., ends_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class MeasureAttachedToCase(_message.Message):
    __slots__ = ("measure_id", "case_id", "clue_id")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    case_id: str
    clue_id: str
    def __init__(self, measure_id: _Optional[str] = ..., case_id: _Optional[str] = ..., clue_id: _Optional[str] = ...) -> None: ...

class MeasureEnded(_message.Message):
    __slots__ = ("measure_id", "outcome", "reason", "ended_by", "ended_at", "converted_to", "recording")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ENDED_BY_FIELD_NUMBER: _ClassVar[int]
    ENDED_AT_FIELD_NUMBER: _ClassVar[int]
    CONVERTED_TO_FIELD_NUMBER: _ClassVar[int]
    RECORDING_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    outcome: MeasureOutcome
    reason: str
    ended_by: str
    ended_at: _timestamp_pb2.Timestamp
    converted_to: str
    recording: _recording_pb2.RecordingRef
    def __init__(self, measure_id: _Optional[str] = ..., outcome: _Optional[_Union[MeasureOutcome, str]] = ..., reason: _Optional[str] = ..., ended_by: _Optional[str] = ..., ended_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., converted_to: _Optional[str] = ..., recording: _Optional[_Union[_recording_pb2.RecordingRef, _Mapping]] = ...) -> None: ...

class DocumentRef(_message.Message):
    __slots__ = ("title", "sha256")
    TITLE_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    title: str
    sha256: str
    def __init__(self, title: _Optional[str] = ..., sha256: _Optional[str] = ...) -> None: ...

class ExecutingStaff(_message.Message):
    __slots__ = ("name", "id_number", "sex")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ID_NUMBER_FIELD_NUMBER: _ClassVar[int]
    SEX_FIELD_NUMBER: _ClassVar[int]
    name: str
    id_number: str
    sex: Sex
    def __init__(self, name: _Optional[str] = ..., id_number: _Optional[str] = ..., sex: _Optional[_Union[Sex, str]] = ...) -> None: ...

class MeasureExecuted(_message.Message):
    __slots__ = ("measure_id", "staff", "written_notice", "signed_record", "executed_at", "recorded_by", "warrant", "witnesses", "searched_sex")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    STAFF_FIELD_NUMBER: _ClassVar[int]
    WRITTEN_NOTICE_FIELD_NUMBER: _ClassVar[int]
    SIGNED_RECORD_FIELD_NUMBER: _ClassVar[int]
    EXECUTED_AT_FIELD_NUMBER: _ClassVar[int]
    RECORDED_BY_FIELD_NUMBER: _ClassVar[int]
    WARRANT_FIELD_NUMBER: _ClassVar[int]
    WITNESSES_FIELD_NUMBER: _ClassVar[int]
    SEARCHED_SEX_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    staff: _containers.RepeatedCompositeFieldContainer[ExecutingStaff]
    written_notice: DocumentRef
    signed_record: DocumentRef
    executed_at: _timestamp_pb2.Timestamp
    recorded_by: str
    warrant: DocumentRef
    witnesses: _containers.RepeatedScalarFieldContainer[str]
    searched_sex: Sex
    def __init__(self, measure_id: _Optional[str] = ..., staff: _Optional[_Iterable[_Union[ExecutingStaff, _Mapping]]] = ..., written_notice: _Optional[_Union[DocumentRef, _Mapping]] = ..., signed_record: _Optional[_Union[DocumentRef, _Mapping]] = ..., executed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., recorded_by: _Optional[str] = ..., warrant: _Optional[_Union[DocumentRef, _Mapping]] = ..., witnesses: _Optional[_Iterable[str]] = ..., searched_sex: _Optional[_Union[Sex, str]] = ...) -> None: ...

class NoticeDeferred(_message.Message):
    __slots__ = ("measure_id", "reason", "approved_by", "approver_role", "deferred_at")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    APPROVED_BY_FIELD_NUMBER: _ClassVar[int]
    APPROVER_ROLE_FIELD_NUMBER: _ClassVar[int]
    DEFERRED_AT_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    reason: str
    approved_by: str
    approver_role: str
    deferred_at: _timestamp_pb2.Timestamp
    def __init__(self, measure_id: _Optional[str] = ..., reason: _Optional[str] = ..., approved_by: _Optional[str] = ..., approver_role: _Optional[str] = ..., deferred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class NoticeDeferralEnded(_message.Message):
    __slots__ = ("measure_id", "reason", "ended_by", "ended_at")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ENDED_BY_FIELD_NUMBER: _ClassVar[int]
    ENDED_AT_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    reason: str
    ended_by: str
    ended_at: _timestamp_pb2.Timestamp
    def __init__(self, measure_id: _Optional[str] = ..., reason: _Optional[str] = ..., ended_by: _Optional[str] = ..., ended_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ReleaseNoticeGiven(_message.Message):
    __slots__ = ("measure_id", "unit_notified_at", "family_notified_at", "given_by")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    UNIT_NOTIFIED_AT_FIELD_NUMBER: _ClassVar[int]
    FAMILY_NOTIFIED_AT_FIELD_NUMBER: _ClassVar[int]
    GIVEN_BY_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    unit_notified_at: _timestamp_pb2.Timestamp
    family_notified_at: _timestamp_pb2.Timestamp
    given_by: str
    def __init__(self, measure_id: _Optional[str] = ..., unit_notified_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., family_notified_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., given_by: _Optional[str] = ...) -> None: ...

class MeasureChangeRequested(_message.Message):
    __slots__ = ("measure_id", "change_id", "applicant", "applicant_name", "asked", "grounds", "received_at", "due", "recorded_by")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    CHANGE_ID_FIELD_NUMBER: _ClassVar[int]
    APPLICANT_FIELD_NUMBER: _ClassVar[int]
    APPLICANT_NAME_FIELD_NUMBER: _ClassVar[int]
    ASKED_FIELD_NUMBER: _ClassVar[int]
    GROUNDS_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    DUE_FIELD_NUMBER: _ClassVar[int]
    RECORDED_BY_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    change_id: str
    applicant: ChangeApplicant
    applicant_name: str
    asked: ChangeAsked
    grounds: str
    received_at: _timestamp_pb2.Timestamp
    due: _timestamp_pb2.Timestamp
    recorded_by: str
    def __init__(self, measure_id: _Optional[str] = ..., change_id: _Optional[str] = ..., applicant: _Optional[_Union[ChangeApplicant, str]] = ..., applicant_name: _Optional[str] = ..., asked: _Optional[_Union[ChangeAsked, str]] = ..., grounds: _Optional[str] = ..., received_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., recorded_by: _Optional[str] = ...) -> None: ...

class MeasureChangeDecided(_message.Message):
    __slots__ = ("measure_id", "change_id", "granted", "reasons", "decided_by", "decider_role", "decided_at")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    CHANGE_ID_FIELD_NUMBER: _ClassVar[int]
    GRANTED_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    DECIDER_ROLE_FIELD_NUMBER: _ClassVar[int]
    DECIDED_AT_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    change_id: str
    granted: bool
    reasons: str
    decided_by: str
    decider_role: str
    decided_at: _timestamp_pb2.Timestamp
    def __init__(self, measure_id: _Optional[str] = ..., change_id: _Optional[str] = ..., granted: _Optional[bool] = ..., reasons: _Optional[str] = ..., decided_by: _Optional[str] = ..., decider_role: _Optional[str] = ..., decided_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class MeasureChangeOverdue(_message.Message):
    __slots__ = ("measure_id", "change_id", "due")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    CHANGE_ID_FIELD_NUMBER: _ClassVar[int]
    DUE_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    change_id: str
    due: _timestamp_pb2.Timestamp
    def __init__(self, measure_id: _Optional[str] = ..., change_id: _Optional[str] = ..., due: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CustodyTransferred(_message.Message):
    __slots__ = ("measure_id", "document", "taken_at", "recorded_by", "recorder_role", "detention_days", "control_offset_days", "prison_offset_days")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    TAKEN_AT_FIELD_NUMBER: _ClassVar[int]
    RECORDED_BY_FIELD_NUMBER: _ClassVar[int]
    RECORDER_ROLE_FIELD_NUMBER: _ClassVar[int]
    DETENTION_DAYS_FIELD_NUMBER: _ClassVar[int]
    CONTROL_OFFSET_DAYS_FIELD_NUMBER: _ClassVar[int]
    PRISON_OFFSET_DAYS_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    document: DocumentRef
    taken_at: _timestamp_pb2.Timestamp
    recorded_by: str
    recorder_role: str
    detention_days: int
    control_offset_days: int
    prison_offset_days: int
    def __init__(self, measure_id: _Optional[str] = ..., document: _Optional[_Union[DocumentRef, _Mapping]] = ..., taken_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., recorded_by: _Optional[str] = ..., recorder_role: _Optional[str] = ..., detention_days: _Optional[int] = ..., control_offset_days: _Optional[int] = ..., prison_offset_days: _Optional[int] = ...) -> None: ...

class MeasureFoundUnrelated(_message.Message):
    __slots__ = ("measure_id", "what", "found_at", "found_by", "finder_role", "release_due")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    WHAT_FIELD_NUMBER: _ClassVar[int]
    FOUND_AT_FIELD_NUMBER: _ClassVar[int]
    FOUND_BY_FIELD_NUMBER: _ClassVar[int]
    FINDER_ROLE_FIELD_NUMBER: _ClassVar[int]
    RELEASE_DUE_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    what: str
    found_at: _timestamp_pb2.Timestamp
    found_by: str
    finder_role: str
    release_due: _timestamp_pb2.Timestamp
    def __init__(self, measure_id: _Optional[str] = ..., what: _Optional[str] = ..., found_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., found_by: _Optional[str] = ..., finder_role: _Optional[str] = ..., release_due: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class MeasureReleaseOverdue(_message.Message):
    __slots__ = ("measure_id", "due")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    DUE_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    due: _timestamp_pb2.Timestamp
    def __init__(self, measure_id: _Optional[str] = ..., due: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class MeasureComplaintFiled(_message.Message):
    __slots__ = ("measure_id", "complaint_id", "complainant", "complainant_name", "ground", "detail", "received_at", "due", "recorded_by")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    COMPLAINT_ID_FIELD_NUMBER: _ClassVar[int]
    COMPLAINANT_FIELD_NUMBER: _ClassVar[int]
    COMPLAINANT_NAME_FIELD_NUMBER: _ClassVar[int]
    GROUND_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    DUE_FIELD_NUMBER: _ClassVar[int]
    RECORDED_BY_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    complaint_id: str
    complainant: Complainant
    complainant_name: str
    ground: ComplaintGround
    detail: str
    received_at: _timestamp_pb2.Timestamp
    due: _timestamp_pb2.Timestamp
    recorded_by: str
    def __init__(self, measure_id: _Optional[str] = ..., complaint_id: _Optional[str] = ..., complainant: _Optional[_Union[Complainant, str]] = ..., complainant_name: _Optional[str] = ..., ground: _Optional[_Union[ComplaintGround, str]] = ..., detail: _Optional[str] = ..., received_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., recorded_by: _Optional[str] = ...) -> None: ...

class MeasureComplaintDecided(_message.Message):
    __slots__ = ("measure_id", "complaint_id", "upheld", "reasons", "decided_by", "decider_role", "decided_at", "review", "review_sought_by")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    COMPLAINT_ID_FIELD_NUMBER: _ClassVar[int]
    UPHELD_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    DECIDER_ROLE_FIELD_NUMBER: _ClassVar[int]
    DECIDED_AT_FIELD_NUMBER: _ClassVar[int]
    REVIEW_FIELD_NUMBER: _ClassVar[int]
    REVIEW_SOUGHT_BY_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    complaint_id: str
    upheld: bool
    reasons: str
    decided_by: str
    decider_role: str
    decided_at: _timestamp_pb2.Timestamp
    review: bool
    review_sought_by: _timestamp_pb2.Timestamp
    def __init__(self, measure_id: _Optional[str] = ..., complaint_id: _Optional[str] = ..., upheld: _Optional[bool] = ..., reasons: _Optional[str] = ..., decided_by: _Optional[str] = ..., decider_role: _Optional[str] = ..., decided_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., review: _Optional[bool] = ..., review_sought_by: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class MeasureComplaintReviewSought(_message.Message):
    __slots__ = ("measure_id", "complaint_id", "sought_at", "due", "recorded_by")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    COMPLAINT_ID_FIELD_NUMBER: _ClassVar[int]
    SOUGHT_AT_FIELD_NUMBER: _ClassVar[int]
    DUE_FIELD_NUMBER: _ClassVar[int]
    RECORDED_BY_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    complaint_id: str
    sought_at: _timestamp_pb2.Timestamp
    due: _timestamp_pb2.Timestamp
    recorded_by: str
    def __init__(self, measure_id: _Optional[str] = ..., complaint_id: _Optional[str] = ..., sought_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., recorded_by: _Optional[str] = ...) -> None: ...

class MeasureComplaintOverdue(_message.Message):
    __slots__ = ("measure_id", "complaint_id", "stage", "due")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    COMPLAINT_ID_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    DUE_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    complaint_id: str
    stage: ComplaintStage
    due: _timestamp_pb2.Timestamp
    def __init__(self, measure_id: _Optional[str] = ..., complaint_id: _Optional[str] = ..., stage: _Optional[_Union[ComplaintStage, str]] = ..., due: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PersonFactsReported(_message.Message):
    __slots__ = ("person_id", "agency", "reported", "facts", "document", "reported_by", "reported_at")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    REPORTED_FIELD_NUMBER: _ClassVar[int]
    FACTS_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    REPORTED_BY_FIELD_NUMBER: _ClassVar[int]
    REPORTED_AT_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    agency: str
    reported: _person_pb2.PersonFacts
    facts: _person_pb2.PersonFacts
    document: DocumentRef
    reported_by: str
    reported_at: _timestamp_pb2.Timestamp
    def __init__(self, person_id: _Optional[str] = ..., agency: _Optional[str] = ..., reported: _Optional[_Union[_person_pb2.PersonFacts, _Mapping]] = ..., facts: _Optional[_Union[_person_pb2.PersonFacts, _Mapping]] = ..., document: _Optional[_Union[DocumentRef, _Mapping]] = ..., reported_by: _Optional[str] = ..., reported_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
