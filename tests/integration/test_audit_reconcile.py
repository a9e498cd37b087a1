"""The reconciliation command against a real PostgreSQL: a producer store and a ledger recorded from
it by the audit Recorder; then the ledger loses a range, one envelope is altered, one event the
producer never stored is recorded, and one event is held behind a gap. The command, run as an
operator runs it, names exactly those events (exit 1); an exact ledger exits 0; bad usage exits 2
with a message saying what to do, never a traceback."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kernel.domain.clock import FixedClock
from kernel.eventstore import envelope as env_mod
from kernel.eventstore.store import EventStore
from kernel.messaging.inbox import Source
from services.audit import reconcile
from services.audit.app.recorder import Recorder
from services.audit.domain.reconciliation import DIFFERS, EXTRA, MISSING
from tests.factories import clue_event

ROOT = Path(__file__).resolve().parents[2]
LINE = re.compile(r"^  v(\d+)\s+(MISSING|EXTRA|DIFFERS)\s+event (\S+): (.*)$")


def run_command(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")}
    return subprocess.run(
        [sys.executable, "-m", "services.audit.reconcile", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def findings_in(stdout: str) -> dict[tuple, tuple]:
    """(stream, version, kind) -> (event id, rest of the line), from the grouped listing."""
    out, stream = {}, None
    for line in stdout.splitlines():
        if m := LINE.match(line):
            out[stream, int(m[1]), m[2]] = (m[3], m[4])
        elif not line.startswith(" ") and line.endswith(")") and ":" not in line:
            stream = line.split(" (")[0]
    return out


class Platform:
    """A clues store in its own schema and an audit ledger recorded from it."""

    def __init__(self, pool, producer: EventStore, unique: str):
        self.pool, self.producer, self.unique = pool, producer, unique
        self.ledger = EventStore(pool, f"a_{unique}", FixedClock())
        self.recorder = Recorder(self.ledger, consumer="test-recorder")
        self.topic = f"t{unique}.clues.events.v1"
        self.offset = 0

    def stream(self, name: str) -> str:
        return f"clue-{self.unique}-{name}"

    async def write(self, name: str, n: int) -> None:
        s = self.stream(name)
        await self.producer.append(s, 0, [clue_event(s, f"v{v}") for v in range(1, n + 1)])

    async def stored(self, name: str, version: int) -> bytes:
        return bytes(
            await self.pool.fetchval(
                f"SELECT envelope FROM {self.producer.schema}.events WHERE stream_id = $1 AND version = $2",
                self.stream(name),
                version,
            )
        )

    async def record(self, raws: list[bytes]) -> None:
        await self.recorder.record_batch([(raw, Source(self.topic, 0, self.offset + i)) for i, raw in enumerate(raws)])
        self.offset += len(raws)

    async def record_all(self, skip: set = frozenset()) -> None:
        rows = await self.pool.fetch(
            f"SELECT stream_id, version, envelope FROM {self.producer.schema}.events ORDER BY position"
        )
        await self.record([bytes(r["envelope"]) for r in rows if (r["stream_id"], r["version"]) not in skip])

    def args(self, url: str, *more: str) -> list[str]:
        return [
            "--ledger-url",
            url,
            "--ledger-schema",
            self.ledger.schema,
            "--producer",
            f"clues:{self.producer.schema}={url}",
            *more,
        ]


@pytest.fixture
async def platform(pool, store, unique):
    p = Platform(pool, store, unique)
    await p.ledger.migrate()
    await p.recorder.migrate()
    for name, n in (("a", 8), ("b", 3), ("c", 2)):
        await p.write(name, n)
    return p


async def test_a_ledger_missing_a_range_is_found_by_the_command(platform, database_url, unique):
    p, a, b, d = platform, platform.stream("a"), platform.stream("b"), platform.stream("d")
    await p.write("d", 2)
    await p.record_all(skip={(d, 1)})  # d v2 arrives alone: held behind the gap at v1
    ids = {
        (r["stream_id"], r["version"]): r["event_id"]
        for r in await p.pool.fetch(f"SELECT stream_id, version, event_id::text FROM {p.producer.schema}.events")
    }
    stray = env_mod.seal(
        env_mod.build(
            clue_event(p.stream("x"), "never stored"),
            p.stream("x"),
            1,
            env_mod.instant(env_mod.parse(await p.stored("a", 1)).recorded_at),
        )
    )
    await p.record([stray])  # in the ledger, in no producer store
    s = p.ledger.schema
    deleted = await p.pool.execute(
        f"DELETE FROM {s}.recorded_events WHERE stream_id = $1 AND version BETWEEN 3 AND 5", a
    )
    assert deleted == "DELETE 3"
    await p.pool.execute(
        f"INSERT INTO {p.producer.schema}.relay_cursor (topic, order_key, position) SELECT $1, "
        f"order_key, position FROM {p.producer.schema}.events WHERE stream_id = $2 AND version = 4",
        p.topic,
        a,
    )  # the relay has published a up to v4, not v5 and later
    await p.pool.execute(
        f"UPDATE {s}.recorded_events SET envelope = envelope || '\\x00'::bytea WHERE stream_id = $1 AND version = 2", b
    )

    done = run_command(*p.args(database_url, "--producer", f"cases:t_none{unique}={database_url}"))

    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    found = findings_in(done.stdout)
    assert {k: v[0] for k, v in found.items()} == {
        (a, 3, MISSING): ids[a, 3],
        (a, 4, MISSING): ids[a, 4],
        (a, 5, MISSING): ids[a, 5],
        (b, 2, DIFFERS): ids[b, 2],
        (d, 1, MISSING): ids[d, 1],
        (d, 2, MISSING): ids[d, 2],
        (p.stream("x"), 1, EXTRA): env_mod.parse(stray).event_id,
    }
    assert "bytes differ" in found[b, 2, DIFFERS][1]
    assert "held behind a gap by consumer test-recorder" in found[d, 2, MISSING][1]
    assert "held" not in found[a, 3, MISSING][1] and "published" not in found[a, 4, MISSING][1]
    assert "not yet published" in found[a, 5, MISSING][1] and "not yet published" in found[d, 1, MISSING][1]
    lines = done.stdout.splitlines()
    assert any(
        line.startswith(f"clues ({p.producer.schema} at ")
        and "15 events in the store, 11 in the ledger; 5 missing (1 held, 2 unpublished), 1 extra, 1 differing" in line
        for line in lines
    ), done.stdout
    assert f"cases: no store (no table t_none{unique}.events at" in done.stdout
    assert re.search(r"audit \(a_\w+\): 0 contradicting deliveries in quarantine, 1 deliveries held", done.stdout)
    assert lines[-1] == "DIFFERENT: 5 missing, 1 extra, 1 differing"


async def test_windows_of_a_few_rows_find_what_one_window_finds(platform, database_url, monkeypatch):
    p, a = platform, platform.stream("a")
    await p.record_all()
    await p.pool.execute(f"DELETE FROM {p.ledger.schema}.recorded_events WHERE stream_id = $1 AND version IN (1, 8)", a)
    wanted = [reconcile.Producer("clues", database_url, p.producer.schema)]
    whole = await reconcile.run(database_url, p.ledger.schema, wanted, limit=0, progress=False)
    monkeypatch.setattr(reconcile, "CHUNK", 2)
    windowed = await reconcile.run(database_url, p.ledger.schema, wanted, limit=0, progress=False)
    assert windowed.lines() == whole.lines()
    assert [line.split()[:2] for line in whole.shown if line.startswith("  ")] == [["v1", MISSING], ["v8", MISSING]]


async def test_an_exact_ledger_exits_0(platform, database_url):
    await platform.record_all()
    done = run_command(*platform.args(database_url))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "13 events in the store, 13 in the ledger; 0 missing, 0 extra, 0 differing" in done.stdout
    assert done.stdout.splitlines()[-1].startswith("EXACT")
    assert not findings_in(done.stdout)


@pytest.mark.parametrize(
    "args,says",
    [
        (["--bogus"], "--help"),
        (
            ["--ledger-url", "postgresql://127.0.0.1:1/x", "--producer", "clues=postgresql://127.0.0.1:1/x"],
            "cannot reach the ledger at 127.0.0.1:1/x",
        ),
        (["--ledger-url", "postgresql://127.0.0.1:1/x", "--producer", "clues=mysql://h/db"], "not a PostgreSQL URL"),
        (["--ledger-url", "postgresql://127.0.0.1:port/x", "--producer", "clues=postgresql://h/db"], "a bad port"),
        (["--ledger-url", "postgresql://127.0.0.1:1/x", "--producer", "Clues!"], "expected NAME[:SCHEMA][=URL]"),
        (
            ["--ledger-url", "postgresql://127.0.0.1:1/x", "--producer", "clues=postgresql://h:5432/db:t_clues"],
            "--producer NAME:SCHEMA=postgresql://",
        ),
        (["--ledger-url", "postgresql://127.0.0.1:1/x", "--producer", "clues"], "set CLUES_DATABASE_URL"),
        (["--producer", "clues=postgresql://h/db"], "give --ledger-url"),
    ],
)
def test_bad_usage_exits_2_saying_what_to_do(args, says):
    done = run_command(*args)
    assert done.returncode == 2 and says in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


async def test_a_ledger_schema_that_is_not_one_exits_2(database_url, unique):
    done = run_command(
        "--ledger-url", database_url, "--ledger-schema", f"nope_{unique}", "--producer", f"clues={database_url}"
    )
    assert done.returncode == 2 and f"no audit ledger in schema 'nope_{unique}'" in done.stderr
    assert "--ledger-schema" in done.stderr and "Traceback" not in done.stderr
