"""Locating tampering: the stored leaves against the leaf hashes the signed checkpoints vouch for.

`authentic` are leaf hashes proven by the signed roots (the caller has checked that they rebuild
every signed root). `stored` are the hashes of the leaf data rows as they are now, in leaf order.
Walking both in step names each departure: a row whose bytes changed (ALTERED), a row missing
(DELETED), a row that is not in the signed tree (INSERTED), two rows exchanged (SWAPPED), and
rows missing at the end of what a checkpoint covers (TRUNCATED). Rows past the last checkpoint
are not covered: their truncation cannot be detected, by design (checkpoint often). Pure.
"""

from __future__ import annotations

from dataclasses import dataclass

ALTERED, DELETED, INSERTED, SWAPPED, TRUNCATED = "ALTERED", "DELETED", "INSERTED", "SWAPPED", "TRUNCATED"


@dataclass(frozen=True)
class Finding:
    kind: str
    position: int  # the leaf index in the signed tree where it happens
    detail: str


@dataclass(frozen=True)
class StoredLeaf:
    leaf_index: int | None
    hash: bytes
    label: str  # what a reader needs to find the row: event id, stream, version


def locate(stored: list[StoredLeaf], authentic: list[bytes]) -> list[Finding]:
    """Every departure of `stored` from `authentic`, in leaf order (the first `len(authentic)`
    leaves are compared; stored rows beyond them are outside every checkpoint)."""
    out, i, j, n = [], 0, 0, len(authentic)
    at = lambda k: stored[k].hash if k < len(stored) else None  # noqa: E731 - a short accessor
    while j < n:
        here = at(i)
        if here is None:
            out.append(Finding(TRUNCATED, j, f"leaves {j}..{n - 1} are missing from the store"))
            break
        if here == authentic[j]:
            i, j = i + 1, j + 1
        elif j + 1 < n and here == authentic[j + 1] and at(i + 1) == authentic[j]:
            out.append(
                Finding(SWAPPED, j, f"leaves {j} and {j + 1} are exchanged ({stored[i + 1].label}, {stored[i].label})")
            )
            i, j = i + 2, j + 2
        elif j + 1 < n and here == authentic[j + 1]:
            out.append(Finding(DELETED, j, f"leaf {j} is missing from the store"))
            j += 1
        elif at(i + 1) == authentic[j]:
            out.append(Finding(INSERTED, j, f"a row not in the signed tree stands before leaf {j}: {stored[i].label}"))
            i += 1
        else:
            out.append(Finding(ALTERED, j, f"leaf {j}'s bytes differ from what was signed: {stored[i].label}"))
            i, j = i + 1, j + 1
    return out
