import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AwaitingItem(_message.Message):
    __slots__ = ("service", "file_id", "reference", "step", "summary", "role", "office", "since", "due", "colour")
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    FILE_ID_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    DUE_FIELD_NUMBER: _ClassVar[int]
    COLOUR_FIELD_NUMBER: _ClassVar[int]
    service: str
    file_id: str
    reference: str
    step: str
    summary: str
    role: str
    office: str
    since: _timestamp_pb2.Timestamp
    due: _timestamp_pb2.Timestamp
    colour: str
    def __init__(self, service: _Optional[str] = ..., file_id: _Optional[str] = ..., reference: _Optional[str] = ..., step: _Optional[str] = ..., summary: _Optional[str] = ..., role: _Optional[str] = ..., office: _Optional[str] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., colour: _Optional[str] = ...) -> None: ...
