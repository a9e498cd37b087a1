"""The ledger over gRPC, as a partner auditor uses it: events produced by the clues service reach
audit through Kafka; a checkpoint is signed on demand; an inclusion proof, and a history bundle
an auditor exported and handed over, verify against it with the public key alone."""

import uuid

import grpc
import pytest

from audit.v1 import service_pb2 as pb, service_pb2_grpc
from clues.v1 import events_pb2 as ev_pb2
from common.v1 import identity_pb2
from kernel.domain.principal import Principal
from kernel.eventstore.envelope import parse
from kernel.runtime.settings import extend
from services.audit.domain import merkle
from services.audit.domain.checkpoint import NoteVerifier, open_checkpoint
from services.audit.main import AuditSettings, build as build_audit
from services.audit.verify_bundle import verify_bundle
from services.clues.main import build as build_clues
from tests.e2e.test_clue_lifecycle import HEAD, Client, audit_history
from tests.factories import call_metadata, service_settings

AUDITOR = Principal("commission", "case_management", "auditor", "u-auditor")
PARTNER = Principal("court", "court_filing", "partner_system", "u-court")


@pytest.fixture(scope="module")
async def platform(database_url, bootstrap, tmp_path_factory):
    prefix, data = f"al{uuid.uuid4().hex[:8]}", tmp_path_factory.mktemp("ledger")
    clues = await build_clues(
        service_settings("clues", database_url, bootstrap, prefix, data, database_schema=f"clues_{prefix}")
    ).start()
    audit = await build_audit(
        extend(
            AuditSettings,
            service_settings("audit", database_url, bootstrap, prefix, data, database_schema=f"audit_{prefix}"),
            checkpoint_seconds=3600,
        )
    ).start()
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
    history = await audit_history(audit, reg.clue_id, expect=3)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{audit.port}") as ch:
        stub = service_pb2_grpc.AuditServiceStub(ch)
        md = call_metadata(audit.settings, PARTNER)
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
        proof = await stub.GetInclusionProof(pb.GetInclusionProofRequest(event_id=event_id), metadata=md)
        assert proof.leaf_data == history.events[1].envelope_bytes and proof.checkpoint == signed.note
        merkle.verify_inclusion(
            merkle.leaf_hash(proof.leaf_data), proof.leaf_index, cp.size, list(proof.hashes), cp.root
        )
        bundle = await stub.ExportHistoryBundle(
            pb.ExportHistoryBundleRequest(stream_id=reg.clue_id),  # handed over
            metadata=call_metadata(audit.settings, AUDITOR),
        )
        assert bundle.events == 3
        assert verify_bundle(bundle.bundle, key.verifier_key, key.origin)[-1].startswith("3 events")
        with pytest.raises(grpc.aio.AioRpcError) as bad:
            await stub.GetInclusionProof(pb.GetInclusionProofRequest(event_id="nope"), metadata=md)
        assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "event_id" in bad.value.details()
        quarantined = await stub.ListQuarantined(
            pb.ListQuarantinedRequest(), metadata=call_metadata(audit.settings, AUDITOR)
        )
        assert list(quarantined.deliveries) == []
