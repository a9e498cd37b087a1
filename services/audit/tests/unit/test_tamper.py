"""Locating each kind of tampering from hashes alone: table-driven, pure."""

import hashlib

import pytest

from services.audit.domain.tamper import ALTERED, DELETED, INSERTED, SWAPPED, TRUNCATED, StoredLeaf, locate

N = 12
AUTH = [hashlib.sha256(f"leaf {k}".encode()).digest() for k in range(N)]


def rows(hashes):
    return [StoredLeaf(k, h, f"event {k}") for k, h in enumerate(hashes)]


def altered(k):
    out = list(AUTH)
    out[k] = hashlib.sha256(b"forged").digest()
    return out


def swapped(k):
    out = list(AUTH)
    out[k], out[k + 1] = out[k + 1], out[k]
    return out


CASES = {
    "intact": (AUTH, []),
    "intact, more rows after the last checkpoint": (AUTH + [b"x" * 32], []),
    "first leaf altered": (altered(0), [(ALTERED, 0)]),
    "middle leaf altered": (altered(5), [(ALTERED, 5)]),
    "last leaf altered": (altered(N - 1), [(ALTERED, N - 1)]),
    "two leaves altered apart": ([*altered(2)[:7], *altered(7)[7:]], [(ALTERED, 2), (ALTERED, 7)]),
    "a leaf deleted": (AUTH[:4] + AUTH[5:], [(DELETED, 4)]),
    "first leaf deleted": (AUTH[1:], [(DELETED, 0)]),
    "a row inserted": (AUTH[:6] + [b"i" * 32] + AUTH[6:], [(INSERTED, 6)]),
    "a row inserted first": ([b"i" * 32] + AUTH, [(INSERTED, 0)]),
    "two leaves swapped": (swapped(3), [(SWAPPED, 3)]),
    "last two swapped": (swapped(N - 2), [(SWAPPED, N - 2)]),
    "truncated": (AUTH[:8], [(TRUNCATED, 8)]),
    "everything gone": ([], [(TRUNCATED, 0)]),
    "deleted and later altered": (
        (AUTH[:2] + AUTH[3:])[:6] + [b"z" * 32] + (AUTH[:2] + AUTH[3:])[7:],
        [(DELETED, 2), (ALTERED, 7)],
    ),
}


@pytest.mark.parametrize("stored,want", CASES.values(), ids=CASES.keys())
def test_locate(stored, want):
    assert [(f.kind, f.position) for f in locate(rows(stored), AUTH)] == want


def test_findings_name_the_row():
    [finding] = locate(rows(altered(5)), AUTH)
    assert "event 5" in finding.detail and "5" in finding.detail
