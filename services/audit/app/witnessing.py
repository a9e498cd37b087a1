"""Witnessing the ledger's checkpoints (c2sp.org/tlog-witness, tlog-cosignature, tlog-policy; issue 25).

After the ledger signs a checkpoint, audit submits it to every witness of its policy that has a URL:
`POST <url>/add-checkpoint` with `old <size the witness last cosigned>`, the consistency proof from
that size (from the ledger's stored nodes) and the signed note. A witness cosigns only a tree that
extends the last one it cosigned, so once a quorum of independent witnesses has cosigned a
checkpoint, nobody (audit's operators included) can show one party a different history than another
without being caught. Valid cosignatures are stored; the first time the policy's quorum is met the
checkpoint is recorded as witnessed, with the seconds it took.

A witness that is down or refuses is logged and shown in `statuses()` (ListWitnesses) and in the
service status as degraded; it never fails the caller, never blocks ingest (the background loop is
its own task), and is asked again at the next round.
"""

from __future__ import annotations

import asyncio
import base64
import time
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import aiohttp

from kernel.edge.status import DEGRADED, OK, Component
from kernel.eventstore import migrations
from kernel.eventstore.migrations import Migration
from kernel.runtime import log as klog
from services.audit.app import ledger
from services.audit.app.checkpoints import Checkpointer, Signed
from services.audit.domain.checkpoint import NoteError
from services.audit.domain.cosignature import split_note
from services.audit.domain.merkle import consistency_proof_nodes
from services.audit.domain.policy import NO_WITNESSES, Policy, PolicyError, PolicyWitness, parse_policy

TABLES_SQL = """
CREATE TABLE IF NOT EXISTS {s}.witness_cosignatures (
    tree_size   bigint NOT NULL,
    witness     text   NOT NULL,       -- the witness's cosignature verifier key (vkey)
    line        text   NOT NULL,       -- the note signature line it returned, without the newline
    cosigned_at timestamptz NOT NULL,  -- the cosignature's own timestamp
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tree_size, witness)
);
CREATE TABLE IF NOT EXISTS {s}.witnessed_checkpoints (
    tree_size    bigint PRIMARY KEY,
    witnessed_at timestamptz NOT NULL DEFAULT now(),  -- when its cosignatures first met the policy
    seconds      double precision NOT NULL            -- from signing to then
)"""
MIGRATIONS = (Migration("audit.witnessing", 1, "witness cosignatures and witnessed checkpoints", TABLES_SQL),)
DEFAULT_POLICY_FILE = Path(__file__).resolve().parents[3] / "deploy" / "config" / "witnesses.policy"
MAX_ANSWER = 64 * 1024  # a witness's answer is a few signature lines
UNKNOWN, OK_STATE, REFUSING, DOWN = "unknown", "ok", "refusing", "down"


def load_policy(path: Path | str | None = None) -> Policy:
    """The witness policy of `path` (AUDIT_WITNESS_POLICY_FILE), else of the shipped
    deploy/config/witnesses.policy if it exists, else NO_WITNESSES. PolicyError names the file and
    the line; a file given but missing is an error too."""
    file = Path(path) if path else DEFAULT_POLICY_FILE
    if not path and not file.exists():
        return NO_WITNESSES
    try:
        text = file.read_bytes()
    except OSError as e:
        raise PolicyError(f"witness policy {file}: cannot read it ({e.strerror or e})") from None
    try:
        return parse_policy(text)
    except PolicyError as e:
        raise PolicyError(f"witness policy {file}: {e}") from None


@dataclass(frozen=True)
class Witnessed:
    """A signed checkpoint with the cosignatures collected for it. note: the ledger's signed note with
    the cosignature lines appended; cosigners: their key names, in policy order; met: whether they
    meet the policy's quorum (False when no witness is configured); witnessed_at and seconds: when
    the quorum was first met and how long after signing (None while unmet)."""

    tree_size: int
    root: bytes
    note: bytes
    cosigners: tuple[str, ...]
    met: bool
    signed_at: datetime
    witnessed_at: datetime | None = None
    seconds: float | None = None


@dataclass(frozen=True)
class WitnessState:
    """One policy witness as audit last saw it (ListWitnesses). state: unknown (not asked yet, or no
    URL), ok, refusing (it answered with an error status) or down (no answer in time)."""

    name: str
    verifier_key: str
    url: str
    cosigned_size: int = 0
    last_cosigned_at: datetime | None = None
    state: str = UNKNOWN
    last_error: str = ""
    failures: int = 0
    last_latency: float | None = None
    refused: tuple[int, bytes] | None = None  # (size, root) last refused: that checkpoint is not submitted again
    retry_at: float = 0.0  # while down: the time.monotonic() before which it is not asked again


class _Refused(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(f"HTTP {status}: {reason}" if status else reason)
        self.status, self.reason = status, reason


def _reason(text: str) -> str:
    """A witness's error body as one short line (it is shown to operators, never trusted)."""
    line = " ".join(text.split())
    return line[:200] or "(empty body)"


def _size(text: str) -> int | None:
    """The tree size of a 409 answer, "<decimal>\\n" (tlog-witness, add-checkpoint)."""
    digits = text[:-1] if text.endswith("\n") else text
    return int(digits) if digits.isdigit() and (digits == "0" or not digits.startswith("0")) else None


class Witnessing:
    def __init__(
        self,
        pool,
        schema: str,
        policy: Policy,
        checkpoints: Checkpointer,
        timeout: float = 5.0,
        backoff_max: float = 60.0,
    ):
        """policy: the witnesses to ask and the quorum (NO_WITNESSES: witnessing is off); timeout:
        seconds one add-checkpoint request may take before the witness counts as down; a witness
        down is asked again after 1, 2, 4... seconds, at most `backoff_max` (so a witness that does
        not answer does not slow every bundle export by `timeout`)."""
        self.pool, self.schema, self.policy, self.checkpoints = pool, schema, policy or NO_WITNESSES, checkpoints
        self.timeout, self.backoff_max = timeout, backoff_max
        self.log = klog.get("audit.witnessing")
        self._lock = asyncio.Lock()
        self._session: aiohttp.ClientSession | None = None
        self._states = {
            w.verifier.verifier_key: WitnessState(
                w.name, w.verifier.verifier_key, w.url, last_error="" if w.url else "no URL in the policy"
            )
            for w in self.policy.witnesses
        }
        self._loaded = False

    @property
    def enabled(self) -> bool:
        """Whether any policy witness can be asked (has a URL)."""
        return any(w.url for w in self.policy.witnesses)

    async def migrate(self) -> None:
        await migrations.apply(self.pool, self.schema, MIGRATIONS)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # --- collecting cosignatures

    async def witness(self, signed: Signed) -> Witnessed:
        """Ask every policy witness with a URL, concurrently, to cosign `signed` (those that already
        did are not asked again); store the valid cosignatures; record the checkpoint as witnessed the
        first time the quorum is met. Never raises for a witness's failure (it is logged and shown in
        statuses()); returns what is collected so far."""
        if not self.enabled:
            return Witnessed(signed.tree_size, signed.root, signed.note, (), False, signed.signed_at)
        async with self._lock:
            await self._load()
            lines = await self._lines(signed.tree_size)
            ask = [w for w in self.policy.witnesses if w.url and self._should_ask(w, signed, lines)]
            await asyncio.gather(*(self._ask(w, signed) for w in ask))
            return await self._record(signed)

    def _should_ask(self, w: PolicyWitness, signed: Signed, lines: dict[str, str]) -> bool:
        state = self._states[w.verifier.verifier_key]
        if w.verifier.verifier_key in lines:
            return False  # already cosigned this checkpoint
        if state.cosigned_size > signed.tree_size:
            return False  # it has cosigned a larger tree: it cannot cosign this one any more
        if state.state == DOWN and time.monotonic() < state.retry_at:
            return False  # backing off: asked again later (by the background loop at the latest)
        return not (state.state == REFUSING and state.refused == (signed.tree_size, signed.root))

    async def _ask(self, w: PolicyWitness, signed: Signed) -> None:
        key = w.verifier.verifier_key
        state = self._states[key]
        started = time.monotonic()
        try:
            status, text = await self._post(w, signed, state.cosigned_size)
            if status == 409:  # our idea of its size is stale (it restarted, or another submitter)
                size = _size(text)
                if size is None:
                    raise _Refused(409, f"answer {_reason(text)!r} is not a tree size")
                if size > signed.tree_size:
                    self._states[key] = replace(self._states[key], cosigned_size=size)
                    raise _Refused(
                        409, f"it has cosigned size {size}, larger than this checkpoint's {signed.tree_size}"
                    )
                status, text = await self._post(w, signed, size)
            if status != 200:
                raise _Refused(status, _reason(text))
            line, timestamp = self._valid_line(w, signed, text)
        except _Refused as e:
            self._failed(key, REFUSING, str(e), (signed.tree_size, signed.root))
            self.log.warning(
                "audit.witness_refused",
                witness=w.name,
                url=w.url,
                tree_size=signed.tree_size,
                status=e.status,
                reason=e.reason,
            )
            return
        except (aiohttp.ClientError, TimeoutError, OSError) as e:
            problem = str(e) or type(e).__name__
            self._failed(key, DOWN, problem, None)
            self.log.warning("audit.witness_down", witness=w.name, url=w.url, tree_size=signed.tree_size, error=problem)
            return
        except Exception as e:  # noqa: BLE001 - e.g. our own nodes missing: logged, never raised into the caller
            self._failed(key, DOWN, f"audit could not submit: {e!r}", None)
            self.log.error("audit.witness_failed", witness=w.name, tree_size=signed.tree_size, error=repr(e))
            return
        latency = time.monotonic() - started
        cosigned_at = await self.pool.fetchval(
            f"INSERT INTO {self.schema}.witness_cosignatures (tree_size, witness, line, cosigned_at) "
            f"VALUES ($1, $2, $3, to_timestamp($4)) ON CONFLICT (tree_size, witness) DO UPDATE SET line = EXCLUDED.line "
            f"RETURNING received_at",
            signed.tree_size,
            key,
            line,
            float(timestamp),
        )
        self._states[key] = replace(
            self._states[key],
            cosigned_size=signed.tree_size,
            last_cosigned_at=cosigned_at,
            state=OK_STATE,
            last_error="",
            failures=0,
            last_latency=latency,
        )
        self.log.info("audit.witness_cosigned", witness=w.name, tree_size=signed.tree_size, latency=round(latency, 3))

    async def _post(self, w: PolicyWitness, signed: Signed, old: int) -> tuple[int, str]:
        """POST <url>/add-checkpoint: "old <size>", the consistency proof lines, a blank line, the note."""
        async with self.pool.acquire() as conn:
            proof = await ledger.hashes_of(conn, self.schema, consistency_proof_nodes(old, signed.tree_size))
        body = f"old {old}\n" + "".join(base64.b64encode(h).decode("ascii") + "\n" for h in proof) + "\n"
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        url = w.url.rstrip("/") + "/add-checkpoint"
        async with self._session.post(url, data=body.encode("ascii") + signed.note) as response:
            raw = await response.content.read(MAX_ANSWER)
            return response.status, raw.decode("utf-8", "replace")

    def _valid_line(self, w: PolicyWitness, signed: Signed, text: str) -> tuple[str, int]:
        """This witness's valid cosignature line among those it answered (others' keys are ignored,
        tlog-witness "add-checkpoint"); _Refused if there is none or one of its own does not verify."""
        body, _ = split_note(signed.note)
        found = None
        for line in text.split("\n"):
            if not line:
                continue
            try:
                timestamp = w.verifier.timestamp_of(body, line)
            except NoteError as e:
                raise _Refused(200, f"its cosignature does not verify: {e}") from None
            if timestamp is not None and found is None:
                found = (line, timestamp)
        if found is None:
            raise _Refused(200, "its answer carries no cosignature by its policy key")
        return found

    def _failed(self, key: str, state: str, problem: str, refused: tuple[int, bytes] | None) -> None:
        old = self._states[key]
        failures = old.failures + 1
        backoff = min(self.backoff_max, 2.0 ** min(failures - 1, 16))
        self._states[key] = replace(
            old,
            state=state,
            last_error=problem,
            failures=failures,
            refused=refused,
            retry_at=time.monotonic() + backoff if state == DOWN else 0.0,
        )

    async def _record(self, signed: Signed) -> Witnessed:
        """The checkpoint with its stored cosignatures; inserts witnessed_checkpoints when the quorum is
        met for the first time (and logs audit.checkpoint_witnessed)."""
        lines = await self._lines(signed.tree_size)
        witnessed = self._assemble(signed, lines)
        if not witnessed.met:
            return witnessed
        row = await self.pool.fetchrow(
            f"INSERT INTO {self.schema}.witnessed_checkpoints (tree_size, seconds) "
            f"VALUES ($1, extract(epoch FROM now() - $2::timestamptz)) ON CONFLICT (tree_size) DO NOTHING "
            f"RETURNING witnessed_at, seconds",
            signed.tree_size,
            signed.signed_at,
        )
        if row is not None:
            self.log.info(
                "audit.checkpoint_witnessed",
                tree_size=signed.tree_size,
                seconds=round(row["seconds"], 3),
                cosigners=list(witnessed.cosigners),
            )
        else:
            row = await self.pool.fetchrow(
                f"SELECT witnessed_at, seconds FROM {self.schema}.witnessed_checkpoints WHERE tree_size = $1",
                signed.tree_size,
            )
        return replace(witnessed, witnessed_at=row["witnessed_at"], seconds=row["seconds"])

    def _assemble(self, signed: Signed, lines: dict[str, str]) -> Witnessed:
        ours = [w for w in self.policy.witnesses if w.verifier.verifier_key in lines]
        note = signed.note + "".join(lines[w.verifier.verifier_key] + "\n" for w in ours).encode("utf-8")
        met = bool(self.policy.witnesses) and self.policy.satisfied_by(w.name for w in ours)
        return Witnessed(
            signed.tree_size, signed.root, note, tuple(w.verifier.name for w in ours), met, signed.signed_at
        )

    async def _lines(self, tree_size: int) -> dict[str, str]:
        rows = await self.pool.fetch(
            f"SELECT witness, line FROM {self.schema}.witness_cosignatures WHERE tree_size = $1", tree_size
        )
        return {r["witness"]: r["line"] for r in rows}

    async def _load(self) -> None:
        """Once: each witness's last cosigned size and time from the store (so a restarted audit
        submits from where the witness is, without a 409 round trip)."""
        if self._loaded:
            return
        rows = await self.pool.fetch(
            f"SELECT DISTINCT ON (witness) witness, tree_size, received_at FROM {self.schema}.witness_cosignatures "
            f"ORDER BY witness, tree_size DESC"
        )
        for r in rows:
            if (state := self._states.get(r["witness"])) is not None:
                self._states[r["witness"]] = replace(
                    state, cosigned_size=r["tree_size"], last_cosigned_at=r["received_at"]
                )
        self._loaded = True

    # --- reading

    async def latest_witnessed(self) -> Witnessed | None:
        """The latest checkpoint whose stored cosignatures meet the current policy; None if none (or
        no witness is configured)."""
        if not self.policy.witnesses:
            return None
        rows = await self.pool.fetch(
            f"SELECT w.tree_size, w.witnessed_at, w.seconds, c.root, c.note, c.signed_at "
            f"FROM {self.schema}.witnessed_checkpoints w JOIN {self.schema}.checkpoints c USING (tree_size) "
            f"ORDER BY w.tree_size DESC LIMIT 20"
        )
        for r in rows:
            signed = Signed(r["tree_size"], bytes(r["root"]), bytes(r["note"]), r["signed_at"])
            witnessed = self._assemble(signed, await self._lines(signed.tree_size))
            if witnessed.met:  # a policy made stricter since may not be met by older cosignatures
                return replace(witnessed, witnessed_at=r["witnessed_at"], seconds=r["seconds"])
        return None

    async def statuses(self) -> list[WitnessState]:
        """Every policy witness, in policy order, as last seen."""
        await self._load()
        return [self._states[w.verifier.verifier_key] for w in self.policy.witnesses]

    async def status(self) -> Component:
        """For the service status (host.status.register): a witness down or refusing makes it
        degraded, never failing: the ledger goes on and its checkpoints are witnessed later."""
        states = await self.statuses()
        problems = tuple(
            f"witness {s.name} ({s.url}) is {s.state}: {s.last_error} ({s.failures} failure(s) in a row); "
            f"checkpoints are still signed, and witnessed when enough witnesses answer"
            for s in states
            if s.state in (REFUSING, DOWN)
        )
        counters = {f"cosigned_size {s.name}": s.cosigned_size for s in states}
        counters["witnesses"] = len(states)
        return Component(
            name="ledger witnesses", state=DEGRADED if problems else OK, counters=counters, problems=problems
        )

    async def run(self, interval_seconds: float) -> None:
        """Witness the latest signed checkpoint at an interval until cancelled (a separate task:
        witnessing never blocks ingest or signing). Witnesses that already cosigned it are not asked
        again; those down are asked each round."""
        if not self.enabled:
            return
        while True:
            try:
                latest = await self.checkpoints.latest()
                if latest is not None:
                    await self.witness(latest)
            except Exception as e:  # noqa: BLE001 - keep witnessing later; the store may be back
                self.log.warning("audit.witnessing_failed", error=repr(e))
            await asyncio.sleep(interval_seconds)
