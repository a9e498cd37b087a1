import datetime

from common.v1 import rules_pb2 as _rules_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MeetingBody(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MEETING_BODY_UNSPECIFIED: _ClassVar[MeetingBody]
    MEETING_BODY_TOPIC_MEETING: _ClassVar[MeetingBody]
    MEETING_BODY_STANDING_COMMITTEE: _ClassVar[MeetingBody]
    MEETING_BODY_LEADERSHIP: _ClassVar[MeetingBody]

class ConsultedBody(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONSULTED_BODY_UNSPECIFIED: _ClassVar[ConsultedBody]
    CONSULTED_BODY_ORG_DEPARTMENT: _ClassVar[ConsultedBody]
    CONSULTED_BODY_PARTY_COMMITTEE: _ClassVar[ConsultedBody]
MEETING_BODY_UNSPECIFIED: MeetingBody
MEETING_BODY_TOPIC_MEETING: MeetingBody
MEETING_BODY_STANDING_COMMITTEE: MeetingBody
MEETING_BODY_LEADERSHIP: MeetingBody
CONSULTED_BODY_UNSPECIFIED: ConsultedBody
CONSULTED_BODY_ORG_DEPARTMENT: ConsultedBody
CONSULTED_BODY_PARTY_COMMITTEE: ConsultedBody

class CollectiveDecision(_message.Message):
    __slots__ = ("body", "held_at", "attendees", "recused", "outcome", "minutes_by")
    BODY_FIELD_NUMBER: _ClassVar[int]
    HELD_AT_FIELD_NUMBER: _ClassVar[int]
    ATTENDEES_FIELD_NUMBER: _ClassVar[int]
    RECUSED_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    MINUTES_BY_FIELD_NUMBER: _ClassVar[int]
    body: MeetingBody
    held_at: _timestamp_pb2.Timestamp
    attendees: _containers.RepeatedScalarFieldContainer[str]
    recused: _containers.RepeatedScalarFieldContainer[str]
    outcome: str
    minutes_by: str
    def __init__(self, body: _Optional[_Union[MeetingBody, str]] = ..., held_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., attendees: _Optional[_Iterable[str]] = ..., recused: _Optional[_Iterable[str]] = ..., outcome: _Optional[str] = ..., minutes_by: _Optional[str] = ...) -> None: ...

class Consultation(_message.Message):
    __slots__ = ("body", "consulted_at", "reference")
    BODY_FIELD_NUMBER: _ClassVar[int]
    CONSULTED_AT_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    body: ConsultedBody
    consulted_at: _timestamp_pb2.Timestamp
    reference: str
    def __init__(self, body: _Optional[_Union[ConsultedBody, str]] = ..., consulted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reference: _Optional[str] = ...) -> None: ...
