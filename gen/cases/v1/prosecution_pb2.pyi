import datetime

from common.v1 import rules_pb2 as _rules_pb2
from cases.v1 import events_pb2 as _events_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ReportCustodyTakenRequest(_message.Message):
    __slots__ = ("measure_id", "document", "taken_at", "case_id", "person_id")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    TAKEN_AT_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    document: _events_pb2.DocumentRef
    taken_at: _timestamp_pb2.Timestamp
    case_id: str
    person_id: str
    def __init__(self, measure_id: _Optional[str] = ..., document: _Optional[_Union[_events_pb2.DocumentRef, _Mapping]] = ..., taken_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., case_id: _Optional[str] = ..., person_id: _Optional[str] = ...) -> None: ...

class ReportCustodyTakenResponse(_message.Message):
    __slots__ = ("measure_id", "version", "state", "detention_days")
    MEASURE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    DETENTION_DAYS_FIELD_NUMBER: _ClassVar[int]
    measure_id: str
    version: int
    state: str
    detention_days: int
    def __init__(self, measure_id: _Optional[str] = ..., version: _Optional[int] = ..., state: _Optional[str] = ..., detention_days: _Optional[int] = ...) -> None: ...

class ReturnForSupplementaryInvestigationRequest(_message.Message):
    __slots__ = ("case_id", "person_id", "document", "returned_at")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    RETURNED_AT_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    person_id: str
    document: _events_pb2.DocumentRef
    returned_at: _timestamp_pb2.Timestamp
    def __init__(self, case_id: _Optional[str] = ..., person_id: _Optional[str] = ..., document: _Optional[_Union[_events_pb2.DocumentRef, _Mapping]] = ..., returned_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ReturnForSupplementaryInvestigationResponse(_message.Message):
    __slots__ = ("case_id", "version", "round", "due")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ROUND_FIELD_NUMBER: _ClassVar[int]
    DUE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    version: int
    round: int
    due: _timestamp_pb2.Timestamp
    def __init__(self, case_id: _Optional[str] = ..., version: _Optional[int] = ..., round: _Optional[int] = ..., due: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ReportProsecutionDecisionRequest(_message.Message):
    __slots__ = ("case_id", "person_id", "decision", "document", "decided_at")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    DECIDED_AT_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    person_id: str
    decision: str
    document: _events_pb2.DocumentRef
    decided_at: _timestamp_pb2.Timestamp
    def __init__(self, case_id: _Optional[str] = ..., person_id: _Optional[str] = ..., decision: _Optional[str] = ..., document: _Optional[_Union[_events_pb2.DocumentRef, _Mapping]] = ..., decided_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ReportProsecutionDecisionResponse(_message.Message):
    __slots__ = ("case_id", "version", "due", "late")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    DUE_FIELD_NUMBER: _ClassVar[int]
    LATE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    version: int
    due: _timestamp_pb2.Timestamp
    late: bool
    def __init__(self, case_id: _Optional[str] = ..., version: _Optional[int] = ..., due: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., late: _Optional[bool] = ...) -> None: ...

class CompleteSupplementaryInvestigationRequest(_message.Message):
    __slots__ = ("case_id", "person_id", "document", "completed_at")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    person_id: str
    document: _events_pb2.DocumentRef
    completed_at: _timestamp_pb2.Timestamp
    def __init__(self, case_id: _Optional[str] = ..., person_id: _Optional[str] = ..., document: _Optional[_Union[_events_pb2.DocumentRef, _Mapping]] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CompleteSupplementaryInvestigationResponse(_message.Message):
    __slots__ = ("case_id", "version", "late")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    LATE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    version: int
    late: bool
    def __init__(self, case_id: _Optional[str] = ..., version: _Optional[int] = ..., late: _Optional[bool] = ...) -> None: ...

class ReferForReconsiderationRequest(_message.Message):
    __slots__ = ("case_id", "person_id", "document", "referred_at", "upper_procuratorate")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    REFERRED_AT_FIELD_NUMBER: _ClassVar[int]
    UPPER_PROCURATORATE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    person_id: str
    document: _events_pb2.DocumentRef
    referred_at: _timestamp_pb2.Timestamp
    upper_procuratorate: str
    def __init__(self, case_id: _Optional[str] = ..., person_id: _Optional[str] = ..., document: _Optional[_Union[_events_pb2.DocumentRef, _Mapping]] = ..., referred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., upper_procuratorate: _Optional[str] = ...) -> None: ...

class ReferForReconsiderationResponse(_message.Message):
    __slots__ = ("case_id", "version")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    version: int
    def __init__(self, case_id: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...
