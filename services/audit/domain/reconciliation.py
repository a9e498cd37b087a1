"""Reconciliation: the producers' stores against the audit ledger, event by event. Pure.

Both sides arrive sorted by (stream id, version): each producer store as its own iterator, the
ledger as one. A sorted-merge join over that key names every departure:

* MISSING: a producer store holds the event, the ledger holds nothing at its stream and version.
* EXTRA: the ledger holds an event at a stream and version no producer store holds.
* DIFFERS: both hold an event there, but not the same one: the same event id with other envelope
  bytes (the ledger must hold exactly the bytes the store sealed), or another event id.

A ledger row belongs to the producer whose topic it came from (`<prefix><producer>.events.v1`),
else to the producer whose store holds its stream. Rows of producers that were not read (no
store, or not asked for) are counted apart, never called EXTRA: nothing was compared for them.
Envelopes are compared by digest (the caller hashes them), so no side holds more than one row.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

MISSING, EXTRA, DIFFERS = "MISSING", "EXTRA", "DIFFERS"
UNKNOWN = "unknown"  # the producer of a ledger row whose topic and stream name none
TOPIC_SUFFIX = ".events.v1"


@dataclass(frozen=True)
class Entry:
    """One event on either side. `origin` is the producer's name for a store row, the topic it
    came from for a ledger row."""

    stream_id: str
    version: int
    event_id: str
    digest: bytes
    origin: str = ""

    @property
    def key(self) -> tuple[str, int]:
        return self.stream_id, self.version


@dataclass(frozen=True)
class Finding:
    kind: str
    producer: str
    stream_id: str
    version: int
    event_id: str  # the store's event (MISSING, DIFFERS) or the ledger's (EXTRA)
    ledger_event_id: str | None = None  # DIFFERS by id: the event the ledger holds there instead
    detail: str = ""

    @property
    def key(self) -> tuple[str, int]:
        return self.stream_id, self.version


@dataclass
class Tally:
    """Per producer: events in its store, ledger rows belonging to it, and the departures."""

    store: int = 0
    ledger: int = 0
    missing: int = 0
    extra: int = 0
    differing: int = 0

    @property
    def differences(self) -> int:
        return self.missing + self.extra + self.differing


def producer_of_topic(topic: str, producers: Iterable[str]) -> str | None:
    """The producer whose event topic `topic` is (`<any prefix><producer>.events.v1`), or None.
    The longest matching name wins, so a prefix never makes one producer look like another."""
    if not topic.endswith(TOPIC_SUFFIX):
        return None
    base = topic[: -len(TOPIC_SUFFIX)]
    matches = [p for p in producers if base == p or base.endswith(p) and not base[-len(p) - 1].isalnum()]
    return max(matches, key=len, default=None)


@dataclass
class Reconciliation:
    """Compares consecutive windows of the two sorted sides and keeps the tallies.

    `compared` are the producers whose stores were read; `known` every producer name a ledger
    topic may carry (read or not). Windows given to `compare` must cover consecutive, disjoint
    key ranges in order, each side complete within its window (the caller reads in chunks and
    cuts every side at the same key)."""

    compared: tuple[str, ...]
    known: tuple[str, ...] = ()
    tallies: dict[str, Tally] = field(default_factory=dict)
    not_compared: dict[str, int] = field(default_factory=dict)  # ledger rows of producers not read

    def __post_init__(self):
        self.known = tuple(dict.fromkeys((*self.compared, *self.known)))
        for p in self.compared:
            self.tallies.setdefault(p, Tally())

    @property
    def differences(self) -> int:
        return sum(t.differences for t in self.tallies.values())

    def compare(self, stores: Mapping[str, Iterable[Entry]], ledger: Iterable[Entry]) -> Iterator[Finding]:
        """The findings of one window, in (stream, version) order. Each store's entries must
        carry its name as `origin`; the stores must be among `compared`."""
        merged = _Peekable(heapq.merge(*stores.values(), key=lambda e: e.key))
        rows = _Peekable(iter(ledger))
        while merged.head is not None or rows.head is not None:
            key = min(x.key for x in (merged.head, rows.head) if x is not None)
            held = list(merged.take(key))
            [row] = list(rows.take(key)) or [None]  # (stream, version) is unique in the ledger
            yield from self._at(held, row, merged.head)

    def _at(self, held: list[Entry], row: Entry | None, next_held: Entry | None) -> Iterator[Finding]:
        for e in held:
            self.tallies[e.origin].store += 1
        if row is None:
            for e in held:
                yield self._count(
                    Finding(
                        MISSING, e.origin, e.stream_id, e.version, e.event_id, detail="in the store, not in the ledger"
                    )
                )
            return
        if not held:
            yield from self._extra(row, next_held)
            return
        self.tallies[held[0].origin].ledger += 1
        for e in held:
            if e.event_id != row.event_id:
                yield self._count(
                    Finding(
                        DIFFERS,
                        e.origin,
                        e.stream_id,
                        e.version,
                        e.event_id,
                        row.event_id,
                        f"the store holds event {e.event_id}, the ledger event {row.event_id} at this version",
                    )
                )
            elif e.digest != row.digest:
                yield self._count(
                    Finding(
                        DIFFERS,
                        e.origin,
                        e.stream_id,
                        e.version,
                        e.event_id,
                        None,
                        f"the ledger's envelope bytes differ from the store's (sha256 "
                        f"{e.digest.hex()[:12]}… in the store, {row.digest.hex()[:12]}… "
                        f"in the ledger)",
                    )
                )

    def _extra(self, row: Entry, next_held: Entry | None) -> Iterator[Finding]:
        producer = producer_of_topic(row.origin, self.known)
        if producer is None and next_held is not None and next_held.stream_id == row.stream_id:
            producer = next_held.origin  # an unknown topic: the stream tells
        if producer is not None and producer not in self.compared:
            self.not_compared[producer] = self.not_compared.get(producer, 0) + 1
            return
        producer = producer or UNKNOWN
        self.tallies.setdefault(producer, Tally()).ledger += 1
        yield self._count(
            Finding(
                EXTRA,
                producer,
                row.stream_id,
                row.version,
                row.event_id,
                detail=f"in the ledger (from {row.origin or 'no topic'}), in no producer store",
            )
        )

    def _count(self, f: Finding) -> Finding:
        t = self.tallies.setdefault(f.producer, Tally())
        if f.kind == MISSING:
            t.missing += 1
        elif f.kind == EXTRA:
            t.extra += 1
        else:
            t.differing += 1
        return f


class _Peekable:
    def __init__(self, it: Iterator[Entry]):
        self._it = it
        self.head: Entry | None = next(it, None)

    def take(self, key) -> Iterator[Entry]:
        while self.head is not None and self.head.key == key:
            out, self.head = self.head, next(self._it, None)
            yield out


def reconcile(
    stores: Mapping[str, Iterable[Entry]], ledger: Iterable[Entry], known: Iterable[str] = ()
) -> tuple[list[Finding], Reconciliation]:
    """Whole sides at once (tests, small stores): the findings and the tallies."""
    rec = Reconciliation(tuple(stores), tuple(known))
    return list(rec.compare(stores, ledger)), rec
