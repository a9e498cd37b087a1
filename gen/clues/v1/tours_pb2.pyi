import datetime

from clues.v1 import service_pb2 as _service_pb2
from clues.v1 import tour_events_pb2 as _tour_events_pb2
from common.v1 import rules_pb2 as _rules_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TourProblemState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TOUR_PROBLEM_STATE_UNSPECIFIED: _ClassVar[TourProblemState]
    TOUR_PROBLEM_STATE_RECORDED: _ClassVar[TourProblemState]
    TOUR_PROBLEM_STATE_TRANSFERRED: _ClassVar[TourProblemState]
    TOUR_PROBLEM_STATE_RECTIFIED: _ClassVar[TourProblemState]
    TOUR_PROBLEM_STATE_CLOSED: _ClassVar[TourProblemState]
TOUR_PROBLEM_STATE_UNSPECIFIED: TourProblemState
TOUR_PROBLEM_STATE_RECORDED: TourProblemState
TOUR_PROBLEM_STATE_TRANSFERRED: TourProblemState
TOUR_PROBLEM_STATE_RECTIFIED: TourProblemState
TOUR_PROBLEM_STATE_CLOSED: TourProblemState

class TourUnit(_message.Message):
    __slots__ = ("code", "name")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class OpenTourRoundRequest(_message.Message):
    __slots__ = ("reference", "kind", "units", "starts_on", "ends_on")
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    UNITS_FIELD_NUMBER: _ClassVar[int]
    STARTS_ON_FIELD_NUMBER: _ClassVar[int]
    ENDS_ON_FIELD_NUMBER: _ClassVar[int]
    reference: str
    kind: _tour_events_pb2.TourKind
    units: _containers.RepeatedCompositeFieldContainer[TourUnit]
    starts_on: _timestamp_pb2.Timestamp
    ends_on: _timestamp_pb2.Timestamp
    def __init__(self, reference: _Optional[str] = ..., kind: _Optional[_Union[_tour_events_pb2.TourKind, str]] = ..., units: _Optional[_Iterable[_Union[TourUnit, _Mapping]]] = ..., starts_on: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ends_on: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class TourProblem(_message.Message):
    __slots__ = ("problem_id", "round_id", "round_reference", "unit", "category", "description", "state", "responsible_unit", "due_at", "rectification", "overdue", "recorded_at", "closed_at")
    PROBLEM_ID_FIELD_NUMBER: _ClassVar[int]
    ROUND_ID_FIELD_NUMBER: _ClassVar[int]
    ROUND_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    RESPONSIBLE_UNIT_FIELD_NUMBER: _ClassVar[int]
    DUE_AT_FIELD_NUMBER: _ClassVar[int]
    RECTIFICATION_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_FIELD_NUMBER: _ClassVar[int]
    RECORDED_AT_FIELD_NUMBER: _ClassVar[int]
    CLOSED_AT_FIELD_NUMBER: _ClassVar[int]
    problem_id: str
    round_id: str
    round_reference: str
    unit: str
    category: str
    description: str
    state: TourProblemState
    responsible_unit: str
    due_at: _timestamp_pb2.Timestamp
    rectification: str
    overdue: bool
    recorded_at: _timestamp_pb2.Timestamp
    closed_at: _timestamp_pb2.Timestamp
    def __init__(self, problem_id: _Optional[str] = ..., round_id: _Optional[str] = ..., round_reference: _Optional[str] = ..., unit: _Optional[str] = ..., category: _Optional[str] = ..., description: _Optional[str] = ..., state: _Optional[_Union[TourProblemState, str]] = ..., responsible_unit: _Optional[str] = ..., due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., rectification: _Optional[str] = ..., overdue: _Optional[bool] = ..., recorded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., closed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class OpenTourRoundResponse(_message.Message):
    __slots__ = ("round_id", "version", "carried_over")
    ROUND_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CARRIED_OVER_FIELD_NUMBER: _ClassVar[int]
    round_id: str
    version: int
    carried_over: _containers.RepeatedCompositeFieldContainer[TourProblem]
    def __init__(self, round_id: _Optional[str] = ..., version: _Optional[int] = ..., carried_over: _Optional[_Iterable[_Union[TourProblem, _Mapping]]] = ...) -> None: ...

class NewTourProblem(_message.Message):
    __slots__ = ("unit", "category", "description")
    UNIT_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    unit: str
    category: str
    description: str
    def __init__(self, unit: _Optional[str] = ..., category: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class RecordTourProblemsRequest(_message.Message):
    __slots__ = ("round_id", "expected_version", "problems")
    ROUND_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    round_id: str
    expected_version: int
    problems: _containers.RepeatedCompositeFieldContainer[NewTourProblem]
    def __init__(self, round_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., problems: _Optional[_Iterable[_Union[NewTourProblem, _Mapping]]] = ...) -> None: ...

class RecordTourProblemsResponse(_message.Message):
    __slots__ = ("version", "problem_ids")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_IDS_FIELD_NUMBER: _ClassVar[int]
    version: int
    problem_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, version: _Optional[int] = ..., problem_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class TransferTourProblemRequest(_message.Message):
    __slots__ = ("round_id", "expected_version", "problem_id", "responsible_unit", "due_at")
    ROUND_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_ID_FIELD_NUMBER: _ClassVar[int]
    RESPONSIBLE_UNIT_FIELD_NUMBER: _ClassVar[int]
    DUE_AT_FIELD_NUMBER: _ClassVar[int]
    round_id: str
    expected_version: int
    problem_id: str
    responsible_unit: str
    due_at: _timestamp_pb2.Timestamp
    def __init__(self, round_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., problem_id: _Optional[str] = ..., responsible_unit: _Optional[str] = ..., due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class TransferTourProblemResponse(_message.Message):
    __slots__ = ("version",)
    VERSION_FIELD_NUMBER: _ClassVar[int]
    version: int
    def __init__(self, version: _Optional[int] = ...) -> None: ...

class ReportProblemRectifiedRequest(_message.Message):
    __slots__ = ("round_id", "expected_version", "problem_id", "rectification")
    ROUND_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_ID_FIELD_NUMBER: _ClassVar[int]
    RECTIFICATION_FIELD_NUMBER: _ClassVar[int]
    round_id: str
    expected_version: int
    problem_id: str
    rectification: str
    def __init__(self, round_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., problem_id: _Optional[str] = ..., rectification: _Optional[str] = ...) -> None: ...

class ReportProblemRectifiedResponse(_message.Message):
    __slots__ = ("version",)
    VERSION_FIELD_NUMBER: _ClassVar[int]
    version: int
    def __init__(self, version: _Optional[int] = ...) -> None: ...

class CloseTourProblemRequest(_message.Message):
    __slots__ = ("round_id", "expected_version", "problem_id")
    ROUND_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_ID_FIELD_NUMBER: _ClassVar[int]
    round_id: str
    expected_version: int
    problem_id: str
    def __init__(self, round_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., problem_id: _Optional[str] = ...) -> None: ...

class CloseTourProblemResponse(_message.Message):
    __slots__ = ("version",)
    VERSION_FIELD_NUMBER: _ClassVar[int]
    version: int
    def __init__(self, version: _Optional[int] = ...) -> None: ...

class IssueSuggestionLetterRequest(_message.Message):
    __slots__ = ("round_id", "expected_version", "letter_id", "addressed_to", "problem_ids")
    ROUND_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    LETTER_ID_FIELD_NUMBER: _ClassVar[int]
    ADDRESSED_TO_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_IDS_FIELD_NUMBER: _ClassVar[int]
    round_id: str
    expected_version: int
    letter_id: str
    addressed_to: str
    problem_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, round_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., letter_id: _Optional[str] = ..., addressed_to: _Optional[str] = ..., problem_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class IssueSuggestionLetterResponse(_message.Message):
    __slots__ = ("version",)
    VERSION_FIELD_NUMBER: _ClassVar[int]
    version: int
    def __init__(self, version: _Optional[int] = ...) -> None: ...

class TransferTourCluesRequest(_message.Message):
    __slots__ = ("round_id", "batch_reference", "clues")
    ROUND_ID_FIELD_NUMBER: _ClassVar[int]
    BATCH_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    CLUES_FIELD_NUMBER: _ClassVar[int]
    round_id: str
    batch_reference: str
    clues: _containers.RepeatedCompositeFieldContainer[_service_pb2.RegisterClueRequest]
    def __init__(self, round_id: _Optional[str] = ..., batch_reference: _Optional[str] = ..., clues: _Optional[_Iterable[_Union[_service_pb2.RegisterClueRequest, _Mapping]]] = ...) -> None: ...

class TransferTourCluesResponse(_message.Message):
    __slots__ = ("clue_ids", "version")
    CLUE_IDS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    clue_ids: _containers.RepeatedScalarFieldContainer[str]
    version: int
    def __init__(self, clue_ids: _Optional[_Iterable[str]] = ..., version: _Optional[int] = ...) -> None: ...

class GetTourRoundRequest(_message.Message):
    __slots__ = ("round_id", "purpose")
    ROUND_ID_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    round_id: str
    purpose: str
    def __init__(self, round_id: _Optional[str] = ..., purpose: _Optional[str] = ...) -> None: ...

class GetTourRoundResponse(_message.Message):
    __slots__ = ("round_id", "version", "opened", "problems", "letters", "transfers", "open_problems")
    ROUND_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    OPENED_FIELD_NUMBER: _ClassVar[int]
    PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    LETTERS_FIELD_NUMBER: _ClassVar[int]
    TRANSFERS_FIELD_NUMBER: _ClassVar[int]
    OPEN_PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    round_id: str
    version: int
    opened: _tour_events_pb2.TourRoundOpened
    problems: _containers.RepeatedCompositeFieldContainer[TourProblem]
    letters: _containers.RepeatedCompositeFieldContainer[_tour_events_pb2.TourSuggestionLetterIssued]
    transfers: _containers.RepeatedCompositeFieldContainer[_tour_events_pb2.TourCluesTransferred]
    open_problems: int
    def __init__(self, round_id: _Optional[str] = ..., version: _Optional[int] = ..., opened: _Optional[_Union[_tour_events_pb2.TourRoundOpened, _Mapping]] = ..., problems: _Optional[_Iterable[_Union[TourProblem, _Mapping]]] = ..., letters: _Optional[_Iterable[_Union[_tour_events_pb2.TourSuggestionLetterIssued, _Mapping]]] = ..., transfers: _Optional[_Iterable[_Union[_tour_events_pb2.TourCluesTransferred, _Mapping]]] = ..., open_problems: _Optional[int] = ...) -> None: ...

class ListTourProblemsRequest(_message.Message):
    __slots__ = ("round_id", "unit", "open_only", "limit", "purpose")
    ROUND_ID_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    OPEN_ONLY_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    round_id: str
    unit: str
    open_only: bool
    limit: int
    purpose: str
    def __init__(self, round_id: _Optional[str] = ..., unit: _Optional[str] = ..., open_only: _Optional[bool] = ..., limit: _Optional[int] = ..., purpose: _Optional[str] = ...) -> None: ...

class ListTourProblemsResponse(_message.Message):
    __slots__ = ("problems",)
    PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    problems: _containers.RepeatedCompositeFieldContainer[TourProblem]
    def __init__(self, problems: _Optional[_Iterable[_Union[TourProblem, _Mapping]]] = ...) -> None: ...
