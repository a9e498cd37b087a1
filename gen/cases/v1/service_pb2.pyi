import datetime

from common.v1 import rules_pb2 as _rules_pb2
from common.v1 import awaiting_pb2 as _awaiting_pb2
from cases.v1 import events_pb2 as _events_pb2
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

class RecountGround(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RECOUNT_GROUND_UNSPECIFIED: _ClassVar[RecountGround]
    RECOUNT_GROUND_DIFFERENT_CRIME: _ClassVar[RecountGround]
    RECOUNT_GROUND_CHANGES_CHARGE_OR_BAND: _ClassVar[RecountGround]
RECOUNT_GROUND_UNSPECIFIED: RecountGround
RECOUNT_GROUND_DIFFERENT_CRIME: RecountGround
RECOUNT_GROUND_CHANGES_CHARGE_OR_BAND: RecountGround

class ApproveFilingRequest(_message.Message):
    __slots__ = ("case_id", "side", "plan", "expected_version")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    side: _events_pb2.FilingSide
    plan: str
    expected_version: int
    def __init__(self, case_id: _Optional[str] = ..., side: _Optional[_Union[_events_pb2.FilingSide, str]] = ..., plan: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class ApproveFilingResponse(_message.Message):
    __slots__ = ("case_id", "version", "state")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    version: int
    state: str
    def __init__(self, case_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class FastTrackFilingRequest(_message.Message):
    __slots__ = ("case_id", "report", "expected_version")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    REPORT_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    report: str
    expected_version: int
    def __init__(self, case_id: _Optional[str] = ..., report: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class FastTrackFilingResponse(_message.Message):
    __slots__ = ("case_id", "version", "state")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    version: int
    state: str
    def __init__(self, case_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class RejectFilingRequest(_message.Message):
    __slots__ = ("case_id", "reason", "expected_version")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    reason: str
    expected_version: int
    def __init__(self, case_id: _Optional[str] = ..., reason: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class RejectFilingResponse(_message.Message):
    __slots__ = ("case_id", "version", "state")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    version: int
    state: str
    def __init__(self, case_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class StartInvestigationRequest(_message.Message):
    __slots__ = ("case_id", "announced_at", "unit_notified_at", "expected_version", "family_notified_at", "published_at")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    ANNOUNCED_AT_FIELD_NUMBER: _ClassVar[int]
    UNIT_NOTIFIED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    FAMILY_NOTIFIED_AT_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_AT_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    announced_at: _timestamp_pb2.Timestamp
    unit_notified_at: _timestamp_pb2.Timestamp
    expected_version: int
    family_notified_at: _timestamp_pb2.Timestamp
    published_at: _timestamp_pb2.Timestamp
    def __init__(self, case_id: _Optional[str] = ..., announced_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., unit_notified_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expected_version: _Optional[int] = ..., family_notified_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., published_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PrepareFilingRequest(_message.Message):
    __slots__ = ("case_id", "subjects", "serious", "expected_version", "facts_reason")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    SUBJECTS_FIELD_NUMBER: _ClassVar[int]
    SERIOUS_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    FACTS_REASON_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    subjects: _containers.RepeatedCompositeFieldContainer[FilingSubject]
    serious: bool
    expected_version: int
    facts_reason: str
    def __init__(self, case_id: _Optional[str] = ..., subjects: _Optional[_Iterable[_Union[FilingSubject, _Mapping]]] = ..., serious: _Optional[bool] = ..., expected_version: _Optional[int] = ..., facts_reason: _Optional[str] = ...) -> None: ...

class FilingSubject(_message.Message):
    __slots__ = ("person_id", "at_issue", "party", "official", "cadre")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    AT_ISSUE_FIELD_NUMBER: _ClassVar[int]
    PARTY_FIELD_NUMBER: _ClassVar[int]
    OFFICIAL_FIELD_NUMBER: _ClassVar[int]
    CADRE_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    at_issue: _events_pb2.AtIssue
    party: _person_pb2.PartyMembership
    official: _person_pb2.PublicOfficial
    cadre: _person_pb2.Cadre
    def __init__(self, person_id: _Optional[str] = ..., at_issue: _Optional[_Union[_events_pb2.AtIssue, str]] = ..., party: _Optional[_Union[_person_pb2.PartyMembership, _Mapping]] = ..., official: _Optional[_Union[_person_pb2.PublicOfficial, _Mapping]] = ..., cadre: _Optional[_Union[_person_pb2.Cadre, _Mapping]] = ...) -> None: ...

class PrepareFilingResponse(_message.Message):
    __slots__ = ("case_id", "version", "state", "sides")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SIDES_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    version: int
    state: str
    sides: _containers.RepeatedScalarFieldContainer[_events_pb2.FilingSide]
    def __init__(self, case_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ..., sides: _Optional[_Iterable[_Union[_events_pb2.FilingSide, str]]] = ...) -> None: ...

class RecordTopicMeetingRequest(_message.Message):
    __slots__ = ("case_id", "meeting", "expected_version")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    MEETING_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    meeting: _meeting_pb2.CollectiveDecision
    expected_version: int
    def __init__(self, case_id: _Optional[str] = ..., meeting: _Optional[_Union[_meeting_pb2.CollectiveDecision, _Mapping]] = ..., expected_version: _Optional[int] = ...) -> None: ...

class RecordTopicMeetingResponse(_message.Message):
    __slots__ = ("case_id", "version", "state")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    version: int
    state: str
    def __init__(self, case_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class StartInvestigationResponse(_message.Message):
    __slots__ = ("case_id", "version", "state")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    version: int
    state: str
    def __init__(self, case_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class SendToTrialReviewRequest(_message.Message):
    __slots__ = ("case_id", "report", "expected_version")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    REPORT_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    report: str
    expected_version: int
    def __init__(self, case_id: _Optional[str] = ..., report: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class SendToTrialReviewResponse(_message.Message):
    __slots__ = ("case_id", "version", "state")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    version: int
    state: str
    def __init__(self, case_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class ReturnFromTrialReviewRequest(_message.Message):
    __slots__ = ("case_id", "to", "reason", "expected_version")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    to: _events_pb2.ReturnTarget
    reason: str
    expected_version: int
    def __init__(self, case_id: _Optional[str] = ..., to: _Optional[_Union[_events_pb2.ReturnTarget, str]] = ..., reason: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class ReturnFromTrialReviewResponse(_message.Message):
    __slots__ = ("case_id", "version", "state")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    version: int
    state: str
    def __init__(self, case_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class ApproveTrialReviewReturnRequest(_message.Message):
    __slots__ = ("case_id", "expected_version")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    expected_version: int
    def __init__(self, case_id: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class ApproveTrialReviewReturnResponse(_message.Message):
    __slots__ = ("case_id", "version", "state")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    version: int
    state: str
    def __init__(self, case_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class RejectTrialReviewReturnRequest(_message.Message):
    __slots__ = ("case_id", "reason", "expected_version")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    reason: str
    expected_version: int
    def __init__(self, case_id: _Optional[str] = ..., reason: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class RejectTrialReviewReturnResponse(_message.Message):
    __slots__ = ("case_id", "version", "state")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    version: int
    state: str
    def __init__(self, case_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class ExtendTrialReviewRequest(_message.Message):
    __slots__ = ("case_id", "reason", "expected_version")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    reason: str
    expected_version: int
    def __init__(self, case_id: _Optional[str] = ..., reason: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class ExtendTrialReviewResponse(_message.Message):
    __slots__ = ("case_id", "version", "state")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    version: int
    state: str
    def __init__(self, case_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class ConcludeTrialReviewRequest(_message.Message):
    __slots__ = ("case_id", "proposals", "expected_version", "sanctions")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    PROPOSALS_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    SANCTIONS_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    proposals: _containers.RepeatedCompositeFieldContainer[_events_pb2.Outcome]
    expected_version: int
    sanctions: _containers.RepeatedCompositeFieldContainer[_events_pb2.PersonSanctions]
    def __init__(self, case_id: _Optional[str] = ..., proposals: _Optional[_Iterable[_Union[_events_pb2.Outcome, _Mapping]]] = ..., expected_version: _Optional[int] = ..., sanctions: _Optional[_Iterable[_Union[_events_pb2.PersonSanctions, _Mapping]]] = ...) -> None: ...

class ConcludeTrialReviewResponse(_message.Message):
    __slots__ = ("case_id", "version", "state")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    version: int
    state: str
    def __init__(self, case_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class HearSubjectRequest(_message.Message):
    __slots__ = ("case_id", "person_id", "statement", "proposals", "expected_version", "sanctions")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    STATEMENT_FIELD_NUMBER: _ClassVar[int]
    PROPOSALS_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    SANCTIONS_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    person_id: str
    statement: str
    proposals: _containers.RepeatedCompositeFieldContainer[_events_pb2.Outcome]
    expected_version: int
    sanctions: _containers.RepeatedCompositeFieldContainer[_events_pb2.PersonSanctions]
    def __init__(self, case_id: _Optional[str] = ..., person_id: _Optional[str] = ..., statement: _Optional[str] = ..., proposals: _Optional[_Iterable[_Union[_events_pb2.Outcome, _Mapping]]] = ..., expected_version: _Optional[int] = ..., sanctions: _Optional[_Iterable[_Union[_events_pb2.PersonSanctions, _Mapping]]] = ...) -> None: ...

class HearSubjectResponse(_message.Message):
    __slots__ = ("case_id", "version", "state")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    version: int
    state: str
    def __init__(self, case_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class DisposeCaseRequest(_message.Message):
    __slots__ = ("case_id", "outcomes", "transfer", "expected_version", "sanctions", "person_facts", "deliberation", "consultations", "facts_reason")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    SANCTIONS_FIELD_NUMBER: _ClassVar[int]
    PERSON_FACTS_FIELD_NUMBER: _ClassVar[int]
    DELIBERATION_FIELD_NUMBER: _ClassVar[int]
    CONSULTATIONS_FIELD_NUMBER: _ClassVar[int]
    FACTS_REASON_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    outcomes: _containers.RepeatedCompositeFieldContainer[_events_pb2.Outcome]
    transfer: _containers.RepeatedCompositeFieldContainer[_events_pb2.TransferDocument]
    expected_version: int
    sanctions: _containers.RepeatedCompositeFieldContainer[_events_pb2.PersonSanctions]
    person_facts: _containers.RepeatedCompositeFieldContainer[_person_pb2.PersonFacts]
    deliberation: _meeting_pb2.CollectiveDecision
    consultations: _containers.RepeatedCompositeFieldContainer[_meeting_pb2.Consultation]
    facts_reason: str
    def __init__(self, case_id: _Optional[str] = ..., outcomes: _Optional[_Iterable[_Union[_events_pb2.Outcome, _Mapping]]] = ..., transfer: _Optional[_Iterable[_Union[_events_pb2.TransferDocument, _Mapping]]] = ..., expected_version: _Optional[int] = ..., sanctions: _Optional[_Iterable[_Union[_events_pb2.PersonSanctions, _Mapping]]] = ..., person_facts: _Optional[_Iterable[_Union[_person_pb2.PersonFacts, _Mapping]]] = ..., deliberation: _Optional[_Union[_meeting_pb2.CollectiveDecision, _Mapping]] = ..., consultations: _Optional[_Iterable[_Union[_meeting_pb2.Consultation, _Mapping]]] = ..., facts_reason: _Optional[str] = ...) -> None: ...

class DisposeCaseResponse(_message.Message):
    __slots__ = ("case_id", "version", "state")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    version: int
    state: str
    def __init__(self, case_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class WithdrawCaseRequest(_message.Message):
    __slots__ = ("case_id", "reason", "unit_told_at", "expected_version")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    UNIT_TOLD_AT_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    reason: str
    unit_told_at: _timestamp_pb2.Timestamp
    expected_version: int
    def __init__(self, case_id: _Optional[str] = ..., reason: _Optional[str] = ..., unit_told_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expected_version: _Optional[int] = ...) -> None: ...

class WithdrawCaseResponse(_message.Message):
    __slots__ = ("case_id", "version", "state")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    version: int
    state: str
    def __init__(self, case_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class OpenAccountabilityCaseRequest(_message.Message):
    __slots__ = ("case_id", "subjects", "reason", "handling_office", "expected_version")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    SUBJECTS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    HANDLING_OFFICE_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    subjects: _containers.RepeatedCompositeFieldContainer[_identity_pb2.PersonRef]
    reason: str
    handling_office: str
    expected_version: int
    def __init__(self, case_id: _Optional[str] = ..., subjects: _Optional[_Iterable[_Union[_identity_pb2.PersonRef, _Mapping]]] = ..., reason: _Optional[str] = ..., handling_office: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class OpenAccountabilityCaseResponse(_message.Message):
    __slots__ = ("case_id", "version", "state", "accountability_case_id")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ACCOUNTABILITY_CASE_ID_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    version: int
    state: str
    accountability_case_id: str
    def __init__(self, case_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ..., accountability_case_id: _Optional[str] = ...) -> None: ...

class RecordActivityRequest(_message.Message):
    __slots__ = ("case_id", "activity", "recording", "measure_id", "expected_version")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_FIELD_NUMBER: _ClassVar[int]
    RECORDING_FIELD_NUMBER: _ClassVar[int]
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    activity: _events_pb2.RecordedActivity
    recording: _recording_pb2.RecordingRef
    measure_id: str
    expected_version: int
    def __init__(self, case_id: _Optional[str] = ..., activity: _Optional[_Union[_events_pb2.RecordedActivity, str]] = ..., recording: _Optional[_Union[_recording_pb2.RecordingRef, _Mapping]] = ..., measure_id: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class RecordActivityResponse(_message.Message):
    __slots__ = ("case_id", "version", "state")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    version: int
    state: str
    def __init__(self, case_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class GradeQualityRequest(_message.Message):
    __slots__ = ("case_id", "grade", "criteria", "expected_version")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    GRADE_FIELD_NUMBER: _ClassVar[int]
    CRITERIA_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    grade: _events_pb2.QualityGrade
    criteria: _containers.RepeatedCompositeFieldContainer[_events_pb2.Criterion]
    expected_version: int
    def __init__(self, case_id: _Optional[str] = ..., grade: _Optional[_Union[_events_pb2.QualityGrade, str]] = ..., criteria: _Optional[_Iterable[_Union[_events_pb2.Criterion, _Mapping]]] = ..., expected_version: _Optional[int] = ...) -> None: ...

class GradeQualityResponse(_message.Message):
    __slots__ = ("case_id", "version", "state")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    version: int
    state: str
    def __init__(self, case_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class RequestMeasureRequest(_message.Message):
    __slots__ = ("case_id", "kind", "person_id", "reason", "clue_id", "custody_grounds", "person_facts")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTODY_GROUNDS_FIELD_NUMBER: _ClassVar[int]
    PERSON_FACTS_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    kind: _events_pb2.MeasureKind
    person_id: str
    reason: str
    clue_id: str
    custody_grounds: _events_pb2.CustodyGrounds
    person_facts: _person_pb2.PersonFacts
    def __init__(self, case_id: _Optional[str] = ..., kind: _Optional[_Union[_events_pb2.MeasureKind, str]] = ..., person_id: _Optional[str] = ..., reason: _Optional[str] = ..., clue_id: _Optional[str] = ..., custody_grounds: _Optional[_Union[_events_pb2.CustodyGrounds, _Mapping]] = ..., person_facts: _Optional[_Union[_person_pb2.PersonFacts, _Mapping]] = ...) -> None: ...

class RequestMeasureResponse(_message.Message):
    __slots__ = ("measure_id", "version", "state")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    version: int
    state: str
    def __init__(self, measure_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class ApproveMeasureRequest(_message.Message):
    __slots__ = ("measure_id", "starts_at", "expected_version", "meeting")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    STARTS_AT_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    MEETING_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    starts_at: _timestamp_pb2.Timestamp
    expected_version: int
    meeting: _meeting_pb2.CollectiveDecision
    def __init__(self, measure_id: _Optional[str] = ..., starts_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expected_version: _Optional[int] = ..., meeting: _Optional[_Union[_meeting_pb2.CollectiveDecision, _Mapping]] = ...) -> None: ...

class ApproveMeasureResponse(_message.Message):
    __slots__ = ("measure_id", "version", "state")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    version: int
    state: str
    def __init__(self, measure_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class RefuseMeasureRequest(_message.Message):
    __slots__ = ("measure_id", "reason", "expected_version")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    reason: str
    expected_version: int
    def __init__(self, measure_id: _Optional[str] = ..., reason: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class RefuseMeasureResponse(_message.Message):
    __slots__ = ("measure_id", "version", "state")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    version: int
    state: str
    def __init__(self, measure_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class GiveDetentionNoticeRequest(_message.Message):
    __slots__ = ("measure_id", "unit_notified_at", "family_notified_at", "expected_version")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    UNIT_NOTIFIED_AT_FIELD_NUMBER: _ClassVar[int]
    FAMILY_NOTIFIED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    unit_notified_at: _timestamp_pb2.Timestamp
    family_notified_at: _timestamp_pb2.Timestamp
    expected_version: int
    def __init__(self, measure_id: _Optional[str] = ..., unit_notified_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., family_notified_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expected_version: _Optional[int] = ...) -> None: ...

class GiveDetentionNoticeResponse(_message.Message):
    __slots__ = ("measure_id", "version", "state")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    version: int
    state: str
    def __init__(self, measure_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class ExtendMeasureRequest(_message.Message):
    __slots__ = ("measure_id", "reason", "special", "expected_version", "length_days", "length_months", "charge", "followed_by")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SPECIAL_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    LENGTH_DAYS_FIELD_NUMBER: _ClassVar[int]
    LENGTH_MONTHS_FIELD_NUMBER: _ClassVar[int]
    CHARGE_FIELD_NUMBER: _ClassVar[int]
    FOLLOWED_BY_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    reason: str
    special: bool
    expected_version: int
    length_days: int
    length_months: int
    charge: _events_pb2.Charge
    followed_by: str
    def __init__(self, measure_id: _Optional[str] = ..., reason: _Optional[str] = ..., special: _Optional[bool] = ..., expected_version: _Optional[int] = ..., length_days: _Optional[int] = ..., length_months: _Optional[int] = ..., charge: _Optional[_Union[_events_pb2.Charge, _Mapping]] = ..., followed_by: _Optional[str] = ...) -> None: ...

class ExtendMeasureResponse(_message.Message):
    __slots__ = ("measure_id", "version", "state")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    version: int
    state: str
    def __init__(self, measure_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class EndMeasureRequest(_message.Message):
    __slots__ = ("measure_id", "outcome", "reason", "expected_version", "converted_to", "recording")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    CONVERTED_TO_FIELD_NUMBER: _ClassVar[int]
    RECORDING_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    outcome: _events_pb2.MeasureOutcome
    reason: str
    expected_version: int
    converted_to: str
    recording: _recording_pb2.RecordingRef
    def __init__(self, measure_id: _Optional[str] = ..., outcome: _Optional[_Union[_events_pb2.MeasureOutcome, str]] = ..., reason: _Optional[str] = ..., expected_version: _Optional[int] = ..., converted_to: _Optional[str] = ..., recording: _Optional[_Union[_recording_pb2.RecordingRef, _Mapping]] = ...) -> None: ...

class RecordMeasureExecutionRequest(_message.Message):
    __slots__ = ("measure_id", "staff", "written_notice", "signed_record", "executed_at", "expected_version", "warrant", "witnesses", "searched_sex")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    STAFF_FIELD_NUMBER: _ClassVar[int]
    WRITTEN_NOTICE_FIELD_NUMBER: _ClassVar[int]
    SIGNED_RECORD_FIELD_NUMBER: _ClassVar[int]
    EXECUTED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    WARRANT_FIELD_NUMBER: _ClassVar[int]
    WITNESSES_FIELD_NUMBER: _ClassVar[int]
    SEARCHED_SEX_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    staff: _containers.RepeatedCompositeFieldContainer[_events_pb2.ExecutingStaff]
    written_notice: _events_pb2.DocumentRef
    signed_record: _events_pb2.DocumentRef
    executed_at: _timestamp_pb2.Timestamp
    expected_version: int
    warrant: _events_pb2.DocumentRef
    witnesses: _containers.RepeatedScalarFieldContainer[str]
    searched_sex: _events_pb2.Sex
    def __init__(self, measure_id: _Optional[str] = ..., staff: _Optional[_Iterable[_Union[_events_pb2.ExecutingStaff, _Mapping]]] = ..., written_notice: _Optional[_Union[_events_pb2.DocumentRef, _Mapping]] = ..., signed_record: _Optional[_Union[_events_pb2.DocumentRef, _Mapping]] = ..., executed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expected_version: _Optional[int] = ..., warrant: _Optional[_Union[_events_pb2.DocumentRef, _Mapping]] = ..., witnesses: _Optional[_Iterable[str]] = ..., searched_sex: _Optional[_Union[_events_pb2.Sex, str]] = ...) -> None: ...

class RecordMeasureExecutionResponse(_message.Message):
    __slots__ = ("measure_id", "version", "state")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    version: int
    state: str
    def __init__(self, measure_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class DeferNoticeRequest(_message.Message):
    __slots__ = ("measure_id", "reason", "expected_version")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    reason: str
    expected_version: int
    def __init__(self, measure_id: _Optional[str] = ..., reason: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class DeferNoticeResponse(_message.Message):
    __slots__ = ("measure_id", "version", "state")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    version: int
    state: str
    def __init__(self, measure_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class EndNoticeDeferralRequest(_message.Message):
    __slots__ = ("measure_id", "reason", "unit_notified_at", "family_notified_at", "expected_version")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    UNIT_NOTIFIED_AT_FIELD_NUMBER: _ClassVar[int]
    FAMILY_NOTIFIED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    reason: str
    unit_notified_at: _timestamp_pb2.Timestamp
    family_notified_at: _timestamp_pb2.Timestamp
    expected_version: int
    def __init__(self, measure_id: _Optional[str] = ..., reason: _Optional[str] = ..., unit_notified_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., family_notified_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expected_version: _Optional[int] = ...) -> None: ...

class EndNoticeDeferralResponse(_message.Message):
    __slots__ = ("measure_id", "version", "state")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    version: int
    state: str
    def __init__(self, measure_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class GiveReleaseNoticeRequest(_message.Message):
    __slots__ = ("measure_id", "unit_notified_at", "family_notified_at", "expected_version")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    UNIT_NOTIFIED_AT_FIELD_NUMBER: _ClassVar[int]
    FAMILY_NOTIFIED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    unit_notified_at: _timestamp_pb2.Timestamp
    family_notified_at: _timestamp_pb2.Timestamp
    expected_version: int
    def __init__(self, measure_id: _Optional[str] = ..., unit_notified_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., family_notified_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expected_version: _Optional[int] = ...) -> None: ...

class GiveReleaseNoticeResponse(_message.Message):
    __slots__ = ("measure_id", "version", "state")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    version: int
    state: str
    def __init__(self, measure_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class RequestMeasureChangeRequest(_message.Message):
    __slots__ = ("measure_id", "applicant", "applicant_name", "asked", "grounds", "received_at", "expected_version")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    APPLICANT_FIELD_NUMBER: _ClassVar[int]
    APPLICANT_NAME_FIELD_NUMBER: _ClassVar[int]
    ASKED_FIELD_NUMBER: _ClassVar[int]
    GROUNDS_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    applicant: _events_pb2.ChangeApplicant
    applicant_name: str
    asked: _events_pb2.ChangeAsked
    grounds: str
    received_at: _timestamp_pb2.Timestamp
    expected_version: int
    def __init__(self, measure_id: _Optional[str] = ..., applicant: _Optional[_Union[_events_pb2.ChangeApplicant, str]] = ..., applicant_name: _Optional[str] = ..., asked: _Optional[_Union[_events_pb2.ChangeAsked, str]] = ..., grounds: _Optional[str] = ..., received_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expected_version: _Optional[int] = ...) -> None: ...

class RequestMeasureChangeResponse(_message.Message):
    __slots__ = ("measure_id", "version", "state", "change_id", "due")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CHANGE_ID_FIELD_NUMBER: _ClassVar[int]
    DUE_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    version: int
    state: str
    change_id: str
    due: _timestamp_pb2.Timestamp
    def __init__(self, measure_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ..., change_id: _Optional[str] = ..., due: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class DecideMeasureChangeRequest(_message.Message):
    __slots__ = ("measure_id", "change_id", "granted", "reasons", "expected_version")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    CHANGE_ID_FIELD_NUMBER: _ClassVar[int]
    GRANTED_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    change_id: str
    granted: bool
    reasons: str
    expected_version: int
    def __init__(self, measure_id: _Optional[str] = ..., change_id: _Optional[str] = ..., granted: _Optional[bool] = ..., reasons: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class DecideMeasureChangeResponse(_message.Message):
    __slots__ = ("measure_id", "version", "state")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    version: int
    state: str
    def __init__(self, measure_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class TransferCustodyRequest(_message.Message):
    __slots__ = ("measure_id", "document", "taken_at", "expected_version")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    TAKEN_AT_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    document: _events_pb2.DocumentRef
    taken_at: _timestamp_pb2.Timestamp
    expected_version: int
    def __init__(self, measure_id: _Optional[str] = ..., document: _Optional[_Union[_events_pb2.DocumentRef, _Mapping]] = ..., taken_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expected_version: _Optional[int] = ...) -> None: ...

class TransferCustodyResponse(_message.Message):
    __slots__ = ("measure_id", "version", "state", "detention_days", "control_offset_days", "prison_offset_days")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    DETENTION_DAYS_FIELD_NUMBER: _ClassVar[int]
    CONTROL_OFFSET_DAYS_FIELD_NUMBER: _ClassVar[int]
    PRISON_OFFSET_DAYS_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    version: int
    state: str
    detention_days: int
    control_offset_days: int
    prison_offset_days: int
    def __init__(self, measure_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ..., detention_days: _Optional[int] = ..., control_offset_days: _Optional[int] = ..., prison_offset_days: _Optional[int] = ...) -> None: ...

class RecordUnrelatedPropertyRequest(_message.Message):
    __slots__ = ("measure_id", "what", "found_at", "expected_version")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    WHAT_FIELD_NUMBER: _ClassVar[int]
    FOUND_AT_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    what: str
    found_at: _timestamp_pb2.Timestamp
    expected_version: int
    def __init__(self, measure_id: _Optional[str] = ..., what: _Optional[str] = ..., found_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expected_version: _Optional[int] = ...) -> None: ...

class RecordUnrelatedPropertyResponse(_message.Message):
    __slots__ = ("measure_id", "version", "state", "release_due")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    RELEASE_DUE_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    version: int
    state: str
    release_due: _timestamp_pb2.Timestamp
    def __init__(self, measure_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ..., release_due: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class FileMeasureComplaintRequest(_message.Message):
    __slots__ = ("measure_id", "complainant", "complainant_name", "ground", "detail", "received_at", "expected_version")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    COMPLAINANT_FIELD_NUMBER: _ClassVar[int]
    COMPLAINANT_NAME_FIELD_NUMBER: _ClassVar[int]
    GROUND_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    complainant: _events_pb2.Complainant
    complainant_name: str
    ground: _events_pb2.ComplaintGround
    detail: str
    received_at: _timestamp_pb2.Timestamp
    expected_version: int
    def __init__(self, measure_id: _Optional[str] = ..., complainant: _Optional[_Union[_events_pb2.Complainant, str]] = ..., complainant_name: _Optional[str] = ..., ground: _Optional[_Union[_events_pb2.ComplaintGround, str]] = ..., detail: _Optional[str] = ..., received_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expected_version: _Optional[int] = ...) -> None: ...

class FileMeasureComplaintResponse(_message.Message):
    __slots__ = ("measure_id", "version", "state", "complaint_id", "due")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    COMPLAINT_ID_FIELD_NUMBER: _ClassVar[int]
    DUE_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    version: int
    state: str
    complaint_id: str
    due: _timestamp_pb2.Timestamp
    def __init__(self, measure_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ..., complaint_id: _Optional[str] = ..., due: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class DecideMeasureComplaintRequest(_message.Message):
    __slots__ = ("measure_id", "complaint_id", "upheld", "reasons", "review", "expected_version")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    COMPLAINT_ID_FIELD_NUMBER: _ClassVar[int]
    UPHELD_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    REVIEW_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    complaint_id: str
    upheld: bool
    reasons: str
    review: bool
    expected_version: int
    def __init__(self, measure_id: _Optional[str] = ..., complaint_id: _Optional[str] = ..., upheld: _Optional[bool] = ..., reasons: _Optional[str] = ..., review: _Optional[bool] = ..., expected_version: _Optional[int] = ...) -> None: ...

class DecideMeasureComplaintResponse(_message.Message):
    __slots__ = ("measure_id", "version", "state")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    version: int
    state: str
    def __init__(self, measure_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class SeekComplaintReviewRequest(_message.Message):
    __slots__ = ("measure_id", "complaint_id", "sought_at", "expected_version")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    COMPLAINT_ID_FIELD_NUMBER: _ClassVar[int]
    SOUGHT_AT_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    complaint_id: str
    sought_at: _timestamp_pb2.Timestamp
    expected_version: int
    def __init__(self, measure_id: _Optional[str] = ..., complaint_id: _Optional[str] = ..., sought_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expected_version: _Optional[int] = ...) -> None: ...

class SeekComplaintReviewResponse(_message.Message):
    __slots__ = ("measure_id", "version", "state", "due")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    DUE_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    version: int
    state: str
    due: _timestamp_pb2.Timestamp
    def __init__(self, measure_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ..., due: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RecountDetentionRequest(_message.Message):
    __slots__ = ("measure_id", "discovered_at", "ground", "charge", "reason", "expected_version")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    DISCOVERED_AT_FIELD_NUMBER: _ClassVar[int]
    GROUND_FIELD_NUMBER: _ClassVar[int]
    CHARGE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    discovered_at: _timestamp_pb2.Timestamp
    ground: RecountGround
    charge: _events_pb2.Charge
    reason: str
    expected_version: int
    def __init__(self, measure_id: _Optional[str] = ..., discovered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ground: _Optional[_Union[RecountGround, str]] = ..., charge: _Optional[_Union[_events_pb2.Charge, _Mapping]] = ..., reason: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class RecordNationalFilingRequest(_message.Message):
    __slots__ = ("measure_id", "filed_at", "reference", "expected_version")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    FILED_AT_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    filed_at: _timestamp_pb2.Timestamp
    reference: str
    expected_version: int
    def __init__(self, measure_id: _Optional[str] = ..., filed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reference: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class RecordNationalFilingResponse(_message.Message):
    __slots__ = ("measure_id", "version", "state")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    version: int
    state: str
    def __init__(self, measure_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class RecountDetentionResponse(_message.Message):
    __slots__ = ("measure_id", "version", "state")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    version: int
    state: str
    def __init__(self, measure_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class EndMeasureResponse(_message.Message):
    __slots__ = ("measure_id", "version", "state")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    version: int
    state: str
    def __init__(self, measure_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class GetCaseRequest(_message.Message):
    __slots__ = ("case_id", "purpose")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    purpose: str
    def __init__(self, case_id: _Optional[str] = ..., purpose: _Optional[str] = ...) -> None: ...

class FilingApproval(_message.Message):
    __slots__ = ("side", "approver_role", "approved_by")
    SIDE_FIELD_NUMBER: _ClassVar[int]
    APPROVER_ROLE_FIELD_NUMBER: _ClassVar[int]
    APPROVED_BY_FIELD_NUMBER: _ClassVar[int]
    side: _events_pb2.FilingSide
    approver_role: str
    approved_by: str
    def __init__(self, side: _Optional[_Union[_events_pb2.FilingSide, str]] = ..., approver_role: _Optional[str] = ..., approved_by: _Optional[str] = ...) -> None: ...

class GetCaseResponse(_message.Message):
    __slots__ = ("case_id", "version", "state", "clue_id", "clue_number", "origin_case_id", "subjects", "handling_office", "proposed_by", "approvals", "filed_at", "trial_review_due", "proposals", "heard", "outcomes", "accountability_case_ids", "quality_grade", "liaison_office", "hand_over_to", "sides_needed", "topic_meeting_held", "return_proposed", "proposed_sanctions", "sanctions", "rehearing", "measure_ids", "awaiting", "colour", "investigation_due")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    CLUE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_CASE_ID_FIELD_NUMBER: _ClassVar[int]
    SUBJECTS_FIELD_NUMBER: _ClassVar[int]
    HANDLING_OFFICE_FIELD_NUMBER: _ClassVar[int]
    PROPOSED_BY_FIELD_NUMBER: _ClassVar[int]
    APPROVALS_FIELD_NUMBER: _ClassVar[int]
    FILED_AT_FIELD_NUMBER: _ClassVar[int]
    TRIAL_REVIEW_DUE_FIELD_NUMBER: _ClassVar[int]
    PROPOSALS_FIELD_NUMBER: _ClassVar[int]
    HEARD_FIELD_NUMBER: _ClassVar[int]
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    ACCOUNTABILITY_CASE_IDS_FIELD_NUMBER: _ClassVar[int]
    QUALITY_GRADE_FIELD_NUMBER: _ClassVar[int]
    LIAISON_OFFICE_FIELD_NUMBER: _ClassVar[int]
    HAND_OVER_TO_FIELD_NUMBER: _ClassVar[int]
    SIDES_NEEDED_FIELD_NUMBER: _ClassVar[int]
    TOPIC_MEETING_HELD_FIELD_NUMBER: _ClassVar[int]
    RETURN_PROPOSED_FIELD_NUMBER: _ClassVar[int]
    PROPOSED_SANCTIONS_FIELD_NUMBER: _ClassVar[int]
    SANCTIONS_FIELD_NUMBER: _ClassVar[int]
    REHEARING_FIELD_NUMBER: _ClassVar[int]
    MEASURE_IDS_FIELD_NUMBER: _ClassVar[int]
    AWAITING_FIELD_NUMBER: _ClassVar[int]
    COLOUR_FIELD_NUMBER: _ClassVar[int]
    INVESTIGATION_DUE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    version: int
    state: str
    clue_id: str
    clue_number: str
    origin_case_id: str
    subjects: _containers.RepeatedCompositeFieldContainer[_identity_pb2.PersonRef]
    handling_office: str
    proposed_by: str
    approvals: _containers.RepeatedCompositeFieldContainer[FilingApproval]
    filed_at: _timestamp_pb2.Timestamp
    trial_review_due: _timestamp_pb2.Timestamp
    proposals: _containers.RepeatedCompositeFieldContainer[_events_pb2.Outcome]
    heard: _containers.RepeatedScalarFieldContainer[str]
    outcomes: _containers.RepeatedCompositeFieldContainer[_events_pb2.Outcome]
    accountability_case_ids: _containers.RepeatedScalarFieldContainer[str]
    quality_grade: _events_pb2.QualityGrade
    liaison_office: str
    hand_over_to: str
    sides_needed: _containers.RepeatedScalarFieldContainer[_events_pb2.FilingSide]
    topic_meeting_held: bool
    return_proposed: _events_pb2.ReturnTarget
    proposed_sanctions: _containers.RepeatedCompositeFieldContainer[_events_pb2.PersonSanctions]
    sanctions: _containers.RepeatedCompositeFieldContainer[_events_pb2.PersonSanctions]
    rehearing: _containers.RepeatedScalarFieldContainer[str]
    measure_ids: _containers.RepeatedScalarFieldContainer[str]
    awaiting: _containers.RepeatedCompositeFieldContainer[_awaiting_pb2.AwaitingItem]
    colour: str
    investigation_due: _timestamp_pb2.Timestamp
    def __init__(self, case_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ..., clue_id: _Optional[str] = ..., clue_number: _Optional[str] = ..., origin_case_id: _Optional[str] = ..., subjects: _Optional[_Iterable[_Union[_identity_pb2.PersonRef, _Mapping]]] = ..., handling_office: _Optional[str] = ..., proposed_by: _Optional[str] = ..., approvals: _Optional[_Iterable[_Union[FilingApproval, _Mapping]]] = ..., filed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., trial_review_due: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., proposals: _Optional[_Iterable[_Union[_events_pb2.Outcome, _Mapping]]] = ..., heard: _Optional[_Iterable[str]] = ..., outcomes: _Optional[_Iterable[_Union[_events_pb2.Outcome, _Mapping]]] = ..., accountability_case_ids: _Optional[_Iterable[str]] = ..., quality_grade: _Optional[_Union[_events_pb2.QualityGrade, str]] = ..., liaison_office: _Optional[str] = ..., hand_over_to: _Optional[str] = ..., sides_needed: _Optional[_Iterable[_Union[_events_pb2.FilingSide, str]]] = ..., topic_meeting_held: _Optional[bool] = ..., return_proposed: _Optional[_Union[_events_pb2.ReturnTarget, str]] = ..., proposed_sanctions: _Optional[_Iterable[_Union[_events_pb2.PersonSanctions, _Mapping]]] = ..., sanctions: _Optional[_Iterable[_Union[_events_pb2.PersonSanctions, _Mapping]]] = ..., rehearing: _Optional[_Iterable[str]] = ..., measure_ids: _Optional[_Iterable[str]] = ..., awaiting: _Optional[_Iterable[_Union[_awaiting_pb2.AwaitingItem, _Mapping]]] = ..., colour: _Optional[str] = ..., investigation_due: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetMeasureRequest(_message.Message):
    __slots__ = ("measure_id", "purpose")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    purpose: str
    def __init__(self, measure_id: _Optional[str] = ..., purpose: _Optional[str] = ...) -> None: ...

class MeasureLine(_message.Message):
    __slots__ = ("measure_id", "case_id", "office", "kind", "person_id", "state", "starts_at", "ends_at", "extensions", "notice_given", "notice_overdue", "expired_not_ended", "clue_id", "notice_deferred", "notice_due", "executed", "changes_pending", "change_due", "change_overdue", "release_notice_given", "outcome", "awaiting_step", "awaiting_roles", "unrelated_at", "release_due", "release_overdue", "released_at", "complaints_pending", "complaint_due", "complaint_overdue")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    STARTS_AT_FIELD_NUMBER: _ClassVar[int]
    ENDS_AT_FIELD_NUMBER: _ClassVar[int]
    EXTENSIONS_FIELD_NUMBER: _ClassVar[int]
    NOTICE_GIVEN_FIELD_NUMBER: _ClassVar[int]
    NOTICE_OVERDUE_FIELD_NUMBER: _ClassVar[int]
    EXPIRED_NOT_ENDED_FIELD_NUMBER: _ClassVar[int]
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    NOTICE_DEFERRED_FIELD_NUMBER: _ClassVar[int]
    NOTICE_DUE_FIELD_NUMBER: _ClassVar[int]
    EXECUTED_FIELD_NUMBER: _ClassVar[int]
    CHANGES_PENDING_FIELD_NUMBER: _ClassVar[int]
    CHANGE_DUE_FIELD_NUMBER: _ClassVar[int]
    CHANGE_OVERDUE_FIELD_NUMBER: _ClassVar[int]
    RELEASE_NOTICE_GIVEN_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    AWAITING_STEP_FIELD_NUMBER: _ClassVar[int]
    AWAITING_ROLES_FIELD_NUMBER: _ClassVar[int]
    UNRELATED_AT_FIELD_NUMBER: _ClassVar[int]
    RELEASE_DUE_FIELD_NUMBER: _ClassVar[int]
    RELEASE_OVERDUE_FIELD_NUMBER: _ClassVar[int]
    RELEASED_AT_FIELD_NUMBER: _ClassVar[int]
    COMPLAINTS_PENDING_FIELD_NUMBER: _ClassVar[int]
    COMPLAINT_DUE_FIELD_NUMBER: _ClassVar[int]
    COMPLAINT_OVERDUE_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    case_id: str
    office: str
    kind: _events_pb2.MeasureKind
    person_id: str
    state: str
    starts_at: _timestamp_pb2.Timestamp
    ends_at: _timestamp_pb2.Timestamp
    extensions: int
    notice_given: bool
    notice_overdue: bool
    expired_not_ended: bool
    clue_id: str
    notice_deferred: bool
    notice_due: _timestamp_pb2.Timestamp
    executed: bool
    changes_pending: int
    change_due: _timestamp_pb2.Timestamp
    change_overdue: bool
    release_notice_given: bool
    outcome: _events_pb2.MeasureOutcome
    awaiting_step: str
    awaiting_roles: _containers.RepeatedScalarFieldContainer[str]
    unrelated_at: _timestamp_pb2.Timestamp
    release_due: _timestamp_pb2.Timestamp
    release_overdue: bool
    released_at: _timestamp_pb2.Timestamp
    complaints_pending: int
    complaint_due: _timestamp_pb2.Timestamp
    complaint_overdue: bool
    def __init__(self, measure_id: _Optional[str] = ..., case_id: _Optional[str] = ..., office: _Optional[str] = ..., kind: _Optional[_Union[_events_pb2.MeasureKind, str]] = ..., person_id: _Optional[str] = ..., state: _Optional[str] = ..., starts_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ends_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., extensions: _Optional[int] = ..., notice_given: _Optional[bool] = ..., notice_overdue: _Optional[bool] = ..., expired_not_ended: _Optional[bool] = ..., clue_id: _Optional[str] = ..., notice_deferred: _Optional[bool] = ..., notice_due: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., executed: _Optional[bool] = ..., changes_pending: _Optional[int] = ..., change_due: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., change_overdue: _Optional[bool] = ..., release_notice_given: _Optional[bool] = ..., outcome: _Optional[_Union[_events_pb2.MeasureOutcome, str]] = ..., awaiting_step: _Optional[str] = ..., awaiting_roles: _Optional[_Iterable[str]] = ..., unrelated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., release_due: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., release_overdue: _Optional[bool] = ..., released_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., complaints_pending: _Optional[int] = ..., complaint_due: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., complaint_overdue: _Optional[bool] = ...) -> None: ...

class GetMeasureResponse(_message.Message):
    __slots__ = ("measure", "version")
    MEASURE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    measure: MeasureLine
    version: int
    def __init__(self, measure: _Optional[_Union[MeasureLine, _Mapping]] = ..., version: _Optional[int] = ...) -> None: ...

class ListMeasuresRequest(_message.Message):
    __slots__ = ("office", "open_only", "purpose", "case_id", "expired_only")
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    OPEN_ONLY_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    EXPIRED_ONLY_FIELD_NUMBER: _ClassVar[int]
    office: str
    open_only: bool
    purpose: str
    case_id: str
    expired_only: bool
    def __init__(self, office: _Optional[str] = ..., open_only: _Optional[bool] = ..., purpose: _Optional[str] = ..., case_id: _Optional[str] = ..., expired_only: _Optional[bool] = ...) -> None: ...

class ListMeasuresResponse(_message.Message):
    __slots__ = ("measures",)
    MEASURES_FIELD_NUMBER: _ClassVar[int]
    measures: _containers.RepeatedCompositeFieldContainer[MeasureLine]
    def __init__(self, measures: _Optional[_Iterable[_Union[MeasureLine, _Mapping]]] = ...) -> None: ...

class ListCasesRequest(_message.Message):
    __slots__ = ("state", "office", "person_id", "overdue_only", "page_size", "page_token", "purpose")
    STATE_FIELD_NUMBER: _ClassVar[int]
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_ONLY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    state: str
    office: str
    person_id: str
    overdue_only: bool
    page_size: int
    page_token: str
    purpose: str
    def __init__(self, state: _Optional[str] = ..., office: _Optional[str] = ..., person_id: _Optional[str] = ..., overdue_only: _Optional[bool] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., purpose: _Optional[str] = ...) -> None: ...

class CaseSummary(_message.Message):
    __slots__ = ("case_id", "clue_number", "state", "handling_office", "subjects", "filed_at", "due", "colour", "awaiting_steps")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    CLUE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    HANDLING_OFFICE_FIELD_NUMBER: _ClassVar[int]
    SUBJECTS_FIELD_NUMBER: _ClassVar[int]
    FILED_AT_FIELD_NUMBER: _ClassVar[int]
    DUE_FIELD_NUMBER: _ClassVar[int]
    COLOUR_FIELD_NUMBER: _ClassVar[int]
    AWAITING_STEPS_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    clue_number: str
    state: str
    handling_office: str
    subjects: _containers.RepeatedCompositeFieldContainer[_identity_pb2.PersonRef]
    filed_at: _timestamp_pb2.Timestamp
    due: _timestamp_pb2.Timestamp
    colour: str
    awaiting_steps: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, case_id: _Optional[str] = ..., clue_number: _Optional[str] = ..., state: _Optional[str] = ..., handling_office: _Optional[str] = ..., subjects: _Optional[_Iterable[_Union[_identity_pb2.PersonRef, _Mapping]]] = ..., filed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., colour: _Optional[str] = ..., awaiting_steps: _Optional[_Iterable[str]] = ...) -> None: ...

class ListCasesResponse(_message.Message):
    __slots__ = ("cases", "next_page_token")
    CASES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    cases: _containers.RepeatedCompositeFieldContainer[CaseSummary]
    next_page_token: str
    def __init__(self, cases: _Optional[_Iterable[_Union[CaseSummary, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListAwaitingMeRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "purpose")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    purpose: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., purpose: _Optional[str] = ...) -> None: ...

class ListAwaitingMeResponse(_message.Message):
    __slots__ = ("items", "next_page_token")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[_awaiting_pb2.AwaitingItem]
    next_page_token: str
    def __init__(self, items: _Optional[_Iterable[_Union[_awaiting_pb2.AwaitingItem, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ProposeHandOverRequest(_message.Message):
    __slots__ = ("case_id", "to_office", "reason", "expected_version")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    TO_OFFICE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    to_office: str
    reason: str
    expected_version: int
    def __init__(self, case_id: _Optional[str] = ..., to_office: _Optional[str] = ..., reason: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class ProposeHandOverResponse(_message.Message):
    __slots__ = ("case_id", "version", "state")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    version: int
    state: str
    def __init__(self, case_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class ApproveHandOverRequest(_message.Message):
    __slots__ = ("case_id", "expected_version")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    expected_version: int
    def __init__(self, case_id: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class ApproveHandOverResponse(_message.Message):
    __slots__ = ("case_id", "version", "state")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    version: int
    state: str
    def __init__(self, case_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class RejectHandOverRequest(_message.Message):
    __slots__ = ("case_id", "reason", "expected_version")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    reason: str
    expected_version: int
    def __init__(self, case_id: _Optional[str] = ..., reason: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class RejectHandOverResponse(_message.Message):
    __slots__ = ("case_id", "version", "state")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    version: int
    state: str
    def __init__(self, case_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...
