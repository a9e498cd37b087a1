import datetime

from common.v1 import rules_pb2 as _rules_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SubscribeRequest(_message.Message):
    __slots__ = ("agency", "from_position")
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    FROM_POSITION_FIELD_NUMBER: _ClassVar[int]
    agency: str
    from_position: int
    def __init__(self, agency: _Optional[str] = ..., from_position: _Optional[int] = ...) -> None: ...

class FeedEntry(_message.Message):
    __slots__ = ("position", "entry", "leaf_index", "event_id", "event_type", "recorded_at")
    POSITION_FIELD_NUMBER: _ClassVar[int]
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    LEAF_INDEX_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    RECORDED_AT_FIELD_NUMBER: _ClassVar[int]
    position: int
    entry: bytes
    leaf_index: int
    event_id: str
    event_type: str
    recorded_at: _timestamp_pb2.Timestamp
    def __init__(self, position: _Optional[int] = ..., entry: _Optional[bytes] = ..., leaf_index: _Optional[int] = ..., event_id: _Optional[str] = ..., event_type: _Optional[str] = ..., recorded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CaughtUp(_message.Message):
    __slots__ = ("size", "at")
    SIZE_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    size: int
    at: _timestamp_pb2.Timestamp
    def __init__(self, size: _Optional[int] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SubscribeResponse(_message.Message):
    __slots__ = ("entry", "caught_up")
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    CAUGHT_UP_FIELD_NUMBER: _ClassVar[int]
    entry: FeedEntry
    caught_up: CaughtUp
    def __init__(self, entry: _Optional[_Union[FeedEntry, _Mapping]] = ..., caught_up: _Optional[_Union[CaughtUp, _Mapping]] = ...) -> None: ...

class AcknowledgeRequest(_message.Message):
    __slots__ = ("agency", "position")
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    agency: str
    position: int
    def __init__(self, agency: _Optional[str] = ..., position: _Optional[int] = ...) -> None: ...

class AcknowledgeResponse(_message.Message):
    __slots__ = ("acknowledged", "size", "backlog")
    ACKNOWLEDGED_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    BACKLOG_FIELD_NUMBER: _ClassVar[int]
    acknowledged: int
    size: int
    backlog: int
    def __init__(self, acknowledged: _Optional[int] = ..., size: _Optional[int] = ..., backlog: _Optional[int] = ...) -> None: ...

class GetFeedCheckpointRequest(_message.Message):
    __slots__ = ("agency",)
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    agency: str
    def __init__(self, agency: _Optional[str] = ...) -> None: ...

class GetFeedCheckpointResponse(_message.Message):
    __slots__ = ("note", "tree_size", "root_hash", "origin", "signed_at", "agency")
    NOTE_FIELD_NUMBER: _ClassVar[int]
    TREE_SIZE_FIELD_NUMBER: _ClassVar[int]
    ROOT_HASH_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    SIGNED_AT_FIELD_NUMBER: _ClassVar[int]
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    note: bytes
    tree_size: int
    root_hash: bytes
    origin: str
    signed_at: _timestamp_pb2.Timestamp
    agency: str
    def __init__(self, note: _Optional[bytes] = ..., tree_size: _Optional[int] = ..., root_hash: _Optional[bytes] = ..., origin: _Optional[str] = ..., signed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., agency: _Optional[str] = ...) -> None: ...

class GetFeedProofRequest(_message.Message):
    __slots__ = ("agency", "position", "tree_size")
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    TREE_SIZE_FIELD_NUMBER: _ClassVar[int]
    agency: str
    position: int
    tree_size: int
    def __init__(self, agency: _Optional[str] = ..., position: _Optional[int] = ..., tree_size: _Optional[int] = ...) -> None: ...

class GetFeedProofResponse(_message.Message):
    __slots__ = ("position", "tree_size", "entry_hash", "hashes", "root_hash", "checkpoint", "leaf_index", "ledger_size", "ledger_leaf_hash", "ledger_hashes", "ledger_root_hash", "ledger_checkpoint")
    POSITION_FIELD_NUMBER: _ClassVar[int]
    TREE_SIZE_FIELD_NUMBER: _ClassVar[int]
    ENTRY_HASH_FIELD_NUMBER: _ClassVar[int]
    HASHES_FIELD_NUMBER: _ClassVar[int]
    ROOT_HASH_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    LEAF_INDEX_FIELD_NUMBER: _ClassVar[int]
    LEDGER_SIZE_FIELD_NUMBER: _ClassVar[int]
    LEDGER_LEAF_HASH_FIELD_NUMBER: _ClassVar[int]
    LEDGER_HASHES_FIELD_NUMBER: _ClassVar[int]
    LEDGER_ROOT_HASH_FIELD_NUMBER: _ClassVar[int]
    LEDGER_CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    position: int
    tree_size: int
    entry_hash: bytes
    hashes: _containers.RepeatedScalarFieldContainer[bytes]
    root_hash: bytes
    checkpoint: bytes
    leaf_index: int
    ledger_size: int
    ledger_leaf_hash: bytes
    ledger_hashes: _containers.RepeatedScalarFieldContainer[bytes]
    ledger_root_hash: bytes
    ledger_checkpoint: bytes
    def __init__(self, position: _Optional[int] = ..., tree_size: _Optional[int] = ..., entry_hash: _Optional[bytes] = ..., hashes: _Optional[_Iterable[bytes]] = ..., root_hash: _Optional[bytes] = ..., checkpoint: _Optional[bytes] = ..., leaf_index: _Optional[int] = ..., ledger_size: _Optional[int] = ..., ledger_leaf_hash: _Optional[bytes] = ..., ledger_hashes: _Optional[_Iterable[bytes]] = ..., ledger_root_hash: _Optional[bytes] = ..., ledger_checkpoint: _Optional[bytes] = ...) -> None: ...

class ListPublicKeysRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PublicKey(_message.Message):
    __slots__ = ("log", "agency", "origin", "verifier_key", "key_id", "public_key")
    LOG_FIELD_NUMBER: _ClassVar[int]
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    VERIFIER_KEY_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    log: str
    agency: str
    origin: str
    verifier_key: str
    key_id: str
    public_key: bytes
    def __init__(self, log: _Optional[str] = ..., agency: _Optional[str] = ..., origin: _Optional[str] = ..., verifier_key: _Optional[str] = ..., key_id: _Optional[str] = ..., public_key: _Optional[bytes] = ...) -> None: ...

class ListPublicKeysResponse(_message.Message):
    __slots__ = ("keys",)
    KEYS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedCompositeFieldContainer[PublicKey]
    def __init__(self, keys: _Optional[_Iterable[_Union[PublicKey, _Mapping]]] = ...) -> None: ...

class ListFeedBacklogsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class FeedBacklog(_message.Message):
    __slots__ = ("agency", "size", "acknowledged", "backlog", "acknowledged_at", "checkpointed")
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    ACKNOWLEDGED_FIELD_NUMBER: _ClassVar[int]
    BACKLOG_FIELD_NUMBER: _ClassVar[int]
    ACKNOWLEDGED_AT_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINTED_FIELD_NUMBER: _ClassVar[int]
    agency: str
    size: int
    acknowledged: int
    backlog: int
    acknowledged_at: _timestamp_pb2.Timestamp
    checkpointed: int
    def __init__(self, agency: _Optional[str] = ..., size: _Optional[int] = ..., acknowledged: _Optional[int] = ..., backlog: _Optional[int] = ..., acknowledged_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., checkpointed: _Optional[int] = ...) -> None: ...

class ListFeedBacklogsResponse(_message.Message):
    __slots__ = ("feeds",)
    FEEDS_FIELD_NUMBER: _ClassVar[int]
    feeds: _containers.RepeatedCompositeFieldContainer[FeedBacklog]
    def __init__(self, feeds: _Optional[_Iterable[_Union[FeedBacklog, _Mapping]]] = ...) -> None: ...
