"""The RPCs of every service and the request fields they reach, read from the descriptors."""

from __future__ import annotations

import importlib

SERVICE_MODULES = (
    "clues.v1.service_pb2",
    "clues.v1.tours_pb2",  # issue 27
    "cases.v1.service_pb2",
    "cases.v1.person_facts_pb2",
    "cases.v1.prosecution_pb2",
    "audit.v1.service_pb2",
    "audit.v1.feeds_pb2",
    "audit.v1.integrity_pb2",
    "audit.v1.statistics_pb2",  # issue 27
    "sanctions.v1.service_pb2",
    "control.v1.control_pb2",
)
FIELD_KINDS = {
    "string": {"line", "text", "id", "word"},
    "timestamp": {"time"},
    "message": {"message"},
    "enum": {"choice"},
    "bool": {"flag"},
    "number": {"number", "page"},
}


SERVICERS = {
    "clues.v1.ClueService": "services.clues.adapters.grpc_servicer.ClueServicer",
    "clues.v1.TourService": "services.clues.adapters.tour_servicer.TourServicer",  # issue 27
    "cases.v1.CaseService": "services.cases.adapters.grpc_servicer.CaseServicer",
    "cases.v1.PersonFactsService": "services.cases.adapters.person_facts_servicer.PersonFactsServicer",
    "cases.v1.ProsecutionService": "services.cases.adapters.prosecution_servicer.ProsecutionServicer",
    "audit.v1.AuditService": "services.audit.adapters.grpc_servicer.AuditServicer",
    "audit.v1.PartnerFeedService": "services.audit.adapters.feed_servicer.PartnerFeedServicer",
    "audit.v1.IntegrityService": "services.audit.adapters.integrity_servicer.IntegrityServicer",  # issue 26
    "audit.v1.StatisticsService": "services.audit.adapters.statistics_servicer.StatisticsServicer",  # issue 27
    "sanctions.v1.SanctionService": "services.sanctions.adapters.grpc_servicer.SanctionServicer",
    "sanctions.v1.ExecutionService": "services.sanctions.adapters.execution_servicer.ExecutionServicer",
    "control.v1.ControlService": "kernel.edge.control.ControlServicer",
}


def servicer_method(method):
    """The servicer's implementation of an RPC (its `operation` and `mutating` are on it)."""
    module, _, cls = SERVICERS[method.containing_service.full_name].rpartition(".")
    return getattr(getattr(importlib.import_module(module), cls), method.name)


def rpc_methods():
    """Every method of every service the platform serves."""
    for name in SERVICE_MODULES:
        module = importlib.import_module(name)
        for service in module.DESCRIPTOR.services_by_name.values():
            yield from service.methods


def request_fields():
    """(message, field) for every field of every request message and of the messages they nest."""
    seen, todo = set(), [m.input_type for m in rpc_methods()]
    while todo:
        message = todo.pop()
        if message.full_name in seen:
            continue
        seen.add(message.full_name)
        for fd in message.fields:
            yield message, fd
            if fd.message_type is not None and fd.message_type.full_name != "google.protobuf.Timestamp":
                todo.append(fd.message_type)
