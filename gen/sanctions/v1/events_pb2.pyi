import datetime

from cases.v1 import events_pb2 as _events_pb2
from common.v1 import meeting_pb2 as _meeting_pb2
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

class ImpactKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    IMPACT_KIND_UNSPECIFIED: _ClassVar[ImpactKind]
    IMPACT_KIND_ADMONISHMENT: _ClassVar[ImpactKind]
    IMPACT_KIND_ORGANISATIONAL_HANDLING: _ClassVar[ImpactKind]
    IMPACT_KIND_ACCOUNTABILITY: _ClassVar[ImpactKind]

class DecisionStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DECISION_STATUS_UNSPECIFIED: _ClassVar[DecisionStatus]
    DECISION_STATUS_OPENED: _ClassVar[DecisionStatus]
    DECISION_STATUS_DRAFTED: _ClassVar[DecisionStatus]
    DECISION_STATUS_COMMITTEE_APPROVED: _ClassVar[DecisionStatus]
    DECISION_STATUS_ISSUED: _ClassVar[DecisionStatus]
    DECISION_STATUS_REDECISION_REQUIRED: _ClassVar[DecisionStatus]
    DECISION_STATUS_IMPACT_RECORDED: _ClassVar[DecisionStatus]
    DECISION_STATUS_LIFTED: _ClassVar[DecisionStatus]
    DECISION_STATUS_REVOKED: _ClassVar[DecisionStatus]

class Recipient(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RECIPIENT_UNSPECIFIED: _ClassVar[Recipient]
    RECIPIENT_PERSON: _ClassVar[Recipient]
    RECIPIENT_UNIT: _ClassVar[Recipient]

class DeliveryMeans(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DELIVERY_MEANS_UNSPECIFIED: _ClassVar[DeliveryMeans]
    DELIVERY_MEANS_IN_PERSON: _ClassVar[DeliveryMeans]
    DELIVERY_MEANS_LEFT_WITH_WITNESSES: _ClassVar[DeliveryMeans]
    DELIVERY_MEANS_POST: _ClassVar[DeliveryMeans]
    DELIVERY_MEANS_ENTRUSTED: _ClassVar[DeliveryMeans]
    DELIVERY_MEANS_ANNOUNCEMENT: _ClassVar[DeliveryMeans]

class BlockageCause(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BLOCKAGE_CAUSE_UNSPECIFIED: _ClassVar[BlockageCause]
    BLOCKAGE_CAUSE_RULES_MISSING: _ClassVar[BlockageCause]
    BLOCKAGE_CAUSE_INTER_DEPARTMENT: _ClassVar[BlockageCause]
    BLOCKAGE_CAUSE_PERSON_UNCOOPERATIVE: _ClassVar[BlockageCause]
    BLOCKAGE_CAUSE_MOBILE_PARTY_MEMBER: _ClassVar[BlockageCause]
SANCTION_FAMILY_UNSPECIFIED: SanctionFamily
SANCTION_FAMILY_PARTY_SANCTION: SanctionFamily
SANCTION_FAMILY_GOVERNMENT_SANCTION: SanctionFamily
IMPACT_KIND_UNSPECIFIED: ImpactKind
IMPACT_KIND_ADMONISHMENT: ImpactKind
IMPACT_KIND_ORGANISATIONAL_HANDLING: ImpactKind
IMPACT_KIND_ACCOUNTABILITY: ImpactKind
DECISION_STATUS_UNSPECIFIED: DecisionStatus
DECISION_STATUS_OPENED: DecisionStatus
DECISION_STATUS_DRAFTED: DecisionStatus
DECISION_STATUS_COMMITTEE_APPROVED: DecisionStatus
DECISION_STATUS_ISSUED: DecisionStatus
DECISION_STATUS_REDECISION_REQUIRED: DecisionStatus
DECISION_STATUS_IMPACT_RECORDED: DecisionStatus
DECISION_STATUS_LIFTED: DecisionStatus
DECISION_STATUS_REVOKED: DecisionStatus
RECIPIENT_UNSPECIFIED: Recipient
RECIPIENT_PERSON: Recipient
RECIPIENT_UNIT: Recipient
DELIVERY_MEANS_UNSPECIFIED: DeliveryMeans
DELIVERY_MEANS_IN_PERSON: DeliveryMeans
DELIVERY_MEANS_LEFT_WITH_WITNESSES: DeliveryMeans
DELIVERY_MEANS_POST: DeliveryMeans
DELIVERY_MEANS_ENTRUSTED: DeliveryMeans
DELIVERY_MEANS_ANNOUNCEMENT: DeliveryMeans
BLOCKAGE_CAUSE_UNSPECIFIED: BlockageCause
BLOCKAGE_CAUSE_RULES_MISSING: BlockageCause
BLOCKAGE_CAUSE_INTER_DEPARTMENT: BlockageCause
BLOCKAGE_CAUSE_PERSON_UNCOOPERATIVE: BlockageCause
BLOCKAGE_CAUSE_MOBILE_PARTY_MEMBER: BlockageCause

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
    __slots__ = ("kind", "owner", "due", "latest_due", "rule", "item_id", "agency", "office")
    KIND_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    DUE_FIELD_NUMBER: _ClassVar[int]
    LATEST_DUE_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    kind: str
    owner: str
    due: str
    latest_due: str
    rule: str
    item_id: str
    agency: str
    office: str
    def __init__(self, kind: _Optional[str] = ..., owner: _Optional[str] = ..., due: _Optional[str] = ..., latest_due: _Optional[str] = ..., rule: _Optional[str] = ..., item_id: _Optional[str] = ..., agency: _Optional[str] = ..., office: _Optional[str] = ...) -> None: ...

class ReviewRoute(_message.Message):
    __slots__ = ("review_body", "recheck_body", "apply_within_months")
    REVIEW_BODY_FIELD_NUMBER: _ClassVar[int]
    RECHECK_BODY_FIELD_NUMBER: _ClassVar[int]
    APPLY_WITHIN_MONTHS_FIELD_NUMBER: _ClassVar[int]
    review_body: str
    recheck_body: str
    apply_within_months: int
    def __init__(self, review_body: _Optional[str] = ..., recheck_body: _Optional[str] = ..., apply_within_months: _Optional[int] = ...) -> None: ...

class DocumentRef(_message.Message):
    __slots__ = ("title", "sha256")
    TITLE_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    title: str
    sha256: str
    def __init__(self, title: _Optional[str] = ..., sha256: _Optional[str] = ...) -> None: ...

class Witness(_message.Message):
    __slots__ = ("name", "capacity")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_FIELD_NUMBER: _ClassVar[int]
    name: str
    capacity: str
    def __init__(self, name: _Optional[str] = ..., capacity: _Optional[str] = ...) -> None: ...

class DecisionOpened(_message.Message):
    __slots__ = ("decision_id", "case_id", "clue_id", "person_id", "family", "combined", "violations", "consequences", "serious", "facts", "deliberation", "disposed_at", "source_event_id", "holder", "liaison")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    FAMILY_FIELD_NUMBER: _ClassVar[int]
    COMBINED_FIELD_NUMBER: _ClassVar[int]
    VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    CONSEQUENCES_FIELD_NUMBER: _ClassVar[int]
    SERIOUS_FIELD_NUMBER: _ClassVar[int]
    FACTS_FIELD_NUMBER: _ClassVar[int]
    DELIBERATION_FIELD_NUMBER: _ClassVar[int]
    DISPOSED_AT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    HOLDER_FIELD_NUMBER: _ClassVar[int]
    LIAISON_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    case_id: str
    clue_id: str
    person_id: str
    family: SanctionFamily
    combined: _events_pb2.CombinedSanction
    violations: _containers.RepeatedCompositeFieldContainer[_events_pb2.Violation]
    consequences: _containers.RepeatedScalarFieldContainer[str]
    serious: bool
    facts: _person_pb2.PersonFacts
    deliberation: _meeting_pb2.CollectiveDecision
    disposed_at: _timestamp_pb2.Timestamp
    source_event_id: str
    holder: str
    liaison: str
    def __init__(self, decision_id: _Optional[str] = ..., case_id: _Optional[str] = ..., clue_id: _Optional[str] = ..., person_id: _Optional[str] = ..., family: _Optional[_Union[SanctionFamily, str]] = ..., combined: _Optional[_Union[_events_pb2.CombinedSanction, _Mapping]] = ..., violations: _Optional[_Iterable[_Union[_events_pb2.Violation, _Mapping]]] = ..., consequences: _Optional[_Iterable[str]] = ..., serious: _Optional[bool] = ..., facts: _Optional[_Union[_person_pb2.PersonFacts, _Mapping]] = ..., deliberation: _Optional[_Union[_meeting_pb2.CollectiveDecision, _Mapping]] = ..., disposed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., source_event_id: _Optional[str] = ..., holder: _Optional[str] = ..., liaison: _Optional[str] = ...) -> None: ...

class DecisionDrafted(_message.Message):
    __slots__ = ("decision_id", "title", "legal_basis", "review_route", "announcement_scope", "gains_found", "appraisals", "removal_from_office", "drafted_by", "probation_months", "in_lieu_of_removal")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    LEGAL_BASIS_FIELD_NUMBER: _ClassVar[int]
    REVIEW_ROUTE_FIELD_NUMBER: _ClassVar[int]
    ANNOUNCEMENT_SCOPE_FIELD_NUMBER: _ClassVar[int]
    GAINS_FOUND_FIELD_NUMBER: _ClassVar[int]
    APPRAISALS_FIELD_NUMBER: _ClassVar[int]
    REMOVAL_FROM_OFFICE_FIELD_NUMBER: _ClassVar[int]
    DRAFTED_BY_FIELD_NUMBER: _ClassVar[int]
    PROBATION_MONTHS_FIELD_NUMBER: _ClassVar[int]
    IN_LIEU_OF_REMOVAL_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    title: str
    legal_basis: _containers.RepeatedScalarFieldContainer[str]
    review_route: ReviewRoute
    announcement_scope: str
    gains_found: bool
    appraisals: _containers.RepeatedScalarFieldContainer[str]
    removal_from_office: DocumentRef
    drafted_by: str
    probation_months: int
    in_lieu_of_removal: bool
    def __init__(self, decision_id: _Optional[str] = ..., title: _Optional[str] = ..., legal_basis: _Optional[_Iterable[str]] = ..., review_route: _Optional[_Union[ReviewRoute, _Mapping]] = ..., announcement_scope: _Optional[str] = ..., gains_found: _Optional[bool] = ..., appraisals: _Optional[_Iterable[str]] = ..., removal_from_office: _Optional[_Union[DocumentRef, _Mapping]] = ..., drafted_by: _Optional[str] = ..., probation_months: _Optional[int] = ..., in_lieu_of_removal: _Optional[bool] = ...) -> None: ...

class DecisionCommitteeApproved(_message.Message):
    __slots__ = ("decision_id", "approved_by", "approver_role")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    APPROVED_BY_FIELD_NUMBER: _ClassVar[int]
    APPROVER_ROLE_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    approved_by: str
    approver_role: str
    def __init__(self, decision_id: _Optional[str] = ..., approved_by: _Optional[str] = ..., approver_role: _Optional[str] = ...) -> None: ...

class DecisionIssued(_message.Message):
    __slots__ = ("decision_id", "document_number", "issued_by", "sanction", "start", "end", "period_months", "locks", "items", "legal_basis", "review_route", "consequences")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    ISSUED_BY_FIELD_NUMBER: _ClassVar[int]
    SANCTION_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    PERIOD_MONTHS_FIELD_NUMBER: _ClassVar[int]
    LOCKS_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    LEGAL_BASIS_FIELD_NUMBER: _ClassVar[int]
    REVIEW_ROUTE_FIELD_NUMBER: _ClassVar[int]
    CONSEQUENCES_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    document_number: str
    issued_by: str
    sanction: _events_pb2.SanctionType
    start: str
    end: str
    period_months: int
    locks: _containers.RepeatedCompositeFieldContainer[Lock]
    items: _containers.RepeatedCompositeFieldContainer[ExecutionItem]
    legal_basis: _containers.RepeatedScalarFieldContainer[str]
    review_route: ReviewRoute
    consequences: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, decision_id: _Optional[str] = ..., document_number: _Optional[str] = ..., issued_by: _Optional[str] = ..., sanction: _Optional[_Union[_events_pb2.SanctionType, str]] = ..., start: _Optional[str] = ..., end: _Optional[str] = ..., period_months: _Optional[int] = ..., locks: _Optional[_Iterable[_Union[Lock, _Mapping]]] = ..., items: _Optional[_Iterable[_Union[ExecutionItem, _Mapping]]] = ..., legal_basis: _Optional[_Iterable[str]] = ..., review_route: _Optional[_Union[ReviewRoute, _Mapping]] = ..., consequences: _Optional[_Iterable[str]] = ...) -> None: ...

class DecisionDelivered(_message.Message):
    __slots__ = ("decision_id", "recipient", "means", "delivered_at", "receipt_sha256", "refused_to_sign", "witnesses", "recorded_by", "item_id")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    RECIPIENT_FIELD_NUMBER: _ClassVar[int]
    MEANS_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_AT_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_SHA256_FIELD_NUMBER: _ClassVar[int]
    REFUSED_TO_SIGN_FIELD_NUMBER: _ClassVar[int]
    WITNESSES_FIELD_NUMBER: _ClassVar[int]
    RECORDED_BY_FIELD_NUMBER: _ClassVar[int]
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    recipient: Recipient
    means: DeliveryMeans
    delivered_at: _timestamp_pb2.Timestamp
    receipt_sha256: str
    refused_to_sign: bool
    witnesses: _containers.RepeatedCompositeFieldContainer[Witness]
    recorded_by: str
    item_id: str
    def __init__(self, decision_id: _Optional[str] = ..., recipient: _Optional[_Union[Recipient, str]] = ..., means: _Optional[_Union[DeliveryMeans, str]] = ..., delivered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., receipt_sha256: _Optional[str] = ..., refused_to_sign: _Optional[bool] = ..., witnesses: _Optional[_Iterable[_Union[Witness, _Mapping]]] = ..., recorded_by: _Optional[str] = ..., item_id: _Optional[str] = ...) -> None: ...

class ExecutionItemReported(_message.Message):
    __slots__ = ("decision_id", "item_id", "kind", "agency", "office", "reported_by", "done_at", "receipt_sha256", "note")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    REPORTED_BY_FIELD_NUMBER: _ClassVar[int]
    DONE_AT_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_SHA256_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    item_id: str
    kind: str
    agency: str
    office: str
    reported_by: str
    done_at: _timestamp_pb2.Timestamp
    receipt_sha256: str
    note: str
    def __init__(self, decision_id: _Optional[str] = ..., item_id: _Optional[str] = ..., kind: _Optional[str] = ..., agency: _Optional[str] = ..., office: _Optional[str] = ..., reported_by: _Optional[str] = ..., done_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., receipt_sha256: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class ExecutionBlockageRecorded(_message.Message):
    __slots__ = ("decision_id", "item_id", "cause", "note", "recorded_by", "office")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    CAUSE_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    RECORDED_BY_FIELD_NUMBER: _ClassVar[int]
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    item_id: str
    cause: BlockageCause
    note: str
    recorded_by: str
    office: str
    def __init__(self, decision_id: _Optional[str] = ..., item_id: _Optional[str] = ..., cause: _Optional[_Union[BlockageCause, str]] = ..., note: _Optional[str] = ..., recorded_by: _Optional[str] = ..., office: _Optional[str] = ...) -> None: ...

class CriminalJudgmentRecorded(_message.Message):
    __slots__ = ("decision_id", "judgment", "judgment_number", "intentional", "sentence", "recorded_by", "required_sanction")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    JUDGMENT_FIELD_NUMBER: _ClassVar[int]
    JUDGMENT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    INTENTIONAL_FIELD_NUMBER: _ClassVar[int]
    SENTENCE_FIELD_NUMBER: _ClassVar[int]
    RECORDED_BY_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_SANCTION_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    judgment: DocumentRef
    judgment_number: str
    intentional: bool
    sentence: str
    recorded_by: str
    required_sanction: _events_pb2.SanctionType
    def __init__(self, decision_id: _Optional[str] = ..., judgment: _Optional[_Union[DocumentRef, _Mapping]] = ..., judgment_number: _Optional[str] = ..., intentional: _Optional[bool] = ..., sentence: _Optional[str] = ..., recorded_by: _Optional[str] = ..., required_sanction: _Optional[_Union[_events_pb2.SanctionType, str]] = ...) -> None: ...

class ImpactRecorded(_message.Message):
    __slots__ = ("decision_id", "kind", "person_id", "case_id", "clue_id", "start", "end", "article", "detail", "source_event_id", "holder", "liaison")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    ARTICLE_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    SOURCE_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    HOLDER_FIELD_NUMBER: _ClassVar[int]
    LIAISON_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    kind: ImpactKind
    person_id: str
    case_id: str
    clue_id: str
    start: str
    end: str
    article: str
    detail: str
    source_event_id: str
    holder: str
    liaison: str
    def __init__(self, decision_id: _Optional[str] = ..., kind: _Optional[_Union[ImpactKind, str]] = ..., person_id: _Optional[str] = ..., case_id: _Optional[str] = ..., clue_id: _Optional[str] = ..., start: _Optional[str] = ..., end: _Optional[str] = ..., article: _Optional[str] = ..., detail: _Optional[str] = ..., source_event_id: _Optional[str] = ..., holder: _Optional[str] = ..., liaison: _Optional[str] = ...) -> None: ...

class SanctionLifted(_message.Message):
    __slots__ = ("decision_id", "on", "locks_ended", "not_restored", "after_cases")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    ON_FIELD_NUMBER: _ClassVar[int]
    LOCKS_ENDED_FIELD_NUMBER: _ClassVar[int]
    NOT_RESTORED_FIELD_NUMBER: _ClassVar[int]
    AFTER_CASES_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    on: str
    locks_ended: _containers.RepeatedScalarFieldContainer[str]
    not_restored: _containers.RepeatedScalarFieldContainer[str]
    after_cases: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, decision_id: _Optional[str] = ..., on: _Optional[str] = ..., locks_ended: _Optional[_Iterable[str]] = ..., not_restored: _Optional[_Iterable[str]] = ..., after_cases: _Optional[_Iterable[str]] = ...) -> None: ...

class LiftBlocked(_message.Message):
    __slots__ = ("decision_id", "on", "case_ids")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    ON_FIELD_NUMBER: _ClassVar[int]
    CASE_IDS_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    on: str
    case_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, decision_id: _Optional[str] = ..., on: _Optional[str] = ..., case_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class EffectPeriodEnded(_message.Message):
    __slots__ = ("decision_id", "on")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    ON_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    on: str
    def __init__(self, decision_id: _Optional[str] = ..., on: _Optional[str] = ...) -> None: ...

class ProbationReviewDue(_message.Message):
    __slots__ = ("decision_id", "on")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    ON_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    on: str
    def __init__(self, decision_id: _Optional[str] = ..., on: _Optional[str] = ...) -> None: ...

class ProbationDecided(_message.Message):
    __slots__ = ("decision_id", "outcome", "decided_on", "decided_by", "new_end", "locks")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    DECIDED_ON_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    NEW_END_FIELD_NUMBER: _ClassVar[int]
    LOCKS_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    outcome: str
    decided_on: str
    decided_by: str
    new_end: str
    locks: _containers.RepeatedCompositeFieldContainer[Lock]
    def __init__(self, decision_id: _Optional[str] = ..., outcome: _Optional[str] = ..., decided_on: _Optional[str] = ..., decided_by: _Optional[str] = ..., new_end: _Optional[str] = ..., locks: _Optional[_Iterable[_Union[Lock, _Mapping]]] = ...) -> None: ...

class ExecutionItemOverdue(_message.Message):
    __slots__ = ("decision_id", "item_id", "kind", "owner", "agency", "office", "due", "stage")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    DUE_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    item_id: str
    kind: str
    owner: str
    agency: str
    office: str
    due: str
    stage: str
    def __init__(self, decision_id: _Optional[str] = ..., item_id: _Optional[str] = ..., kind: _Optional[str] = ..., owner: _Optional[str] = ..., agency: _Optional[str] = ..., office: _Optional[str] = ..., due: _Optional[str] = ..., stage: _Optional[str] = ...) -> None: ...

class FollowUpVisitPlanned(_message.Message):
    __slots__ = ("decision_id", "visit_id", "planned_on", "planned_by")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    VISIT_ID_FIELD_NUMBER: _ClassVar[int]
    PLANNED_ON_FIELD_NUMBER: _ClassVar[int]
    PLANNED_BY_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    visit_id: str
    planned_on: str
    planned_by: str
    def __init__(self, decision_id: _Optional[str] = ..., visit_id: _Optional[str] = ..., planned_on: _Optional[str] = ..., planned_by: _Optional[str] = ...) -> None: ...

class Visitor(_message.Message):
    __slots__ = ("name", "capacity")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_FIELD_NUMBER: _ClassVar[int]
    name: str
    capacity: str
    def __init__(self, name: _Optional[str] = ..., capacity: _Optional[str] = ...) -> None: ...

class FollowUpVisitRecorded(_message.Message):
    __slots__ = ("decision_id", "visit_id", "visited_on", "visitors", "grade", "summary", "recorded_by", "sent_to")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    VISIT_ID_FIELD_NUMBER: _ClassVar[int]
    VISITED_ON_FIELD_NUMBER: _ClassVar[int]
    VISITORS_FIELD_NUMBER: _ClassVar[int]
    GRADE_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    RECORDED_BY_FIELD_NUMBER: _ClassVar[int]
    SENT_TO_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    visit_id: str
    visited_on: str
    visitors: _containers.RepeatedCompositeFieldContainer[Visitor]
    grade: str
    summary: str
    recorded_by: str
    sent_to: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, decision_id: _Optional[str] = ..., visit_id: _Optional[str] = ..., visited_on: _Optional[str] = ..., visitors: _Optional[_Iterable[_Union[Visitor, _Mapping]]] = ..., grade: _Optional[str] = ..., summary: _Optional[str] = ..., recorded_by: _Optional[str] = ..., sent_to: _Optional[_Iterable[str]] = ...) -> None: ...

class AppealLodged(_message.Message):
    __slots__ = ("decision_id", "appeal_id", "kind", "received_on", "applied_on", "apply_by", "late", "decide_by", "lodged_by")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    APPEAL_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_ON_FIELD_NUMBER: _ClassVar[int]
    APPLIED_ON_FIELD_NUMBER: _ClassVar[int]
    APPLY_BY_FIELD_NUMBER: _ClassVar[int]
    LATE_FIELD_NUMBER: _ClassVar[int]
    DECIDE_BY_FIELD_NUMBER: _ClassVar[int]
    LODGED_BY_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    appeal_id: str
    kind: str
    received_on: str
    applied_on: str
    apply_by: str
    late: bool
    decide_by: str
    lodged_by: str
    def __init__(self, decision_id: _Optional[str] = ..., appeal_id: _Optional[str] = ..., kind: _Optional[str] = ..., received_on: _Optional[str] = ..., applied_on: _Optional[str] = ..., apply_by: _Optional[str] = ..., late: _Optional[bool] = ..., decide_by: _Optional[str] = ..., lodged_by: _Optional[str] = ...) -> None: ...

class AppealAccepted(_message.Message):
    __slots__ = ("decision_id", "appeal_id", "team", "accepted_on", "decide_by", "accepted_by")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    APPEAL_ID_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_ON_FIELD_NUMBER: _ClassVar[int]
    DECIDE_BY_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_BY_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    appeal_id: str
    team: _containers.RepeatedScalarFieldContainer[str]
    accepted_on: str
    decide_by: str
    accepted_by: str
    def __init__(self, decision_id: _Optional[str] = ..., appeal_id: _Optional[str] = ..., team: _Optional[_Iterable[str]] = ..., accepted_on: _Optional[str] = ..., decide_by: _Optional[str] = ..., accepted_by: _Optional[str] = ...) -> None: ...

class AppealDecided(_message.Message):
    __slots__ = ("decision_id", "appeal_id", "outcome", "ground", "changed_to", "decided_on", "decided_by", "items", "closed_items", "late", "new_end")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    APPEAL_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    GROUND_FIELD_NUMBER: _ClassVar[int]
    CHANGED_TO_FIELD_NUMBER: _ClassVar[int]
    DECIDED_ON_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    CLOSED_ITEMS_FIELD_NUMBER: _ClassVar[int]
    LATE_FIELD_NUMBER: _ClassVar[int]
    NEW_END_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    appeal_id: str
    outcome: str
    ground: str
    changed_to: _events_pb2.SanctionType
    decided_on: str
    decided_by: str
    items: _containers.RepeatedCompositeFieldContainer[ExecutionItem]
    closed_items: _containers.RepeatedScalarFieldContainer[str]
    late: bool
    new_end: str
    def __init__(self, decision_id: _Optional[str] = ..., appeal_id: _Optional[str] = ..., outcome: _Optional[str] = ..., ground: _Optional[str] = ..., changed_to: _Optional[_Union[_events_pb2.SanctionType, str]] = ..., decided_on: _Optional[str] = ..., decided_by: _Optional[str] = ..., items: _Optional[_Iterable[_Union[ExecutionItem, _Mapping]]] = ..., closed_items: _Optional[_Iterable[str]] = ..., late: _Optional[bool] = ..., new_end: _Optional[str] = ...) -> None: ...

class AppealOverdue(_message.Message):
    __slots__ = ("decision_id", "appeal_id", "decide_by")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    APPEAL_ID_FIELD_NUMBER: _ClassVar[int]
    DECIDE_BY_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    appeal_id: str
    decide_by: str
    def __init__(self, decision_id: _Optional[str] = ..., appeal_id: _Optional[str] = ..., decide_by: _Optional[str] = ...) -> None: ...
