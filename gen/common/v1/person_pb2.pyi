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

class OfficialCategory(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OFFICIAL_CATEGORY_UNSPECIFIED: _ClassVar[OfficialCategory]
    OFFICIAL_CATEGORY_NONE: _ClassVar[OfficialCategory]
    OFFICIAL_CATEGORY_CIVIL_SERVANT: _ClassVar[OfficialCategory]
    OFFICIAL_CATEGORY_PUBLIC_AFFAIRS: _ClassVar[OfficialCategory]
    OFFICIAL_CATEGORY_SOE_MANAGER: _ClassVar[OfficialCategory]
    OFFICIAL_CATEGORY_PUBLIC_SERVICE_MANAGER: _ClassVar[OfficialCategory]
    OFFICIAL_CATEGORY_GRASSROOTS_MANAGER: _ClassVar[OfficialCategory]
    OFFICIAL_CATEGORY_OTHER_PUBLIC_DUTY: _ClassVar[OfficialCategory]

class ManagementLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MANAGEMENT_LEVEL_UNSPECIFIED: _ClassVar[ManagementLevel]
    MANAGEMENT_LEVEL_NONE: _ClassVar[ManagementLevel]
    MANAGEMENT_LEVEL_CENTRAL: _ClassVar[ManagementLevel]
    MANAGEMENT_LEVEL_PROVINCIAL: _ClassVar[ManagementLevel]
    MANAGEMENT_LEVEL_CITY: _ClassVar[ManagementLevel]
    MANAGEMENT_LEVEL_COUNTY: _ClassVar[ManagementLevel]

class ServiceStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SERVICE_STATUS_UNSPECIFIED: _ClassVar[ServiceStatus]
    SERVICE_STATUS_SERVING: _ClassVar[ServiceStatus]
    SERVICE_STATUS_RETIRED: _ClassVar[ServiceStatus]
    SERVICE_STATUS_LEFT: _ClassVar[ServiceStatus]
    SERVICE_STATUS_DECEASED: _ClassVar[ServiceStatus]
OFFICIAL_CATEGORY_UNSPECIFIED: OfficialCategory
OFFICIAL_CATEGORY_NONE: OfficialCategory
OFFICIAL_CATEGORY_CIVIL_SERVANT: OfficialCategory
OFFICIAL_CATEGORY_PUBLIC_AFFAIRS: OfficialCategory
OFFICIAL_CATEGORY_SOE_MANAGER: OfficialCategory
OFFICIAL_CATEGORY_PUBLIC_SERVICE_MANAGER: OfficialCategory
OFFICIAL_CATEGORY_GRASSROOTS_MANAGER: OfficialCategory
OFFICIAL_CATEGORY_OTHER_PUBLIC_DUTY: OfficialCategory
MANAGEMENT_LEVEL_UNSPECIFIED: ManagementLevel
MANAGEMENT_LEVEL_NONE: ManagementLevel
MANAGEMENT_LEVEL_CENTRAL: ManagementLevel
MANAGEMENT_LEVEL_PROVINCIAL: ManagementLevel
MANAGEMENT_LEVEL_CITY: ManagementLevel
MANAGEMENT_LEVEL_COUNTY: ManagementLevel
SERVICE_STATUS_UNSPECIFIED: ServiceStatus
SERVICE_STATUS_SERVING: ServiceStatus
SERVICE_STATUS_RETIRED: ServiceStatus
SERVICE_STATUS_LEFT: ServiceStatus
SERVICE_STATUS_DECEASED: ServiceStatus

class FactSource(_message.Message):
    __slots__ = ("source", "as_of")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    source: str
    as_of: _timestamp_pb2.Timestamp
    def __init__(self, source: _Optional[str] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PartyMembership(_message.Message):
    __slots__ = ("member", "source")
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    member: bool
    source: FactSource
    def __init__(self, member: _Optional[bool] = ..., source: _Optional[_Union[FactSource, _Mapping]] = ...) -> None: ...

class PublicOfficial(_message.Message):
    __slots__ = ("category", "holds_state_post", "source")
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    HOLDS_STATE_POST_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    category: OfficialCategory
    holds_state_post: bool
    source: FactSource
    def __init__(self, category: _Optional[_Union[OfficialCategory, str]] = ..., holds_state_post: _Optional[bool] = ..., source: _Optional[_Union[FactSource, _Mapping]] = ...) -> None: ...

class Cadre(_message.Message):
    __slots__ = ("level", "heads_lower_committee", "source")
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    HEADS_LOWER_COMMITTEE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    level: ManagementLevel
    heads_lower_committee: bool
    source: FactSource
    def __init__(self, level: _Optional[_Union[ManagementLevel, str]] = ..., heads_lower_committee: _Optional[bool] = ..., source: _Optional[_Union[FactSource, _Mapping]] = ...) -> None: ...

class Post(_message.Message):
    __slots__ = ("title", "party_post", "party_congress_delegate", "congress_deputy", "cppcc_member", "elected_or_appointed", "source")
    TITLE_FIELD_NUMBER: _ClassVar[int]
    PARTY_POST_FIELD_NUMBER: _ClassVar[int]
    PARTY_CONGRESS_DELEGATE_FIELD_NUMBER: _ClassVar[int]
    CONGRESS_DEPUTY_FIELD_NUMBER: _ClassVar[int]
    CPPCC_MEMBER_FIELD_NUMBER: _ClassVar[int]
    ELECTED_OR_APPOINTED_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    title: str
    party_post: bool
    party_congress_delegate: bool
    congress_deputy: bool
    cppcc_member: bool
    elected_or_appointed: bool
    source: FactSource
    def __init__(self, title: _Optional[str] = ..., party_post: _Optional[bool] = ..., party_congress_delegate: _Optional[bool] = ..., congress_deputy: _Optional[bool] = ..., cppcc_member: _Optional[bool] = ..., elected_or_appointed: _Optional[bool] = ..., source: _Optional[_Union[FactSource, _Mapping]] = ...) -> None: ...

class Service(_message.Message):
    __slots__ = ("status", "since", "source")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    status: ServiceStatus
    since: _timestamp_pb2.Timestamp
    source: FactSource
    def __init__(self, status: _Optional[_Union[ServiceStatus, str]] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., source: _Optional[_Union[FactSource, _Mapping]] = ...) -> None: ...

class PersonFacts(_message.Message):
    __slots__ = ("person_id", "party", "official", "cadre", "posts", "service")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    PARTY_FIELD_NUMBER: _ClassVar[int]
    OFFICIAL_FIELD_NUMBER: _ClassVar[int]
    CADRE_FIELD_NUMBER: _ClassVar[int]
    POSTS_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    party: PartyMembership
    official: PublicOfficial
    cadre: Cadre
    posts: _containers.RepeatedCompositeFieldContainer[Post]
    service: Service
    def __init__(self, person_id: _Optional[str] = ..., party: _Optional[_Union[PartyMembership, _Mapping]] = ..., official: _Optional[_Union[PublicOfficial, _Mapping]] = ..., cadre: _Optional[_Union[Cadre, _Mapping]] = ..., posts: _Optional[_Iterable[_Union[Post, _Mapping]]] = ..., service: _Optional[_Union[Service, _Mapping]] = ...) -> None: ...
