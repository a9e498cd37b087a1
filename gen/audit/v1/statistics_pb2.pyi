import datetime

from common.v1 import person_pb2 as _person_pb2
from common.v1 import rules_pb2 as _rules_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Statistic(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STATISTIC_UNSPECIFIED: _ClassVar[Statistic]
    STATISTIC_TOUR_CONTRIBUTION: _ClassVar[Statistic]
    STATISTIC_NOTICE_RESULTS: _ClassVar[Statistic]
    STATISTIC_TOUR_PROBLEMS: _ClassVar[Statistic]
    STATISTIC_FOUR_FORMS: _ClassVar[Statistic]
    STATISTIC_OVERDUE_EXECUTION: _ClassVar[Statistic]
STATISTIC_UNSPECIFIED: Statistic
STATISTIC_TOUR_CONTRIBUTION: Statistic
STATISTIC_NOTICE_RESULTS: Statistic
STATISTIC_TOUR_PROBLEMS: Statistic
STATISTIC_FOUR_FORMS: Statistic
STATISTIC_OVERDUE_EXECUTION: Statistic

class GetStatisticRequest(_message.Message):
    __slots__ = ("statistic", "period_start", "period_end", "office", "as_of", "management_level", "purpose")
    STATISTIC_FIELD_NUMBER: _ClassVar[int]
    PERIOD_START_FIELD_NUMBER: _ClassVar[int]
    PERIOD_END_FIELD_NUMBER: _ClassVar[int]
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    MANAGEMENT_LEVEL_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    statistic: Statistic
    period_start: _timestamp_pb2.Timestamp
    period_end: _timestamp_pb2.Timestamp
    office: str
    as_of: _timestamp_pb2.Timestamp
    management_level: _person_pb2.ManagementLevel
    purpose: str
    def __init__(self, statistic: _Optional[_Union[Statistic, str]] = ..., period_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., period_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., office: _Optional[str] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., management_level: _Optional[_Union[_person_pb2.ManagementLevel, str]] = ..., purpose: _Optional[str] = ...) -> None: ...

class Evidence(_message.Message):
    __slots__ = ("event_id", "leaf_index", "stream_id", "person_id", "what")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    LEAF_INDEX_FIELD_NUMBER: _ClassVar[int]
    STREAM_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    WHAT_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    leaf_index: int
    stream_id: str
    person_id: str
    what: str
    def __init__(self, event_id: _Optional[str] = ..., leaf_index: _Optional[int] = ..., stream_id: _Optional[str] = ..., person_id: _Optional[str] = ..., what: _Optional[str] = ...) -> None: ...

class Figure(_message.Message):
    __slots__ = ("key", "label", "count", "value", "numerator_key", "denominator_key", "evidence")
    KEY_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    NUMERATOR_KEY_FIELD_NUMBER: _ClassVar[int]
    DENOMINATOR_KEY_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    key: str
    label: str
    count: int
    value: float
    numerator_key: str
    denominator_key: str
    evidence: _containers.RepeatedCompositeFieldContainer[Evidence]
    def __init__(self, key: _Optional[str] = ..., label: _Optional[str] = ..., count: _Optional[int] = ..., value: _Optional[float] = ..., numerator_key: _Optional[str] = ..., denominator_key: _Optional[str] = ..., evidence: _Optional[_Iterable[_Union[Evidence, _Mapping]]] = ...) -> None: ...

class GetStatisticResponse(_message.Message):
    __slots__ = ("statistic", "figures", "tree_size", "as_of", "offices")
    STATISTIC_FIELD_NUMBER: _ClassVar[int]
    FIGURES_FIELD_NUMBER: _ClassVar[int]
    TREE_SIZE_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    OFFICES_FIELD_NUMBER: _ClassVar[int]
    statistic: Statistic
    figures: _containers.RepeatedCompositeFieldContainer[Figure]
    tree_size: int
    as_of: _timestamp_pb2.Timestamp
    offices: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, statistic: _Optional[_Union[Statistic, str]] = ..., figures: _Optional[_Iterable[_Union[Figure, _Mapping]]] = ..., tree_size: _Optional[int] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., offices: _Optional[_Iterable[str]] = ...) -> None: ...
