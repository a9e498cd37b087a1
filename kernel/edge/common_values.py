"""The `common.v1` values every service maps the same way, for its EventMapping (`nested=`):
person facts (`kernel.domain.facts`) and collective decisions (`kernel.domain.meetings`)."""

from __future__ import annotations

from common.v1 import meeting_pb2, person_pb2
from kernel.domain import facts, meetings

NESTED = {
    **{name: (getattr(person_pb2, name.rsplit(".", 1)[1]), cls) for name, cls in facts.NESTED.items()},
    "common.v1.CollectiveDecision": (meeting_pb2.CollectiveDecision, meetings.CollectiveDecision),
    "common.v1.Consultation": (meeting_pb2.Consultation, meetings.Consultation),
}


def facts_from_pb(items, mapping) -> tuple[facts.PersonFacts, ...]:
    """The facts of a request's `repeated common.v1.PersonFacts`, through `mapping` (an
    EventMapping whose `nested` includes NESTED)."""
    return tuple(mapping.dataclass_of(facts.PersonFacts, item) for item in items)


def meeting_from_pb(request, field: str, mapping) -> meetings.CollectiveDecision | None:
    """The request's `field` (a `common.v1.CollectiveDecision`), or None when absent."""
    return (
        mapping.dataclass_of(meetings.CollectiveDecision, getattr(request, field)) if request.HasField(field) else None
    )
