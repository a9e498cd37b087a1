"""A person's dossier (档案; issue 26, domain.md §5): what the ledger records about one person —
clues and their stage, filings awaiting approval, cases, measures, sanctions and other outcomes
with their periods and bars, talk/letter outcomes — folded from facts. Pure.

A `Fact` is one thing an event says about one person and one file (`adapters.dossier_facts` reads
them off the envelopes, the only place that knows other services' event types): its `kind` and
`ref` say which item, `change` what happened (a label: "opened", "stage", "closed", "issued",
"lifted", "blocked", "revoked", "changed", "probation", "concluded", ...), and `attrs` the item's
fields as they stand after it (only states, types, dates and offices; never informant data or
summaries). `fold` applies the facts in leaf order:

* Every key of `attrs` among `FIELDS` replaces the item's field (`bars` as a list of
  (kind, until, rule)); `holding_office` only when given.
* `from` (a state): the fact applies only when the item is in that state (a rejected disposal
  takes a clue back to REGISTERED only from DISPOSAL_PROPOSED, as the clues service does).
* `add_bars`: bars added, replacing any of the same kind (P4, Regs 12: a probation's decision).
* "lifted" (G9, PSL 26): `locks_ended` end on `on`; "changed" (A5, PSL 58): the bars that ran to
  the old end run to `new_end`.
* A FILING item is created only by its "opened" fact; when the case it proposed is filed (a CASE
  "opened" fact on the same ref), the filing becomes the case: its leaves and `since` carry over.

Whether an item's period or a bar runs on a day is `running_at` (periods [start, end), the end
exclusive, as the sanctions service writes them: domain.md §4).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime

CLUE, FILING, CASE, MEASURE = "CLUE", "FILING", "CASE", "MEASURE"
SANCTION, IMPACT, TALK_OR_LETTER = "SANCTION", "IMPACT", "TALK_OR_LETTER"
KINDS = (CLUE, FILING, CASE, MEASURE, SANCTION, IMPACT, TALK_OR_LETTER)

# the fields a fact's attrs may set on its item
FIELDS = ("state", "open", "what", "family", "start", "end", "bars", "holding_office")

# a sanction's or impact's states in which it has been decided (issued or recorded): only then do
# its period and bars run; REVOKED (A5, PSL 57) never runs
IN_FORCE = frozenset(
    {
        "IN_EFFECT",  # DecisionIssued, ImpactRecorded
        "REDECISION_REQUIRED",  # G12 (PSL 14, 49): in force until re-decided
        "LIFT_BLOCKED",  # G10 (PSL 13, 26): runs until lifted
        "LIFTED",  # G9 (PSL 26): its locks ended on `on`
        "PERIOD_ENDED",  # P8 (Regs 46): nothing cancelled; a later bar may still run (P3)
        "RESTORED",  # P4 (Regs 12): the probation's bar on an equal or higher post
        "EXTENDED",  # P4: the probation extended
        "EXPELLED",  # P4: expelled at (or before) the probation's end
        "CHANGED",  # A5 (PSL 58): the lighter sanction now stands
    }
)


@dataclass(frozen=True)
class Bar:
    """A bar or lock (G7 PSL 19-21; P2-P4 Regs 10-13): what, until (exclusive, `YYYY-MM-DD`; ""
    for ever) and the rule."""

    kind: str
    until: str
    rule: str = ""


@dataclass(frozen=True)
class Fact:
    """One thing one event says about one person and one file (a row of the dossier projection)."""

    person_id: str
    kind: str  # one of KINDS
    ref: str  # the file's stream id: clue-, case-, measure- or decision-<uuid>
    change: str  # what happened, e.g. "opened", "stage", "closed", "issued", "lifted"
    attrs: Mapping[str, object]
    occurred_at: datetime
    recorded_at: datetime
    leaf_index: int


@dataclass(frozen=True)
class Item:
    """One item of a dossier: the fields of `audit.v1.DossierItem` as plain Python."""

    kind: str
    ref: str
    state: str = ""
    open: bool = False
    what: str = ""
    family: str = ""
    start: str = ""
    end: str = ""
    bars: tuple[Bar, ...] = ()
    holding_office: str = ""
    since: datetime | None = None
    updated_at: datetime | None = None
    leaf_indices: tuple[int, ...] = ()
    running: bool = False  # at the dossier's day (`fold(..., on=day)`); False without a day


def _bars(raw: Iterable) -> tuple[Bar, ...]:
    return tuple(b if isinstance(b, Bar) else Bar(*b) for b in raw)


def _merge_bars(old: tuple[Bar, ...], new: tuple[Bar, ...]) -> tuple[Bar, ...]:
    kinds = {b.kind for b in new}
    return tuple(b for b in old if b.kind not in kinds) + new


def _apply(item: Item, fact: Fact) -> Item:
    a = fact.attrs
    if "from" in a and item.state != a["from"]:
        return _touched(item, fact)
    changes: dict[str, object] = {k: a[k] for k in FIELDS if k in a and k not in ("bars", "holding_office")}
    if "bars" in a:
        changes["bars"] = _bars(a["bars"])
    if a.get("holding_office"):
        changes["holding_office"] = a["holding_office"]
    item = replace(item, **changes)
    if "add_bars" in a:
        item = replace(item, bars=_merge_bars(item.bars, _bars(a["add_bars"])))
    if fact.change == "lifted":  # G9 (PSL 26): the named locks end on the lift's day
        on, ended = str(a.get("on", "")), set(a.get("locks_ended", ()))
        bars = tuple(
            replace(b, until=on) if b.kind in ended and (not b.until or b.until > on) else b for b in item.bars
        )
        item = replace(item, bars=bars, end=on if item.end and on and on < item.end else item.end)
    if fact.change == "changed" and "new_end" in a:  # A5 (PSL 58): the changed period's end
        old, new = item.end, str(a["new_end"])
        item = replace(item, end=new, bars=tuple(replace(b, until=new) if b.until == old else b for b in item.bars))
    return _touched(item, fact)


def _touched(item: Item, fact: Fact) -> Item:
    since = item.since if item.since is not None and item.since <= fact.occurred_at else fact.occurred_at
    updated = (
        item.updated_at if item.updated_at is not None and item.updated_at >= fact.occurred_at else fact.occurred_at
    )
    leaves = item.leaf_indices if fact.leaf_index in item.leaf_indices[-1:] else (*item.leaf_indices, fact.leaf_index)
    return replace(item, since=since, updated_at=updated, leaf_indices=leaves)


def fold(facts: Iterable[Fact], on: date | None = None) -> list[Item]:
    """One person's facts in leaf order → the dossier's items: open ones first, then by `since`
    (then ref). With `on`, each item's `running` says whether its period or a bar runs that day."""
    items: dict[tuple[str, str], Item] = {}
    for fact in sorted(facts, key=lambda f: f.leaf_index):
        key = (fact.kind, fact.ref)
        item = items.get(key)
        if item is None:
            if fact.kind == FILING and fact.change != "opened":
                continue  # a case filed without a recorded filing (older, or an accountability case)
            item = Item(fact.kind, fact.ref)
            if fact.kind == CASE and (FILING, fact.ref) in items:  # the filing became the case
                filing = items.pop((FILING, fact.ref))
                item = replace(item, since=filing.since, updated_at=filing.updated_at, leaf_indices=filing.leaf_indices)
        elif fact.kind == FILING and (CASE, fact.ref) in items:
            continue
        items[key] = _apply(item, fact)
    out = [replace(i, running=running_at(i, on)) if on is not None else i for i in items.values()]
    return sorted(out, key=lambda i: (not i.open, i.since or datetime.min, i.ref, KINDS.index(i.kind)))


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def running_at(item: Item, day: date) -> bool:
    """Whether the item's period or one of its bars runs on `day` (domain.md §4, §5):

    * a sanction or impact decided (`IN_FORCE`): its period start <= day < end (G1 PSL 7-8, P2
      Regs 10; an impact's local period), for ever from its start when it has none (开除, G8 PSL 24;
      P2 Regs 13), or a bar with until > day or for ever (G7 PSL 19-21, P3, P4); a LiftBlocked one
      runs until lifted (G10, PSL 13, 26); a revoked one never (A5, PSL 57); nothing before its
      start;
    * a measure approved and not ended: start <= day < end (or until lifted when it has no end);
    * anything else has no period: False.
    """
    start, end = _day(item.start), _day(item.end)
    if start is not None and day < start:
        return False
    if item.kind in (SANCTION, IMPACT):
        if item.state not in IN_FORCE:
            return False
        if item.state == "LIFT_BLOCKED":
            return True
        period = (end is not None and day < end) or (not item.end and start is not None and item.state != "LIFTED")
        return period or any(not b.until or (_day(b.until) or date.min) > day for b in item.bars)
    if item.kind == MEASURE:
        return item.open and start is not None and (end is None or day < end)
    return False


def by_person(facts: Iterable[Fact], on: date | None = None) -> dict[str, list[Item]]:
    """Many persons' facts (in any order) → each person's folded items."""
    grouped: dict[str, list[Fact]] = {}
    for f in facts:
        grouped.setdefault(f.person_id, []).append(f)
    return {p: fold(fs, on) for p, fs in grouped.items()}
