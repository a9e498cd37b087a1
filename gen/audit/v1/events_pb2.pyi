import datetime

from audit.v1 import integrity_pb2 as _integrity_pb2
from common.v1 import identity_pb2 as _identity_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RequestedCandidate(_message.Message):
    __slots__ = ("person", "liaison_office")
    PERSON_FIELD_NUMBER: _ClassVar[int]
    LIAISON_OFFICE_FIELD_NUMBER: _ClassVar[int]
    person: _identity_pb2.PersonRef
    liaison_office: str
    def __init__(self, person: _Optional[_Union[_identity_pb2.PersonRef, _Mapping]] = ..., liaison_office: _Optional[str] = ...) -> None: ...

class CandidateProposal(_message.Message):
    __slots__ = ("person_id", "answer", "reasons")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    answer: _integrity_pb2.IntegrityAnswer
    reasons: _containers.RepeatedCompositeFieldContainer[_integrity_pb2.IntegrityReason]
    def __init__(self, person_id: _Optional[str] = ..., answer: _Optional[_Union[_integrity_pb2.IntegrityAnswer, str]] = ..., reasons: _Optional[_Iterable[_Union[_integrity_pb2.IntegrityReason, _Mapping]]] = ...) -> None: ...

class IntegrityRequestReceived(_message.Message):
    __slots__ = ("request_id", "reference", "intended_use", "intended_date", "due_at", "requested_by_agency", "candidates", "proposals", "tree_size", "part", "parts")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    INTENDED_USE_FIELD_NUMBER: _ClassVar[int]
    INTENDED_DATE_FIELD_NUMBER: _ClassVar[int]
    DUE_AT_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_BY_AGENCY_FIELD_NUMBER: _ClassVar[int]
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    PROPOSALS_FIELD_NUMBER: _ClassVar[int]
    TREE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PART_FIELD_NUMBER: _ClassVar[int]
    PARTS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    reference: str
    intended_use: _integrity_pb2.IntendedUse
    intended_date: str
    due_at: _timestamp_pb2.Timestamp
    requested_by_agency: str
    candidates: _containers.RepeatedCompositeFieldContainer[RequestedCandidate]
    proposals: _containers.RepeatedCompositeFieldContainer[CandidateProposal]
    tree_size: int
    part: int
    parts: int
    def __init__(self, request_id: _Optional[str] = ..., reference: _Optional[str] = ..., intended_use: _Optional[_Union[_integrity_pb2.IntendedUse, str]] = ..., intended_date: _Optional[str] = ..., due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., requested_by_agency: _Optional[str] = ..., candidates: _Optional[_Iterable[_Union[RequestedCandidate, _Mapping]]] = ..., proposals: _Optional[_Iterable[_Union[CandidateProposal, _Mapping]]] = ..., tree_size: _Optional[int] = ..., part: _Optional[int] = ..., parts: _Optional[int] = ...) -> None: ...

class IntegrityFastTrackRequested(_message.Message):
    __slots__ = ("request_id", "person_id", "clue_id", "intended_date", "notice_due_at")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    INTENDED_DATE_FIELD_NUMBER: _ClassVar[int]
    NOTICE_DUE_AT_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    person_id: str
    clue_id: str
    intended_date: str
    notice_due_at: _timestamp_pb2.Timestamp
    def __init__(self, request_id: _Optional[str] = ..., person_id: _Optional[str] = ..., clue_id: _Optional[str] = ..., intended_date: _Optional[str] = ..., notice_due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CandidateSignedOff(_message.Message):
    __slots__ = ("person_id", "answer", "comment")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    answer: _integrity_pb2.IntegrityAnswer
    comment: str
    def __init__(self, person_id: _Optional[str] = ..., answer: _Optional[_Union[_integrity_pb2.IntegrityAnswer, str]] = ..., comment: _Optional[str] = ...) -> None: ...

class IntegrityCandidatesSignedOff(_message.Message):
    __slots__ = ("request_id", "office", "signed_off_by", "candidates")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    SIGNED_OFF_BY_FIELD_NUMBER: _ClassVar[int]
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    office: str
    signed_off_by: str
    candidates: _containers.RepeatedCompositeFieldContainer[CandidateSignedOff]
    def __init__(self, request_id: _Optional[str] = ..., office: _Optional[str] = ..., signed_off_by: _Optional[str] = ..., candidates: _Optional[_Iterable[_Union[CandidateSignedOff, _Mapping]]] = ...) -> None: ...

class CandidateReplyLine(_message.Message):
    __slots__ = ("person_id", "name", "answer", "reply_text")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    REPLY_TEXT_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    name: str
    answer: _integrity_pb2.IntegrityAnswer
    reply_text: str
    def __init__(self, person_id: _Optional[str] = ..., name: _Optional[str] = ..., answer: _Optional[_Union[_integrity_pb2.IntegrityAnswer, str]] = ..., reply_text: _Optional[str] = ...) -> None: ...

class IntegrityReplySigned(_message.Message):
    __slots__ = ("request_id", "reference", "signed_by", "replies", "part", "parts")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    SIGNED_BY_FIELD_NUMBER: _ClassVar[int]
    REPLIES_FIELD_NUMBER: _ClassVar[int]
    PART_FIELD_NUMBER: _ClassVar[int]
    PARTS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    reference: str
    signed_by: str
    replies: _containers.RepeatedCompositeFieldContainer[CandidateReplyLine]
    part: int
    parts: int
    def __init__(self, request_id: _Optional[str] = ..., reference: _Optional[str] = ..., signed_by: _Optional[str] = ..., replies: _Optional[_Iterable[_Union[CandidateReplyLine, _Mapping]]] = ..., part: _Optional[int] = ..., parts: _Optional[int] = ...) -> None: ...
