"""Replay (复盘): which recorded events make up the story of a clue, case or sanction decision.

A story is the set of subjects (clues, cases, decisions) joined by links the events carry, and
every event that belongs to one of them. Pure rules, used alike by live ingest and by a rebuild
from the ledger, so both give the same index (of links only: an event's own stream is on its
ledger row already):

* An event belongs to its own stream's subject (a `clue-<uuid>` stream's events to that clue)
  and to every subject it links to (a timer's warning to the clue it warns about).
* Only an event on a subject's own stream joins stories: a case event linking its origin clue
  joins the clue's story and the case's. An event on another stream (a reconciliation naming
  fifty clues, a timer stream) belongs to what it names without joining them to each other.
* Links to persons are not part of a story (two cases about the same person are two stories),
  so they are not indexed here: a person dossier is a projection of its own.
* A read is no step of a story: the links a `common.v1.FileRead` carries (relation "read",
  `kernel.eventstore.reads.READ`) are left out; reads are their own index (`app.reads`).
* Steps are ordered by domain time, then recorded time, stream id and version: all carried by
  the events, so the same events give the same story whatever order they were ingested in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

STORY_KINDS = ("clue", "case", "decision")
READ = "read"  # the relation of a read's links (kernel.eventstore.reads.READ)
_SUBJECT = re.compile(r"(clue|case|decision)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def subject_kind(stream_id: str) -> str | None:
    """ "clue", "case" or "decision" for a subject's own stream id; None for any other stream."""
    m = _SUBJECT.fullmatch(stream_id)
    return m.group(1) if m else None


def link_rows(stream_id: str, links: Iterable[tuple[str, str, str]]) -> list[tuple[str, str, str, bool]]:
    """(kind, id, relation, joins) for each subject an event on `stream_id` links to, without
    repeats, in a fixed order; `joins` when the event is on a subject's own stream, so that the
    subjects it belongs to are one story. (On every ingested event: kept lean.)"""
    rows = {
        (kind, ident, relation) for kind, ident, relation in links if kind in STORY_KINDS and ident and relation != READ
    }
    if not rows:  # most events: their own subject (and persons) only
        return []
    joins = subject_kind(stream_id) is not None
    return [(kind, ident, relation, joins) for kind, ident, relation in sorted(rows)]


@dataclass(frozen=True, order=True)
class StepKey:
    """Where a step stands in its story."""

    occurred_at: datetime
    recorded_at: datetime
    stream_id: str
    version: int


@dataclass(frozen=True)
class Told:
    """One page of a story: its steps' leaf indices and keys in story order, how many steps the
    whole story has, and the moment it is told as of."""

    leaves: list[int]
    keys: list[StepKey]
    total: int
    as_of: datetime | None


def tell(members: Iterable[tuple[StepKey, int]], as_of: datetime | None, after: StepKey | None, limit: int) -> Told:
    """The story's steps (key, leaf index) recorded by `as_of` (None: all of them, and the story
    is then told as of its latest recorded step), in story order: the `limit` steps after `after`."""
    visible = sorted(m for m in members if as_of is None or m[0].recorded_at <= as_of)
    when = as_of if as_of is not None or not visible else max(k.recorded_at for k, _ in visible)
    page = [m for m in visible if after is None or m[0] > after][:limit]
    return Told([leaf for _, leaf in page], [k for k, _ in page], len(visible), when)
