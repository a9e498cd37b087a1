import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ClockState(_message.Message):
    __slots__ = ("now", "time_zone", "settable", "moved", "frozen")
    NOW_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    SETTABLE_FIELD_NUMBER: _ClassVar[int]
    MOVED_FIELD_NUMBER: _ClassVar[int]
    FROZEN_FIELD_NUMBER: _ClassVar[int]
    now: _timestamp_pb2.Timestamp
    time_zone: str
    settable: bool
    moved: bool
    frozen: bool
    def __init__(self, now: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., time_zone: _Optional[str] = ..., settable: _Optional[bool] = ..., moved: _Optional[bool] = ..., frozen: _Optional[bool] = ...) -> None: ...

class GetClockRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetClockResponse(_message.Message):
    __slots__ = ("clock",)
    CLOCK_FIELD_NUMBER: _ClassVar[int]
    clock: ClockState
    def __init__(self, clock: _Optional[_Union[ClockState, _Mapping]] = ...) -> None: ...

class SetClockRequest(_message.Message):
    __slots__ = ("at", "freeze")
    AT_FIELD_NUMBER: _ClassVar[int]
    FREEZE_FIELD_NUMBER: _ClassVar[int]
    at: _timestamp_pb2.Timestamp
    freeze: bool
    def __init__(self, at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., freeze: _Optional[bool] = ...) -> None: ...

class SetClockResponse(_message.Message):
    __slots__ = ("clock",)
    CLOCK_FIELD_NUMBER: _ClassVar[int]
    clock: ClockState
    def __init__(self, clock: _Optional[_Union[ClockState, _Mapping]] = ...) -> None: ...

class ResetClockRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ResetClockResponse(_message.Message):
    __slots__ = ("clock",)
    CLOCK_FIELD_NUMBER: _ClassVar[int]
    clock: ClockState
    def __init__(self, clock: _Optional[_Union[ClockState, _Mapping]] = ...) -> None: ...
