"""Thin gRPC edge of the partner feeds (issue 23 points 2-4): `audit.v1.PartnerFeedService`.

The agency is the caller's principal's: a request naming another agency is PERMISSION_DENIED (a
partner reads, acknowledges and proves only its own feed); an agency without a configured feed is
NOT_FOUND. `Subscribe` is a server stream, wrapped by the kernel's `stream_rpc` (the role and contract
checked before the first message, errors mapped).
"""

from __future__ import annotations

import asyncio

from audit.v1 import feeds_pb2 as pb, feeds_pb2_grpc
from kernel.domain import errors
from kernel.domain.clock import Clock
from kernel.domain.errors import Forbidden
from kernel.edge.grpc_server import rpc, stream_rpc
from kernel.edge.mapping import timestamp as _ts
from kernel.eventstore.commands import CommandContext
from services.audit.app.checkpoints import Checkpointer
from services.audit.app.feeds import Backlog, Feeds

HEARTBEAT_SECONDS = 15.0  # a caught-up stream says so this often while no entry comes
POLL_SECONDS = 0.2  # how often a caught-up stream looks for new entries


def _entry(row) -> pb.FeedEntry:
    return pb.FeedEntry(
        position=row["position"],
        entry=bytes(row["entry"]),
        leaf_index=row["leaf_index"],
        event_id=row["event_id"],
        event_type=row["event_type"],
        recorded_at=_ts(row["recorded_at"]),
    )


def _backlog(b: Backlog) -> pb.FeedBacklog:
    return pb.FeedBacklog(
        agency=b.agency,
        size=b.size,
        acknowledged=b.acknowledged,
        backlog=b.backlog,
        acknowledged_at=_ts(b.acknowledged_at) if b.acknowledged_at else None,
        checkpointed=b.checkpointed,
    )


class PartnerFeedServicer(feeds_pb2_grpc.PartnerFeedServiceServicer):
    def __init__(self, feeds: Feeds, ledger_checkpoints: Checkpointer, clock: Clock):
        self.feeds, self.ledger_checkpoints, self.clock = feeds, ledger_checkpoints, clock

    def _agency(self, call: CommandContext, named: str) -> str:
        """The caller's agency, which a request may name; another is refused (PERMISSION_DENIED)."""
        own = call.principal.agency
        named = named.strip()
        if named and named != own:
            raise Forbidden(f"agency {own!r} may read only its own feed, not {named!r}'s")
        return self.feeds.check_agency(own)

    @stream_rpc("audit.feed")
    async def Subscribe(self, request, context, call):
        agency = self._agency(call, request.agency)
        position = request.from_position
        held = await self.feeds.size(agency)
        if position > held:
            raise errors.IllegalState(
                f"feed {agency} of {held} entries", f"subscribe from position {position} (at most {held})"
            )
        said_at = None  # when the stream last said it was caught up
        loop = asyncio.get_running_loop()
        while True:
            rows = await self.feeds.page(agency, position)
            for row in rows:  # one at a time: the write waits for the client's flow-control window
                yield pb.SubscribeResponse(entry=_entry(row))
                position = row["position"] + 1
            if rows:
                said_at = None
                continue
            if said_at is None or loop.time() - said_at >= HEARTBEAT_SECONDS:
                yield pb.SubscribeResponse(caught_up=pb.CaughtUp(size=position, at=_ts(self.clock.now())))
                said_at = loop.time()
            await asyncio.sleep(POLL_SECONDS)

    @rpc("audit.feed")
    async def Acknowledge(self, request, context, call):
        agency = self._agency(call, request.agency)
        b = await self.feeds.acknowledge(agency, request.position, call.principal.user)
        return pb.AcknowledgeResponse(acknowledged=b.acknowledged, size=b.size, backlog=b.backlog)

    @rpc("audit.feed")
    async def GetFeedCheckpoint(self, request, context, call):
        agency = self._agency(call, request.agency)
        latest = await self.feeds.checkpointer.latest(agency)
        if latest is None:
            raise errors.NotFound("feed checkpoint", agency)
        return pb.GetFeedCheckpointResponse(
            note=latest.note,
            tree_size=latest.tree_size,
            root_hash=latest.root,
            origin=self.feeds.checkpointer.signers[agency].name,
            signed_at=_ts(latest.signed_at),
            agency=agency,
        )

    @rpc("audit.feed")
    async def GetFeedProof(self, request, context, call):
        agency = self._agency(call, request.agency)
        p = await self.feeds.proof(agency, request.position, request.tree_size)
        return pb.GetFeedProofResponse(
            position=p.position,
            tree_size=p.tree_size,
            entry_hash=p.entry_hash,
            hashes=p.hashes,
            root_hash=p.root,
            checkpoint=p.checkpoint,
            leaf_index=p.leaf_index,
            ledger_size=p.ledger_size,
            ledger_leaf_hash=p.ledger_leaf_hash,
            ledger_hashes=p.ledger_hashes,
            ledger_root_hash=p.ledger_root,
            ledger_checkpoint=p.ledger_checkpoint,
        )

    @rpc("audit.verify")  # public keys are for everyone to pin, like the ledger's (GetLedgerPublicKey)
    async def ListPublicKeys(self, request, context, call):
        ledger = self.ledger_checkpoints.signer
        keys = [pb.PublicKey(log="ledger", origin=self.ledger_checkpoints.origin, **_key(ledger))]
        keys += [
            pb.PublicKey(log=f"feed/{agency}", agency=agency, origin=signer.name, **_key(signer))
            for agency, signer in sorted(self.feeds.checkpointer.signers.items())
        ]
        return pb.ListPublicKeysResponse(keys=keys)

    @rpc("audit.feed_backlog")
    async def ListFeedBacklogs(self, request, context, call):
        return pb.ListFeedBacklogsResponse(feeds=[_backlog(b) for b in await self.feeds.backlogs()])


def _key(signer) -> dict:
    return dict(verifier_key=signer.verifier_key, key_id=signer.key_hash.hex(), public_key=signer.public_key_bytes)
