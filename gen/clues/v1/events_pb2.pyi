import datetime

from common.v1 import identity_pb2 as _identity_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ClueSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CLUE_SOURCE_UNSPECIFIED: _ClassVar[ClueSource]
    CLUE_SOURCE_PETITION: _ClassVar[ClueSource]
    CLUE_SOURCE_INSPECTION_TOUR: _ClassVar[ClueSource]
    CLUE_SOURCE_SUPERIOR_ASSIGNMENT: _ClassVar[ClueSource]
    CLUE_SOURCE_REPORTING_PLATFORM: _ClassVar[ClueSource]
    CLUE_SOURCE_AUDIT: _ClassVar[ClueSource]
    CLUE_SOURCE_OTHER_AGENCY: _ClassVar[ClueSource]
    CLUE_SOURCE_SELF_DISCOVERED: _ClassVar[ClueSource]

class ClueRouting(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CLUE_ROUTING_UNSPECIFIED: _ClassVar[ClueRouting]
    CLUE_ROUTING_ABOUT_OWN_HEAD: _ClassVar[ClueRouting]
    CLUE_ROUTING_UPPER_LEVEL: _ClassVar[ClueRouting]
    CLUE_ROUTING_OTHER_BODY: _ClassVar[ClueRouting]
    CLUE_ROUTING_NO_JURISDICTION: _ClassVar[ClueRouting]

class LightHandling(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LIGHT_HANDLING_UNSPECIFIED: _ClassVar[LightHandling]
    LIGHT_HANDLING_TALK_REMINDER: _ClassVar[LightHandling]
    LIGHT_HANDLING_CRITICISM_AND_EDUCATION: _ClassVar[LightHandling]
    LIGHT_HANDLING_ORDERED_SELF_EXAMINATION: _ClassVar[LightHandling]
    LIGHT_HANDLING_ADMONISHMENT: _ClassVar[LightHandling]

class RecusalGround(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RECUSAL_GROUND_UNSPECIFIED: _ClassVar[RecusalGround]
    RECUSAL_GROUND_NEAR_RELATIVE: _ClassVar[RecusalGround]
    RECUSAL_GROUND_WITNESS: _ClassVar[RecusalGround]
    RECUSAL_GROUND_INTEREST: _ClassVar[RecusalGround]
    RECUSAL_GROUND_OTHER: _ClassVar[RecusalGround]

class CluePriority(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CLUE_PRIORITY_UNSPECIFIED: _ClassVar[CluePriority]
    CLUE_PRIORITY_SAME_LEVEL_COMMITTEE_CADRE: _ClassVar[CluePriority]
    CLUE_PRIORITY_IMPORTANT_POST: _ClassVar[CluePriority]
    CLUE_PRIORITY_YOUNG_RESERVE_CADRE: _ClassVar[CluePriority]
    CLUE_PRIORITY_FAST_TRACK: _ClassVar[CluePriority]

class WarningColour(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WARNING_COLOUR_UNSPECIFIED: _ClassVar[WarningColour]
    WARNING_COLOUR_GREEN: _ClassVar[WarningColour]
    WARNING_COLOUR_YELLOW: _ClassVar[WarningColour]
    WARNING_COLOUR_RED: _ClassVar[WarningColour]

class DisposalMethod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DISPOSAL_METHOD_UNSPECIFIED: _ClassVar[DisposalMethod]
    DISPOSAL_METHOD_TALK_OR_LETTER: _ClassVar[DisposalMethod]
    DISPOSAL_METHOD_PRELIM_CHECK: _ClassVar[DisposalMethod]
    DISPOSAL_METHOD_SHELVED: _ClassVar[DisposalMethod]
    DISPOSAL_METHOD_CLOSED: _ClassVar[DisposalMethod]

class TalkOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TALK_OUTCOME_UNSPECIFIED: _ClassVar[TalkOutcome]
    TALK_OUTCOME_CLEARED: _ClassVar[TalkOutcome]
    TALK_OUTCOME_LIGHT_HANDLING: _ClassVar[TalkOutcome]
    TALK_OUTCOME_REPEAT: _ClassVar[TalkOutcome]
    TALK_OUTCOME_PRELIM_CHECK: _ClassVar[TalkOutcome]

class ReportProposal(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REPORT_PROPOSAL_UNSPECIFIED: _ClassVar[ReportProposal]
    REPORT_PROPOSAL_FILE_CASE: _ClassVar[ReportProposal]
    REPORT_PROPOSAL_CLOSE: _ClassVar[ReportProposal]
    REPORT_PROPOSAL_TALK_OR_LETTER: _ClassVar[ReportProposal]
    REPORT_PROPOSAL_SHELVE: _ClassVar[ReportProposal]
    REPORT_PROPOSAL_LIGHT_HANDLING: _ClassVar[ReportProposal]
    REPORT_PROPOSAL_HAND_OVER_TO_PARTY_ORGANISATION: _ClassVar[ReportProposal]

class DifferenceKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DIFFERENCE_KIND_UNSPECIFIED: _ClassVar[DifferenceKind]
    DIFFERENCE_KIND_MISSING_FROM_OFFICE: _ClassVar[DifferenceKind]
    DIFFERENCE_KIND_UNKNOWN_TO_CENTRAL: _ClassVar[DifferenceKind]
    DIFFERENCE_KIND_HELD_BY_ANOTHER_OFFICE: _ClassVar[DifferenceKind]
    DIFFERENCE_KIND_STATUS_DIFFERS: _ClassVar[DifferenceKind]
    DIFFERENCE_KIND_ASSIGNED_NOT_DISPOSED: _ClassVar[DifferenceKind]
CLUE_SOURCE_UNSPECIFIED: ClueSource
CLUE_SOURCE_PETITION: ClueSource
CLUE_SOURCE_INSPECTION_TOUR: ClueSource
CLUE_SOURCE_SUPERIOR_ASSIGNMENT: ClueSource
CLUE_SOURCE_REPORTING_PLATFORM: ClueSource
CLUE_SOURCE_AUDIT: ClueSource
CLUE_SOURCE_OTHER_AGENCY: ClueSource
CLUE_SOURCE_SELF_DISCOVERED: ClueSource
CLUE_ROUTING_UNSPECIFIED: ClueRouting
CLUE_ROUTING_ABOUT_OWN_HEAD: ClueRouting
CLUE_ROUTING_UPPER_LEVEL: ClueRouting
CLUE_ROUTING_OTHER_BODY: ClueRouting
CLUE_ROUTING_NO_JURISDICTION: ClueRouting
LIGHT_HANDLING_UNSPECIFIED: LightHandling
LIGHT_HANDLING_TALK_REMINDER: LightHandling
LIGHT_HANDLING_CRITICISM_AND_EDUCATION: LightHandling
LIGHT_HANDLING_ORDERED_SELF_EXAMINATION: LightHandling
LIGHT_HANDLING_ADMONISHMENT: LightHandling
RECUSAL_GROUND_UNSPECIFIED: RecusalGround
RECUSAL_GROUND_NEAR_RELATIVE: RecusalGround
RECUSAL_GROUND_WITNESS: RecusalGround
RECUSAL_GROUND_INTEREST: RecusalGround
RECUSAL_GROUND_OTHER: RecusalGround
CLUE_PRIORITY_UNSPECIFIED: CluePriority
CLUE_PRIORITY_SAME_LEVEL_COMMITTEE_CADRE: CluePriority
CLUE_PRIORITY_IMPORTANT_POST: CluePriority
CLUE_PRIORITY_YOUNG_RESERVE_CADRE: CluePriority
CLUE_PRIORITY_FAST_TRACK: CluePriority
WARNING_COLOUR_UNSPECIFIED: WarningColour
WARNING_COLOUR_GREEN: WarningColour
WARNING_COLOUR_YELLOW: WarningColour
WARNING_COLOUR_RED: WarningColour
DISPOSAL_METHOD_UNSPECIFIED: DisposalMethod
DISPOSAL_METHOD_TALK_OR_LETTER: DisposalMethod
DISPOSAL_METHOD_PRELIM_CHECK: DisposalMethod
DISPOSAL_METHOD_SHELVED: DisposalMethod
DISPOSAL_METHOD_CLOSED: DisposalMethod
TALK_OUTCOME_UNSPECIFIED: TalkOutcome
TALK_OUTCOME_CLEARED: TalkOutcome
TALK_OUTCOME_LIGHT_HANDLING: TalkOutcome
TALK_OUTCOME_REPEAT: TalkOutcome
TALK_OUTCOME_PRELIM_CHECK: TalkOutcome
REPORT_PROPOSAL_UNSPECIFIED: ReportProposal
REPORT_PROPOSAL_FILE_CASE: ReportProposal
REPORT_PROPOSAL_CLOSE: ReportProposal
REPORT_PROPOSAL_TALK_OR_LETTER: ReportProposal
REPORT_PROPOSAL_SHELVE: ReportProposal
REPORT_PROPOSAL_LIGHT_HANDLING: ReportProposal
REPORT_PROPOSAL_HAND_OVER_TO_PARTY_ORGANISATION: ReportProposal
DIFFERENCE_KIND_UNSPECIFIED: DifferenceKind
DIFFERENCE_KIND_MISSING_FROM_OFFICE: DifferenceKind
DIFFERENCE_KIND_UNKNOWN_TO_CENTRAL: DifferenceKind
DIFFERENCE_KIND_HELD_BY_ANOTHER_OFFICE: DifferenceKind
DIFFERENCE_KIND_STATUS_DIFFERS: DifferenceKind
DIFFERENCE_KIND_ASSIGNED_NOT_DISPOSED: DifferenceKind

class ClueRegistered(_message.Message):
    __slots__ = ("clue_id", "source", "subjects", "summary", "receiving_office", "received_at", "has_sealed_informant", "batch_reference", "priority", "routing", "tour_round_id")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SUBJECTS_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    RECEIVING_OFFICE_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    HAS_SEALED_INFORMANT_FIELD_NUMBER: _ClassVar[int]
    BATCH_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    ROUTING_FIELD_NUMBER: _ClassVar[int]
    TOUR_ROUND_ID_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    source: ClueSource
    subjects: _containers.RepeatedCompositeFieldContainer[_identity_pb2.PersonRef]
    summary: str
    receiving_office: _identity_pb2.OfficeRef
    received_at: _timestamp_pb2.Timestamp
    has_sealed_informant: bool
    batch_reference: str
    priority: CluePriority
    routing: ClueRouting
    tour_round_id: str
    def __init__(self, clue_id: _Optional[str] = ..., source: _Optional[_Union[ClueSource, str]] = ..., subjects: _Optional[_Iterable[_Union[_identity_pb2.PersonRef, _Mapping]]] = ..., summary: _Optional[str] = ..., receiving_office: _Optional[_Union[_identity_pb2.OfficeRef, _Mapping]] = ..., received_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., has_sealed_informant: _Optional[bool] = ..., batch_reference: _Optional[str] = ..., priority: _Optional[_Union[CluePriority, str]] = ..., routing: _Optional[_Union[ClueRouting, str]] = ..., tour_round_id: _Optional[str] = ...) -> None: ...

class ClueWarningRaised(_message.Message):
    __slots__ = ("clue_id", "colour", "stage", "rule", "deadline")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    COLOUR_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    colour: WarningColour
    stage: str
    rule: str
    deadline: _timestamp_pb2.Timestamp
    def __init__(self, clue_id: _Optional[str] = ..., colour: _Optional[_Union[WarningColour, str]] = ..., stage: _Optional[str] = ..., rule: _Optional[str] = ..., deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class InformantIdentityRead(_message.Message):
    __slots__ = ("clue_id", "read_by", "purpose")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    READ_BY_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    read_by: str
    purpose: str
    def __init__(self, clue_id: _Optional[str] = ..., read_by: _Optional[str] = ..., purpose: _Optional[str] = ...) -> None: ...

class ClueForwarded(_message.Message):
    __slots__ = ("clue_id", "to_agency", "reason", "forwarded_by", "routing")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    TO_AGENCY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    FORWARDED_BY_FIELD_NUMBER: _ClassVar[int]
    ROUTING_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    to_agency: str
    reason: str
    forwarded_by: str
    routing: ClueRouting
    def __init__(self, clue_id: _Optional[str] = ..., to_agency: _Optional[str] = ..., reason: _Optional[str] = ..., forwarded_by: _Optional[str] = ..., routing: _Optional[_Union[ClueRouting, str]] = ...) -> None: ...

class CluePartForwarded(_message.Message):
    __slots__ = ("clue_id", "to_agency", "part", "reason", "forwarded_by")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    TO_AGENCY_FIELD_NUMBER: _ClassVar[int]
    PART_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    FORWARDED_BY_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    to_agency: str
    part: str
    reason: str
    forwarded_by: str
    def __init__(self, clue_id: _Optional[str] = ..., to_agency: _Optional[str] = ..., part: _Optional[str] = ..., reason: _Optional[str] = ..., forwarded_by: _Optional[str] = ...) -> None: ...

class RecusalDeclared(_message.Message):
    __slots__ = ("clue_id", "person_id", "ground", "reason", "declared_by")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    GROUND_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DECLARED_BY_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    person_id: str
    ground: RecusalGround
    reason: str
    declared_by: str
    def __init__(self, clue_id: _Optional[str] = ..., person_id: _Optional[str] = ..., ground: _Optional[_Union[RecusalGround, str]] = ..., reason: _Optional[str] = ..., declared_by: _Optional[str] = ...) -> None: ...

class RegistrationProposed(_message.Message):
    __slots__ = ("clue_id", "clue_number", "handling_office", "proposed_by")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    CLUE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    HANDLING_OFFICE_FIELD_NUMBER: _ClassVar[int]
    PROPOSED_BY_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    clue_number: str
    handling_office: str
    proposed_by: str
    def __init__(self, clue_id: _Optional[str] = ..., clue_number: _Optional[str] = ..., handling_office: _Optional[str] = ..., proposed_by: _Optional[str] = ...) -> None: ...

class RegistrationApproved(_message.Message):
    __slots__ = ("clue_id", "approved_by")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    APPROVED_BY_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    approved_by: str
    def __init__(self, clue_id: _Optional[str] = ..., approved_by: _Optional[str] = ...) -> None: ...

class RegistrationRejected(_message.Message):
    __slots__ = ("clue_id", "reason", "rejected_by")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REJECTED_BY_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    reason: str
    rejected_by: str
    def __init__(self, clue_id: _Optional[str] = ..., reason: _Optional[str] = ..., rejected_by: _Optional[str] = ...) -> None: ...

class DisposalProposed(_message.Message):
    __slots__ = ("clue_id", "method", "reason", "proposed_by")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    PROPOSED_BY_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    method: DisposalMethod
    reason: str
    proposed_by: str
    def __init__(self, clue_id: _Optional[str] = ..., method: _Optional[_Union[DisposalMethod, str]] = ..., reason: _Optional[str] = ..., proposed_by: _Optional[str] = ...) -> None: ...

class DisposalApproved(_message.Message):
    __slots__ = ("clue_id", "method", "approved_by")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    APPROVED_BY_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    method: DisposalMethod
    approved_by: str
    def __init__(self, clue_id: _Optional[str] = ..., method: _Optional[_Union[DisposalMethod, str]] = ..., approved_by: _Optional[str] = ...) -> None: ...

class DisposalRejected(_message.Message):
    __slots__ = ("clue_id", "reason", "rejected_by")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REJECTED_BY_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    reason: str
    rejected_by: str
    def __init__(self, clue_id: _Optional[str] = ..., reason: _Optional[str] = ..., rejected_by: _Optional[str] = ...) -> None: ...

class TalkOrLetterReported(_message.Message):
    __slots__ = ("clue_id", "outcome", "summary", "reported_by", "light_handling")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    REPORTED_BY_FIELD_NUMBER: _ClassVar[int]
    LIGHT_HANDLING_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    outcome: TalkOutcome
    summary: str
    reported_by: str
    light_handling: LightHandling
    def __init__(self, clue_id: _Optional[str] = ..., outcome: _Optional[_Union[TalkOutcome, str]] = ..., summary: _Optional[str] = ..., reported_by: _Optional[str] = ..., light_handling: _Optional[_Union[LightHandling, str]] = ...) -> None: ...

class TalkOrLetterConcluded(_message.Message):
    __slots__ = ("clue_id", "outcome", "summary", "concluded_by", "approved_by", "light_handling")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    CONCLUDED_BY_FIELD_NUMBER: _ClassVar[int]
    APPROVED_BY_FIELD_NUMBER: _ClassVar[int]
    LIGHT_HANDLING_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    outcome: TalkOutcome
    summary: str
    concluded_by: str
    approved_by: str
    light_handling: LightHandling
    def __init__(self, clue_id: _Optional[str] = ..., outcome: _Optional[_Union[TalkOutcome, str]] = ..., summary: _Optional[str] = ..., concluded_by: _Optional[str] = ..., approved_by: _Optional[str] = ..., light_handling: _Optional[_Union[LightHandling, str]] = ...) -> None: ...

class TalkOrLetterConclusionRejected(_message.Message):
    __slots__ = ("clue_id", "reason", "rejected_by")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REJECTED_BY_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    reason: str
    rejected_by: str
    def __init__(self, clue_id: _Optional[str] = ..., reason: _Optional[str] = ..., rejected_by: _Optional[str] = ...) -> None: ...

class PrelimCheckPlanSubmitted(_message.Message):
    __slots__ = ("clue_id", "work_plan", "team", "subject_heads_lower_committee", "submitted_by")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    WORK_PLAN_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_HEADS_LOWER_COMMITTEE_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_BY_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    work_plan: str
    team: _containers.RepeatedScalarFieldContainer[str]
    subject_heads_lower_committee: bool
    submitted_by: str
    def __init__(self, clue_id: _Optional[str] = ..., work_plan: _Optional[str] = ..., team: _Optional[_Iterable[str]] = ..., subject_heads_lower_committee: _Optional[bool] = ..., submitted_by: _Optional[str] = ...) -> None: ...

class PrelimCheckPlanApproved(_message.Message):
    __slots__ = ("clue_id", "approver_role", "approved_by")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    APPROVER_ROLE_FIELD_NUMBER: _ClassVar[int]
    APPROVED_BY_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    approver_role: str
    approved_by: str
    def __init__(self, clue_id: _Optional[str] = ..., approver_role: _Optional[str] = ..., approved_by: _Optional[str] = ...) -> None: ...

class PrelimCheckReported(_message.Message):
    __slots__ = ("clue_id", "findings", "proposal", "reported_by", "light_handling", "party_organisation")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    PROPOSAL_FIELD_NUMBER: _ClassVar[int]
    REPORTED_BY_FIELD_NUMBER: _ClassVar[int]
    LIGHT_HANDLING_FIELD_NUMBER: _ClassVar[int]
    PARTY_ORGANISATION_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    findings: str
    proposal: ReportProposal
    reported_by: str
    light_handling: LightHandling
    party_organisation: str
    def __init__(self, clue_id: _Optional[str] = ..., findings: _Optional[str] = ..., proposal: _Optional[_Union[ReportProposal, str]] = ..., reported_by: _Optional[str] = ..., light_handling: _Optional[_Union[LightHandling, str]] = ..., party_organisation: _Optional[str] = ...) -> None: ...

class ReportApproved(_message.Message):
    __slots__ = ("clue_id", "proposal", "approved_by", "light_handling", "party_organisation")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    PROPOSAL_FIELD_NUMBER: _ClassVar[int]
    APPROVED_BY_FIELD_NUMBER: _ClassVar[int]
    LIGHT_HANDLING_FIELD_NUMBER: _ClassVar[int]
    PARTY_ORGANISATION_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    proposal: ReportProposal
    approved_by: str
    light_handling: LightHandling
    party_organisation: str
    def __init__(self, clue_id: _Optional[str] = ..., proposal: _Optional[_Union[ReportProposal, str]] = ..., approved_by: _Optional[str] = ..., light_handling: _Optional[_Union[LightHandling, str]] = ..., party_organisation: _Optional[str] = ...) -> None: ...

class ReportRejected(_message.Message):
    __slots__ = ("clue_id", "reason", "rejected_by")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REJECTED_BY_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    reason: str
    rejected_by: str
    def __init__(self, clue_id: _Optional[str] = ..., reason: _Optional[str] = ..., rejected_by: _Optional[str] = ...) -> None: ...

class ReportProposalRevised(_message.Message):
    __slots__ = ("clue_id", "proposal", "reason", "revised_by", "light_handling", "party_organisation")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    PROPOSAL_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REVISED_BY_FIELD_NUMBER: _ClassVar[int]
    LIGHT_HANDLING_FIELD_NUMBER: _ClassVar[int]
    PARTY_ORGANISATION_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    proposal: ReportProposal
    reason: str
    revised_by: str
    light_handling: LightHandling
    party_organisation: str
    def __init__(self, clue_id: _Optional[str] = ..., proposal: _Optional[_Union[ReportProposal, str]] = ..., reason: _Optional[str] = ..., revised_by: _Optional[str] = ..., light_handling: _Optional[_Union[LightHandling, str]] = ..., party_organisation: _Optional[str] = ...) -> None: ...

class FilingProposed(_message.Message):
    __slots__ = ("clue_id", "subjects", "findings", "handling_office", "clue_number", "proposed_by")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    SUBJECTS_FIELD_NUMBER: _ClassVar[int]
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    HANDLING_OFFICE_FIELD_NUMBER: _ClassVar[int]
    CLUE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PROPOSED_BY_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    subjects: _containers.RepeatedCompositeFieldContainer[_identity_pb2.PersonRef]
    findings: str
    handling_office: str
    clue_number: str
    proposed_by: str
    def __init__(self, clue_id: _Optional[str] = ..., subjects: _Optional[_Iterable[_Union[_identity_pb2.PersonRef, _Mapping]]] = ..., findings: _Optional[str] = ..., handling_office: _Optional[str] = ..., clue_number: _Optional[str] = ..., proposed_by: _Optional[str] = ...) -> None: ...

class ClueCaseFiled(_message.Message):
    __slots__ = ("clue_id", "case_id", "filed_at")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    FILED_AT_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    case_id: str
    filed_at: _timestamp_pb2.Timestamp
    def __init__(self, clue_id: _Optional[str] = ..., case_id: _Optional[str] = ..., filed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ClueFilingRejected(_message.Message):
    __slots__ = ("clue_id", "reason")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    reason: str
    def __init__(self, clue_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ClearingProposed(_message.Message):
    __slots__ = ("clue_id", "method", "reason", "clearing", "proposed_by")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CLEARING_FIELD_NUMBER: _ClassVar[int]
    PROPOSED_BY_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    method: DisposalMethod
    reason: str
    clearing: str
    proposed_by: str
    def __init__(self, clue_id: _Optional[str] = ..., method: _Optional[_Union[DisposalMethod, str]] = ..., reason: _Optional[str] = ..., clearing: _Optional[str] = ..., proposed_by: _Optional[str] = ...) -> None: ...

class ClueReopened(_message.Message):
    __slots__ = ("clue_id", "new_information", "reopened_by")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    NEW_INFORMATION_FIELD_NUMBER: _ClassVar[int]
    REOPENED_BY_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    new_information: str
    reopened_by: str
    def __init__(self, clue_id: _Optional[str] = ..., new_information: _Optional[str] = ..., reopened_by: _Optional[str] = ...) -> None: ...

class SupervisionNoticeIssued(_message.Message):
    __slots__ = ("clue_id", "notice_id", "to_office", "due_at", "required", "issued_by")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    NOTICE_ID_FIELD_NUMBER: _ClassVar[int]
    TO_OFFICE_FIELD_NUMBER: _ClassVar[int]
    DUE_AT_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    ISSUED_BY_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    notice_id: str
    to_office: str
    due_at: _timestamp_pb2.Timestamp
    required: str
    issued_by: str
    def __init__(self, clue_id: _Optional[str] = ..., notice_id: _Optional[str] = ..., to_office: _Optional[str] = ..., due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., required: _Optional[str] = ..., issued_by: _Optional[str] = ...) -> None: ...

class SupervisionNoticeSatisfied(_message.Message):
    __slots__ = ("clue_id", "notice_id", "result")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    NOTICE_ID_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    notice_id: str
    result: str
    def __init__(self, clue_id: _Optional[str] = ..., notice_id: _Optional[str] = ..., result: _Optional[str] = ...) -> None: ...

class SupervisionNoticeOverdue(_message.Message):
    __slots__ = ("clue_id", "notice_id", "due_at")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    NOTICE_ID_FIELD_NUMBER: _ClassVar[int]
    DUE_AT_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    notice_id: str
    due_at: _timestamp_pb2.Timestamp
    def __init__(self, clue_id: _Optional[str] = ..., notice_id: _Optional[str] = ..., due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ClueFastTracked(_message.Message):
    __slots__ = ("clue_id", "request_id", "person_id", "intended_date", "previous_priority", "notice_id")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    INTENDED_DATE_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_PRIORITY_FIELD_NUMBER: _ClassVar[int]
    NOTICE_ID_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    request_id: str
    person_id: str
    intended_date: str
    previous_priority: CluePriority
    notice_id: str
    def __init__(self, clue_id: _Optional[str] = ..., request_id: _Optional[str] = ..., person_id: _Optional[str] = ..., intended_date: _Optional[str] = ..., previous_priority: _Optional[_Union[CluePriority, str]] = ..., notice_id: _Optional[str] = ...) -> None: ...

class ClueEscalated(_message.Message):
    __slots__ = ("clue_id", "from_office", "to_office", "reason", "escalated_by", "approved_by")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_OFFICE_FIELD_NUMBER: _ClassVar[int]
    TO_OFFICE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ESCALATED_BY_FIELD_NUMBER: _ClassVar[int]
    APPROVED_BY_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    from_office: str
    to_office: str
    reason: str
    escalated_by: str
    approved_by: str
    def __init__(self, clue_id: _Optional[str] = ..., from_office: _Optional[str] = ..., to_office: _Optional[str] = ..., reason: _Optional[str] = ..., escalated_by: _Optional[str] = ..., approved_by: _Optional[str] = ...) -> None: ...

class EscalationProposed(_message.Message):
    __slots__ = ("clue_id", "to_office", "reason", "proposed_by")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    TO_OFFICE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    PROPOSED_BY_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    to_office: str
    reason: str
    proposed_by: str
    def __init__(self, clue_id: _Optional[str] = ..., to_office: _Optional[str] = ..., reason: _Optional[str] = ..., proposed_by: _Optional[str] = ...) -> None: ...

class EscalationRejected(_message.Message):
    __slots__ = ("clue_id", "reason", "rejected_by")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REJECTED_BY_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    reason: str
    rejected_by: str
    def __init__(self, clue_id: _Optional[str] = ..., reason: _Optional[str] = ..., rejected_by: _Optional[str] = ...) -> None: ...

class LedgerDifference(_message.Message):
    __slots__ = ("clue_id", "clue_number", "kind", "office_status", "central_status", "explanation")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    CLUE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    OFFICE_STATUS_FIELD_NUMBER: _ClassVar[int]
    CENTRAL_STATUS_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    clue_number: str
    kind: DifferenceKind
    office_status: str
    central_status: str
    explanation: str
    def __init__(self, clue_id: _Optional[str] = ..., clue_number: _Optional[str] = ..., kind: _Optional[_Union[DifferenceKind, str]] = ..., office_status: _Optional[str] = ..., central_status: _Optional[str] = ..., explanation: _Optional[str] = ...) -> None: ...

class OfficeLedgerReconciled(_message.Message):
    __slots__ = ("reconciliation_id", "office", "month", "as_of", "submitted_by", "listed", "held", "differences")
    RECONCILIATION_ID_FIELD_NUMBER: _ClassVar[int]
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    MONTH_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_BY_FIELD_NUMBER: _ClassVar[int]
    LISTED_FIELD_NUMBER: _ClassVar[int]
    HELD_FIELD_NUMBER: _ClassVar[int]
    DIFFERENCES_FIELD_NUMBER: _ClassVar[int]
    reconciliation_id: str
    office: str
    month: str
    as_of: _timestamp_pb2.Timestamp
    submitted_by: str
    listed: int
    held: int
    differences: _containers.RepeatedCompositeFieldContainer[LedgerDifference]
    def __init__(self, reconciliation_id: _Optional[str] = ..., office: _Optional[str] = ..., month: _Optional[str] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., submitted_by: _Optional[str] = ..., listed: _Optional[int] = ..., held: _Optional[int] = ..., differences: _Optional[_Iterable[_Union[LedgerDifference, _Mapping]]] = ...) -> None: ...
