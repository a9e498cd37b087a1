import datetime

from cases.v1 import events_pb2 as _events_pb2
from common.v1 import person_pb2 as _person_pb2
from common.v1 import rules_pb2 as _rules_pb2
from sanctions.v1 import events_pb2 as _events_pb2_1
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PreviewDecisionRequest(_message.Message):
    __slots__ = ("family", "person_facts", "violations", "sanction", "period_months", "mitigation", "heard_on", "in_lieu_of_removal", "serious", "removal_from_office_recorded", "decided_at")
    FAMILY_FIELD_NUMBER: _ClassVar[int]
    PERSON_FACTS_FIELD_NUMBER: _ClassVar[int]
    VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    SANCTION_FIELD_NUMBER: _ClassVar[int]
    PERIOD_MONTHS_FIELD_NUMBER: _ClassVar[int]
    MITIGATION_FIELD_NUMBER: _ClassVar[int]
    HEARD_ON_FIELD_NUMBER: _ClassVar[int]
    IN_LIEU_OF_REMOVAL_FIELD_NUMBER: _ClassVar[int]
    SERIOUS_FIELD_NUMBER: _ClassVar[int]
    REMOVAL_FROM_OFFICE_RECORDED_FIELD_NUMBER: _ClassVar[int]
    DECIDED_AT_FIELD_NUMBER: _ClassVar[int]
    family: _events_pb2_1.SanctionFamily
    person_facts: _person_pb2.PersonFacts
    violations: _containers.RepeatedCompositeFieldContainer[_events_pb2.Violation]
    sanction: _events_pb2.SanctionType
    period_months: int
    mitigation: str
    heard_on: _events_pb2.SanctionType
    in_lieu_of_removal: bool
    serious: bool
    removal_from_office_recorded: bool
    decided_at: _timestamp_pb2.Timestamp
    def __init__(self, family: _Optional[_Union[_events_pb2_1.SanctionFamily, str]] = ..., person_facts: _Optional[_Union[_person_pb2.PersonFacts, _Mapping]] = ..., violations: _Optional[_Iterable[_Union[_events_pb2.Violation, _Mapping]]] = ..., sanction: _Optional[_Union[_events_pb2.SanctionType, str]] = ..., period_months: _Optional[int] = ..., mitigation: _Optional[str] = ..., heard_on: _Optional[_Union[_events_pb2.SanctionType, str]] = ..., in_lieu_of_removal: _Optional[bool] = ..., serious: _Optional[bool] = ..., removal_from_office_recorded: _Optional[bool] = ..., decided_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PreviewDecisionResponse(_message.Message):
    __slots__ = ("person_id", "sanction", "rule", "start", "end", "period_months", "locks", "items", "consequences")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    SANCTION_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    PERIOD_MONTHS_FIELD_NUMBER: _ClassVar[int]
    LOCKS_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    CONSEQUENCES_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    sanction: _events_pb2.SanctionType
    rule: str
    start: str
    end: str
    period_months: int
    locks: _containers.RepeatedCompositeFieldContainer[_events_pb2_1.Lock]
    items: _containers.RepeatedCompositeFieldContainer[_events_pb2_1.ExecutionItem]
    consequences: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, person_id: _Optional[str] = ..., sanction: _Optional[_Union[_events_pb2.SanctionType, str]] = ..., rule: _Optional[str] = ..., start: _Optional[str] = ..., end: _Optional[str] = ..., period_months: _Optional[int] = ..., locks: _Optional[_Iterable[_Union[_events_pb2_1.Lock, _Mapping]]] = ..., items: _Optional[_Iterable[_Union[_events_pb2_1.ExecutionItem, _Mapping]]] = ..., consequences: _Optional[_Iterable[str]] = ...) -> None: ...

class GetDecisionRequest(_message.Message):
    __slots__ = ("decision_id", "purpose")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    purpose: str
    def __init__(self, decision_id: _Optional[str] = ..., purpose: _Optional[str] = ...) -> None: ...

class Delivery(_message.Message):
    __slots__ = ("recipient", "means", "delivered_at", "receipt_sha256", "refused_to_sign", "witnesses")
    RECIPIENT_FIELD_NUMBER: _ClassVar[int]
    MEANS_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_AT_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_SHA256_FIELD_NUMBER: _ClassVar[int]
    REFUSED_TO_SIGN_FIELD_NUMBER: _ClassVar[int]
    WITNESSES_FIELD_NUMBER: _ClassVar[int]
    recipient: _events_pb2_1.Recipient
    means: _events_pb2_1.DeliveryMeans
    delivered_at: _timestamp_pb2.Timestamp
    receipt_sha256: str
    refused_to_sign: bool
    witnesses: _containers.RepeatedCompositeFieldContainer[_events_pb2_1.Witness]
    def __init__(self, recipient: _Optional[_Union[_events_pb2_1.Recipient, str]] = ..., means: _Optional[_Union[_events_pb2_1.DeliveryMeans, str]] = ..., delivered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., receipt_sha256: _Optional[str] = ..., refused_to_sign: _Optional[bool] = ..., witnesses: _Optional[_Iterable[_Union[_events_pb2_1.Witness, _Mapping]]] = ...) -> None: ...

class ItemState(_message.Message):
    __slots__ = ("item", "status", "done_at", "receipt_sha256", "cause", "decision_id", "person_id", "days_overdue")
    ITEM_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DONE_AT_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_SHA256_FIELD_NUMBER: _ClassVar[int]
    CAUSE_FIELD_NUMBER: _ClassVar[int]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    DAYS_OVERDUE_FIELD_NUMBER: _ClassVar[int]
    item: _events_pb2_1.ExecutionItem
    status: str
    done_at: _timestamp_pb2.Timestamp
    receipt_sha256: str
    cause: _events_pb2_1.BlockageCause
    decision_id: str
    person_id: str
    days_overdue: int
    def __init__(self, item: _Optional[_Union[_events_pb2_1.ExecutionItem, _Mapping]] = ..., status: _Optional[str] = ..., done_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., receipt_sha256: _Optional[str] = ..., cause: _Optional[_Union[_events_pb2_1.BlockageCause, str]] = ..., decision_id: _Optional[str] = ..., person_id: _Optional[str] = ..., days_overdue: _Optional[int] = ...) -> None: ...

class GetDecisionResponse(_message.Message):
    __slots__ = ("decision_id", "version", "status", "case_id", "clue_id", "person_id", "family", "sanction", "impact", "title", "legal_basis", "review_route", "document_number", "start", "end", "locks", "deliveries", "items", "awaiting", "required_sanction", "lifted_on", "lift_blocked_by", "period_ended", "probation_outcome", "visits", "appeals")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    CLUE_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    FAMILY_FIELD_NUMBER: _ClassVar[int]
    SANCTION_FIELD_NUMBER: _ClassVar[int]
    IMPACT_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    LEGAL_BASIS_FIELD_NUMBER: _ClassVar[int]
    REVIEW_ROUTE_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    LOCKS_FIELD_NUMBER: _ClassVar[int]
    DELIVERIES_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    AWAITING_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_SANCTION_FIELD_NUMBER: _ClassVar[int]
    LIFTED_ON_FIELD_NUMBER: _ClassVar[int]
    LIFT_BLOCKED_BY_FIELD_NUMBER: _ClassVar[int]
    PERIOD_ENDED_FIELD_NUMBER: _ClassVar[int]
    PROBATION_OUTCOME_FIELD_NUMBER: _ClassVar[int]
    VISITS_FIELD_NUMBER: _ClassVar[int]
    APPEALS_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    version: int
    status: _events_pb2_1.DecisionStatus
    case_id: str
    clue_id: str
    person_id: str
    family: _events_pb2_1.SanctionFamily
    sanction: _events_pb2.SanctionType
    impact: _events_pb2_1.ImpactKind
    title: str
    legal_basis: _containers.RepeatedScalarFieldContainer[str]
    review_route: _events_pb2_1.ReviewRoute
    document_number: str
    start: str
    end: str
    locks: _containers.RepeatedCompositeFieldContainer[_events_pb2_1.Lock]
    deliveries: _containers.RepeatedCompositeFieldContainer[Delivery]
    items: _containers.RepeatedCompositeFieldContainer[ItemState]
    awaiting: str
    required_sanction: _events_pb2.SanctionType
    lifted_on: str
    lift_blocked_by: _containers.RepeatedScalarFieldContainer[str]
    period_ended: bool
    probation_outcome: str
    visits: _containers.RepeatedCompositeFieldContainer[FollowUpVisit]
    appeals: _containers.RepeatedCompositeFieldContainer[AppealState]
    def __init__(self, decision_id: _Optional[str] = ..., version: _Optional[int] = ..., status: _Optional[_Union[_events_pb2_1.DecisionStatus, str]] = ..., case_id: _Optional[str] = ..., clue_id: _Optional[str] = ..., person_id: _Optional[str] = ..., family: _Optional[_Union[_events_pb2_1.SanctionFamily, str]] = ..., sanction: _Optional[_Union[_events_pb2.SanctionType, str]] = ..., impact: _Optional[_Union[_events_pb2_1.ImpactKind, str]] = ..., title: _Optional[str] = ..., legal_basis: _Optional[_Iterable[str]] = ..., review_route: _Optional[_Union[_events_pb2_1.ReviewRoute, _Mapping]] = ..., document_number: _Optional[str] = ..., start: _Optional[str] = ..., end: _Optional[str] = ..., locks: _Optional[_Iterable[_Union[_events_pb2_1.Lock, _Mapping]]] = ..., deliveries: _Optional[_Iterable[_Union[Delivery, _Mapping]]] = ..., items: _Optional[_Iterable[_Union[ItemState, _Mapping]]] = ..., awaiting: _Optional[str] = ..., required_sanction: _Optional[_Union[_events_pb2.SanctionType, str]] = ..., lifted_on: _Optional[str] = ..., lift_blocked_by: _Optional[_Iterable[str]] = ..., period_ended: _Optional[bool] = ..., probation_outcome: _Optional[str] = ..., visits: _Optional[_Iterable[_Union[FollowUpVisit, _Mapping]]] = ..., appeals: _Optional[_Iterable[_Union[AppealState, _Mapping]]] = ...) -> None: ...

class FollowUpVisit(_message.Message):
    __slots__ = ("visit_id", "planned_on", "visited_on", "grade", "visitors", "sent_to")
    VISIT_ID_FIELD_NUMBER: _ClassVar[int]
    PLANNED_ON_FIELD_NUMBER: _ClassVar[int]
    VISITED_ON_FIELD_NUMBER: _ClassVar[int]
    GRADE_FIELD_NUMBER: _ClassVar[int]
    VISITORS_FIELD_NUMBER: _ClassVar[int]
    SENT_TO_FIELD_NUMBER: _ClassVar[int]
    visit_id: str
    planned_on: str
    visited_on: str
    grade: str
    visitors: _containers.RepeatedCompositeFieldContainer[_events_pb2_1.Visitor]
    sent_to: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, visit_id: _Optional[str] = ..., planned_on: _Optional[str] = ..., visited_on: _Optional[str] = ..., grade: _Optional[str] = ..., visitors: _Optional[_Iterable[_Union[_events_pb2_1.Visitor, _Mapping]]] = ..., sent_to: _Optional[_Iterable[str]] = ...) -> None: ...

class AppealState(_message.Message):
    __slots__ = ("appeal_id", "kind", "status", "applied_on", "late", "decide_by", "overdue", "outcome", "ground", "team")
    APPEAL_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    APPLIED_ON_FIELD_NUMBER: _ClassVar[int]
    LATE_FIELD_NUMBER: _ClassVar[int]
    DECIDE_BY_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    GROUND_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    appeal_id: str
    kind: str
    status: str
    applied_on: str
    late: bool
    decide_by: str
    overdue: bool
    outcome: str
    ground: str
    team: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, appeal_id: _Optional[str] = ..., kind: _Optional[str] = ..., status: _Optional[str] = ..., applied_on: _Optional[str] = ..., late: _Optional[bool] = ..., decide_by: _Optional[str] = ..., overdue: _Optional[bool] = ..., outcome: _Optional[str] = ..., ground: _Optional[str] = ..., team: _Optional[_Iterable[str]] = ...) -> None: ...

class ListDecisionsRequest(_message.Message):
    __slots__ = ("case_id", "person_id", "page_size", "page_token", "purpose")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    person_id: str
    page_size: int
    page_token: str
    purpose: str
    def __init__(self, case_id: _Optional[str] = ..., person_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., purpose: _Optional[str] = ...) -> None: ...

class DecisionSummary(_message.Message):
    __slots__ = ("decision_id", "status", "case_id", "person_id", "family", "sanction", "impact", "start", "end")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    FAMILY_FIELD_NUMBER: _ClassVar[int]
    SANCTION_FIELD_NUMBER: _ClassVar[int]
    IMPACT_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    status: _events_pb2_1.DecisionStatus
    case_id: str
    person_id: str
    family: _events_pb2_1.SanctionFamily
    sanction: _events_pb2.SanctionType
    impact: _events_pb2_1.ImpactKind
    start: str
    end: str
    def __init__(self, decision_id: _Optional[str] = ..., status: _Optional[_Union[_events_pb2_1.DecisionStatus, str]] = ..., case_id: _Optional[str] = ..., person_id: _Optional[str] = ..., family: _Optional[_Union[_events_pb2_1.SanctionFamily, str]] = ..., sanction: _Optional[_Union[_events_pb2.SanctionType, str]] = ..., impact: _Optional[_Union[_events_pb2_1.ImpactKind, str]] = ..., start: _Optional[str] = ..., end: _Optional[str] = ...) -> None: ...

class ListDecisionsResponse(_message.Message):
    __slots__ = ("decisions", "next_page_token")
    DECISIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    decisions: _containers.RepeatedCompositeFieldContainer[DecisionSummary]
    next_page_token: str
    def __init__(self, decisions: _Optional[_Iterable[_Union[DecisionSummary, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DraftDecisionRequest(_message.Message):
    __slots__ = ("decision_id", "expected_version", "title", "legal_basis", "review_route", "announcement_scope", "gains_found", "appraisals", "removal_from_office", "probation_months", "in_lieu_of_removal")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    LEGAL_BASIS_FIELD_NUMBER: _ClassVar[int]
    REVIEW_ROUTE_FIELD_NUMBER: _ClassVar[int]
    ANNOUNCEMENT_SCOPE_FIELD_NUMBER: _ClassVar[int]
    GAINS_FOUND_FIELD_NUMBER: _ClassVar[int]
    APPRAISALS_FIELD_NUMBER: _ClassVar[int]
    REMOVAL_FROM_OFFICE_FIELD_NUMBER: _ClassVar[int]
    PROBATION_MONTHS_FIELD_NUMBER: _ClassVar[int]
    IN_LIEU_OF_REMOVAL_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    expected_version: int
    title: str
    legal_basis: _containers.RepeatedScalarFieldContainer[str]
    review_route: _events_pb2_1.ReviewRoute
    announcement_scope: str
    gains_found: bool
    appraisals: _containers.RepeatedCompositeFieldContainer[_timestamp_pb2.Timestamp]
    removal_from_office: _events_pb2_1.DocumentRef
    probation_months: int
    in_lieu_of_removal: bool
    def __init__(self, decision_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., title: _Optional[str] = ..., legal_basis: _Optional[_Iterable[str]] = ..., review_route: _Optional[_Union[_events_pb2_1.ReviewRoute, _Mapping]] = ..., announcement_scope: _Optional[str] = ..., gains_found: _Optional[bool] = ..., appraisals: _Optional[_Iterable[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]]] = ..., removal_from_office: _Optional[_Union[_events_pb2_1.DocumentRef, _Mapping]] = ..., probation_months: _Optional[int] = ..., in_lieu_of_removal: _Optional[bool] = ...) -> None: ...

class DecisionChanged(_message.Message):
    __slots__ = ("decision_id", "version", "status")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    version: int
    status: _events_pb2_1.DecisionStatus
    def __init__(self, decision_id: _Optional[str] = ..., version: _Optional[int] = ..., status: _Optional[_Union[_events_pb2_1.DecisionStatus, str]] = ...) -> None: ...

class DraftDecisionResponse(_message.Message):
    __slots__ = ("decision",)
    DECISION_FIELD_NUMBER: _ClassVar[int]
    decision: DecisionChanged
    def __init__(self, decision: _Optional[_Union[DecisionChanged, _Mapping]] = ...) -> None: ...

class ApproveDecisionRequest(_message.Message):
    __slots__ = ("decision_id", "expected_version")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    expected_version: int
    def __init__(self, decision_id: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class ApproveDecisionResponse(_message.Message):
    __slots__ = ("decision",)
    DECISION_FIELD_NUMBER: _ClassVar[int]
    decision: DecisionChanged
    def __init__(self, decision: _Optional[_Union[DecisionChanged, _Mapping]] = ...) -> None: ...

class IssueDecisionRequest(_message.Message):
    __slots__ = ("decision_id", "expected_version", "document_number", "decided_at")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    DECIDED_AT_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    expected_version: int
    document_number: str
    decided_at: _timestamp_pb2.Timestamp
    def __init__(self, decision_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., document_number: _Optional[str] = ..., decided_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class IssueDecisionResponse(_message.Message):
    __slots__ = ("decision", "items")
    DECISION_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    decision: DecisionChanged
    items: _containers.RepeatedCompositeFieldContainer[_events_pb2_1.ExecutionItem]
    def __init__(self, decision: _Optional[_Union[DecisionChanged, _Mapping]] = ..., items: _Optional[_Iterable[_Union[_events_pb2_1.ExecutionItem, _Mapping]]] = ...) -> None: ...

class RecordDeliveryRequest(_message.Message):
    __slots__ = ("decision_id", "expected_version", "recipient", "means", "delivered_at", "receipt_sha256", "refused_to_sign", "witnesses")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    RECIPIENT_FIELD_NUMBER: _ClassVar[int]
    MEANS_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_AT_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_SHA256_FIELD_NUMBER: _ClassVar[int]
    REFUSED_TO_SIGN_FIELD_NUMBER: _ClassVar[int]
    WITNESSES_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    expected_version: int
    recipient: _events_pb2_1.Recipient
    means: _events_pb2_1.DeliveryMeans
    delivered_at: _timestamp_pb2.Timestamp
    receipt_sha256: str
    refused_to_sign: bool
    witnesses: _containers.RepeatedCompositeFieldContainer[_events_pb2_1.Witness]
    def __init__(self, decision_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., recipient: _Optional[_Union[_events_pb2_1.Recipient, str]] = ..., means: _Optional[_Union[_events_pb2_1.DeliveryMeans, str]] = ..., delivered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., receipt_sha256: _Optional[str] = ..., refused_to_sign: _Optional[bool] = ..., witnesses: _Optional[_Iterable[_Union[_events_pb2_1.Witness, _Mapping]]] = ...) -> None: ...

class RecordDeliveryResponse(_message.Message):
    __slots__ = ("decision",)
    DECISION_FIELD_NUMBER: _ClassVar[int]
    decision: DecisionChanged
    def __init__(self, decision: _Optional[_Union[DecisionChanged, _Mapping]] = ...) -> None: ...

class RecordJudgmentRequest(_message.Message):
    __slots__ = ("decision_id", "expected_version", "judgment", "judgment_number", "intentional", "sentence")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    JUDGMENT_FIELD_NUMBER: _ClassVar[int]
    JUDGMENT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    INTENTIONAL_FIELD_NUMBER: _ClassVar[int]
    SENTENCE_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    expected_version: int
    judgment: _events_pb2_1.DocumentRef
    judgment_number: str
    intentional: bool
    sentence: str
    def __init__(self, decision_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., judgment: _Optional[_Union[_events_pb2_1.DocumentRef, _Mapping]] = ..., judgment_number: _Optional[str] = ..., intentional: _Optional[bool] = ..., sentence: _Optional[str] = ...) -> None: ...

class RecordJudgmentResponse(_message.Message):
    __slots__ = ("decision", "required_sanction")
    DECISION_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_SANCTION_FIELD_NUMBER: _ClassVar[int]
    decision: DecisionChanged
    required_sanction: _events_pb2.SanctionType
    def __init__(self, decision: _Optional[_Union[DecisionChanged, _Mapping]] = ..., required_sanction: _Optional[_Union[_events_pb2.SanctionType, str]] = ...) -> None: ...

class ReportJudgmentRequest(_message.Message):
    __slots__ = ("case_id", "person_id", "judgment", "judgment_number", "intentional", "sentence")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    JUDGMENT_FIELD_NUMBER: _ClassVar[int]
    JUDGMENT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    INTENTIONAL_FIELD_NUMBER: _ClassVar[int]
    SENTENCE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    person_id: str
    judgment: _events_pb2_1.DocumentRef
    judgment_number: str
    intentional: bool
    sentence: str
    def __init__(self, case_id: _Optional[str] = ..., person_id: _Optional[str] = ..., judgment: _Optional[_Union[_events_pb2_1.DocumentRef, _Mapping]] = ..., judgment_number: _Optional[str] = ..., intentional: _Optional[bool] = ..., sentence: _Optional[str] = ...) -> None: ...

class ReportJudgmentResponse(_message.Message):
    __slots__ = ("decisions", "required_sanction")
    DECISIONS_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_SANCTION_FIELD_NUMBER: _ClassVar[int]
    decisions: _containers.RepeatedCompositeFieldContainer[DecisionChanged]
    required_sanction: _events_pb2.SanctionType
    def __init__(self, decisions: _Optional[_Iterable[_Union[DecisionChanged, _Mapping]]] = ..., required_sanction: _Optional[_Union[_events_pb2.SanctionType, str]] = ...) -> None: ...

class GetInForceRequest(_message.Message):
    __slots__ = ("person_id", "on", "purpose")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    ON_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    on: _timestamp_pb2.Timestamp
    purpose: str
    def __init__(self, person_id: _Optional[str] = ..., on: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., purpose: _Optional[str] = ...) -> None: ...

class InForce(_message.Message):
    __slots__ = ("decision_id", "family", "sanction", "impact", "start", "end", "locks")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    FAMILY_FIELD_NUMBER: _ClassVar[int]
    SANCTION_FIELD_NUMBER: _ClassVar[int]
    IMPACT_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    LOCKS_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    family: _events_pb2_1.SanctionFamily
    sanction: _events_pb2.SanctionType
    impact: _events_pb2_1.ImpactKind
    start: str
    end: str
    locks: _containers.RepeatedCompositeFieldContainer[_events_pb2_1.Lock]
    def __init__(self, decision_id: _Optional[str] = ..., family: _Optional[_Union[_events_pb2_1.SanctionFamily, str]] = ..., sanction: _Optional[_Union[_events_pb2.SanctionType, str]] = ..., impact: _Optional[_Union[_events_pb2_1.ImpactKind, str]] = ..., start: _Optional[str] = ..., end: _Optional[str] = ..., locks: _Optional[_Iterable[_Union[_events_pb2_1.Lock, _Mapping]]] = ...) -> None: ...

class GetInForceResponse(_message.Message):
    __slots__ = ("person_id", "on", "in_force")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    ON_FIELD_NUMBER: _ClassVar[int]
    IN_FORCE_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    on: str
    in_force: _containers.RepeatedCompositeFieldContainer[InForce]
    def __init__(self, person_id: _Optional[str] = ..., on: _Optional[str] = ..., in_force: _Optional[_Iterable[_Union[InForce, _Mapping]]] = ...) -> None: ...

class ReportItemRequest(_message.Message):
    __slots__ = ("decision_id", "item_id", "done_at", "receipt_sha256", "note")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    DONE_AT_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_SHA256_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    item_id: str
    done_at: _timestamp_pb2.Timestamp
    receipt_sha256: str
    note: str
    def __init__(self, decision_id: _Optional[str] = ..., item_id: _Optional[str] = ..., done_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., receipt_sha256: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class ReportItemResponse(_message.Message):
    __slots__ = ("item", "version")
    ITEM_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    item: ItemState
    version: int
    def __init__(self, item: _Optional[_Union[ItemState, _Mapping]] = ..., version: _Optional[int] = ...) -> None: ...

class RecordBlockageRequest(_message.Message):
    __slots__ = ("decision_id", "item_id", "cause", "note")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    CAUSE_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    item_id: str
    cause: _events_pb2_1.BlockageCause
    note: str
    def __init__(self, decision_id: _Optional[str] = ..., item_id: _Optional[str] = ..., cause: _Optional[_Union[_events_pb2_1.BlockageCause, str]] = ..., note: _Optional[str] = ...) -> None: ...

class RecordBlockageResponse(_message.Message):
    __slots__ = ("item", "version")
    ITEM_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    item: ItemState
    version: int
    def __init__(self, item: _Optional[_Union[ItemState, _Mapping]] = ..., version: _Optional[int] = ...) -> None: ...

class ListExecutionItemsRequest(_message.Message):
    __slots__ = ("agency", "office", "status", "cause", "due_from", "due_before", "decision_id", "page_size", "page_token", "purpose")
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    OFFICE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CAUSE_FIELD_NUMBER: _ClassVar[int]
    DUE_FROM_FIELD_NUMBER: _ClassVar[int]
    DUE_BEFORE_FIELD_NUMBER: _ClassVar[int]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    agency: str
    office: str
    status: str
    cause: _events_pb2_1.BlockageCause
    due_from: _timestamp_pb2.Timestamp
    due_before: _timestamp_pb2.Timestamp
    decision_id: str
    page_size: int
    page_token: str
    purpose: str
    def __init__(self, agency: _Optional[str] = ..., office: _Optional[str] = ..., status: _Optional[str] = ..., cause: _Optional[_Union[_events_pb2_1.BlockageCause, str]] = ..., due_from: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., decision_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., purpose: _Optional[str] = ...) -> None: ...

class CauseCount(_message.Message):
    __slots__ = ("cause", "count")
    CAUSE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    cause: _events_pb2_1.BlockageCause
    count: int
    def __init__(self, cause: _Optional[_Union[_events_pb2_1.BlockageCause, str]] = ..., count: _Optional[int] = ...) -> None: ...

class ListExecutionItemsResponse(_message.Message):
    __slots__ = ("items", "next_page_token", "overdue_by_cause", "today")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_BY_CAUSE_FIELD_NUMBER: _ClassVar[int]
    TODAY_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[ItemState]
    next_page_token: str
    overdue_by_cause: _containers.RepeatedCompositeFieldContainer[CauseCount]
    today: str
    def __init__(self, items: _Optional[_Iterable[_Union[ItemState, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., overdue_by_cause: _Optional[_Iterable[_Union[CauseCount, _Mapping]]] = ..., today: _Optional[str] = ...) -> None: ...

class DecideProbationRequest(_message.Message):
    __slots__ = ("decision_id", "expected_version", "outcome", "decided_at")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    DECIDED_AT_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    expected_version: int
    outcome: str
    decided_at: _timestamp_pb2.Timestamp
    def __init__(self, decision_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., outcome: _Optional[str] = ..., decided_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class DecideProbationResponse(_message.Message):
    __slots__ = ("decision",)
    DECISION_FIELD_NUMBER: _ClassVar[int]
    decision: DecisionChanged
    def __init__(self, decision: _Optional[_Union[DecisionChanged, _Mapping]] = ...) -> None: ...

class PlanFollowUpVisitRequest(_message.Message):
    __slots__ = ("decision_id", "expected_version", "planned_at")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    PLANNED_AT_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    expected_version: int
    planned_at: _timestamp_pb2.Timestamp
    def __init__(self, decision_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., planned_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PlanFollowUpVisitResponse(_message.Message):
    __slots__ = ("decision", "visit_id")
    DECISION_FIELD_NUMBER: _ClassVar[int]
    VISIT_ID_FIELD_NUMBER: _ClassVar[int]
    decision: DecisionChanged
    visit_id: str
    def __init__(self, decision: _Optional[_Union[DecisionChanged, _Mapping]] = ..., visit_id: _Optional[str] = ...) -> None: ...

class RecordFollowUpVisitRequest(_message.Message):
    __slots__ = ("decision_id", "expected_version", "visit_id", "visited_at", "visitors", "grade", "summary")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    VISIT_ID_FIELD_NUMBER: _ClassVar[int]
    VISITED_AT_FIELD_NUMBER: _ClassVar[int]
    VISITORS_FIELD_NUMBER: _ClassVar[int]
    GRADE_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    expected_version: int
    visit_id: str
    visited_at: _timestamp_pb2.Timestamp
    visitors: _containers.RepeatedCompositeFieldContainer[_events_pb2_1.Visitor]
    grade: str
    summary: str
    def __init__(self, decision_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., visit_id: _Optional[str] = ..., visited_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., visitors: _Optional[_Iterable[_Union[_events_pb2_1.Visitor, _Mapping]]] = ..., grade: _Optional[str] = ..., summary: _Optional[str] = ...) -> None: ...

class RecordFollowUpVisitResponse(_message.Message):
    __slots__ = ("decision", "visit_id")
    DECISION_FIELD_NUMBER: _ClassVar[int]
    VISIT_ID_FIELD_NUMBER: _ClassVar[int]
    decision: DecisionChanged
    visit_id: str
    def __init__(self, decision: _Optional[_Union[DecisionChanged, _Mapping]] = ..., visit_id: _Optional[str] = ...) -> None: ...

class LodgeAppealRequest(_message.Message):
    __slots__ = ("decision_id", "expected_version", "kind", "received_at", "applied_at")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    APPLIED_AT_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    expected_version: int
    kind: str
    received_at: _timestamp_pb2.Timestamp
    applied_at: _timestamp_pb2.Timestamp
    def __init__(self, decision_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., kind: _Optional[str] = ..., received_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., applied_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class LodgeAppealResponse(_message.Message):
    __slots__ = ("decision", "appeal_id", "late", "decide_by")
    DECISION_FIELD_NUMBER: _ClassVar[int]
    APPEAL_ID_FIELD_NUMBER: _ClassVar[int]
    LATE_FIELD_NUMBER: _ClassVar[int]
    DECIDE_BY_FIELD_NUMBER: _ClassVar[int]
    decision: DecisionChanged
    appeal_id: str
    late: bool
    decide_by: str
    def __init__(self, decision: _Optional[_Union[DecisionChanged, _Mapping]] = ..., appeal_id: _Optional[str] = ..., late: _Optional[bool] = ..., decide_by: _Optional[str] = ...) -> None: ...

class AcceptAppealRequest(_message.Message):
    __slots__ = ("decision_id", "expected_version", "appeal_id", "team", "accepted_at")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    APPEAL_ID_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_AT_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    expected_version: int
    appeal_id: str
    team: _containers.RepeatedScalarFieldContainer[str]
    accepted_at: _timestamp_pb2.Timestamp
    def __init__(self, decision_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., appeal_id: _Optional[str] = ..., team: _Optional[_Iterable[str]] = ..., accepted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AcceptAppealResponse(_message.Message):
    __slots__ = ("decision", "decide_by")
    DECISION_FIELD_NUMBER: _ClassVar[int]
    DECIDE_BY_FIELD_NUMBER: _ClassVar[int]
    decision: DecisionChanged
    decide_by: str
    def __init__(self, decision: _Optional[_Union[DecisionChanged, _Mapping]] = ..., decide_by: _Optional[str] = ...) -> None: ...

class DecideAppealRequest(_message.Message):
    __slots__ = ("decision_id", "expected_version", "appeal_id", "outcome", "ground", "changed_to", "property_taken", "decided_at")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    APPEAL_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    GROUND_FIELD_NUMBER: _ClassVar[int]
    CHANGED_TO_FIELD_NUMBER: _ClassVar[int]
    PROPERTY_TAKEN_FIELD_NUMBER: _ClassVar[int]
    DECIDED_AT_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    expected_version: int
    appeal_id: str
    outcome: str
    ground: str
    changed_to: _events_pb2.SanctionType
    property_taken: bool
    decided_at: _timestamp_pb2.Timestamp
    def __init__(self, decision_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., appeal_id: _Optional[str] = ..., outcome: _Optional[str] = ..., ground: _Optional[str] = ..., changed_to: _Optional[_Union[_events_pb2.SanctionType, str]] = ..., property_taken: _Optional[bool] = ..., decided_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class DecideAppealResponse(_message.Message):
    __slots__ = ("decision", "items", "closed_items")
    DECISION_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    CLOSED_ITEMS_FIELD_NUMBER: _ClassVar[int]
    decision: DecisionChanged
    items: _containers.RepeatedCompositeFieldContainer[_events_pb2_1.ExecutionItem]
    closed_items: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, decision: _Optional[_Union[DecisionChanged, _Mapping]] = ..., items: _Optional[_Iterable[_Union[_events_pb2_1.ExecutionItem, _Mapping]]] = ..., closed_items: _Optional[_Iterable[str]] = ...) -> None: ...
