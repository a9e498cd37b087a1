"""PreviewDecision through gRPC (issue 21 point 2): the sanctions service answers domain.md's worked
examples, refuses with the rule ID and the right status code, and checks identity and role."""

import uuid
from datetime import datetime, timezone

import grpc
import pytest

from cases.v1 import events_pb2
from common.v1 import person_pb2
from kernel.domain.principal import Principal
from sanctions.v1 import events_pb2 as sev, service_pb2 as pb, service_pb2_grpc
from services.sanctions.main import build
from tests.factories import ALICE, call_metadata, service_settings, ts

ST = events_pb2.SanctionType
AS_OF = ts(datetime(2026, 1, 5, tzinfo=timezone.utc))
PARTNER = Principal("procuratorate", "prosecution_intake", "partner_officer", "u-partner")


@pytest.fixture(scope="module")
async def sanctions(database_url, bootstrap, tmp_path_factory):
    prefix = f"sp{uuid.uuid4().hex[:8]}"
    settings = service_settings("sanctions", database_url, bootstrap, prefix, tmp_path_factory.mktemp("sanctions"))
    host = await build(settings).start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{host.port}")
    yield settings, service_pb2_grpc.SanctionServiceStub(channel)
    await channel.close()
    await host.stop()


def facts(category="OFFICIAL_CATEGORY_CIVIL_SERVANT") -> person_pb2.PersonFacts:
    src = person_pb2.FactSource(source="organisation_department", as_of=AS_OF)
    return person_pb2.PersonFacts(
        person_id="P-1",
        party=person_pb2.PartyMembership(member=True, source=src),
        official=person_pb2.PublicOfficial(category=category, source=src),
        service=person_pb2.Service(status="SERVICE_STATUS_SERVING", since=AS_OF, source=src),
    )


def request(family, sanction, *violations, category="OFFICIAL_CATEGORY_CIVIL_SERVANT", **kw):
    return pb.PreviewDecisionRequest(
        family=family,
        person_facts=facts(category),
        violations=[events_pb2.Violation(article=f"art. {i}", sanction=v) for i, v in enumerate(violations, 1)],
        sanction=sanction,
        **kw,
    )


async def test_g1_demerit_worked_example_is_answered(sanctions):
    """G1 (PSL 8): 记过 decided 2026-03-10 lifts 2027-03-10; G7 locks; §4d items."""
    settings, stub = sanctions
    req = request(
        sev.SANCTION_FAMILY_GOVERNMENT_SANCTION,
        ST.SANCTION_TYPE_GOVERNMENT_DEMERIT,
        ST.SANCTION_TYPE_GOVERNMENT_DEMERIT,
        decided_at=ts(datetime(2026, 3, 10, 4, tzinfo=timezone.utc)),
    )
    r = await stub.PreviewDecision(req, metadata=call_metadata(settings))
    assert (r.sanction, r.rule, r.start, r.end, r.period_months) == (
        ST.SANCTION_TYPE_GOVERNMENT_DEMERIT,
        "SINGLE",
        "2026-03-10",
        "2027-03-10",
        12,
    )
    assert [(x.kind, x.until, x.rule) for x in r.locks][0] == ("PROMOTION_LOCK", "2027-03-10", "G7 (PSL 19-21)")
    assert {i.kind: i.rule for i in r.items}["DELIVER_PERSON"] == "G13 (PSL 46)"


async def test_p2_serious_warning_worked_example_is_answered(sanctions):
    """P2 (Regs 10): 严重警告 approved 2026-02-28 lifts 2027-08-28."""
    settings, stub = sanctions
    req = request(
        sev.SANCTION_FAMILY_PARTY_SANCTION,
        ST.SANCTION_TYPE_PARTY_SERIOUS_WARNING,
        ST.SANCTION_TYPE_PARTY_SERIOUS_WARNING,
        decided_at=ts(datetime(2026, 2, 28, 4, tzinfo=timezone.utc)),
    )
    r = await stub.PreviewDecision(req, metadata=call_metadata(settings))
    assert (r.end, r.period_months) == ("2027-08-28", 18)


async def test_g4_demotion_of_a_village_director_is_refused_invalid_argument(sanctions):
    """G4 (PSL 22): 降级 for a village director → INVALID_ARGUMENT naming the rule."""
    settings, stub = sanctions
    req = request(
        sev.SANCTION_FAMILY_GOVERNMENT_SANCTION,
        ST.SANCTION_TYPE_GOVERNMENT_DEMOTION,
        ST.SANCTION_TYPE_GOVERNMENT_DEMOTION,
        category="OFFICIAL_CATEGORY_GRASSROOTS_MANAGER",
        decided_at=ts(datetime(2026, 3, 10, 4, tzinfo=timezone.utc)),
    )
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.PreviewDecision(req, metadata=call_metadata(settings))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "G4 (PSL 22)" in err.value.details() and "sanction" in err.value.details()


async def test_p7_not_heard_is_failed_precondition(sanctions):
    """P7 (PC 43): heard on 警告, decided 严重警告 → FAILED_PRECONDITION naming the rule."""
    settings, stub = sanctions
    req = request(
        sev.SANCTION_FAMILY_PARTY_SANCTION,
        ST.SANCTION_TYPE_PARTY_SERIOUS_WARNING,
        ST.SANCTION_TYPE_PARTY_SERIOUS_WARNING,
        heard_on=ST.SANCTION_TYPE_PARTY_WARNING,
        decided_at=ts(datetime(2026, 3, 10, 4, tzinfo=timezone.utc)),
    )
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.PreviewDecision(req, metadata=call_metadata(settings))
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "P7 (PC 43)" in err.value.details()


async def test_without_a_token_unauthenticated_and_a_partner_role_permission_denied(sanctions):
    settings, stub = sanctions
    req = request(
        sev.SANCTION_FAMILY_GOVERNMENT_SANCTION,
        ST.SANCTION_TYPE_GOVERNMENT_DEMERIT,
        ST.SANCTION_TYPE_GOVERNMENT_DEMERIT,
        decided_at=ts(datetime(2026, 3, 10, 4, tzinfo=timezone.utc)),
    )
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.PreviewDecision(req)
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.PreviewDecision(req, metadata=call_metadata(settings, PARTNER))
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert ALICE.role == "case_manager"  # the worked examples' caller is an officer of the catalogue
