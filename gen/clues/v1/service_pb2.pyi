import datetime

from common.v1 import rules_pb2 as _rules_pb2
from clues.v1 import events_pb2 as _events_pb2
from common.v1 import awaiting_pb2 as _awaiting_pb2
from common.v1 import identity_pb2 as _identity_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Informant(_message.Message):
    __slots__ = ("name", "contact", "details")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CONTACT_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    name: str
    contact: str
    details: str
    def __init__(self, name: _Optional[str] = ..., contact: _Optional[str] = ..., details: _Optional[str] = ...) -> None: ...

class RegisterClueRequest(_message.Message):
    __slots__ = ("source", "subjects", "summary", "received_at", "informant", "priority", "routing", "forward_to")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SUBJECTS_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    INFORMANT_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    ROUTING_FIELD_NUMBER: _ClassVar[int]
    FORWARD_TO_FIELD_NUMBER: _ClassVar[int]
    source: _events_pb2.ClueSource
    subjects: _containers.RepeatedCompositeFieldContainer[_identity_pb2.PersonRef]
    summary: str
    received_at: _timestamp_pb2.Timestamp
    informant: Informant
    priority: _events_pb2.CluePriority
    routing: _events_pb2.ClueRouting
    forward_to: str
    def __init__(self, source: _Optional[_Union[_events_pb2.ClueSource, str]] = ..., subjects: _Optional[_Iterable[_Union[_identity_pb2.PersonRef, _Mapping]]] = ..., summary: _Optional[str] = ..., received_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., informant: _Optional[_Union[Informant, _Mapping]] = ..., priority: _Optional[_Union[_events_pb2.CluePriority, str]] = ..., routing: _Optional[_Union[_events_pb2.ClueRouting, str]] = ..., forward_to: _Optional[str] = ...) -> None: ...

class RegisterClueResponse(_message.Message):
    __slots__ = ("clue_id", "version")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    version: int
    def __init__(self, clue_id: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class RegisterClueBatchRequest(_message.Message):
    __slots__ = ("batch_reference", "clues")
    BATCH_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    CLUES_FIELD_NUMBER: _ClassVar[int]
    batch_reference: str
    clues: _containers.RepeatedCompositeFieldContainer[RegisterClueRequest]
    def __init__(self, batch_reference: _Optional[str] = ..., clues: _Optional[_Iterable[_Union[RegisterClueRequest, _Mapping]]] = ...) -> None: ...

class RegisterClueBatchResponse(_message.Message):
    __slots__ = ("clue_ids",)
    CLUE_IDS_FIELD_NUMBER: _ClassVar[int]
    clue_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, clue_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class GetInformantRequest(_message.Message):
    __slots__ = ("clue_id", "purpose")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    purpose: str
    def __init__(self, clue_id: _Optional[str] = ..., purpose: _Optional[str] = ...) -> None: ...

class GetInformantResponse(_message.Message):
    __slots__ = ("informant",)
    INFORMANT_FIELD_NUMBER: _ClassVar[int]
    informant: Informant
    def __init__(self, informant: _Optional[_Union[Informant, _Mapping]] = ...) -> None: ...

class GetClueRequest(_message.Message):
    __slots__ = ("clue_id", "purpose")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    purpose: str
    def __init__(self, clue_id: _Optional[str] = ..., purpose: _Optional[str] = ...) -> None: ...

class GetClueResponse(_message.Message):
    __slots__ = ("clue_id", "state", "source", "subjects", "summary", "receiving_office", "received_at", "version", "has_sealed_informant", "clue_number", "handling_office", "pending_kind", "pending_value", "pending_proposed_by", "case_id", "outcome", "colour", "deadline", "priority", "routing", "pending_detail", "outcome_detail", "awaiting")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SUBJECTS_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    RECEIVING_OFFICE_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    HAS_SEALED_INFORMANT_FIELD_NUMBER: _ClassVar[int]
    CLUE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    HANDLING_OFFICE_FIELD_NUMBER: _ClassVar[int]
    PENDING_KIND_FIELD_NUMBER: _ClassVar[int]
    PENDING_VALUE_FIELD_NUMBER: _ClassVar[int]
    PENDING_PROPOSED_BY_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    COLOUR_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    ROUTING_FIELD_NUMBER: _ClassVar[int]
    PENDING_DETAIL_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_DETAIL_FIELD_NUMBER: _ClassVar[int]
    AWAITING_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    state: str
    source: _events_pb2.ClueSource
    subjects: _containers.RepeatedCompositeFieldContainer[_identity_pb2.PersonRef]
    summary: str
    receiving_office: _identity_pb2.OfficeRef
    received_at: _timestamp_pb2.Timestamp
    version: int
    has_sealed_informant: bool
    clue_number: str
    handling_office: str
    pending_kind: str
    pending_value: str
    pending_proposed_by: str
    case_id: str
    outcome: str
    colour: _events_pb2.WarningColour
    deadline: _timestamp_pb2.Timestamp
    priority: _events_pb2.CluePriority
    routing: _events_pb2.ClueRouting
    pending_detail: str
    outcome_detail: str
    awaiting: _containers.RepeatedCompositeFieldContainer[_awaiting_pb2.AwaitingItem]
    def __init__(self, clue_id: _Optional[str] = ..., state: _Optional[str] = ..., source: _Optional[_Union[_events_pb2.ClueSource, str]] = ..., subjects: _Optional[_Iterable[_Union[_identity_pb2.PersonRef, _Mapping]]] = ..., summary: _Optional[str] = ..., receiving_office: _Optional[_Union[_identity_pb2.OfficeRef, _Mapping]] = ..., received_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., version: _Optional[int] = ..., has_sealed_informant: _Optional[bool] = ..., clue_number: _Optional[str] = ..., handling_office: _Optional[str] = ..., pending_kind: _Optional[str] = ..., pending_value: _Optional[str] = ..., pending_proposed_by: _Optional[str] = ..., case_id: _Optional[str] = ..., outcome: _Optional[str] = ..., colour: _Optional[_Union[_events_pb2.WarningColour, str]] = ..., deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., priority: _Optional[_Union[_events_pb2.CluePriority, str]] = ..., routing: _Optional[_Union[_events_pb2.ClueRouting, str]] = ..., pending_detail: _Optional[str] = ..., outcome_detail: _Optional[str] = ..., awaiting: _Optional[_Iterable[_Union[_awaiting_pb2.AwaitingItem, _Mapping]]] = ...) -> None: ...

class ListCluesRequest(_message.Message):
    __slots__ = ("office", "colour", "stage", "priority", "limit", "purpose")
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    COLOUR_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    office: str
    colour: _events_pb2.WarningColour
    stage: str
    priority: _events_pb2.CluePriority
    limit: int
    purpose: str
    def __init__(self, office: _Optional[str] = ..., colour: _Optional[_Union[_events_pb2.WarningColour, str]] = ..., stage: _Optional[str] = ..., priority: _Optional[_Union[_events_pb2.CluePriority, str]] = ..., limit: _Optional[int] = ..., purpose: _Optional[str] = ...) -> None: ...

class ClueSummary(_message.Message):
    __slots__ = ("clue_id", "clue_number", "state", "handling_office", "receiving_office", "priority", "colour", "deadline", "received_at", "stage_since", "summary")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    CLUE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    HANDLING_OFFICE_FIELD_NUMBER: _ClassVar[int]
    RECEIVING_OFFICE_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    COLOUR_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    STAGE_SINCE_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    clue_number: str
    state: str
    handling_office: str
    receiving_office: str
    priority: _events_pb2.CluePriority
    colour: _events_pb2.WarningColour
    deadline: _timestamp_pb2.Timestamp
    received_at: _timestamp_pb2.Timestamp
    stage_since: _timestamp_pb2.Timestamp
    summary: str
    def __init__(self, clue_id: _Optional[str] = ..., clue_number: _Optional[str] = ..., state: _Optional[str] = ..., handling_office: _Optional[str] = ..., receiving_office: _Optional[str] = ..., priority: _Optional[_Union[_events_pb2.CluePriority, str]] = ..., colour: _Optional[_Union[_events_pb2.WarningColour, str]] = ..., deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., received_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., stage_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., summary: _Optional[str] = ...) -> None: ...

class ListCluesResponse(_message.Message):
    __slots__ = ("clues",)
    CLUES_FIELD_NUMBER: _ClassVar[int]
    clues: _containers.RepeatedCompositeFieldContainer[ClueSummary]
    def __init__(self, clues: _Optional[_Iterable[_Union[ClueSummary, _Mapping]]] = ...) -> None: ...

class ForwardClueRequest(_message.Message):
    __slots__ = ("clue_id", "expected_version", "to_agency", "reason", "routing", "part")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    TO_AGENCY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ROUTING_FIELD_NUMBER: _ClassVar[int]
    PART_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    expected_version: int
    to_agency: str
    reason: str
    routing: _events_pb2.ClueRouting
    part: str
    def __init__(self, clue_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., to_agency: _Optional[str] = ..., reason: _Optional[str] = ..., routing: _Optional[_Union[_events_pb2.ClueRouting, str]] = ..., part: _Optional[str] = ...) -> None: ...

class ForwardClueResponse(_message.Message):
    __slots__ = ("clue_id", "version", "state")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    version: int
    state: str
    def __init__(self, clue_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class ProposeRegistrationRequest(_message.Message):
    __slots__ = ("clue_id", "expected_version", "handling_office")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    HANDLING_OFFICE_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    expected_version: int
    handling_office: str
    def __init__(self, clue_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., handling_office: _Optional[str] = ...) -> None: ...

class ProposeRegistrationResponse(_message.Message):
    __slots__ = ("clue_id", "version", "state")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    version: int
    state: str
    def __init__(self, clue_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class ApproveRegistrationRequest(_message.Message):
    __slots__ = ("clue_id", "expected_version")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    expected_version: int
    def __init__(self, clue_id: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class ApproveRegistrationResponse(_message.Message):
    __slots__ = ("clue_id", "version", "state")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    version: int
    state: str
    def __init__(self, clue_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class RejectRegistrationRequest(_message.Message):
    __slots__ = ("clue_id", "expected_version", "reason")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    expected_version: int
    reason: str
    def __init__(self, clue_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class RejectRegistrationResponse(_message.Message):
    __slots__ = ("clue_id", "version", "state")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    version: int
    state: str
    def __init__(self, clue_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class ProposeDisposalRequest(_message.Message):
    __slots__ = ("clue_id", "expected_version", "method", "reason")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    expected_version: int
    method: _events_pb2.DisposalMethod
    reason: str
    def __init__(self, clue_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., method: _Optional[_Union[_events_pb2.DisposalMethod, str]] = ..., reason: _Optional[str] = ...) -> None: ...

class ProposeDisposalResponse(_message.Message):
    __slots__ = ("clue_id", "version", "state")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    version: int
    state: str
    def __init__(self, clue_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class ApproveDisposalRequest(_message.Message):
    __slots__ = ("clue_id", "expected_version")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    expected_version: int
    def __init__(self, clue_id: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class ApproveDisposalResponse(_message.Message):
    __slots__ = ("clue_id", "version", "state")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    version: int
    state: str
    def __init__(self, clue_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class RejectDisposalRequest(_message.Message):
    __slots__ = ("clue_id", "expected_version", "reason")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    expected_version: int
    reason: str
    def __init__(self, clue_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class RejectDisposalResponse(_message.Message):
    __slots__ = ("clue_id", "version", "state")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    version: int
    state: str
    def __init__(self, clue_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class ConcludeTalkOrLetterRequest(_message.Message):
    __slots__ = ("clue_id", "expected_version", "outcome", "summary", "light_handling")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    LIGHT_HANDLING_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    expected_version: int
    outcome: _events_pb2.TalkOutcome
    summary: str
    light_handling: _events_pb2.LightHandling
    def __init__(self, clue_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., outcome: _Optional[_Union[_events_pb2.TalkOutcome, str]] = ..., summary: _Optional[str] = ..., light_handling: _Optional[_Union[_events_pb2.LightHandling, str]] = ...) -> None: ...

class ConcludeTalkOrLetterResponse(_message.Message):
    __slots__ = ("clue_id", "version", "state")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    version: int
    state: str
    def __init__(self, clue_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class SubmitPrelimCheckPlanRequest(_message.Message):
    __slots__ = ("clue_id", "expected_version", "work_plan", "team", "subject_heads_lower_committee")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    WORK_PLAN_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_HEADS_LOWER_COMMITTEE_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    expected_version: int
    work_plan: str
    team: _containers.RepeatedScalarFieldContainer[str]
    subject_heads_lower_committee: bool
    def __init__(self, clue_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., work_plan: _Optional[str] = ..., team: _Optional[_Iterable[str]] = ..., subject_heads_lower_committee: _Optional[bool] = ...) -> None: ...

class SubmitPrelimCheckPlanResponse(_message.Message):
    __slots__ = ("clue_id", "version", "state")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    version: int
    state: str
    def __init__(self, clue_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class ApprovePrelimCheckPlanRequest(_message.Message):
    __slots__ = ("clue_id", "expected_version")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    expected_version: int
    def __init__(self, clue_id: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class ApprovePrelimCheckPlanResponse(_message.Message):
    __slots__ = ("clue_id", "version", "state")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    version: int
    state: str
    def __init__(self, clue_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class ReportPrelimCheckRequest(_message.Message):
    __slots__ = ("clue_id", "expected_version", "findings", "proposal", "light_handling", "party_organisation")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    PROPOSAL_FIELD_NUMBER: _ClassVar[int]
    LIGHT_HANDLING_FIELD_NUMBER: _ClassVar[int]
    PARTY_ORGANISATION_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    expected_version: int
    findings: str
    proposal: _events_pb2.ReportProposal
    light_handling: _events_pb2.LightHandling
    party_organisation: str
    def __init__(self, clue_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., findings: _Optional[str] = ..., proposal: _Optional[_Union[_events_pb2.ReportProposal, str]] = ..., light_handling: _Optional[_Union[_events_pb2.LightHandling, str]] = ..., party_organisation: _Optional[str] = ...) -> None: ...

class ReportPrelimCheckResponse(_message.Message):
    __slots__ = ("clue_id", "version", "state")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    version: int
    state: str
    def __init__(self, clue_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class ApproveReportRequest(_message.Message):
    __slots__ = ("clue_id", "expected_version")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    expected_version: int
    def __init__(self, clue_id: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class ApproveReportResponse(_message.Message):
    __slots__ = ("clue_id", "version", "state")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    version: int
    state: str
    def __init__(self, clue_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class RejectReportRequest(_message.Message):
    __slots__ = ("clue_id", "expected_version", "reason")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    expected_version: int
    reason: str
    def __init__(self, clue_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class RejectReportResponse(_message.Message):
    __slots__ = ("clue_id", "version", "state")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    version: int
    state: str
    def __init__(self, clue_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class ReviseReportProposalRequest(_message.Message):
    __slots__ = ("clue_id", "expected_version", "proposal", "reason", "light_handling", "party_organisation")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    PROPOSAL_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    LIGHT_HANDLING_FIELD_NUMBER: _ClassVar[int]
    PARTY_ORGANISATION_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    expected_version: int
    proposal: _events_pb2.ReportProposal
    reason: str
    light_handling: _events_pb2.LightHandling
    party_organisation: str
    def __init__(self, clue_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., proposal: _Optional[_Union[_events_pb2.ReportProposal, str]] = ..., reason: _Optional[str] = ..., light_handling: _Optional[_Union[_events_pb2.LightHandling, str]] = ..., party_organisation: _Optional[str] = ...) -> None: ...

class ReviseReportProposalResponse(_message.Message):
    __slots__ = ("clue_id", "version", "state")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    version: int
    state: str
    def __init__(self, clue_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class ReopenClueRequest(_message.Message):
    __slots__ = ("clue_id", "expected_version", "new_information")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    NEW_INFORMATION_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    expected_version: int
    new_information: str
    def __init__(self, clue_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., new_information: _Optional[str] = ...) -> None: ...

class ReopenClueResponse(_message.Message):
    __slots__ = ("clue_id", "version", "state")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    version: int
    state: str
    def __init__(self, clue_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class ApproveTalkOrLetterConclusionRequest(_message.Message):
    __slots__ = ("clue_id", "expected_version")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    expected_version: int
    def __init__(self, clue_id: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class ApproveTalkOrLetterConclusionResponse(_message.Message):
    __slots__ = ("clue_id", "version", "state")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    version: int
    state: str
    def __init__(self, clue_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class RejectTalkOrLetterConclusionRequest(_message.Message):
    __slots__ = ("clue_id", "expected_version", "reason")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    expected_version: int
    reason: str
    def __init__(self, clue_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class RejectTalkOrLetterConclusionResponse(_message.Message):
    __slots__ = ("clue_id", "version", "state")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    version: int
    state: str
    def __init__(self, clue_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class ProposeClearingRequest(_message.Message):
    __slots__ = ("clue_id", "expected_version", "method", "reason", "clearing")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CLEARING_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    expected_version: int
    method: _events_pb2.DisposalMethod
    reason: str
    clearing: str
    def __init__(self, clue_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., method: _Optional[_Union[_events_pb2.DisposalMethod, str]] = ..., reason: _Optional[str] = ..., clearing: _Optional[str] = ...) -> None: ...

class ProposeClearingResponse(_message.Message):
    __slots__ = ("clue_id", "version", "state")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    version: int
    state: str
    def __init__(self, clue_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class DeclareRecusalRequest(_message.Message):
    __slots__ = ("clue_id", "expected_version", "person_id", "ground", "reason")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    GROUND_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    expected_version: int
    person_id: str
    ground: _events_pb2.RecusalGround
    reason: str
    def __init__(self, clue_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., person_id: _Optional[str] = ..., ground: _Optional[_Union[_events_pb2.RecusalGround, str]] = ..., reason: _Optional[str] = ...) -> None: ...

class DeclareRecusalResponse(_message.Message):
    __slots__ = ("clue_id", "version", "state")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    version: int
    state: str
    def __init__(self, clue_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class IssueSupervisionNoticeRequest(_message.Message):
    __slots__ = ("clue_id", "expected_version", "notice_id", "to_office", "due_at", "required")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    NOTICE_ID_FIELD_NUMBER: _ClassVar[int]
    TO_OFFICE_FIELD_NUMBER: _ClassVar[int]
    DUE_AT_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    expected_version: int
    notice_id: str
    to_office: str
    due_at: _timestamp_pb2.Timestamp
    required: str
    def __init__(self, clue_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., notice_id: _Optional[str] = ..., to_office: _Optional[str] = ..., due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., required: _Optional[str] = ...) -> None: ...

class IssueSupervisionNoticeResponse(_message.Message):
    __slots__ = ("clue_id", "version", "state")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    version: int
    state: str
    def __init__(self, clue_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class EscalateClueRequest(_message.Message):
    __slots__ = ("clue_id", "expected_version", "to_office", "reason")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    TO_OFFICE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    expected_version: int
    to_office: str
    reason: str
    def __init__(self, clue_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., to_office: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class EscalateClueResponse(_message.Message):
    __slots__ = ("clue_id", "version", "state")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    version: int
    state: str
    def __init__(self, clue_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class ApproveEscalationRequest(_message.Message):
    __slots__ = ("clue_id", "expected_version")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    expected_version: int
    def __init__(self, clue_id: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class ApproveEscalationResponse(_message.Message):
    __slots__ = ("clue_id", "version", "state")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    version: int
    state: str
    def __init__(self, clue_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class RejectEscalationRequest(_message.Message):
    __slots__ = ("clue_id", "expected_version", "reason")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    expected_version: int
    reason: str
    def __init__(self, clue_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class RejectEscalationResponse(_message.Message):
    __slots__ = ("clue_id", "version", "state")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    version: int
    state: str
    def __init__(self, clue_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ...) -> None: ...

class ListSupervisionNoticesRequest(_message.Message):
    __slots__ = ("office", "overdue_only", "purpose")
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_ONLY_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    office: str
    overdue_only: bool
    purpose: str
    def __init__(self, office: _Optional[str] = ..., overdue_only: _Optional[bool] = ..., purpose: _Optional[str] = ...) -> None: ...

class SupervisionNotice(_message.Message):
    __slots__ = ("clue_id", "notice_id", "to_office", "due_at", "required", "issued_at", "satisfied_at", "overdue")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    NOTICE_ID_FIELD_NUMBER: _ClassVar[int]
    TO_OFFICE_FIELD_NUMBER: _ClassVar[int]
    DUE_AT_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    ISSUED_AT_FIELD_NUMBER: _ClassVar[int]
    SATISFIED_AT_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    notice_id: str
    to_office: str
    due_at: _timestamp_pb2.Timestamp
    required: str
    issued_at: _timestamp_pb2.Timestamp
    satisfied_at: _timestamp_pb2.Timestamp
    overdue: bool
    def __init__(self, clue_id: _Optional[str] = ..., notice_id: _Optional[str] = ..., to_office: _Optional[str] = ..., due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., required: _Optional[str] = ..., issued_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., satisfied_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., overdue: _Optional[bool] = ...) -> None: ...

class ListSupervisionNoticesResponse(_message.Message):
    __slots__ = ("notices",)
    NOTICES_FIELD_NUMBER: _ClassVar[int]
    notices: _containers.RepeatedCompositeFieldContainer[SupervisionNotice]
    def __init__(self, notices: _Optional[_Iterable[_Union[SupervisionNotice, _Mapping]]] = ...) -> None: ...

class OfficeLedgerEntry(_message.Message):
    __slots__ = ("clue", "status")
    CLUE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    clue: str
    status: str
    def __init__(self, clue: _Optional[str] = ..., status: _Optional[str] = ...) -> None: ...

class SubmitOfficeLedgerRequest(_message.Message):
    __slots__ = ("office", "month", "entries")
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    MONTH_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    office: str
    month: str
    entries: _containers.RepeatedCompositeFieldContainer[OfficeLedgerEntry]
    def __init__(self, office: _Optional[str] = ..., month: _Optional[str] = ..., entries: _Optional[_Iterable[_Union[OfficeLedgerEntry, _Mapping]]] = ...) -> None: ...

class SubmitOfficeLedgerResponse(_message.Message):
    __slots__ = ("reconciliation", "submission")
    RECONCILIATION_FIELD_NUMBER: _ClassVar[int]
    SUBMISSION_FIELD_NUMBER: _ClassVar[int]
    reconciliation: _events_pb2.OfficeLedgerReconciled
    submission: int
    def __init__(self, reconciliation: _Optional[_Union[_events_pb2.OfficeLedgerReconciled, _Mapping]] = ..., submission: _Optional[int] = ...) -> None: ...

class GetReconciliationRequest(_message.Message):
    __slots__ = ("office", "month", "purpose")
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    MONTH_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    office: str
    month: str
    purpose: str
    def __init__(self, office: _Optional[str] = ..., month: _Optional[str] = ..., purpose: _Optional[str] = ...) -> None: ...

class GetReconciliationResponse(_message.Message):
    __slots__ = ("reconciliation", "submission")
    RECONCILIATION_FIELD_NUMBER: _ClassVar[int]
    SUBMISSION_FIELD_NUMBER: _ClassVar[int]
    reconciliation: _events_pb2.OfficeLedgerReconciled
    submission: int
    def __init__(self, reconciliation: _Optional[_Union[_events_pb2.OfficeLedgerReconciled, _Mapping]] = ..., submission: _Optional[int] = ...) -> None: ...

class GetStockTakeRequest(_message.Message):
    __slots__ = ("start", "end", "office", "purpose")
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    start: _timestamp_pb2.Timestamp
    end: _timestamp_pb2.Timestamp
    office: str
    purpose: str
    def __init__(self, start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., office: _Optional[str] = ..., purpose: _Optional[str] = ...) -> None: ...

class GetStockTakeResponse(_message.Message):
    __slots__ = ("start", "end", "office", "received", "disposed_by_method", "concluded_by_status", "open_by_stage", "open_by_colour", "overdue", "notices_issued", "notices_met", "notices_overdue")
    class DisposedByMethodEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    class ConcludedByStatusEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    class OpenByStageEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    class OpenByColourEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_FIELD_NUMBER: _ClassVar[int]
    DISPOSED_BY_METHOD_FIELD_NUMBER: _ClassVar[int]
    CONCLUDED_BY_STATUS_FIELD_NUMBER: _ClassVar[int]
    OPEN_BY_STAGE_FIELD_NUMBER: _ClassVar[int]
    OPEN_BY_COLOUR_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_FIELD_NUMBER: _ClassVar[int]
    NOTICES_ISSUED_FIELD_NUMBER: _ClassVar[int]
    NOTICES_MET_FIELD_NUMBER: _ClassVar[int]
    NOTICES_OVERDUE_FIELD_NUMBER: _ClassVar[int]
    start: _timestamp_pb2.Timestamp
    end: _timestamp_pb2.Timestamp
    office: str
    received: int
    disposed_by_method: _containers.ScalarMap[str, int]
    concluded_by_status: _containers.ScalarMap[str, int]
    open_by_stage: _containers.ScalarMap[str, int]
    open_by_colour: _containers.ScalarMap[str, int]
    overdue: int
    notices_issued: int
    notices_met: int
    notices_overdue: int
    def __init__(self, start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., office: _Optional[str] = ..., received: _Optional[int] = ..., disposed_by_method: _Optional[_Mapping[str, int]] = ..., concluded_by_status: _Optional[_Mapping[str, int]] = ..., open_by_stage: _Optional[_Mapping[str, int]] = ..., open_by_colour: _Optional[_Mapping[str, int]] = ..., overdue: _Optional[int] = ..., notices_issued: _Optional[int] = ..., notices_met: _Optional[int] = ..., notices_overdue: _Optional[int] = ...) -> None: ...

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
