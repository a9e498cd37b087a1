"""The witness's state in one SQLite file (stdlib sqlite3; WAL, synchronous=FULL).

`latest` holds, per log origin, the checkpoint last cosigned: its size and root, the note as verified
(checkpoint text and the trusted log signatures) and the cosignature's timestamp. Ed25519 signatures are
deterministic, so the witness's cosignature line is recomputed from (note text, cosigned_at) whenever the
checkpoint is served: the row is all the state there is.

`evidence` keeps every refusal that shows a log misbehaving (rollback, fork, failed proof), with the
request's bytes, so the operator can show it to others (tlog-witness: the witness MAY log such requests).

tlog-witness requires the old-size check and the update to be atomic, else two requests can roll the
log back (its race of requests A and B). `add_checkpoint` reads the latest row, decides and records the
outcome in ONE `BEGIN IMMEDIATE` transaction, which takes SQLite's write lock first: safe across threads
and processes sharing the file. The caller cosigns only after it returned, i.e. after the commit.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from services.audit.domain.checkpoint import NoteVerifier
from tools.witness.protocol import AddCheckpoint, Cosign, Refuse, decide

_SCHEMA = """
CREATE TABLE IF NOT EXISTS latest (
    origin TEXT PRIMARY KEY,       -- the log's origin line
    size INTEGER NOT NULL,         -- tree size last cosigned
    root BLOB NOT NULL,            -- its 32-byte root hash
    note BLOB NOT NULL,            -- checkpoint text + the trusted log signature lines that verified
    cosigned_at INTEGER NOT NULL   -- POSIX timestamp of our cosignature
);
CREATE TABLE IF NOT EXISTS evidence (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at INTEGER NOT NULL,  -- POSIX time the request arrived
    origin TEXT NOT NULL,
    status INTEGER NOT NULL,       -- HTTP status answered (409, 422)
    reason TEXT NOT NULL,
    request BLOB NOT NULL          -- the add-checkpoint body, verbatim
);
"""


@dataclass(frozen=True)
class Latest:
    origin: str
    size: int
    root: bytes
    note: bytes
    cosigned_at: int


@dataclass(frozen=True)
class Evidence:
    id: int
    received_at: int
    origin: str
    status: int
    reason: str
    request: bytes


class WitnessStore:
    """One connection, used by one thread at a time (calls are serialised by a lock; run them in a
    worker thread from asyncio). Other processes may share the file."""

    def __init__(self, path: str | Path, busy_timeout: float = 30.0):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, timeout=busy_timeout, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        with self._lock:
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def add_checkpoint(
        self,
        request: AddCheckpoint,
        trusted: Mapping[str, Sequence[NoteVerifier]],
        now: int,
        raw: bytes,
    ) -> Cosign | Refuse:
        """Decide `request` against the latest row of its origin and record the outcome (the new latest,
        or the evidence), atomically. `now` is the POSIX time: cosigned_at or received_at."""
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute("SELECT size, root FROM latest WHERE origin = ?", (request.origin,)).fetchone()
                outcome = decide(request, trusted, (row[0], bytes(row[1])) if row else None)
                if isinstance(outcome, Cosign):
                    db.execute(
                        "INSERT INTO latest (origin, size, root, note, cosigned_at) VALUES (?, ?, ?, ?, ?)"
                        " ON CONFLICT (origin) DO UPDATE SET size = excluded.size, root = excluded.root,"
                        " note = excluded.note, cosigned_at = excluded.cosigned_at",
                        (request.origin, outcome.checkpoint.size, outcome.checkpoint.root, outcome.note, now),
                    )
                elif outcome.evidence:
                    db.execute(
                        "INSERT INTO evidence (received_at, origin, status, reason, request) VALUES (?, ?, ?, ?, ?)",
                        (now, request.origin, outcome.status, outcome.reason, bytes(raw)),
                    )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return outcome

    def latest(self, origin: str) -> Latest | None:
        with self._lock:
            row = self._db.execute(
                "SELECT origin, size, root, note, cosigned_at FROM latest WHERE origin = ?", (origin,)
            ).fetchone()
        return Latest(row[0], row[1], bytes(row[2]), bytes(row[3]), row[4]) if row else None

    def evidence(self, origin: str | None = None) -> list[Evidence]:
        sql = "SELECT id, received_at, origin, status, reason, request FROM evidence"
        args: tuple = ()
        if origin is not None:
            sql, args = sql + " WHERE origin = ?", (origin,)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY id", args).fetchall()
        return [Evidence(r[0], r[1], r[2], r[3], r[4], bytes(r[5])) for r in rows]
