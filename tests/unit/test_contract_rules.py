"""Every request field of every RPC declares its rule, and the rules are well formed (issue 15)."""

from __future__ import annotations

import pytest

from kernel.edge.contract import FORMATS, rules_of
from tests.contract_walk import FIELD_KINDS, request_fields, rpc_methods

pytestmark = pytest.mark.unit


def test_every_request_field_declares_a_rule():
    missing = []
    for message, _fd in request_fields():
        try:
            rules_of(message)
        except LookupError as e:
            missing.append(str(e))
    assert not missing, "\n".join(sorted(set(missing)))


def test_every_rule_fits_its_field():
    wrong = []
    for message, fd in request_fields():
        rule = dict(rules_of(message))[fd]
        kind = rule.WhichOneof("kind")
        if kind not in FIELD_KINDS[_type_of(fd)]:
            wrong.append(f"{fd.full_name}: {kind} on a {_type_of(fd)} field")
        if fd.is_repeated and rule.max_items == 0:
            wrong.append(f"{fd.full_name}: a repeated field states max_items")
        if not fd.is_repeated and rule.max_items:
            wrong.append(f"{fd.full_name}: max_items on a single field")
        if kind == "id" and rule.id not in FORMATS:
            wrong.append(f"{fd.full_name}: unknown id format {rule.id}")
        if kind in ("line", "text") and getattr(rule, kind) == 0:
            wrong.append(f"{fd.full_name}: a text field states its maximum length")
        if kind == "number" and rule.number.min > rule.number.max:
            wrong.append(f"{fd.full_name}: empty number range")
    assert not wrong, "\n".join(wrong)


def test_the_walk_sees_every_rpc():
    names = {m.full_name for m in rpc_methods()}
    assert "clues.v1.ClueService.RegisterClue" in names and "control.v1.ControlService.SetClock" in names
    assert len(names) >= 62


def _type_of(fd) -> str:
    if fd.message_type is not None:
        return "timestamp" if fd.message_type.full_name == "google.protobuf.Timestamp" else "message"
    if fd.enum_type is not None:
        return "enum"
    return {fd.TYPE_STRING: "string", fd.TYPE_BOOL: "bool"}.get(fd.type, "number")
