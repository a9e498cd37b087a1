import datetime

from common.v1 import identity_pb2 as _identity_pb2
from common.v1 import rules_pb2 as _rules_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class IntegrityAnswer(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INTEGRITY_ANSWER_UNSPECIFIED: _ClassVar[IntegrityAnswer]
    INTEGRITY_ANSWER_NO_OBJECTION: _ClassVar[IntegrityAnswer]
    INTEGRITY_ANSWER_PENDING: _ClassVar[IntegrityAnswer]
    INTEGRITY_ANSWER_OBJECTION: _ClassVar[IntegrityAnswer]

class IntendedUse(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INTENDED_USE_UNSPECIFIED: _ClassVar[IntendedUse]
    INTENDED_USE_PROMOTION: _ClassVar[IntendedUse]
    INTENDED_USE_SAME_LEVEL_MOVE: _ClassVar[IntendedUse]
    INTENDED_USE_OTHER: _ClassVar[IntendedUse]

class DossierItemKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DOSSIER_ITEM_KIND_UNSPECIFIED: _ClassVar[DossierItemKind]
    DOSSIER_ITEM_KIND_CLUE: _ClassVar[DossierItemKind]
    DOSSIER_ITEM_KIND_FILING: _ClassVar[DossierItemKind]
    DOSSIER_ITEM_KIND_CASE: _ClassVar[DossierItemKind]
    DOSSIER_ITEM_KIND_MEASURE: _ClassVar[DossierItemKind]
    DOSSIER_ITEM_KIND_SANCTION: _ClassVar[DossierItemKind]
    DOSSIER_ITEM_KIND_IMPACT: _ClassVar[DossierItemKind]
    DOSSIER_ITEM_KIND_TALK_OR_LETTER: _ClassVar[DossierItemKind]
INTEGRITY_ANSWER_UNSPECIFIED: IntegrityAnswer
INTEGRITY_ANSWER_NO_OBJECTION: IntegrityAnswer
INTEGRITY_ANSWER_PENDING: IntegrityAnswer
INTEGRITY_ANSWER_OBJECTION: IntegrityAnswer
INTENDED_USE_UNSPECIFIED: IntendedUse
INTENDED_USE_PROMOTION: IntendedUse
INTENDED_USE_SAME_LEVEL_MOVE: IntendedUse
INTENDED_USE_OTHER: IntendedUse
DOSSIER_ITEM_KIND_UNSPECIFIED: DossierItemKind
DOSSIER_ITEM_KIND_CLUE: DossierItemKind
DOSSIER_ITEM_KIND_FILING: DossierItemKind
DOSSIER_ITEM_KIND_CASE: DossierItemKind
DOSSIER_ITEM_KIND_MEASURE: DossierItemKind
DOSSIER_ITEM_KIND_SANCTION: DossierItemKind
DOSSIER_ITEM_KIND_IMPACT: DossierItemKind
DOSSIER_ITEM_KIND_TALK_OR_LETTER: DossierItemKind

class DossierBar(_message.Message):
    __slots__ = ("kind", "until", "rule")
    KIND_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    kind: str
    until: str
    rule: str
    def __init__(self, kind: _Optional[str] = ..., until: _Optional[str] = ..., rule: _Optional[str] = ...) -> None: ...

class DossierItem(_message.Message):
    __slots__ = ("kind", "ref", "state", "open", "what", "family", "start", "end", "running", "bars", "holding_office", "since", "updated_at", "leaf_indices")
    KIND_FIELD_NUMBER: _ClassVar[int]
    REF_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    OPEN_FIELD_NUMBER: _ClassVar[int]
    WHAT_FIELD_NUMBER: _ClassVar[int]
    FAMILY_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    RUNNING_FIELD_NUMBER: _ClassVar[int]
    BARS_FIELD_NUMBER: _ClassVar[int]
    HOLDING_OFFICE_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    LEAF_INDICES_FIELD_NUMBER: _ClassVar[int]
    kind: DossierItemKind
    ref: str
    state: str
    open: bool
    what: str
    family: str
    start: str
    end: str
    running: bool
    bars: _containers.RepeatedCompositeFieldContainer[DossierBar]
    holding_office: str
    since: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    leaf_indices: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, kind: _Optional[_Union[DossierItemKind, str]] = ..., ref: _Optional[str] = ..., state: _Optional[str] = ..., open: _Optional[bool] = ..., what: _Optional[str] = ..., family: _Optional[str] = ..., start: _Optional[str] = ..., end: _Optional[str] = ..., running: _Optional[bool] = ..., bars: _Optional[_Iterable[_Union[DossierBar, _Mapping]]] = ..., holding_office: _Optional[str] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., leaf_indices: _Optional[_Iterable[int]] = ...) -> None: ...

class GetDossierRequest(_message.Message):
    __slots__ = ("person_id", "as_of", "purpose")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    as_of: _timestamp_pb2.Timestamp
    purpose: str
    def __init__(self, person_id: _Optional[str] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., purpose: _Optional[str] = ...) -> None: ...

class GetDossierResponse(_message.Message):
    __slots__ = ("person_id", "as_of", "items", "tree_size")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    TREE_SIZE_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    as_of: _timestamp_pb2.Timestamp
    items: _containers.RepeatedCompositeFieldContainer[DossierItem]
    tree_size: int
    def __init__(self, person_id: _Optional[str] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., items: _Optional[_Iterable[_Union[DossierItem, _Mapping]]] = ..., tree_size: _Optional[int] = ...) -> None: ...

class Candidate(_message.Message):
    __slots__ = ("person", "liaison_office")
    PERSON_FIELD_NUMBER: _ClassVar[int]
    LIAISON_OFFICE_FIELD_NUMBER: _ClassVar[int]
    person: _identity_pb2.PersonRef
    liaison_office: str
    def __init__(self, person: _Optional[_Union[_identity_pb2.PersonRef, _Mapping]] = ..., liaison_office: _Optional[str] = ...) -> None: ...

class IntegrityReason(_message.Message):
    __slots__ = ("check", "answer", "text", "ref", "rule")
    CHECK_FIELD_NUMBER: _ClassVar[int]
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    REF_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    check: str
    answer: IntegrityAnswer
    text: str
    ref: str
    rule: str
    def __init__(self, check: _Optional[str] = ..., answer: _Optional[_Union[IntegrityAnswer, str]] = ..., text: _Optional[str] = ..., ref: _Optional[str] = ..., rule: _Optional[str] = ...) -> None: ...

class CandidateReply(_message.Message):
    __slots__ = ("person", "liaison_office", "proposed", "reasons", "answer", "comment", "signed_off_by", "signed_off_at", "fast_tracked_clues", "reply_text")
    PERSON_FIELD_NUMBER: _ClassVar[int]
    LIAISON_OFFICE_FIELD_NUMBER: _ClassVar[int]
    PROPOSED_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    SIGNED_OFF_BY_FIELD_NUMBER: _ClassVar[int]
    SIGNED_OFF_AT_FIELD_NUMBER: _ClassVar[int]
    FAST_TRACKED_CLUES_FIELD_NUMBER: _ClassVar[int]
    REPLY_TEXT_FIELD_NUMBER: _ClassVar[int]
    person: _identity_pb2.PersonRef
    liaison_office: str
    proposed: IntegrityAnswer
    reasons: _containers.RepeatedCompositeFieldContainer[IntegrityReason]
    answer: IntegrityAnswer
    comment: str
    signed_off_by: str
    signed_off_at: _timestamp_pb2.Timestamp
    fast_tracked_clues: _containers.RepeatedScalarFieldContainer[str]
    reply_text: str
    def __init__(self, person: _Optional[_Union[_identity_pb2.PersonRef, _Mapping]] = ..., liaison_office: _Optional[str] = ..., proposed: _Optional[_Union[IntegrityAnswer, str]] = ..., reasons: _Optional[_Iterable[_Union[IntegrityReason, _Mapping]]] = ..., answer: _Optional[_Union[IntegrityAnswer, str]] = ..., comment: _Optional[str] = ..., signed_off_by: _Optional[str] = ..., signed_off_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., fast_tracked_clues: _Optional[_Iterable[str]] = ..., reply_text: _Optional[str] = ...) -> None: ...

class IntegrityRequest(_message.Message):
    __slots__ = ("request_id", "reference", "intended_use", "intended_date", "due_at", "received_at", "requested_by_agency", "state", "candidates", "no_objection", "pending", "objection", "signed_by", "replied_at", "tree_size")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    INTENDED_USE_FIELD_NUMBER: _ClassVar[int]
    INTENDED_DATE_FIELD_NUMBER: _ClassVar[int]
    DUE_AT_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_BY_AGENCY_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    NO_OBJECTION_FIELD_NUMBER: _ClassVar[int]
    PENDING_FIELD_NUMBER: _ClassVar[int]
    OBJECTION_FIELD_NUMBER: _ClassVar[int]
    SIGNED_BY_FIELD_NUMBER: _ClassVar[int]
    REPLIED_AT_FIELD_NUMBER: _ClassVar[int]
    TREE_SIZE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    reference: str
    intended_use: IntendedUse
    intended_date: str
    due_at: _timestamp_pb2.Timestamp
    received_at: _timestamp_pb2.Timestamp
    requested_by_agency: str
    state: str
    candidates: _containers.RepeatedCompositeFieldContainer[CandidateReply]
    no_objection: int
    pending: int
    objection: int
    signed_by: str
    replied_at: _timestamp_pb2.Timestamp
    tree_size: int
    def __init__(self, request_id: _Optional[str] = ..., reference: _Optional[str] = ..., intended_use: _Optional[_Union[IntendedUse, str]] = ..., intended_date: _Optional[str] = ..., due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., received_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., requested_by_agency: _Optional[str] = ..., state: _Optional[str] = ..., candidates: _Optional[_Iterable[_Union[CandidateReply, _Mapping]]] = ..., no_objection: _Optional[int] = ..., pending: _Optional[int] = ..., objection: _Optional[int] = ..., signed_by: _Optional[str] = ..., replied_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., tree_size: _Optional[int] = ...) -> None: ...

class SubmitIntegrityRequestRequest(_message.Message):
    __slots__ = ("reference", "intended_use", "intended_date", "due_at", "candidates")
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    INTENDED_USE_FIELD_NUMBER: _ClassVar[int]
    INTENDED_DATE_FIELD_NUMBER: _ClassVar[int]
    DUE_AT_FIELD_NUMBER: _ClassVar[int]
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    reference: str
    intended_use: IntendedUse
    intended_date: str
    due_at: _timestamp_pb2.Timestamp
    candidates: _containers.RepeatedCompositeFieldContainer[Candidate]
    def __init__(self, reference: _Optional[str] = ..., intended_use: _Optional[_Union[IntendedUse, str]] = ..., intended_date: _Optional[str] = ..., due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., candidates: _Optional[_Iterable[_Union[Candidate, _Mapping]]] = ...) -> None: ...

class SubmitIntegrityRequestResponse(_message.Message):
    __slots__ = ("request",)
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    request: IntegrityRequest
    def __init__(self, request: _Optional[_Union[IntegrityRequest, _Mapping]] = ...) -> None: ...

class GetIntegrityRequestRequest(_message.Message):
    __slots__ = ("request_id",)
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    def __init__(self, request_id: _Optional[str] = ...) -> None: ...

class GetIntegrityRequestResponse(_message.Message):
    __slots__ = ("request",)
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    request: IntegrityRequest
    def __init__(self, request: _Optional[_Union[IntegrityRequest, _Mapping]] = ...) -> None: ...

class ListIntegrityRequestsRequest(_message.Message):
    __slots__ = ("state", "page_size", "page_token")
    STATE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    state: str
    page_size: int
    page_token: str
    def __init__(self, state: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListIntegrityRequestsResponse(_message.Message):
    __slots__ = ("requests", "next_page_token")
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    requests: _containers.RepeatedCompositeFieldContainer[IntegrityRequest]
    next_page_token: str
    def __init__(self, requests: _Optional[_Iterable[_Union[IntegrityRequest, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CandidateSignOff(_message.Message):
    __slots__ = ("person_id", "answer", "comment")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    answer: IntegrityAnswer
    comment: str
    def __init__(self, person_id: _Optional[str] = ..., answer: _Optional[_Union[IntegrityAnswer, str]] = ..., comment: _Optional[str] = ...) -> None: ...

class SignOffCandidatesRequest(_message.Message):
    __slots__ = ("request_id", "candidates")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    candidates: _containers.RepeatedCompositeFieldContainer[CandidateSignOff]
    def __init__(self, request_id: _Optional[str] = ..., candidates: _Optional[_Iterable[_Union[CandidateSignOff, _Mapping]]] = ...) -> None: ...

class SignOffCandidatesResponse(_message.Message):
    __slots__ = ("request",)
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    request: IntegrityRequest
    def __init__(self, request: _Optional[_Union[IntegrityRequest, _Mapping]] = ...) -> None: ...

class SignIntegrityReplyRequest(_message.Message):
    __slots__ = ("request_id",)
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    def __init__(self, request_id: _Optional[str] = ...) -> None: ...

class SignIntegrityReplyResponse(_message.Message):
    __slots__ = ("request",)
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    request: IntegrityRequest
    def __init__(self, request: _Optional[_Union[IntegrityRequest, _Mapping]] = ...) -> None: ...
