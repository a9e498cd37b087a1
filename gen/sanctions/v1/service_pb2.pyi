import datetime

from cases.v1 import events_pb2 as _events_pb2
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

class SanctionFamily(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SANCTION_FAMILY_UNSPECIFIED: _ClassVar[SanctionFamily]
    SANCTION_FAMILY_PARTY_SANCTION: _ClassVar[SanctionFamily]
    SANCTION_FAMILY_GOVERNMENT_SANCTION: _ClassVar[SanctionFamily]
SANCTION_FAMILY_UNSPECIFIED: SanctionFamily
SANCTION_FAMILY_PARTY_SANCTION: SanctionFamily
SANCTION_FAMILY_GOVERNMENT_SANCTION: SanctionFamily

class PreviewDecisionRequest(_message.Message):
    __slots__ = ("family", "person_facts", "violations", "sanction", "period_months", "mitigation", "heard_on", "in_lieu_of_removal", "serious", "removal_from_office_recorded", "decided_at")
    FAMILY_FIELD_NUMBER: _ClassVar[int]
    PERSON_FACTS_FIELD_NUMBER: _ClassVar[int]
    VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    SANCTION_FIELD_NUMBER: _ClassVar[int]
    PERIOD_MONTHS_FIELD_NUMBER: _ClassVar[int]
    MITIGATION_FIELD_NUMBER: _ClassVar[int]
    HEARD_ON_FIELD_NUMBER: _ClassVar[int]
    IN_LIEU_OF_REMOVAL_FIELD_NUMBER: _ClassVar[int]
    SERIOUS_FIELD_NUMBER: _ClassVar[int]
    REMOVAL_FROM_OFFICE_RECORDED_FIELD_NUMBER: _ClassVar[int]
    DECIDED_AT_FIELD_NUMBER: _ClassVar[int]
    family: SanctionFamily
    person_facts: _person_pb2.PersonFacts
    violations: _containers.RepeatedCompositeFieldContainer[_events_pb2.Violation]
    sanction: _events_pb2.SanctionType
    period_months: int
    mitigation: str
    heard_on: _events_pb2.SanctionType
    in_lieu_of_removal: bool
    serious: bool
    removal_from_office_recorded: bool
    decided_at: _timestamp_pb2.Timestamp
    def __init__(self, family: _Optional[_Union[SanctionFamily, str]] = ..., person_facts: _Optional[_Union[_person_pb2.PersonFacts, _Mapping]] = ..., violations: _Optional[_Iterable[_Union[_events_pb2.Violation, _Mapping]]] = ..., sanction: _Optional[_Union[_events_pb2.SanctionType, str]] = ..., period_months: _Optional[int] = ..., mitigation: _Optional[str] = ..., heard_on: _Optional[_Union[_events_pb2.SanctionType, str]] = ..., in_lieu_of_removal: _Optional[bool] = ..., serious: _Optional[bool] = ..., removal_from_office_recorded: _Optional[bool] = ..., decided_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Lock(_message.Message):
    __slots__ = ("kind", "until", "rule")
    KIND_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    kind: str
    until: str
    rule: str
    def __init__(self, kind: _Optional[str] = ..., until: _Optional[str] = ..., rule: _Optional[str] = ...) -> None: ...

class ExecutionItem(_message.Message):
    __slots__ = ("kind", "owner", "due", "latest_due", "rule")
    KIND_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    DUE_FIELD_NUMBER: _ClassVar[int]
    LATEST_DUE_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    kind: str
    owner: str
    due: str
    latest_due: str
    rule: str
    def __init__(self, kind: _Optional[str] = ..., owner: _Optional[str] = ..., due: _Optional[str] = ..., latest_due: _Optional[str] = ..., rule: _Optional[str] = ...) -> None: ...

class PreviewDecisionResponse(_message.Message):
    __slots__ = ("person_id", "sanction", "rule", "start", "end", "period_months", "locks", "items", "consequences")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    SANCTION_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    PERIOD_MONTHS_FIELD_NUMBER: _ClassVar[int]
    LOCKS_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    CONSEQUENCES_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    sanction: _events_pb2.SanctionType
    rule: str
    start: str
    end: str
    period_months: int
    locks: _containers.RepeatedCompositeFieldContainer[Lock]
    items: _containers.RepeatedCompositeFieldContainer[ExecutionItem]
    consequences: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, person_id: _Optional[str] = ..., sanction: _Optional[_Union[_events_pb2.SanctionType, str]] = ..., rule: _Optional[str] = ..., start: _Optional[str] = ..., end: _Optional[str] = ..., period_months: _Optional[int] = ..., locks: _Optional[_Iterable[_Union[Lock, _Mapping]]] = ..., items: _Optional[_Iterable[_Union[ExecutionItem, _Mapping]]] = ..., consequences: _Optional[_Iterable[str]] = ...) -> None: ...
