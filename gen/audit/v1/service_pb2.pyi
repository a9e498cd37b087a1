import datetime

from common.v1 import rules_pb2 as _rules_pb2
from common.v1 import envelope_pb2 as _envelope_pb2
from common.v1 import reads_pb2 as _reads_pb2
from common.v1 import recording_pb2 as _recording_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class QuarantineKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    QUARANTINE_KIND_UNSPECIFIED: _ClassVar[QuarantineKind]
    QUARANTINE_KIND_DIGEST: _ClassVar[QuarantineKind]
    QUARANTINE_KIND_VERSION: _ClassVar[QuarantineKind]

class ApprovalDecision(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    APPROVAL_DECISION_UNSPECIFIED: _ClassVar[ApprovalDecision]
    APPROVAL_DECISION_APPROVED: _ClassVar[ApprovalDecision]
    APPROVAL_DECISION_REJECTED: _ClassVar[ApprovalDecision]
QUARANTINE_KIND_UNSPECIFIED: QuarantineKind
QUARANTINE_KIND_DIGEST: QuarantineKind
QUARANTINE_KIND_VERSION: QuarantineKind
APPROVAL_DECISION_UNSPECIFIED: ApprovalDecision
APPROVAL_DECISION_APPROVED: ApprovalDecision
APPROVAL_DECISION_REJECTED: ApprovalDecision

class GetStreamHistoryRequest(_message.Message):
    __slots__ = ("stream_id", "purpose")
    STREAM_ID_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    stream_id: str
    purpose: str
    def __init__(self, stream_id: _Optional[str] = ..., purpose: _Optional[str] = ...) -> None: ...

class RecordedEvent(_message.Message):
    __slots__ = ("envelope", "envelope_bytes", "topic", "partition", "offset", "ingested_at")
    ENVELOPE_FIELD_NUMBER: _ClassVar[int]
    ENVELOPE_BYTES_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    INGESTED_AT_FIELD_NUMBER: _ClassVar[int]
    envelope: _envelope_pb2.Envelope
    envelope_bytes: bytes
    topic: str
    partition: int
    offset: int
    ingested_at: _timestamp_pb2.Timestamp
    def __init__(self, envelope: _Optional[_Union[_envelope_pb2.Envelope, _Mapping]] = ..., envelope_bytes: _Optional[bytes] = ..., topic: _Optional[str] = ..., partition: _Optional[int] = ..., offset: _Optional[int] = ..., ingested_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetStreamHistoryResponse(_message.Message):
    __slots__ = ("stream_id", "events")
    STREAM_ID_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    stream_id: str
    events: _containers.RepeatedCompositeFieldContainer[RecordedEvent]
    def __init__(self, stream_id: _Optional[str] = ..., events: _Optional[_Iterable[_Union[RecordedEvent, _Mapping]]] = ...) -> None: ...

class GetInclusionProofRequest(_message.Message):
    __slots__ = ("event_id", "tree_size")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    TREE_SIZE_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    tree_size: int
    def __init__(self, event_id: _Optional[str] = ..., tree_size: _Optional[int] = ...) -> None: ...

class GetInclusionProofResponse(_message.Message):
    __slots__ = ("leaf_index", "tree_size", "hashes", "root_hash", "checkpoint", "leaf_hash")
    LEAF_INDEX_FIELD_NUMBER: _ClassVar[int]
    TREE_SIZE_FIELD_NUMBER: _ClassVar[int]
    HASHES_FIELD_NUMBER: _ClassVar[int]
    ROOT_HASH_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    LEAF_HASH_FIELD_NUMBER: _ClassVar[int]
    leaf_index: int
    tree_size: int
    hashes: _containers.RepeatedScalarFieldContainer[bytes]
    root_hash: bytes
    checkpoint: bytes
    leaf_hash: bytes
    def __init__(self, leaf_index: _Optional[int] = ..., tree_size: _Optional[int] = ..., hashes: _Optional[_Iterable[bytes]] = ..., root_hash: _Optional[bytes] = ..., checkpoint: _Optional[bytes] = ..., leaf_hash: _Optional[bytes] = ...) -> None: ...

class GetConsistencyProofRequest(_message.Message):
    __slots__ = ("first_size", "second_size")
    FIRST_SIZE_FIELD_NUMBER: _ClassVar[int]
    SECOND_SIZE_FIELD_NUMBER: _ClassVar[int]
    first_size: int
    second_size: int
    def __init__(self, first_size: _Optional[int] = ..., second_size: _Optional[int] = ...) -> None: ...

class GetConsistencyProofResponse(_message.Message):
    __slots__ = ("first_size", "second_size", "hashes", "first_root", "second_root")
    FIRST_SIZE_FIELD_NUMBER: _ClassVar[int]
    SECOND_SIZE_FIELD_NUMBER: _ClassVar[int]
    HASHES_FIELD_NUMBER: _ClassVar[int]
    FIRST_ROOT_FIELD_NUMBER: _ClassVar[int]
    SECOND_ROOT_FIELD_NUMBER: _ClassVar[int]
    first_size: int
    second_size: int
    hashes: _containers.RepeatedScalarFieldContainer[bytes]
    first_root: bytes
    second_root: bytes
    def __init__(self, first_size: _Optional[int] = ..., second_size: _Optional[int] = ..., hashes: _Optional[_Iterable[bytes]] = ..., first_root: _Optional[bytes] = ..., second_root: _Optional[bytes] = ...) -> None: ...

class GetCheckpointRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetCheckpointResponse(_message.Message):
    __slots__ = ("note", "tree_size", "root_hash", "origin", "signed_at", "completeness")
    NOTE_FIELD_NUMBER: _ClassVar[int]
    TREE_SIZE_FIELD_NUMBER: _ClassVar[int]
    ROOT_HASH_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    SIGNED_AT_FIELD_NUMBER: _ClassVar[int]
    COMPLETENESS_FIELD_NUMBER: _ClassVar[int]
    note: bytes
    tree_size: int
    root_hash: bytes
    origin: str
    signed_at: _timestamp_pb2.Timestamp
    completeness: _containers.RepeatedCompositeFieldContainer[ProducerCompleteness]
    def __init__(self, note: _Optional[bytes] = ..., tree_size: _Optional[int] = ..., root_hash: _Optional[bytes] = ..., origin: _Optional[str] = ..., signed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., completeness: _Optional[_Iterable[_Union[ProducerCompleteness, _Mapping]]] = ...) -> None: ...

class ProducerCompleteness(_message.Message):
    __slots__ = ("topic", "complete_through", "complete_count", "missing", "missing_since")
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_THROUGH_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_COUNT_FIELD_NUMBER: _ClassVar[int]
    MISSING_FIELD_NUMBER: _ClassVar[int]
    MISSING_SINCE_FIELD_NUMBER: _ClassVar[int]
    topic: str
    complete_through: str
    complete_count: int
    missing: int
    missing_since: _timestamp_pb2.Timestamp
    def __init__(self, topic: _Optional[str] = ..., complete_through: _Optional[str] = ..., complete_count: _Optional[int] = ..., missing: _Optional[int] = ..., missing_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SignCheckpointRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SignCheckpointResponse(_message.Message):
    __slots__ = ("checkpoint",)
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    checkpoint: GetCheckpointResponse
    def __init__(self, checkpoint: _Optional[_Union[GetCheckpointResponse, _Mapping]] = ...) -> None: ...

class GetLedgerPublicKeyRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetLedgerPublicKeyResponse(_message.Message):
    __slots__ = ("verifier_key", "origin", "public_key")
    VERIFIER_KEY_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    verifier_key: str
    origin: str
    public_key: bytes
    def __init__(self, verifier_key: _Optional[str] = ..., origin: _Optional[str] = ..., public_key: _Optional[bytes] = ...) -> None: ...

class ListQuarantinedRequest(_message.Message):
    __slots__ = ("limit",)
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    limit: int
    def __init__(self, limit: _Optional[int] = ...) -> None: ...

class QuarantinedDelivery(_message.Message):
    __slots__ = ("event_id", "stream_id", "version", "kind", "envelope_bytes", "topic", "partition", "offset", "detected_at")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    STREAM_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ENVELOPE_BYTES_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    DETECTED_AT_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    stream_id: str
    version: int
    kind: QuarantineKind
    envelope_bytes: bytes
    topic: str
    partition: int
    offset: int
    detected_at: _timestamp_pb2.Timestamp
    def __init__(self, event_id: _Optional[str] = ..., stream_id: _Optional[str] = ..., version: _Optional[int] = ..., kind: _Optional[_Union[QuarantineKind, str]] = ..., envelope_bytes: _Optional[bytes] = ..., topic: _Optional[str] = ..., partition: _Optional[int] = ..., offset: _Optional[int] = ..., detected_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListQuarantinedResponse(_message.Message):
    __slots__ = ("deliveries",)
    DELIVERIES_FIELD_NUMBER: _ClassVar[int]
    deliveries: _containers.RepeatedCompositeFieldContainer[QuarantinedDelivery]
    def __init__(self, deliveries: _Optional[_Iterable[_Union[QuarantinedDelivery, _Mapping]]] = ...) -> None: ...

class ExportHistoryBundleRequest(_message.Message):
    __slots__ = ("stream_id", "purpose", "whole_story", "as_of")
    STREAM_ID_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    WHOLE_STORY_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    stream_id: str
    purpose: str
    whole_story: bool
    as_of: _timestamp_pb2.Timestamp
    def __init__(self, stream_id: _Optional[str] = ..., purpose: _Optional[str] = ..., whole_story: _Optional[bool] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ExportHistoryBundleResponse(_message.Message):
    __slots__ = ("bundle", "tree_size", "events", "witnessed", "cosigners")
    BUNDLE_FIELD_NUMBER: _ClassVar[int]
    TREE_SIZE_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    WITNESSED_FIELD_NUMBER: _ClassVar[int]
    COSIGNERS_FIELD_NUMBER: _ClassVar[int]
    bundle: bytes
    tree_size: int
    events: int
    witnessed: bool
    cosigners: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, bundle: _Optional[bytes] = ..., tree_size: _Optional[int] = ..., events: _Optional[int] = ..., witnessed: _Optional[bool] = ..., cosigners: _Optional[_Iterable[str]] = ...) -> None: ...

class GetWitnessedCheckpointRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetWitnessedCheckpointResponse(_message.Message):
    __slots__ = ("note", "tree_size", "root_hash", "signed_at", "witnessed_at", "cosigners", "policy")
    NOTE_FIELD_NUMBER: _ClassVar[int]
    TREE_SIZE_FIELD_NUMBER: _ClassVar[int]
    ROOT_HASH_FIELD_NUMBER: _ClassVar[int]
    SIGNED_AT_FIELD_NUMBER: _ClassVar[int]
    WITNESSED_AT_FIELD_NUMBER: _ClassVar[int]
    COSIGNERS_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    note: bytes
    tree_size: int
    root_hash: bytes
    signed_at: _timestamp_pb2.Timestamp
    witnessed_at: _timestamp_pb2.Timestamp
    cosigners: _containers.RepeatedScalarFieldContainer[str]
    policy: str
    def __init__(self, note: _Optional[bytes] = ..., tree_size: _Optional[int] = ..., root_hash: _Optional[bytes] = ..., signed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., witnessed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cosigners: _Optional[_Iterable[str]] = ..., policy: _Optional[str] = ...) -> None: ...

class ListWitnessesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class WitnessStatus(_message.Message):
    __slots__ = ("name", "verifier_key", "url", "cosigned_size", "last_cosigned_at", "state", "last_error", "failures", "last_latency_seconds")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERIFIER_KEY_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    COSIGNED_SIZE_FIELD_NUMBER: _ClassVar[int]
    LAST_COSIGNED_AT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    FAILURES_FIELD_NUMBER: _ClassVar[int]
    LAST_LATENCY_SECONDS_FIELD_NUMBER: _ClassVar[int]
    name: str
    verifier_key: str
    url: str
    cosigned_size: int
    last_cosigned_at: _timestamp_pb2.Timestamp
    state: str
    last_error: str
    failures: int
    last_latency_seconds: float
    def __init__(self, name: _Optional[str] = ..., verifier_key: _Optional[str] = ..., url: _Optional[str] = ..., cosigned_size: _Optional[int] = ..., last_cosigned_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., state: _Optional[str] = ..., last_error: _Optional[str] = ..., failures: _Optional[int] = ..., last_latency_seconds: _Optional[float] = ...) -> None: ...

class ListWitnessesResponse(_message.Message):
    __slots__ = ("witnesses", "policy", "witnessed_size", "witnessed_after_seconds")
    WITNESSES_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    WITNESSED_SIZE_FIELD_NUMBER: _ClassVar[int]
    WITNESSED_AFTER_SECONDS_FIELD_NUMBER: _ClassVar[int]
    witnesses: _containers.RepeatedCompositeFieldContainer[WitnessStatus]
    policy: str
    witnessed_size: int
    witnessed_after_seconds: float
    def __init__(self, witnesses: _Optional[_Iterable[_Union[WitnessStatus, _Mapping]]] = ..., policy: _Optional[str] = ..., witnessed_size: _Optional[int] = ..., witnessed_after_seconds: _Optional[float] = ...) -> None: ...

class GetHistoryRequest(_message.Message):
    __slots__ = ("subject", "as_of", "page_size", "page_token", "purpose")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    subject: str
    as_of: _timestamp_pb2.Timestamp
    page_size: int
    page_token: str
    purpose: str
    def __init__(self, subject: _Optional[str] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., purpose: _Optional[str] = ...) -> None: ...

class StorySubject(_message.Message):
    __slots__ = ("id", "kind", "linked_from", "relation")
    ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    LINKED_FROM_FIELD_NUMBER: _ClassVar[int]
    RELATION_FIELD_NUMBER: _ClassVar[int]
    id: str
    kind: str
    linked_from: str
    relation: str
    def __init__(self, id: _Optional[str] = ..., kind: _Optional[str] = ..., linked_from: _Optional[str] = ..., relation: _Optional[str] = ...) -> None: ...

class Approval(_message.Message):
    __slots__ = ("decision", "user", "role")
    DECISION_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    decision: ApprovalDecision
    user: str
    role: str
    def __init__(self, decision: _Optional[_Union[ApprovalDecision, str]] = ..., user: _Optional[str] = ..., role: _Optional[str] = ...) -> None: ...

class HistoryStep(_message.Message):
    __slots__ = ("position", "leaf_index", "event_type", "stream_id", "version", "principal", "occurred_at", "recorded_at", "approval", "recordings", "event")
    POSITION_FIELD_NUMBER: _ClassVar[int]
    LEAF_INDEX_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    STREAM_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    RECORDED_AT_FIELD_NUMBER: _ClassVar[int]
    APPROVAL_FIELD_NUMBER: _ClassVar[int]
    RECORDINGS_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    position: int
    leaf_index: int
    event_type: str
    stream_id: str
    version: int
    principal: _envelope_pb2.Principal
    occurred_at: _timestamp_pb2.Timestamp
    recorded_at: _timestamp_pb2.Timestamp
    approval: Approval
    recordings: _containers.RepeatedCompositeFieldContainer[_recording_pb2.RecordingRef]
    event: RecordedEvent
    def __init__(self, position: _Optional[int] = ..., leaf_index: _Optional[int] = ..., event_type: _Optional[str] = ..., stream_id: _Optional[str] = ..., version: _Optional[int] = ..., principal: _Optional[_Union[_envelope_pb2.Principal, _Mapping]] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., recorded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., approval: _Optional[_Union[Approval, _Mapping]] = ..., recordings: _Optional[_Iterable[_Union[_recording_pb2.RecordingRef, _Mapping]]] = ..., event: _Optional[_Union[RecordedEvent, _Mapping]] = ...) -> None: ...

class GetHistoryResponse(_message.Message):
    __slots__ = ("subject", "as_of", "subjects", "steps", "total_steps", "next_page_token", "tree_size")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    SUBJECTS_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_STEPS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TREE_SIZE_FIELD_NUMBER: _ClassVar[int]
    subject: str
    as_of: _timestamp_pb2.Timestamp
    subjects: _containers.RepeatedCompositeFieldContainer[StorySubject]
    steps: _containers.RepeatedCompositeFieldContainer[HistoryStep]
    total_steps: int
    next_page_token: str
    tree_size: int
    def __init__(self, subject: _Optional[str] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., subjects: _Optional[_Iterable[_Union[StorySubject, _Mapping]]] = ..., steps: _Optional[_Iterable[_Union[HistoryStep, _Mapping]]] = ..., total_steps: _Optional[int] = ..., next_page_token: _Optional[str] = ..., tree_size: _Optional[int] = ...) -> None: ...

class ListReadsRequest(_message.Message):
    __slots__ = ("file_id", "person_id", "start", "end", "page_size", "page_token", "purpose")
    FILE_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    file_id: str
    person_id: str
    start: _timestamp_pb2.Timestamp
    end: _timestamp_pb2.Timestamp
    page_size: int
    page_token: str
    purpose: str
    def __init__(self, file_id: _Optional[str] = ..., person_id: _Optional[str] = ..., start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., purpose: _Optional[str] = ...) -> None: ...

class ReadRecord(_message.Message):
    __slots__ = ("event_id", "leaf_index", "reader", "read_at", "operation", "purpose", "query", "files", "topic")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    LEAF_INDEX_FIELD_NUMBER: _ClassVar[int]
    READER_FIELD_NUMBER: _ClassVar[int]
    READ_AT_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    leaf_index: int
    reader: _envelope_pb2.Principal
    read_at: _timestamp_pb2.Timestamp
    operation: str
    purpose: str
    query: str
    files: _containers.RepeatedCompositeFieldContainer[_reads_pb2.FileRef]
    topic: str
    def __init__(self, event_id: _Optional[str] = ..., leaf_index: _Optional[int] = ..., reader: _Optional[_Union[_envelope_pb2.Principal, _Mapping]] = ..., read_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., operation: _Optional[str] = ..., purpose: _Optional[str] = ..., query: _Optional[str] = ..., files: _Optional[_Iterable[_Union[_reads_pb2.FileRef, _Mapping]]] = ..., topic: _Optional[str] = ...) -> None: ...

class ListReadsResponse(_message.Message):
    __slots__ = ("reads", "next_page_token")
    READS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    reads: _containers.RepeatedCompositeFieldContainer[ReadRecord]
    next_page_token: str
    def __init__(self, reads: _Optional[_Iterable[_Union[ReadRecord, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
