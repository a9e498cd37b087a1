"""A person's merged view of what waits for them (issue 20): the services' pages merged in the order
of `common.v1.AwaitingItem` lists, services found by contract, and the command's table. Pure."""

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from cases.v1 import service_pb2 as cases_pb2, service_pb2_grpc as cases_grpc
from clues.v1 import service_pb2 as clues_pb2, service_pb2_grpc as clues_grpc
from common.v1 import awaiting_pb2
from kernel.edge import awaiting_cli
from kernel.edge.awaiting import Merged, endpoint, merge
from kernel.edge.mapping import timestamp

D1, D2, D3 = (datetime(2026, 12, d, 9, tzinfo=timezone.utc) for d in (1, 2, 3))


def item(service, file_id, due=None, since=D1, step="Approve", role="commission_head"):
    return awaiting_pb2.AwaitingItem(
        service=service,
        file_id=file_id,
        reference=file_id.upper(),
        step=step,
        summary="s",
        role=role,
        since=timestamp(since),
        due=timestamp(due) if due else None,
        colour="GREEN",
    )


def keys(items):
    return [(i.service, i.file_id) for i in items]


@pytest.mark.parametrize(
    "pages,expected,rule",
    [
        ([[], []], [], "nothing waits"),
        (
            [[item("clues", "clue-a", D2)], [item("cases", "case-b", D1)]],
            [("cases", "case-b"), ("clues", "clue-a")],
            "the earlier due first, whichever service",
        ),
        (
            [[item("clues", "clue-a", None)], [item("cases", "case-b", D3)]],
            [("cases", "case-b"), ("clues", "clue-a")],
            "items without a due date last",
        ),
        (
            [[item("clues", "clue-a", D2, since=D2)], [item("cases", "case-b", D2, since=D1)]],
            [("cases", "case-b"), ("clues", "clue-a")],
            "the same due: the longer waiting first",
        ),
        (
            [[item("clues", "clue-b", D2)], [item("cases", "case-z", D2)]],
            [("cases", "case-z"), ("clues", "clue-b")],
            "the same due and since: by file id",
        ),
        (
            [[item("clues", "clue-a", None, since=D2), item("clues", "clue-c", None, since=D1)]],
            [("clues", "clue-c"), ("clues", "clue-a")],
            "without due dates: by since",
        ),
    ],
)
def test_merge_orders_by_due_then_since_then_file(pages, expected, rule):
    assert keys(merge(pages)) == expected, rule


def test_merge_keeps_every_item_of_every_page():
    pages = [[item("clues", f"clue-{k}", D1) for k in range(3)], [item("cases", "case-1", D2, step="x")]]
    assert len(merge(pages)) == 4


def test_a_service_joins_the_view_once_its_contract_has_the_rpc():
    ep = endpoint("clues", "127.0.0.1:1", clues_pb2, clues_grpc)
    assert (ep.stub, ep.request) == (clues_grpc.ClueServiceStub, clues_pb2.ListAwaitingMeRequest)
    cases = endpoint("cases", "127.0.0.1:2", cases_pb2, cases_grpc)
    has_rpc = "ListAwaitingMe" in cases_pb2.DESCRIPTOR.services_by_name["CaseService"].methods_by_name
    assert (cases is not None) == has_rpc
    from audit.v1 import service_pb2 as audit_pb2, service_pb2_grpc as audit_grpc

    assert endpoint("audit", "127.0.0.1:3", audit_pb2, audit_grpc) is None  # no such RPC


def test_the_table_shows_due_colour_service_reference_step_and_summary_in_the_zone():
    merged = Merged(items=[item("clues", "clue-a", D1, step="ApproveRegistration"), item("cases", "case-b")])
    header, first, second = awaiting_cli.table(merged, ZoneInfo("Asia/Shanghai")).splitlines()
    assert header.split() == ["due", "colour", "service", "reference", "step", "summary"]
    assert first.split()[:6] == ["2026-12-01", "17:00", "GREEN", "clues", "CLUE-A", "ApproveRegistration"]
    assert second.split()[:3] == ["-", "GREEN", "cases"]


def test_the_command_names_what_is_wrong(capsys):
    assert awaiting_cli.main(["--token", "t", "--target", "nonsense"], env={}) == 2
    assert "SERVICE=HOST:PORT" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        awaiting_cli.main([], env={})  # no token
    assert "AWAITING_TOKEN" in capsys.readouterr().err
