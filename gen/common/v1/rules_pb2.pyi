from google.protobuf import descriptor_pb2 as _descriptor_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class IdFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ID_FORMAT_UNSPECIFIED: _ClassVar[IdFormat]
    ID_FORMAT_STREAM: _ClassVar[IdFormat]
    ID_FORMAT_CLUE: _ClassVar[IdFormat]
    ID_FORMAT_CASE: _ClassVar[IdFormat]
    ID_FORMAT_MEASURE: _ClassVar[IdFormat]
    ID_FORMAT_PERSON: _ClassVar[IdFormat]
    ID_FORMAT_CODE: _ClassVar[IdFormat]
    ID_FORMAT_SHA256: _ClassVar[IdFormat]
    ID_FORMAT_UUID: _ClassVar[IdFormat]
    ID_FORMAT_MONTH: _ClassVar[IdFormat]
    ID_FORMAT_REFERENCE: _ClassVar[IdFormat]
    ID_FORMAT_PAGE_TOKEN: _ClassVar[IdFormat]
    ID_FORMAT_CLUE_REF: _ClassVar[IdFormat]
    ID_FORMAT_TOUR: _ClassVar[IdFormat]

class TimeWindow(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TIME_WINDOW_UNSPECIFIED: _ClassVar[TimeWindow]
    TIME_WINDOW_PAST: _ClassVar[TimeWindow]
    TIME_WINDOW_PLANNED: _ClassVar[TimeWindow]
    TIME_WINDOW_QUERY: _ClassVar[TimeWindow]
ID_FORMAT_UNSPECIFIED: IdFormat
ID_FORMAT_STREAM: IdFormat
ID_FORMAT_CLUE: IdFormat
ID_FORMAT_CASE: IdFormat
ID_FORMAT_MEASURE: IdFormat
ID_FORMAT_PERSON: IdFormat
ID_FORMAT_CODE: IdFormat
ID_FORMAT_SHA256: IdFormat
ID_FORMAT_UUID: IdFormat
ID_FORMAT_MONTH: IdFormat
ID_FORMAT_REFERENCE: IdFormat
ID_FORMAT_PAGE_TOKEN: IdFormat
ID_FORMAT_CLUE_REF: IdFormat
ID_FORMAT_TOUR: IdFormat
TIME_WINDOW_UNSPECIFIED: TimeWindow
TIME_WINDOW_PAST: TimeWindow
TIME_WINDOW_PLANNED: TimeWindow
TIME_WINDOW_QUERY: TimeWindow
RULE_FIELD_NUMBER: _ClassVar[int]
rule: _descriptor.FieldDescriptor
SPAN_FIELD_NUMBER: _ClassVar[int]
span: _descriptor.FieldDescriptor

class NumberRange(_message.Message):
    __slots__ = ("min", "max")
    MIN_FIELD_NUMBER: _ClassVar[int]
    MAX_FIELD_NUMBER: _ClassVar[int]
    min: int
    max: int
    def __init__(self, min: _Optional[int] = ..., max: _Optional[int] = ...) -> None: ...

class Words(_message.Message):
    __slots__ = ("of",)
    OF_FIELD_NUMBER: _ClassVar[int]
    of: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, of: _Optional[_Iterable[str]] = ...) -> None: ...

class FieldRule(_message.Message):
    __slots__ = ("required", "max_items", "line", "text", "id", "word", "time", "number", "page", "choice", "message", "flag")
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    MAX_ITEMS_FIELD_NUMBER: _ClassVar[int]
    LINE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    WORD_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    CHOICE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    FLAG_FIELD_NUMBER: _ClassVar[int]
    required: bool
    max_items: int
    line: int
    text: int
    id: IdFormat
    word: Words
    time: TimeWindow
    number: NumberRange
    page: bool
    choice: bool
    message: bool
    flag: bool
    def __init__(self, required: _Optional[bool] = ..., max_items: _Optional[int] = ..., line: _Optional[int] = ..., text: _Optional[int] = ..., id: _Optional[_Union[IdFormat, str]] = ..., word: _Optional[_Union[Words, _Mapping]] = ..., time: _Optional[_Union[TimeWindow, str]] = ..., number: _Optional[_Union[NumberRange, _Mapping]] = ..., page: _Optional[bool] = ..., choice: _Optional[bool] = ..., message: _Optional[bool] = ..., flag: _Optional[bool] = ...) -> None: ...

class Span(_message.Message):
    __slots__ = ("to",)
    FROM_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    to: str
    def __init__(self, to: _Optional[str] = ..., **kwargs) -> None: ...
