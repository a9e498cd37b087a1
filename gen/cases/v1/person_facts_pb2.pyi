from common.v1 import rules_pb2 as _rules_pb2
from cases.v1 import events_pb2 as _events_pb2
from common.v1 import person_pb2 as _person_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ReportPersonFactsRequest(_message.Message):
    __slots__ = ("person_id", "party", "official", "cadre", "posts", "service", "document", "expected_version")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    PARTY_FIELD_NUMBER: _ClassVar[int]
    OFFICIAL_FIELD_NUMBER: _ClassVar[int]
    CADRE_FIELD_NUMBER: _ClassVar[int]
    POSTS_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    party: _person_pb2.PartyMembership
    official: _person_pb2.PublicOfficial
    cadre: _person_pb2.Cadre
    posts: _containers.RepeatedCompositeFieldContainer[_person_pb2.Post]
    service: _person_pb2.Service
    document: _events_pb2.DocumentRef
    expected_version: int
    def __init__(self, person_id: _Optional[str] = ..., party: _Optional[_Union[_person_pb2.PartyMembership, _Mapping]] = ..., official: _Optional[_Union[_person_pb2.PublicOfficial, _Mapping]] = ..., cadre: _Optional[_Union[_person_pb2.Cadre, _Mapping]] = ..., posts: _Optional[_Iterable[_Union[_person_pb2.Post, _Mapping]]] = ..., service: _Optional[_Union[_person_pb2.Service, _Mapping]] = ..., document: _Optional[_Union[_events_pb2.DocumentRef, _Mapping]] = ..., expected_version: _Optional[int] = ...) -> None: ...

class ReportPersonFactsResponse(_message.Message):
    __slots__ = ("person_stream_id", "version", "facts")
    PERSON_STREAM_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    FACTS_FIELD_NUMBER: _ClassVar[int]
    person_stream_id: str
    version: int
    facts: _person_pb2.PersonFacts
    def __init__(self, person_stream_id: _Optional[str] = ..., version: _Optional[int] = ..., facts: _Optional[_Union[_person_pb2.PersonFacts, _Mapping]] = ...) -> None: ...

class GetPersonFactsRequest(_message.Message):
    __slots__ = ("person_id", "purpose")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    purpose: str
    def __init__(self, person_id: _Optional[str] = ..., purpose: _Optional[str] = ...) -> None: ...

class GetPersonFactsResponse(_message.Message):
    __slots__ = ("facts", "version")
    FACTS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    facts: _person_pb2.PersonFacts
    version: int
    def __init__(self, facts: _Optional[_Union[_person_pb2.PersonFacts, _Mapping]] = ..., version: _Optional[int] = ...) -> None: ...
