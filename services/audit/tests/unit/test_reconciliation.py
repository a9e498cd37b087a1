"""Reconciliation of producer stores against the ledger: the sorted merge, table-driven, pure."""

import hashlib

import pytest

from services.audit.domain.reconciliation import (
    DIFFERS,
    EXTRA,
    MISSING,
    UNKNOWN,
    Entry,
    Reconciliation,
    producer_of_topic,
    reconcile,
)

TOPIC = {"clues": "t1.clues.events.v1", "cases": "t1.cases.events.v1", "sanctions": "t1.sanctions.events.v1"}


def ev(stream: str, version: int, content: str = "", event_id: str | None = None) -> tuple:
    return (
        stream,
        version,
        event_id or f"id-{stream}-{version}",
        hashlib.sha256((content or f"{stream}/{version}").encode()).digest(),
    )


def store(producer: str, *events) -> list[Entry]:
    return sorted((Entry(*e, origin=producer) for e in events), key=lambda e: e.key)


def ledger(*events, topic: str = TOPIC["clues"]) -> list[Entry]:
    return sorted((Entry(*e, origin=topic) for e in events), key=lambda e: e.key)


def stream(name: str, n: int, first: int = 1) -> list[tuple]:
    return [ev(name, v) for v in range(first, first + n)]


A, B = "clue-a", "clue-b"
CASES = {
    "both empty": ({"clues": []}, [], []),
    "exact": ({"clues": store("clues", *stream(A, 3), *stream(B, 2))}, ledger(*stream(A, 3), *stream(B, 2)), []),
    "ledger empty": ({"clues": store("clues", *stream(A, 2))}, [], [(MISSING, A, 1), (MISSING, A, 2)]),
    "store empty": ({"clues": []}, ledger(*stream(A, 2)), [(EXTRA, A, 1), (EXTRA, A, 2)]),
    "a range missing": (
        {"clues": store("clues", *stream(A, 6))},
        ledger(*stream(A, 2), *stream(A, 1, first=6)),
        [(MISSING, A, 3), (MISSING, A, 4), (MISSING, A, 5)],
    ),
    "a whole stream missing": (
        {"clues": store("clues", *stream(A, 2), *stream(B, 1))},
        ledger(*stream(B, 1)),
        [(MISSING, A, 1), (MISSING, A, 2)],
    ),
    "the last event missing": ({"clues": store("clues", *stream(A, 3))}, ledger(*stream(A, 2)), [(MISSING, A, 3)]),
    "an extra version": ({"clues": store("clues", *stream(A, 2))}, ledger(*stream(A, 3)), [(EXTRA, A, 3)]),
    "an extra stream first": (
        {"clues": store("clues", *stream(B, 1))},
        ledger(*stream(A, 1), *stream(B, 1)),
        [(EXTRA, A, 1)],
    ),
    "differs by bytes": (
        {"clues": store("clues", *stream(A, 3))},
        ledger(ev(A, 1), ev(A, 2, content="forged"), ev(A, 3)),
        [(DIFFERS, A, 2)],
    ),
    "differs by id at a version": (
        {"clues": store("clues", *stream(A, 2))},
        ledger(ev(A, 1), ev(A, 2, event_id="impostor")),
        [(DIFFERS, A, 2)],
    ),
    "everything at once": (
        {"clues": store("clues", *stream(A, 4), *stream(B, 2))},
        ledger(ev(A, 1, content="x"), ev(A, 3), ev(A, 5), ev(B, 2, event_id="other")),
        [(DIFFERS, A, 1), (MISSING, A, 2), (MISSING, A, 4), (EXTRA, A, 5), (MISSING, B, 1), (DIFFERS, B, 2)],
    ),
}


@pytest.mark.parametrize("stores,rows,want", CASES.values(), ids=CASES.keys())
def test_reconcile(stores, rows, want):
    findings, _ = reconcile(stores, rows)
    assert [(f.kind, f.stream_id, f.version) for f in findings] == want


def test_findings_name_the_events_and_the_difference():
    stores = {"clues": store("clues", *stream(A, 3))}
    findings, _ = reconcile(stores, ledger(ev(A, 1, content="forged"), ev(A, 2, event_id="impostor")))
    bytes_, id_, missing = findings
    assert bytes_.event_id == f"id-{A}-1" and "bytes" in bytes_.detail and bytes_.ledger_event_id is None
    assert id_.event_id == f"id-{A}-2" and id_.ledger_event_id == "impostor" and "impostor" in id_.detail
    assert missing.event_id == f"id-{A}-3" and missing.producer == "clues"


def test_many_streams_over_three_producers_keep_their_tallies():
    clues = [e for k in range(50) for e in stream(f"clue-{k:03}", 4)]
    cases = [e for k in range(30) for e in stream(f"case-{k:03}", 3)]
    sanctions = [e for k in range(20) for e in stream(f"decision-{k:03}", 2)]
    rows = (
        ledger(*[e for e in clues if e[0] != "clue-007" and e[:2] != ("clue-010", 4)])
        + ledger(*cases, ev("case-999", 1), topic=TOPIC["cases"])
        + ledger(
            *[e for e in sanctions if e[:2] != ("decision-005", 2)],
            ev("decision-005", 2, content="x"),
            topic=TOPIC["sanctions"],
        )
    )
    findings, rec = reconcile(
        {"clues": store("clues", *clues), "cases": store("cases", *cases), "sanctions": store("sanctions", *sanctions)},
        sorted(rows, key=lambda e: e.key),
    )
    assert [(f.kind, f.producer, f.stream_id, f.version) for f in findings] == [
        (EXTRA, "cases", "case-999", 1),
        (MISSING, "clues", "clue-007", 1),
        (MISSING, "clues", "clue-007", 2),
        (MISSING, "clues", "clue-007", 3),
        (MISSING, "clues", "clue-007", 4),
        (MISSING, "clues", "clue-010", 4),
        (DIFFERS, "sanctions", "decision-005", 2),
    ]
    t = rec.tallies
    assert (t["clues"].store, t["clues"].ledger, t["clues"].missing) == (200, 195, 5)
    assert (t["cases"].store, t["cases"].ledger, t["cases"].extra) == (90, 91, 1)
    assert (t["sanctions"].store, t["sanctions"].ledger, t["sanctions"].differing) == (40, 40, 1)
    assert rec.differences == 7


def test_windows_cut_at_the_same_key_give_what_one_pass_gives():
    clues = store("clues", *[e for k in range(10) for e in stream(f"clue-{k}", 5)])
    rows = ledger(*[e for k in range(10) for e in stream(f"clue-{k}", 5) if (k + e[1]) % 4])
    whole, _ = reconcile({"clues": clues}, rows)
    rec, windowed = Reconciliation(("clues",)), []
    for lo, hi in [(("", 0), ("clue-2", 3)), (("clue-2", 3), ("clue-7", 1)), (("clue-7", 1), ("~", 0))]:
        cut = lambda side, lo=lo, hi=hi: [e for e in side if lo < e.key <= hi]  # noqa: E731
        windowed += rec.compare({"clues": cut(clues)}, cut(rows))
    assert windowed == whole and rec.tallies["clues"].missing == len(whole)


def test_ledger_rows_of_producers_not_read_are_counted_apart_not_extra():
    rows = sorted(ledger(*stream(A, 1)) + ledger(*stream("case-x", 2), topic=TOPIC["cases"]), key=lambda e: e.key)
    findings, rec = reconcile({"clues": store("clues", *stream(A, 1))}, rows, known=("cases", "sanctions"))
    assert findings == [] and rec.not_compared == {"cases": 2}


def test_a_ledger_row_from_an_unknown_topic_goes_by_its_stream_else_unknown():
    stores = {"clues": store("clues", ev(A, 2))}
    rows = ledger(ev(A, 1), ev("zzz", 1), topic="elsewhere")
    findings, rec = reconcile(stores, rows)
    assert [(f.kind, f.producer, f.stream_id) for f in findings] == [
        (EXTRA, "clues", A),
        (MISSING, "clues", A),
        (EXTRA, UNKNOWN, "zzz"),
    ]
    assert rec.tallies["clues"].ledger == 1 and rec.tallies[UNKNOWN].extra == 1


@pytest.mark.parametrize(
    "topic,want",
    [
        ("clues.events.v1", "clues"),
        ("t1.clues.events.v1", "clues"),
        ("t_ab.cases.events.v1", "cases"),
        ("showcases.events.v1", None),
        ("clues.events.v2", None),
        ("relay.republish.v1", None),
    ],
)
def test_producer_of_topic(topic, want):
    assert producer_of_topic(topic, ("clues", "cases", "sanctions")) == want
