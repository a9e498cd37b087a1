import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TourKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TOUR_KIND_UNSPECIFIED: _ClassVar[TourKind]
    TOUR_KIND_REGULAR: _ClassVar[TourKind]
    TOUR_KIND_SPECIAL: _ClassVar[TourKind]
    TOUR_KIND_MOBILE: _ClassVar[TourKind]
    TOUR_KIND_CIRCUIT: _ClassVar[TourKind]
TOUR_KIND_UNSPECIFIED: TourKind
TOUR_KIND_REGULAR: TourKind
TOUR_KIND_SPECIAL: TourKind
TOUR_KIND_MOBILE: TourKind
TOUR_KIND_CIRCUIT: TourKind

class InspectedUnit(_message.Message):
    __slots__ = ("code", "name")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class TourRoundOpened(_message.Message):
    __slots__ = ("round_id", "reference", "kind", "units", "starts_on", "ends_on", "office", "opened_by", "carried_over")
    ROUND_ID_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    UNITS_FIELD_NUMBER: _ClassVar[int]
    STARTS_ON_FIELD_NUMBER: _ClassVar[int]
    ENDS_ON_FIELD_NUMBER: _ClassVar[int]
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    OPENED_BY_FIELD_NUMBER: _ClassVar[int]
    CARRIED_OVER_FIELD_NUMBER: _ClassVar[int]
    round_id: str
    reference: str
    kind: TourKind
    units: _containers.RepeatedCompositeFieldContainer[InspectedUnit]
    starts_on: str
    ends_on: str
    office: str
    opened_by: str
    carried_over: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, round_id: _Optional[str] = ..., reference: _Optional[str] = ..., kind: _Optional[_Union[TourKind, str]] = ..., units: _Optional[_Iterable[_Union[InspectedUnit, _Mapping]]] = ..., starts_on: _Optional[str] = ..., ends_on: _Optional[str] = ..., office: _Optional[str] = ..., opened_by: _Optional[str] = ..., carried_over: _Optional[_Iterable[str]] = ...) -> None: ...

class TourProblemRecorded(_message.Message):
    __slots__ = ("round_id", "problem_id", "unit", "category", "description", "recorded_by")
    ROUND_ID_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_ID_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    RECORDED_BY_FIELD_NUMBER: _ClassVar[int]
    round_id: str
    problem_id: str
    unit: str
    category: str
    description: str
    recorded_by: str
    def __init__(self, round_id: _Optional[str] = ..., problem_id: _Optional[str] = ..., unit: _Optional[str] = ..., category: _Optional[str] = ..., description: _Optional[str] = ..., recorded_by: _Optional[str] = ...) -> None: ...

class TourProblemTransferred(_message.Message):
    __slots__ = ("round_id", "problem_id", "responsible_unit", "due_at", "transferred_by")
    ROUND_ID_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_ID_FIELD_NUMBER: _ClassVar[int]
    RESPONSIBLE_UNIT_FIELD_NUMBER: _ClassVar[int]
    DUE_AT_FIELD_NUMBER: _ClassVar[int]
    TRANSFERRED_BY_FIELD_NUMBER: _ClassVar[int]
    round_id: str
    problem_id: str
    responsible_unit: str
    due_at: _timestamp_pb2.Timestamp
    transferred_by: str
    def __init__(self, round_id: _Optional[str] = ..., problem_id: _Optional[str] = ..., responsible_unit: _Optional[str] = ..., due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., transferred_by: _Optional[str] = ...) -> None: ...

class TourProblemRectified(_message.Message):
    __slots__ = ("round_id", "problem_id", "rectification", "reported_by")
    ROUND_ID_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_ID_FIELD_NUMBER: _ClassVar[int]
    RECTIFICATION_FIELD_NUMBER: _ClassVar[int]
    REPORTED_BY_FIELD_NUMBER: _ClassVar[int]
    round_id: str
    problem_id: str
    rectification: str
    reported_by: str
    def __init__(self, round_id: _Optional[str] = ..., problem_id: _Optional[str] = ..., rectification: _Optional[str] = ..., reported_by: _Optional[str] = ...) -> None: ...

class TourProblemClosed(_message.Message):
    __slots__ = ("round_id", "problem_id", "closed_by")
    ROUND_ID_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_ID_FIELD_NUMBER: _ClassVar[int]
    CLOSED_BY_FIELD_NUMBER: _ClassVar[int]
    round_id: str
    problem_id: str
    closed_by: str
    def __init__(self, round_id: _Optional[str] = ..., problem_id: _Optional[str] = ..., closed_by: _Optional[str] = ...) -> None: ...

class TourSuggestionLetterIssued(_message.Message):
    __slots__ = ("round_id", "letter_id", "addressed_to", "problem_ids", "issued_by")
    ROUND_ID_FIELD_NUMBER: _ClassVar[int]
    LETTER_ID_FIELD_NUMBER: _ClassVar[int]
    ADDRESSED_TO_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_IDS_FIELD_NUMBER: _ClassVar[int]
    ISSUED_BY_FIELD_NUMBER: _ClassVar[int]
    round_id: str
    letter_id: str
    addressed_to: str
    problem_ids: _containers.RepeatedScalarFieldContainer[str]
    issued_by: str
    def __init__(self, round_id: _Optional[str] = ..., letter_id: _Optional[str] = ..., addressed_to: _Optional[str] = ..., problem_ids: _Optional[_Iterable[str]] = ..., issued_by: _Optional[str] = ...) -> None: ...

class TourCluesTransferred(_message.Message):
    __slots__ = ("round_id", "batch_reference", "clue_ids", "person_ids", "transferred_by")
    ROUND_ID_FIELD_NUMBER: _ClassVar[int]
    BATCH_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    CLUE_IDS_FIELD_NUMBER: _ClassVar[int]
    PERSON_IDS_FIELD_NUMBER: _ClassVar[int]
    TRANSFERRED_BY_FIELD_NUMBER: _ClassVar[int]
    round_id: str
    batch_reference: str
    clue_ids: _containers.RepeatedScalarFieldContainer[str]
    person_ids: _containers.RepeatedScalarFieldContainer[str]
    transferred_by: str
    def __init__(self, round_id: _Optional[str] = ..., batch_reference: _Optional[str] = ..., clue_ids: _Optional[_Iterable[str]] = ..., person_ids: _Optional[_Iterable[str]] = ..., transferred_by: _Optional[str] = ...) -> None: ...
