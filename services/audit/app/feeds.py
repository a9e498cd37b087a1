"""Partner feeds (issue 23 point 2): each agency's feed as a verifiable log of its own.

A feed is a projection of the ledger (`app.projections`, a kernel `Log` projection, rebuildable):
its index turns each new leaf into one entry per agency the feed configuration selects
(`domain.feeds.views`: the redacted view, an allow-list) at that agency's next position, in the
ingest transaction under the ledger's head lock, so a feed never misses or repeats a leaf; after a
restart, or for a feed new to an older ledger, the kernel's catch-up indexes what was left.

An entry's bytes are `domain.feeds.entry_bytes` (canonical JSON of the agency, position, source
leaf index, the envelope's identity and domain time, when audit recorded the leaf, the view). Its
`recorded_at` is the source leaf's `ingested_at` (the ingest transaction's time), so live
indexing and a rebuild write the same bytes. The live table's entries are also the leaves of the
agency's RFC 6962 tree (`feed_nodes`, `feed_heads`: stored like the ledger's, `merkle.CompactRange`),
whose checkpoints (`feed_checkpoints`) are signed with the feed's own Ed25519 key, origin
`<ledger origin>/feed/<agency>`, by `FeedCheckpointer` with the ledger's fork check. A rebuild fills
a shadow table only: the trees are never recomputed (`verify_feed` checks them).

Tables (the Kafka relay `app.feed_publisher` reads `feed_entries` by agency and position):
  feed_entries(agency, position, leaf_index, event_id, event_type, stream_id, entry, recorded_at)
  feed_nodes(agency, level, idx, hash)      perfect subtrees of each feed's tree
  feed_heads(agency, size, peaks)           each feed tree's right border
  feed_checkpoints(agency, tree_size, root, note, signed_at)
  feed_acks(agency, position, acked_at, acked_by)   the positions a partner acknowledged
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from google.protobuf import descriptor_pool, message_factory
from google.protobuf.message import Message

from cases.v1 import events_pb2 as _cases  # noqa: F401 - registers the contracts' types for decoding
from clues.v1 import events_pb2 as _clues  # noqa: F401
from kernel.domain.errors import IllegalState, NotFound, Validation
from kernel.edge.tokens import load_or_create_private_key
from kernel.eventstore import projections as kp
from kernel.eventstore.envelope import Envelope
from kernel.runtime import log as klog
from sanctions.v1 import events_pb2 as _sanctions  # noqa: F401
from services.audit.app import ledger
from services.audit.domain import feeds as rules
from services.audit.domain.checkpoint import Checkpoint, NoteSigner
from services.audit.domain.merkle import (
    EMPTY_ROOT,
    CompactRange,
    Node,
    ProofError,
    consistency_proof_nodes,
    decompose,
    inclusion_proof_nodes,
    leaf_hash,
    range_hash,
    verify_consistency,
)

TABLE = "feed_entries"
PAGE = 256  # entries read from the store at a time by a subscriber

ENTRIES_SQL = """
CREATE TABLE IF NOT EXISTS {s}.{t} (
    agency      text        NOT NULL,
    position    bigint      NOT NULL,   -- 0, 1, 2, ... per agency: the entry's leaf in the feed tree
    leaf_index  bigint      NOT NULL,   -- the source event's leaf in the ledger
    event_id    uuid        NOT NULL,
    event_type  text        NOT NULL,
    stream_id   text        NOT NULL,
    entry       bytea       NOT NULL,   -- domain.feeds.entry_bytes: what the feed tree hashes
    recorded_at timestamptz NOT NULL,   -- the source leaf's ingested_at
    PRIMARY KEY (agency, position)
);
CREATE INDEX IF NOT EXISTS {t}_leaf ON {s}.{t} (leaf_index);
"""
TREES_SQL = """
CREATE TABLE IF NOT EXISTS {s}.feed_heads (
    agency text    PRIMARY KEY,
    size   bigint  NOT NULL,
    peaks  bytea[] NOT NULL
);
CREATE TABLE IF NOT EXISTS {s}.feed_nodes (
    agency text     NOT NULL,
    level  smallint NOT NULL,
    idx    bigint   NOT NULL,
    hash   bytea    NOT NULL,
    PRIMARY KEY (agency, level, idx)
);
CREATE TABLE IF NOT EXISTS {s}.feed_checkpoints (
    agency    text   NOT NULL,
    tree_size bigint NOT NULL,
    root      bytea  NOT NULL,
    note      bytea  NOT NULL,
    signed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agency, tree_size)
);
CREATE TABLE IF NOT EXISTS {s}.feed_acks (
    agency   text        NOT NULL,
    position bigint      NOT NULL,   -- every entry up to and including it is processed
    acked_at timestamptz NOT NULL DEFAULT now(),
    acked_by text        NOT NULL,   -- the partner's user
    PRIMARY KEY (agency, position)
);
"""

_config: rules.FeedConfig | None = None


def configure(config: rules.FeedConfig | None) -> None:
    """The feed configuration the index selects with (the service's, loaded and checked at start)."""
    global _config
    _config = config


def config() -> rules.FeedConfig:
    """The configured feeds; unless `configure`d, the shipped file (PARTNER_FEEDS_FILE overrides)."""
    global _config
    if _config is None:
        from services.audit.app.feed_config import load_feed_config  # checks it against the contracts

        _config = load_feed_config()
    return _config


async def create(conn, schema: str, table: str = TABLE) -> None:
    """The entries' table (live, or a rebuild's shadow)."""
    await conn.execute(ENTRIES_SQL.format(s=schema, t=table))


async def create_trees(conn, schema: str) -> None:
    await conn.execute(TREES_SQL.format(s=schema))


def payload_of(env: Envelope) -> Message | None:
    """The envelope's payload by reflection over the published contracts; None for a type this
    build does not know (no feed receives it)."""
    try:
        descriptor = descriptor_pool.Default().FindMessageTypeByName(env.payload.TypeName())
    except KeyError:
        return None
    msg = message_factory.GetMessageClass(descriptor)()
    return msg if env.payload.Unpack(msg) else None


async def _next_positions(conn, schema: str, table: str, agencies: list[str]) -> dict[str, int]:
    rows = await conn.fetch(
        f"SELECT a, (SELECT max(position) FROM {schema}.{table} WHERE agency = a) AS last FROM unnest($1::text[]) a",
        agencies,
    )
    return {r["a"]: -1 if r["last"] is None else r["last"] for r in rows}


async def index(conn, schema: str, events: list[tuple[Envelope, int]], table: str = TABLE) -> int:
    """Entries of freshly appended leaves, per selected agency at its next position; for the live
    table, appended to each agency's tree too. Rows written."""
    cfg = config()
    wanted = cfg.event_types()
    chosen = [(env, leaf) for env, leaf in events if env.event_type in wanted]
    if not chosen:
        return 0
    selected = []
    for env, leaf in chosen:
        payload = payload_of(env)
        if payload is not None:
            for agency, view in sorted(rules.views(cfg, env, payload).items()):
                selected.append((agency, env, leaf, view))
    if not selected:
        return 0
    times = {
        r["leaf_index"]: r["ingested_at"]
        for r in await conn.fetch(
            f"SELECT leaf_index, ingested_at FROM {schema}.recorded_events WHERE leaf_index = ANY($1::bigint[])",
            sorted({leaf for _, _, leaf, _ in selected}),
        )
    }
    last = await _next_positions(conn, schema, table, sorted({a for a, *_ in selected}))
    rows, leaves = [], {}
    for agency, env, leaf, view in selected:
        last[agency] += 1
        raw = rules.entry_bytes(agency, last[agency], leaf, env, times[leaf], view)
        rows.append((agency, last[agency], leaf, env.event_id, env.event_type, env.stream_id, raw, times[leaf]))
        leaves.setdefault(agency, []).append(leaf_hash(raw))
    await conn.copy_records_to_table(
        table,
        schema_name=schema,
        records=rows,
        columns=["agency", "position", "leaf_index", "event_id", "event_type", "stream_id", "entry", "recorded_at"],
    )
    if table == TABLE:
        await _append_to_trees(conn, schema, leaves)
    return len(rows)


async def _append_to_trees(conn, schema: str, leaves: dict[str, list[bytes]]) -> None:
    heads = {
        r["agency"]: CompactRange(r["size"], tuple(bytes(p) for p in r["peaks"]))
        for r in await conn.fetch(
            f"SELECT agency, size, peaks FROM {schema}.feed_heads WHERE agency = ANY($1::text[]) FOR UPDATE",
            list(leaves),
        )
    }
    nodes, moved = [], []
    for agency, hashes in leaves.items():
        new, completed = heads.get(agency, CompactRange()).append(hashes)
        nodes += [(agency, n.level, n.index, h) for n, h in completed]
        moved.append((agency, new.size, list(new.peaks)))
    await conn.copy_records_to_table(
        "feed_nodes", schema_name=schema, records=nodes, columns=["agency", "level", "idx", "hash"]
    )
    await conn.executemany(
        f"INSERT INTO {schema}.feed_heads (agency, size, peaks) VALUES ($1, $2, $3) "
        f"ON CONFLICT (agency) DO UPDATE SET size = EXCLUDED.size, peaks = EXCLUDED.peaks",
        moved,
    )


@dataclass(frozen=True)
class SignedLog(kp.Log):
    """The ledger as the feeds' source, whose rebuild never replaces a live entry: the entries are
    the leaves of signed trees. A rebuild that differs (the configuration changed since the entries
    were made, or the table was altered) reports the differing source leaves as failing their
    check, so the kernel keeps the live table (`kernel.eventstore.projections.rebuild`)."""

    async def rest(self, conn, schema, live, shadow, done, tick, chunk, start, replace):
        size = await super().rest(conn, schema, live, shadow, done, tick, chunk, start, replace)
        if replace and done.mismatched is not None:
            differing = await conn.fetch(
                f"SELECT DISTINCT leaf_index FROM ((TABLE {schema}.{shadow} EXCEPT ALL TABLE {schema}.{live}) "
                f"UNION ALL (TABLE {schema}.{live} EXCEPT ALL TABLE {schema}.{shadow})) d ORDER BY 1"
            )
            done.mismatched.extend(r["leaf_index"] for r in differing)
        return size


def signed(log: kp.Log) -> SignedLog:
    """`log` as the source of the feeds (see `SignedLog`)."""
    own = {f.name: getattr(log, f.name) for f in dataclasses.fields(log)}
    own["on_mismatch"] = (
        "feed entries are signed and never replaced: check the feeds with python -m services.audit.verify_feed "
        "and whether deploy/config/partner_feeds.toml changed since they were made"
    )
    return SignedLog(**own)


# -- reading a feed -------------------------------------------------------------------------------


async def size(conn, schema: str, agency: str) -> int:
    return await conn.fetchval(f"SELECT size FROM {schema}.feed_heads WHERE agency = $1", agency) or 0


async def page(conn, schema: str, agency: str, start: int, limit: int = PAGE):
    """Entries start.. of the agency's feed, at most `limit`, in position order."""
    return await conn.fetch(
        f"SELECT position, leaf_index, event_id::text AS event_id, event_type, stream_id, entry, recorded_at "
        f"FROM {schema}.{TABLE} WHERE agency = $1 AND position >= $2 ORDER BY position LIMIT $3",
        agency,
        start,
        limit,
    )


async def hashes_of(conn, schema: str, agency: str, groups: list[list[Node]]) -> list[bytes]:
    """Each group's subtree hash in the agency's feed tree, from its stored perfect nodes."""
    wanted = sorted({n for g in groups for n in g}, key=lambda n: (n.level, n.index))
    rows = await conn.fetch(
        f"SELECT n.level, n.idx, n.hash FROM {schema}.feed_nodes n "
        f"JOIN unnest($2::smallint[], $3::bigint[]) AS w(level, idx) ON n.level = w.level AND n.idx = w.idx "
        f"WHERE n.agency = $1",
        agency,
        [n.level for n in wanted],
        [n.index for n in wanted],
    )
    found = {Node(r["level"], r["idx"]): bytes(r["hash"]) for r in rows}
    missing = [n for n in wanted if n not in found]
    if missing:
        raise LookupError(f"feed {agency}: nodes missing from the store: {missing[:3]}")
    return [range_hash([found[n] for n in g]) for g in groups]


async def root_at(conn, schema: str, agency: str, tree_size: int) -> bytes:
    if tree_size == 0:
        return EMPTY_ROOT
    [root] = await hashes_of(conn, schema, agency, [decompose(0, tree_size)])
    return root


# -- keys and checkpoints -------------------------------------------------------------------------


def origin_of(ledger_origin: str, agency: str) -> str:
    """A feed's origin line (and key name): `<ledger origin>/feed/<agency>`."""
    return f"{ledger_origin}/feed/{agency}"


def key_file(key_dir: Path, agency: str) -> Path:
    return Path(key_dir) / f"feed-{agency}.key"


def load_signers(key_dir: Path, ledger_origin: str, agencies) -> dict[str, NoteSigner]:
    """Each feed's signer, its Ed25519 key read from `key_dir`/feed-<agency>.key (generated on
    first run, the public half beside it as `.pub`)."""
    return {
        a: NoteSigner(origin_of(ledger_origin, a), load_or_create_private_key(key_file(key_dir, a)))
        for a in sorted(agencies)
    }


@dataclass(frozen=True)
class Signed:
    agency: str
    tree_size: int
    root: bytes
    note: bytes
    signed_at: datetime


def _signed(row) -> Signed:
    return Signed(row["agency"], row["tree_size"], bytes(row["root"]), bytes(row["note"]), row["signed_at"])


class FeedCheckpointRefused(Exception):
    """A stored feed tree does not extend its last signed checkpoint: the store was altered."""


class FeedCheckpointer:
    """Signs each feed's checkpoints with the feed's own key when it grew; never a fork."""

    def __init__(self, pool, schema: str, signers: dict[str, NoteSigner]):
        self.pool, self.schema, self.signers = pool, schema, signers
        self.log = klog.get("audit.feeds")

    async def latest(self, agency: str, conn=None) -> Signed | None:
        query = f"SELECT * FROM {self.schema}.feed_checkpoints WHERE agency = $1 ORDER BY tree_size DESC LIMIT 1"
        row = await (conn.fetchrow(query, agency) if conn else self.pool.fetchrow(query, agency))
        return _signed(row) if row else None

    async def at_size(self, conn, agency: str, tree_size: int) -> bytes:
        note = await conn.fetchval(
            f"SELECT note FROM {self.schema}.feed_checkpoints WHERE agency = $1 AND tree_size = $2", agency, tree_size
        )
        return bytes(note) if note else b""

    async def sign(self, agency: str) -> Signed | None:
        """Sign the agency's feed as it stands if it grew since its last checkpoint; the latest
        either way (None while the feed is empty and never signed)."""
        signer = self.signers[agency]
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"feed-checkpoint:{self.schema}:{agency}"
            )
            last = await self.latest(agency, conn)
            held = await size(conn, self.schema, agency)
            if (last and last.tree_size >= held) or (last is None and held == 0):
                return last
            root = await root_at(conn, self.schema, agency, held)
            if last:
                proof = await hashes_of(conn, self.schema, agency, consistency_proof_nodes(last.tree_size, held))
                try:
                    verify_consistency(last.tree_size, held, proof, last.root, root)
                except ProofError as e:
                    self.log.error(
                        "audit.feed_checkpoint_refused",
                        agency=agency,
                        last_size=last.tree_size,
                        size=held,
                        problem=str(e),
                    )
                    raise FeedCheckpointRefused(
                        f"feed {agency}: the stored tree of {held} does not extend checkpoint {last.tree_size}: {e}"
                    ) from e
            note = signer.sign(Checkpoint(signer.name, held, root).body())
            row = await conn.fetchrow(
                f"INSERT INTO {self.schema}.feed_checkpoints (agency, tree_size, root, note) VALUES ($1, $2, $3, $4) "
                f"RETURNING *",
                agency,
                held,
                root,
                note,
            )
        self.log.info("audit.feed_checkpoint_signed", agency=agency, tree_size=held, root=root.hex())
        return _signed(row)

    async def sign_all(self) -> None:
        for agency in self.signers:
            try:
                await self.sign(agency)
            except FeedCheckpointRefused:
                pass  # logged as an error; the other feeds are signed still

    async def run(self, interval_seconds: float) -> None:
        """Sign every grown feed at an interval until cancelled."""
        while True:
            try:
                await self.sign_all()
            except Exception as e:  # noqa: BLE001 - keep signing later; the store may be back
                self.log.warning("audit.feed_checkpoint_failed", error=repr(e))
            await asyncio.sleep(interval_seconds)


# -- proofs, acknowledgements, backlogs ----------------------------------------------------------


@dataclass(frozen=True)
class FeedProof:
    position: int
    tree_size: int
    entry_hash: bytes
    hashes: list[bytes]
    root: bytes
    checkpoint: bytes
    leaf_index: int
    ledger_size: int
    ledger_leaf_hash: bytes
    ledger_hashes: list[bytes]
    ledger_root: bytes
    ledger_checkpoint: bytes


@dataclass(frozen=True)
class Backlog:
    agency: str
    size: int
    acknowledged: int  # entries acknowledged: the last acknowledged position + 1
    acknowledged_at: datetime | None
    checkpointed: int

    @property
    def backlog(self) -> int:
        return self.size - self.acknowledged


class Feeds:
    """The feeds' reads and the partners' acknowledgements, for the servicer."""

    def __init__(self, pool, schema: str, checkpointer: FeedCheckpointer, ledger_checkpoints):
        """`ledger_checkpoints`: the ledger's `app.checkpoints.Checkpointer` (source leaves' proofs)."""
        self.pool, self.schema, self.checkpointer = pool, schema, checkpointer
        self.ledger_checkpoints = ledger_checkpoints

    @property
    def agencies(self) -> list[str]:
        return list(self.checkpointer.signers)

    def check_agency(self, agency: str) -> str:
        if agency not in self.checkpointer.signers:
            raise NotFound("feed", agency)
        return agency

    async def size(self, agency: str) -> int:
        async with self.pool.acquire() as conn:
            return await size(conn, self.schema, agency)

    async def page(self, agency: str, start: int, limit: int | None = None):
        async with self.pool.acquire() as conn:
            return await page(conn, self.schema, agency, start, limit or PAGE)

    async def acknowledge(self, agency: str, position: int, by: str) -> Backlog:
        """Every entry up to and including `position` processed; a position at or below the one
        acknowledged changes nothing (an acknowledgement is a watermark: repeating it is harmless)."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"feed-ack:{self.schema}:{agency}"
            )
            held = await size(conn, self.schema, agency)
            if position >= held:
                raise IllegalState(
                    f"feed {agency} of {held} entries", f"acknowledge position {position} (positions 0..{held - 1})"
                )
            acked = await conn.fetchval(f"SELECT max(position) FROM {self.schema}.feed_acks WHERE agency = $1", agency)
            if acked is None or position > acked:
                await conn.execute(
                    f"INSERT INTO {self.schema}.feed_acks (agency, position, acked_by) VALUES ($1, $2, $3)",
                    agency,
                    position,
                    by,
                )
        return await self.backlog(agency)

    async def backlog(self, agency: str) -> Backlog:
        return (await self.backlogs([agency]))[0]

    async def backlogs(self, agencies: list[str] | None = None) -> list[Backlog]:
        agencies = sorted(agencies or self.agencies)
        rows = await self.pool.fetch(
            f"SELECT a, coalesce(h.size, 0) AS size, k.position AS acked, k.acked_at, "
            f"coalesce((SELECT max(tree_size) FROM {self.schema}.feed_checkpoints c WHERE c.agency = a), 0) AS cp "
            f"FROM unnest($1::text[]) a LEFT JOIN {self.schema}.feed_heads h ON h.agency = a "
            f"LEFT JOIN LATERAL (SELECT position, acked_at FROM {self.schema}.feed_acks WHERE agency = a "
            f"ORDER BY position DESC LIMIT 1) k ON true ORDER BY a",
            agencies,
        )
        return [
            Backlog(r["a"], r["size"], 0 if r["acked"] is None else r["acked"] + 1, r["acked_at"], r["cp"])
            for r in rows
        ]

    async def proof(self, agency: str, position: int, tree_size: int) -> FeedProof:
        """The entry's inclusion in its feed at a signed feed checkpoint (`tree_size`, or 0: the
        latest, signed now if it does not cover the entry yet) and its source leaf's in the ledger
        at the latest signed ledger checkpoint (signed now if it does not cover the leaf yet)."""
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                f"SELECT leaf_index, entry FROM {self.schema}.{TABLE} WHERE agency = $1 AND position = $2",
                agency,
                position,
            )
        if row is None:
            raise NotFound("feed entry", str(position))
        if tree_size == 0:
            latest = await self.checkpointer.latest(agency)
            if latest is None or latest.tree_size <= position:
                latest = await self.checkpointer.sign(agency)
            tree_size = latest.tree_size
        leaf = row["leaf_index"]
        ledger_cp = await self.ledger_checkpoints.latest()
        if ledger_cp is None or ledger_cp.tree_size <= leaf:
            ledger_cp = await self.ledger_checkpoints.sign()
        async with self.pool.acquire() as conn:
            held = await size(conn, self.schema, agency)
            if tree_size > held:
                raise Validation("tree_size", f"{tree_size} is beyond the feed's {held} entries")
            if position >= tree_size:
                raise IllegalState(f"feed tree size {tree_size}", f"prove position {position} (ask for a larger size)")
            *path, root = await hashes_of(
                conn, self.schema, agency, inclusion_proof_nodes(position, tree_size) + [decompose(0, tree_size)]
            )
            checkpoint = await self.checkpointer.at_size(conn, agency, tree_size)
            if not checkpoint:
                raise IllegalState(
                    f"feed tree size {tree_size} (no checkpoint signed at it)", "prove against a signed checkpoint"
                )
            *ledger_path, ledger_root, ledger_leaf = await ledger.hashes_of(
                conn,
                self.schema,
                inclusion_proof_nodes(leaf, ledger_cp.tree_size) + [decompose(0, ledger_cp.tree_size), [Node(0, leaf)]],
            )
        return FeedProof(
            position,
            tree_size,
            leaf_hash(bytes(row["entry"])),
            path,
            root,
            checkpoint,
            leaf,
            ledger_cp.tree_size,
            ledger_leaf,
            ledger_path,
            ledger_root,
            ledger_cp.note,
        )
