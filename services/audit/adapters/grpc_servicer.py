"""Thin gRPC edge of the audit service: translate, delegate, map errors (in kernel.edge.grpc_server).

Need to know (domain.md §1, issue 17): every RPC naming a stream, story or event answers a caller
who may not know it exactly as an unknown id (`app.holdings.Reader`). Every read of a history is
on the record: a `common.v1.FileRead` with the caller's purpose, appended to audit's own store
after the answer is built and before it leaves (`kernel.eventstore.reads.record_read`).
"""

from __future__ import annotations

from collections.abc import Iterable

from audit.v1 import service_pb2 as pb, service_pb2_grpc
from common.v1 import reads_pb2
from kernel.domain.access import Organisation
from kernel.domain.clock import Clock
from kernel.domain.errors import NotFound, Validation
from kernel.edge.grpc_server import rpc
from kernel.edge.mapping import datetime_of, timestamp as _ts
from kernel.eventstore.commands import CommandContext
from kernel.eventstore.reads import FileRef, record_read
from kernel.eventstore.store import EventStore, check_identifier
from kernel.messaging.watermark import Position
from services.audit.adapters.steps import recorded, step
from services.audit.app import bundles, ledger, reads
from services.audit.app.bundles import persons_of
from services.audit.app.checkpoints import Checkpointer, Signed
from services.audit.app.holdings import Reader, file_of
from services.audit.app.proofs import Proofs
from services.audit.app.recorder import Recorder
from services.audit.app.replay import Replay
from services.audit.app.witnessing import Witnessing, WitnessState

MAX_LIST = 1000
FILE_KINDS = ("clue", "case", "measure", "decision")  # a stream of one of these is a file (案卷)


def file_ref(stream_id: str) -> FileRef:
    """What reading `stream_id` reads: its file (a timer stream's is its aggregate), else the stream."""
    file = file_of(stream_id)
    kind = file.partition("-")[0]
    return FileRef(kind, file) if kind in FILE_KINDS else FileRef("stream", stream_id)


class AuditServicer(service_pb2_grpc.AuditServiceServicer):
    def __init__(
        self,
        recorder: Recorder,
        checkpoints: Checkpointer,
        proofs: Proofs,
        replay: Replay,
        org: Organisation,
        own: EventStore,
        clock: Clock,
        witnessing: Witnessing | None = None,
    ):
        """`org`: the catalogue's organisation (who may know what); `own`: audit's own event store,
        where its reads are recorded; `clock`: when they were; `witnessing`: the checkpoints'
        witnesses (issue 25; None: no witness configured)."""
        self.recorder, self.checkpoints, self.proofs, self.replay = recorder, checkpoints, proofs, replay
        self.org, self.own, self.clock = org, own, clock
        self.witnessing = witnessing

    def _reader(self, call: CommandContext) -> Reader:
        return Reader(call.principal, self.org)

    async def _on_record(
        self,
        call: CommandContext,
        rpc_name: str,
        purpose: str,
        files: Iterable[FileRef],
        persons: Iterable[str] = (),
        query: str = "",
    ) -> None:
        await record_read(self.own, call, rpc_name, purpose, files, persons, now=self.clock.now(), query=query)

    @rpc("audit.read")
    async def GetStreamHistory(self, request, context, call):
        stream_id = check_identifier(request.stream_id.strip(), "stream_id")
        rows = await self.recorder.stream_history(stream_id, self._reader(call))
        if not rows:
            raise NotFound("stream", stream_id)
        answer = pb.GetStreamHistoryResponse(stream_id=stream_id, events=[recorded(r) for r in rows])
        persons = [p for e in answer.events for p in persons_of(e.envelope)]
        await self._on_record(call, "GetStreamHistory", request.purpose, [file_ref(stream_id)], persons)
        return answer

    @rpc("audit.verify")
    async def GetInclusionProof(self, request, context, call):
        p = await self.proofs.inclusion(request.event_id.strip(), request.tree_size, self._reader(call))
        return pb.GetInclusionProofResponse(
            leaf_index=p.leaf_index,
            tree_size=p.tree_size,
            hashes=p.hashes,
            root_hash=p.root,
            leaf_hash=p.leaf_hash,
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
    async def GetWitnessedCheckpoint(self, request, context, call):
        """The latest checkpoint cosigned to the witness policy (C2SP tlog-witness, tlog-policy; issue 25)."""
        witnessed = await self.witnessing.latest_witnessed() if self.witnessing else None
        if witnessed is None:
            raise NotFound("witnessed checkpoint", "latest")
        return pb.GetWitnessedCheckpointResponse(
            note=witnessed.note,
            tree_size=witnessed.tree_size,
            root_hash=witnessed.root,
            signed_at=_ts(witnessed.signed_at),
            witnessed_at=_ts(witnessed.witnessed_at),
            cosigners=witnessed.cosigners,
            policy=_utf8(self.witnessing.policy.text),
        )

    @rpc("audit.verify")
    async def ListWitnesses(self, request, context, call):
        """Each policy witness as audit last saw it, and the latest witnessed checkpoint (issue 25)."""
        if self.witnessing is None:
            return pb.ListWitnessesResponse()
        latest = await self.witnessing.latest_witnessed()
        return pb.ListWitnessesResponse(
            witnesses=[_witness_status(s) for s in await self.witnessing.statuses()],
            policy=_utf8(self.witnessing.policy.text) if self.witnessing.policy.witnesses else "",
            witnessed_size=latest.tree_size if latest else 0,
            witnessed_after_seconds=(latest.seconds or 0.0) if latest else 0.0,
        )

    @rpc("audit.verify")
    async def GetLedgerPublicKey(self, request, context, call):
        signer = self.checkpoints.signer
        return pb.GetLedgerPublicKeyResponse(
            verifier_key=signer.verifier_key, origin=self.checkpoints.origin, public_key=signer.public_key_bytes
        )

    @rpc("audit.read")
    async def ExportHistoryBundle(self, request, context, call):
        stream_id = check_identifier(request.stream_id.strip(), "stream_id")
        as_of = datetime_of(request.as_of, "as_of") if request.HasField("as_of") else None
        b = await bundles.export(
            self.checkpoints.pool,
            self.checkpoints.schema,
            self.checkpoints,
            stream_id,
            self._reader(call),
            whole_story=request.whole_story,
            as_of=as_of,
            witness=self.witnessing.witness if self.witnessing else None,  # issue 25: cosigned when configured
        )
        answer = pb.ExportHistoryBundleResponse(
            bundle=b.data, tree_size=b.tree_size, events=b.events, witnessed=b.witnessed, cosigners=b.cosigners
        )
        files = [FileRef(s.kind, s.id) for s in b.subjects] if request.whole_story else [file_ref(stream_id)]
        await self._on_record(call, "ExportHistoryBundle", request.purpose, files, b.persons)
        return answer

    @rpc("audit.quarantine")
    async def ListQuarantined(self, request, context, call):
        limit = request.limit or MAX_LIST
        if limit > MAX_LIST:
            raise Validation("limit", f"at most {MAX_LIST}")
        pool, schema = self.recorder.store.pool, self.recorder.store.schema
        rows = await ledger.quarantined(pool, schema, limit)
        async with pool.acquire() as conn:  # an event's bytes only to whom may know its stream (issue 17)
            shown = await self._reader(call).knowable(conn, schema, {r["stream_id"] for r in rows})
        return pb.ListQuarantinedResponse(
            deliveries=[
                pb.QuarantinedDelivery(
                    event_id=r["event_id"],
                    stream_id=r["stream_id"],
                    version=r["version"],
                    kind=pb.QuarantineKind.Value(f"QUARANTINE_KIND_{r['kind'].upper()}"),
                    envelope_bytes=bytes(r["envelope"]) if r["stream_id"] in shown else b"",
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
        page = await self.replay.page(request.subject, as_of, request.page_size, request.page_token, self._reader(call))
        answer = pb.GetHistoryResponse(
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
        persons = [p for st in answer.steps for p in persons_of(st.event.envelope)]
        files = [FileRef(s.kind, s.id) for s in page.subjects]
        await self._on_record(call, "GetHistory", request.purpose, files, persons)
        return answer

    @rpc("audit.reads")
    async def ListReads(self, request, context, call):
        file_id, person_id = request.file_id.strip(), request.person_id.strip()
        if bool(file_id) == bool(person_id):
            raise Validation(
                "file_id", "give the file_id of a clue, case, measure or decision, or a person_id; not both"
            )
        reader = self._reader(call)
        about = file_of(file_id) if file_id else person_id
        start = datetime_of(request.start, "start") if request.HasField("start") else None
        end = datetime_of(request.end, "end") if request.HasField("end") else None
        pool, schema = self.recorder.store.pool, self.recorder.store.schema
        async with pool.acquire() as conn:
            # a person is no file: only those who see every file see everything read about them
            if not (await reader.may_know(conn, schema, about) if file_id else reader.sees_everything):
                raise NotFound("file" if file_id else "person", file_id or person_id)
            found, token = await reads.page(
                conn, schema, about, not file_id, start, end, request.page_size, request.page_token
            )
            shown = await reader.knowable(conn, schema, {f.id for r in found for f in r.payload.files})
        answer = pb.ListReadsResponse(reads=[_read_record(r, shown) for r in found], next_page_token=token)
        files, persons = ([file_ref(about)], []) if file_id else ([], [person_id])
        await self._on_record(call, "ListReads", request.purpose, files, persons, query=_window(start, end))
        return answer


def _utf8(text: str) -> str:
    """Policy text as a proto string: tlog-policy octets above 0x7F are opaque and may not be UTF-8
    (parse_policy keeps them as surrogate escapes); those that are not are shown as U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _witness_status(s: WitnessState) -> pb.WitnessStatus:
    answer = pb.WitnessStatus(
        name=_utf8(s.name),
        verifier_key=s.verifier_key,
        url=s.url,
        cosigned_size=s.cosigned_size,
        state=s.state,
        last_error=s.last_error,
        failures=s.failures,
        last_latency_seconds=s.last_latency or 0.0,
    )
    if s.last_cosigned_at is not None:
        answer.last_cosigned_at.CopyFrom(_ts(s.last_cosigned_at))
    return answer


def _completeness(row) -> pb.ProducerCompleteness:
    missing = max(row["missing"], 0)
    return pb.ProducerCompleteness(
        topic=row["topic"],
        complete_through=Position(row["verified_ok"], row["verified_at"]).encode(),
        complete_count=row["verified_count"],
        missing=missing,
        missing_since=_ts(row["gap_since"]) if missing and row["gap_since"] else None,
    )


def _read_record(r: reads.Read, shown: set[str]) -> pb.ReadRecord:
    """A read as the caller may see it: of the files it returned, only those the caller may know
    (a list query's other files are theirs to know, not this caller's)."""
    files = [f for f in r.payload.files if f.id in shown]
    env = r.envelope
    return pb.ReadRecord(
        event_id=env.event_id,
        leaf_index=r.leaf_index,
        reader=env.principal,
        read_at=env.occurred_at,
        operation=r.payload.operation,
        purpose=r.payload.purpose,
        query=r.payload.query,
        files=[reads_pb2.FileRef(kind=f.kind, id=f.id) for f in files],
        topic=r.topic,
    )


def _window(start, end) -> str:
    return " ".join(f"{k}={v.isoformat()}" for k, v in (("start", start), ("end", end)) if v is not None)
