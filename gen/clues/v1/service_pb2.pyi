import datetime

from clues.v1 import events_pb2 as _events_pb2
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
    __slots__ = ("source", "subjects", "summary", "received_at", "informant")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SUBJECTS_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    INFORMANT_FIELD_NUMBER: _ClassVar[int]
    source: _events_pb2.ClueSource
    subjects: _containers.RepeatedCompositeFieldContainer[_identity_pb2.PersonRef]
    summary: str
    received_at: _timestamp_pb2.Timestamp
    informant: Informant
    def __init__(self, source: _Optional[_Union[_events_pb2.ClueSource, str]] = ..., subjects: _Optional[_Iterable[_Union[_identity_pb2.PersonRef, _Mapping]]] = ..., summary: _Optional[str] = ..., received_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., informant: _Optional[_Union[Informant, _Mapping]] = ...) -> None: ...

class RegisterClueResponse(_message.Message):
    __slots__ = ("clue_id", "version")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    version: int
    def __init__(self, clue_id: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class GetClueRequest(_message.Message):
    __slots__ = ("clue_id",)
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    def __init__(self, clue_id: _Optional[str] = ...) -> None: ...

class GetClueResponse(_message.Message):
    __slots__ = ("clue_id", "state", "source", "subjects", "summary", "receiving_office", "received_at", "version", "has_sealed_informant")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SUBJECTS_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    RECEIVING_OFFICE_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    HAS_SEALED_INFORMANT_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    state: str
    source: _events_pb2.ClueSource
    subjects: _containers.RepeatedCompositeFieldContainer[_identity_pb2.PersonRef]
    summary: str
    receiving_office: _identity_pb2.OfficeRef
    received_at: _timestamp_pb2.Timestamp
    version: int
    has_sealed_informant: bool
    def __init__(self, clue_id: _Optional[str] = ..., state: _Optional[str] = ..., source: _Optional[_Union[_events_pb2.ClueSource, str]] = ..., subjects: _Optional[_Iterable[_Union[_identity_pb2.PersonRef, _Mapping]]] = ..., summary: _Optional[str] = ..., receiving_office: _Optional[_Union[_identity_pb2.OfficeRef, _Mapping]] = ..., received_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., version: _Optional[int] = ..., has_sealed_informant: _Optional[bool] = ...) -> None: ...
