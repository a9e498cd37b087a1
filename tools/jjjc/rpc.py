"""Any RPC of the platform by name, through protobuf reflection over the local descriptor pool
(the generated contracts in gen/): JSON in and out with google.protobuf.json_format, metadata
from the caller. No generated stub is needed and no server reflection is asked."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
from google.protobuf import descriptor, json_format, message_factory

from tools.jjjc.env import ROOT


class UsageError(Exception):
    """What the operator must change (a method name, JSON, a flag); exit status 2."""


@dataclass(frozen=True)
class Rpc:
    method: descriptor.MethodDescriptor

    @property
    def path(self) -> str:
        return f"/{self.method.containing_service.full_name}/{self.method.name}"

    @property
    def package(self) -> str:
        return self.method.containing_service.file.package  # e.g. clues.v1

    def request(self, text: str):
        cls = message_factory.GetMessageClass(self.method.input_type)
        try:
            return json_format.Parse(text or "{}", cls())
        except json_format.ParseError as e:
            raise UsageError(f"the request is not a {self.method.input_type.full_name} in JSON: {e}") from e

    def response_class(self):
        return message_factory.GetMessageClass(self.method.output_type)


def contract_modules(gen: Path = ROOT / "gen") -> list[str]:
    """Every generated message module under gen/ (<package>/<version>/<name>_pb2.py)."""
    return sorted(f"{p.parent.parent.name}.{p.parent.name}.{p.stem}" for p in gen.glob("*/v*/*_pb2.py"))


def services() -> dict[str, descriptor.ServiceDescriptor]:
    """Full name -> service descriptor, for every service the contracts declare."""
    found = {}
    for name in contract_modules():
        for svc in importlib.import_module(name).DESCRIPTOR.services_by_name.values():
            found[svc.full_name] = svc
    return found


def find(text: str) -> Rpc:
    """`clues.v1.ClueService.RegisterClue`, `clues.v1.ClueService/RegisterClue`,
    `ClueService.RegisterClue` or `/clues.v1.ClueService/RegisterClue`."""
    name = text.strip().strip("/").replace("/", ".")
    service_name, _, method_name = name.rpartition(".")
    known = services()
    if name in known or any(s.name == name for s in known.values()):  # a service alone: say its methods
        svc = known.get(name) or next(s for s in known.values() if s.name == name)
        raise UsageError(f"give a method of {svc.full_name}: {', '.join(svc.methods_by_name)}")
    matches = [s for full, s in known.items() if full == service_name or s.name == service_name]
    if not matches:
        raise UsageError(f"no service {service_name or text!r} in the contracts; known: {', '.join(sorted(known))}")
    if len(matches) > 1:
        raise UsageError(
            f"{service_name!r} is ambiguous: {', '.join(s.full_name for s in matches)}; give the full name"
        )
    svc = matches[0]
    method = svc.methods_by_name.get(method_name)
    if method is None:
        raise UsageError(f"{svc.full_name} has no method {method_name!r}; it has {', '.join(svc.methods_by_name)}")
    return Rpc(method)


def read_json(text: str) -> str:
    """The request text: JSON itself, `@file`, or `-` for standard input."""
    if text == "-":
        import sys

        return sys.stdin.read()
    if text.startswith("@"):
        try:
            return Path(text[1:]).read_text()
        except OSError as e:
            raise UsageError(f"cannot read the request file {text[1:]}: {e}") from e
    return text


def metadata(token: str | None, request_id: str | None, headers: list[str]) -> list[tuple[str, str]]:
    md = [("authorization", f"Bearer {token}")] if token else []
    md += [("x-request-id", request_id)] if request_id else []
    for h in headers:
        key, sep, value = h.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"-H {h!r}: give key=value")
        md.append((key.strip().lower(), value))
    return md


def channel(address: str, ca_file: Path | None = None) -> grpc.Channel:
    if ca_file:
        try:
            roots = Path(ca_file).read_bytes()
        except OSError as e:
            raise UsageError(f"cannot read --ca-file {ca_file}: {e}") from e
        return grpc.secure_channel(address, grpc.ssl_channel_credentials(root_certificates=roots))
    return grpc.insecure_channel(address)


def invoke(ch: grpc.Channel, rpc: Rpc, request, md, timeout: float) -> Iterator:
    """The response(s): one for a unary method, each message for a server-streaming one."""
    if rpc.method.client_streaming:
        raise UsageError(f"{rpc.path} takes a stream of requests; jjjc call sends one")
    out = rpc.response_class()
    if rpc.method.server_streaming:
        call = ch.unary_stream(
            rpc.path, request_serializer=lambda m: m.SerializeToString(), response_deserializer=out.FromString
        )
        yield from call(request, metadata=md, timeout=timeout)
    else:
        call = ch.unary_unary(
            rpc.path, request_serializer=lambda m: m.SerializeToString(), response_deserializer=out.FromString
        )
        yield call(request, metadata=md, timeout=timeout)


def to_json(message) -> str:
    return json_format.MessageToJson(message, preserving_proto_field_name=True, indent=2, ensure_ascii=False)


def describe_error(e: grpc.RpcError) -> str:
    """`CODE: details`, then any field violations the status carries (google.rpc.BadRequest)."""
    code = e.code() if hasattr(e, "code") else grpc.StatusCode.UNKNOWN
    lines = [f"{code.name}: {e.details() if hasattr(e, 'details') else e}"]
    try:
        from google.rpc import error_details_pb2
        from grpc_status import rpc_status

        status = rpc_status.from_call(e)
        for detail in status.details if status else ():
            if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                lines += [f"  {v.field}: {v.description}" for v in bad.field_violations]
    except Exception:  # details are a courtesy; the code and message were said
        pass
    return "\n".join(lines)
