"""Thin gRPC edge of the audit service: translate, delegate, map errors (in kernel.edge.grpc_server)."""

from __future__ import annotations

from audit.v1 import service_pb2 as pb, service_pb2_grpc
from kernel.domain.errors import NotFound, Validation
from kernel.edge.grpc_server import rpc
from kernel.edge.mapping import datetime_of, timestamp as _ts
from kernel.eventstore.store import check_identifier
from kernel.messaging.watermark import Position
from services.audit.adapters.steps import recorded, step
from services.audit.app import bundles, ledger
from services.audit.app.checkpoints import Checkpointer, Signed
from services.audit.app.proofs import Proofs
from services.audit.app.recorder import Recorder
from services.audit.app.replay import Replay

MAX_LIST = 1000


class AuditServicer(service_pb2_grpc.AuditServiceServicer):
    def __init__(self, recorder: Recorder, checkpoints: Checkpointer, proofs: Proofs, replay: Replay):
        self.recorder, self.checkpoints, self.proofs, self.replay = recorder, checkpoints, proofs, replay

    @rpc("audit.read")
    async def GetStreamHistory(self, request, context, call):
        stream_id = check_identifier(request.stream_id.strip(), "stream_id")
        rows = await self.recorder.stream_history(stream_id)
        if not rows:
            raise NotFound("stream", stream_id)
        return pb.GetStreamHistoryResponse(stream_id=stream_id, events=[recorded(r) for r in rows])

    @rpc("audit.verify")
    async def GetInclusionProof(self, request, context, call):
        p = await self.proofs.inclusion(request.event_id.strip(), request.tree_size)
        return pb.GetInclusionProofResponse(
            leaf_index=p.leaf_index,
            tree_size=p.tree_size,
            hashes=p.hashes,
            root_hash=p.root,
            leaf_data=p.leaf_data,
            checkpoint=p.checkpoint,
        )

    @rpc("audit.verify")
    async def GetConsistencyProof(self, request, context, call):
        p = await self.proofs.consistency(request.first_size, request.second_size)
        return pb.GetConsistencyProofResponse(
            first_size=p.first_size,
            second_size=p.second_size,
            hashes=p.hashes,
            first_root=p.first_root,
            second_root=p.second_root,
        )

    async def _checkpoint(self, s: Signed) -> pb.GetCheckpointResponse:
        return pb.GetCheckpointResponse(
            note=s.note,
            tree_size=s.tree_size,
            root_hash=s.root,
            origin=self.checkpoints.origin,
            signed_at=_ts(s.signed_at),
            completeness=[_completeness(r) for r in await self.recorder.completeness.known()],
        )

    @rpc("audit.verify")
    async def GetCheckpoint(self, request, context, call):
        latest = await self.checkpoints.latest()
        if latest is None:
            raise NotFound("checkpoint", "latest")
        return await self._checkpoint(latest)

    @rpc("audit.checkpoint")
    async def SignCheckpoint(self, request, context, call):
        return pb.SignCheckpointResponse(checkpoint=await self._checkpoint(await self.checkpoints.sign()))

    @rpc("audit.verify")
    async def GetLedgerPublicKey(self, request, context, call):
        signer = self.checkpoints.signer
        return pb.GetLedgerPublicKeyResponse(
            verifier_key=signer.verifier_key, origin=self.checkpoints.origin, public_key=signer.public_key_bytes
        )

    @rpc("audit.read")
    async def ExportHistoryBundle(self, request, context, call):
        stream_id = check_identifier(request.stream_id.strip(), "stream_id")
        bundle, size, count = await bundles.export(
            self.checkpoints.pool, self.checkpoints.schema, self.checkpoints, stream_id
        )
        return pb.ExportHistoryBundleResponse(bundle=bundle, tree_size=size, events=count)

    @rpc("audit.quarantine")
    async def ListQuarantined(self, request, context, call):
        limit = request.limit or MAX_LIST
        if limit > MAX_LIST:
            raise Validation("limit", f"at most {MAX_LIST}")
        rows = await ledger.quarantined(self.recorder.store.pool, self.recorder.store.schema, limit)
        return pb.ListQuarantinedResponse(
            deliveries=[
                pb.QuarantinedDelivery(
                    event_id=r["event_id"],
                    stream_id=r["stream_id"],
                    version=r["version"],
                    kind=pb.QuarantineKind.Value(f"QUARANTINE_KIND_{r['kind'].upper()}"),
                    envelope_bytes=bytes(r["envelope"]),
                    topic=r["topic"],
                    partition=r["partition"],
                    offset=r["offset"],
                    detected_at=_ts(r["detected_at"]),
                )
                for r in rows
            ]
        )

    @rpc("audit.read")
    async def GetHistory(self, request, context, call):
        as_of = datetime_of(request.as_of, "as_of") if request.HasField("as_of") else None
        page = await self.replay.page(request.subject, as_of, request.page_size, request.page_token)
        return pb.GetHistoryResponse(
            subject=page.subject,
            as_of=_ts(page.as_of),
            total_steps=page.total,
            next_page_token=page.next_token,
            tree_size=page.tree_size,
            subjects=[
                pb.StorySubject(id=s.id, kind=s.kind, linked_from=s.linked_from, relation=s.relation)
                for s in page.subjects
            ],
            steps=[step(r, page.first_position + i) for i, r in enumerate(page.rows)],
        )


def _completeness(row) -> pb.ProducerCompleteness:
    missing = max(row["missing"], 0)
    return pb.ProducerCompleteness(
        topic=row["topic"],
        complete_through=Position(row["verified_ok"], row["verified_at"]).encode(),
        complete_count=row["verified_count"],
        missing=missing,
        missing_since=_ts(row["gap_since"]) if missing and row["gap_since"] else None,
    )
