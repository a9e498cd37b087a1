from common.v1 import rules_pb2 as _rules_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class AgencyRef(_message.Message):
    __slots__ = ("agency_id", "name")
    AGENCY_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    agency_id: str
    name: str
    def __init__(self, agency_id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class OfficeRef(_message.Message):
    __slots__ = ("agency_id", "office_id", "name")
    AGENCY_ID_FIELD_NUMBER: _ClassVar[int]
    OFFICE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    agency_id: str
    office_id: str
    name: str
    def __init__(self, agency_id: _Optional[str] = ..., office_id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class PersonRef(_message.Message):
    __slots__ = ("person_id", "name", "post", "unit")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    POST_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    name: str
    post: str
    unit: str
    def __init__(self, person_id: _Optional[str] = ..., name: _Optional[str] = ..., post: _Optional[str] = ..., unit: _Optional[str] = ...) -> None: ...
