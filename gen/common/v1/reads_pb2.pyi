from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class FileRef(_message.Message):
    __slots__ = ("kind", "id")
    KIND_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    kind: str
    id: str
    def __init__(self, kind: _Optional[str] = ..., id: _Optional[str] = ...) -> None: ...

class FileRead(_message.Message):
    __slots__ = ("operation", "purpose", "files", "query")
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    operation: str
    purpose: str
    files: _containers.RepeatedCompositeFieldContainer[FileRef]
    query: str
    def __init__(self, operation: _Optional[str] = ..., purpose: _Optional[str] = ..., files: _Optional[_Iterable[_Union[FileRef, _Mapping]]] = ..., query: _Optional[str] = ...) -> None: ...
