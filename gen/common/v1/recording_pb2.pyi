from common.v1 import rules_pb2 as _rules_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class RecordingRef(_message.Message):
    __slots__ = ("sha256", "duration_seconds", "kind", "archive_ref")
    SHA256_FIELD_NUMBER: _ClassVar[int]
    DURATION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ARCHIVE_REF_FIELD_NUMBER: _ClassVar[int]
    sha256: str
    duration_seconds: int
    kind: str
    archive_ref: str
    def __init__(self, sha256: _Optional[str] = ..., duration_seconds: _Optional[int] = ..., kind: _Optional[str] = ..., archive_ref: _Optional[str] = ...) -> None: ...
