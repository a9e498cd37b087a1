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
CLUE_SOURCE_UNSPECIFIED: ClueSource
CLUE_SOURCE_PETITION: ClueSource
CLUE_SOURCE_INSPECTION_TOUR: ClueSource
CLUE_SOURCE_SUPERIOR_ASSIGNMENT: ClueSource
CLUE_SOURCE_REPORTING_PLATFORM: ClueSource
CLUE_SOURCE_AUDIT: ClueSource
CLUE_SOURCE_OTHER_AGENCY: ClueSource
CLUE_SOURCE_SELF_DISCOVERED: ClueSource

class ClueRegistered(_message.Message):
    __slots__ = ("clue_id", "source", "subjects", "summary", "receiving_office", "received_at", "has_sealed_informant")
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SUBJECTS_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    RECEIVING_OFFICE_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    HAS_SEALED_INFORMANT_FIELD_NUMBER: _ClassVar[int]
    clue_id: str
    source: ClueSource
    subjects: _containers.RepeatedCompositeFieldContainer[_identity_pb2.PersonRef]
    summary: str
    receiving_office: _identity_pb2.OfficeRef
    received_at: _timestamp_pb2.Timestamp
    has_sealed_informant: bool
    def __init__(self, clue_id: _Optional[str] = ..., source: _Optional[_Union[ClueSource, str]] = ..., subjects: _Optional[_Iterable[_Union[_identity_pb2.PersonRef, _Mapping]]] = ..., summary: _Optional[str] = ..., receiving_office: _Optional[_Union[_identity_pb2.OfficeRef, _Mapping]] = ..., received_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., has_sealed_informant: _Optional[bool] = ...) -> None: ...
