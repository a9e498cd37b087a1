"""The ledger over gRPC, as a partner auditor uses it: events produced by the clues service reach
audit through Kafka; a checkpoint is signed on demand; an inclusion proof (hashes only), and a
history bundle an auditor exported and handed over, verify against it with the public key alone.
Proofs reveal nothing (issue 17): a partner asking for the proof of a clue event is told exactly
what it is told of an unknown event id."""

import uuid

import grpc
import pytest

from audit.v1 import service_pb2 as pb, service_pb2_grpc
from clues.v1 import events_pb2 as ev_pb2
from common.v1 import identity_pb2
from kernel.domain.principal import Principal
from kernel.eventstore.envelope import parse
from services.audit.domain import merkle
from services.audit.domain.checkpoint import NoteVerifier, open_checkpoint
from services.audit.verify_bundle import verify_bundle
from tests.e2e.platforms import start_service
from tests.e2e.test_clue_lifecycle import HEAD, Client
from tests.factories import call_metadata, wait_until

AUDITOR = Principal("commission", "case_management", "auditor", "u-auditor")
PARTNER = Principal("court", "court_filing", "partner_system", "u-court")


@pytest.fixture(scope="module")
async def platform(database_url, bootstrap, tmp_path_factory):
    prefix, data = f"al{uuid.uuid4().hex[:8]}", tmp_path_factory.mktemp("ledger")
    clues = await start_service("clues", database_url, bootstrap, prefix, data)
    audit = await start_service("audit", database_url, bootstrap, prefix, data, checkpoint_seconds=3600)
    yield clues, audit
    await clues.stop()
    await audit.stop()


async def test_a_partner_verifies_a_clue_history_with_the_public_key_alone(platform):
    clues, audit = platform
    async with grpc.aio.insecure_channel(f"127.0.0.1:{clues.port}") as ch:
        client = Client(clues, ch)
        reg = await client(
            "RegisterClue",
            source=ev_pb2.CLUE_SOURCE_PETITION,
            summary="kickbacks",
            subjects=[identity_pb2.PersonRef(person_id="P-9", name="Wu Jiu")],
        )
        await client("ProposeRegistration", clue_id=reg.clue_id, handling_office="supervision_1")
        await client("ApproveRegistration", HEAD, clue_id=reg.clue_id)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{audit.port}") as ch:
        stub = service_pb2_grpc.AuditServiceStub(ch)
        md = call_metadata(audit.settings, PARTNER)
        history = await recorded(stub, audit, reg.clue_id, 3)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.SignCheckpoint(pb.SignCheckpointRequest(), metadata=md)
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
        signed = (
            await stub.SignCheckpoint(pb.SignCheckpointRequest(), metadata=call_metadata(audit.settings, AUDITOR))
        ).checkpoint
        key = await stub.GetLedgerPublicKey(pb.GetLedgerPublicKeyRequest(), metadata=md)
        cp = open_checkpoint(signed.note, NoteVerifier(key.verifier_key), key.origin)
        assert cp.size == signed.tree_size >= 3
        event_id = parse(history.events[1].envelope_bytes).event_id
        # the clue is closed to a court: its events' proofs are an unknown id's, word for word
        for asked in (event_id, parse(history.events[0].envelope_bytes).event_id, str(uuid.uuid4())):
            with pytest.raises(grpc.aio.AioRpcError) as closed:
                await stub.GetInclusionProof(pb.GetInclusionProofRequest(event_id=asked), metadata=md)
            assert closed.value.code() == grpc.StatusCode.NOT_FOUND
            assert closed.value.details() == f"recorded event {asked!r} not found"
        proof = await stub.GetInclusionProof(
            pb.GetInclusionProofRequest(event_id=event_id), metadata=call_metadata(audit.settings, AUDITOR)
        )
        assert proof.leaf_hash == merkle.leaf_hash(history.events[1].envelope_bytes)
        assert (
            proof.checkpoint == signed.note
            and "leaf_data" not in pb.GetInclusionProofResponse.DESCRIPTOR.fields_by_name
        )
        merkle.verify_inclusion(proof.leaf_hash, proof.leaf_index, cp.size, list(proof.hashes), cp.root)
        bundle = await stub.ExportHistoryBundle(
            pb.ExportHistoryBundleRequest(stream_id=reg.clue_id, purpose="hand over to the court"),  # handed over
            metadata=call_metadata(audit.settings, AUDITOR),
        )
        assert bundle.events == 3
        assert verify_bundle(bundle.bundle, key.verifier_key, key.origin)[-1].startswith("3 events")
        story = await stub.ExportHistoryBundle(  # issue 25: the whole story, unwitnessed (no witness configured)
            pb.ExportHistoryBundleRequest(stream_id=reg.clue_id, purpose="hand over to the court", whole_story=True),
            metadata=call_metadata(audit.settings, AUDITOR),
        )
        assert (story.events, story.witnessed, list(story.cosigners)) == (3, False, [])
        assert verify_bundle(story.bundle, key.verifier_key, key.origin)[-1].startswith(
            f"3 events of the whole story of {reg.clue_id}"
        )
        for asked, field in (
            (pb.ExportHistoryBundleRequest(stream_id=f"clue-timers-{uuid.uuid4()}", whole_story=True), "stream_id"),
            (pb.ExportHistoryBundleRequest(stream_id=reg.clue_id, as_of=signed.signed_at), "as_of"),
        ):
            asked.purpose = "hand over to the court"
            with pytest.raises(grpc.aio.AioRpcError) as bad:
                await stub.ExportHistoryBundle(asked, metadata=call_metadata(audit.settings, AUDITOR))
            assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT and field in bad.value.details()
        with pytest.raises(grpc.aio.AioRpcError) as bad:
            await stub.GetInclusionProof(pb.GetInclusionProofRequest(event_id="nope"), metadata=md)
        assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "event_id" in bad.value.details()
        quarantined = await stub.ListQuarantined(
            pb.ListQuarantinedRequest(), metadata=call_metadata(audit.settings, AUDITOR)
        )
        assert list(quarantined.deliveries) == []


async def recorded(stub, audit, stream_id: str, expect: int) -> pb.GetStreamHistoryResponse:
    """The stream's history as an auditor reads it, once audit holds `expect` of its events."""
    found = []

    async def holds() -> bool:
        try:
            found[:] = [
                await stub.GetStreamHistory(
                    pb.GetStreamHistoryRequest(stream_id=stream_id, purpose="verify the ledger"),
                    metadata=call_metadata(audit.settings, AUDITOR),
                )
            ]
        except grpc.aio.AioRpcError as e:
            assert e.code() == grpc.StatusCode.NOT_FOUND
            return False
        return len(found[0].events) >= expect

    await wait_until(holds, 60, f"{stream_id}'s events in audit")
    return found[0]
