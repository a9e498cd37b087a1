"""RFC 6962 / RFC 9162 Merkle tree (Certificate Transparency); pure, stdlib hashlib only.

Storage persists every (Node, hash) returned by CompactRange.append and serves a proof by
fetching the nodes named by *_proof_nodes, folding each element with range_hash.
root_of / inclusion_proof / consistency_proof are naive references over all leaf hashes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """RFC 6962 leaf hash: SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node hash: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly below n (n >= 2): where RFC 6962 splits a tree."""
    return 1 << ((n - 1).bit_length() - 1)


def _is_hash(h: object) -> bool:
    return isinstance(h, (bytes, bytearray)) and len(h) == HASH_SIZE


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of RFC 6962 §2.1, computed naively (O(n) hashes); EMPTY_ROOT when empty."""
    n = len(leaf_hashes)
    if n <= 1:
        return leaf_hashes[0] if n else EMPTY_ROOT
    k = _split(n)
    return node_hash(root_of(leaf_hashes[:k]), root_of(leaf_hashes[k:]))


@dataclass(frozen=True)
class Node:
    """Perfect subtree covering leaves [index * 2**level, (index + 1) * 2**level); level 0 is
    a leaf. Its hash never changes once complete, so (level, index) is a stable storage key."""

    level: int
    index: int


@dataclass(frozen=True)
class CompactRange:
    """Right border of a tree of `size` leaves: the hashes of the nodes of decompose(0, size)
    (one per set bit of size, largest first); all the state needed to extend the tree."""

    size: int = 0
    peaks: tuple[bytes, ...] = ()

    def __post_init__(self) -> None:
        if self.size < 0 or len(self.peaks) != self.size.bit_count():
            raise ValueError(f"a range of size {self.size} cannot have {len(self.peaks)} peaks")
        if not all(_is_hash(p) for p in self.peaks):
            raise ValueError(f"peaks must be {HASH_SIZE}-byte hashes")

    def root(self) -> bytes:
        """RFC 6962 root of the `size` leaves (EMPTY_ROOT if size is 0)."""
        return range_hash(self.peaks)

    def append(self, leaf_hashes: Sequence[bytes]) -> tuple[CompactRange, list[tuple[Node, bytes]]]:
        """Append HASH_SIZE-byte leaf hashes in O(k log n). Returns the new range and every perfect
        node completed (leaves included), bottom-up per leaf: across appends, each node exactly once."""
        size, peaks, completed = self.size, list(self.peaks), []
        for h in leaf_hashes:
            if not _is_hash(h):
                raise ValueError(f"leaf hash for leaf {size} must be {HASH_SIZE} bytes")
            completed.append((Node(0, size), h))
            # Each trailing 1-bit of size is a peak that just got its right sibling: merge.
            level = 0
            while size >> level & 1:
                h = node_hash(peaks.pop(), h)
                level += 1
                completed.append((Node(level, size >> level), h))
            peaks.append(h)
            size += 1
        return CompactRange(size, tuple(peaks)), completed


def decompose(begin: int, end: int) -> list[Node]:
    """The fewest perfect subtrees covering leaves [begin, end), left to right; 0 <= begin <= end.
    For a subtree range of an RFC 6962 tree (begin a multiple of the smallest power of two
    >= end - begin) that is its binary decomposition, and range_hash over it gives its MTH."""
    if not 0 <= begin <= end:
        raise ValueError(f"invalid range [{begin}, {end})")
    nodes = []
    while begin < end:
        # The largest block that fits and is aligned at begin (0 is aligned to anything).
        level = (end - begin).bit_length() - 1
        if begin:
            level = min(level, (begin & -begin).bit_length() - 1)
        nodes.append(Node(level, begin >> level))
        begin += 1 << level
    return nodes


def range_hash(hashes: Sequence[bytes]) -> bytes:
    """Hash of the subtree made of perfect-subtree hashes (in decompose order), folded right
    to left: node_hash(h0, node_hash(h1, ... hk)). EMPTY_ROOT if empty."""
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def inclusion_proof_nodes(index: int, size: int) -> list[list[Node]]:
    """RFC 6962 PATH(index, D[size]) as nodes, bottom-up; 0 <= index < size.
    Proof hash i is range_hash of the stored hashes of element i's nodes."""
    if not 0 <= index < size:
        raise ValueError(f"need 0 <= index < size, got index={index} size={size}")
    path, begin, end = [], 0, size
    while end - begin > 1:  # descend top-down; the sibling range is the proof element
        mid = begin + _split(end - begin)
        if index < mid:
            path.append(decompose(mid, end))
            end = mid
        else:
            path.append(decompose(begin, mid))
            begin = mid
    return path[::-1]


def consistency_proof_nodes(size1: int, size2: int) -> list[list[Node]]:
    """RFC 6962 PROOF(size1, D[size2]) as nodes, like inclusion_proof_nodes; 0 <= size1 <= size2.
    Empty when size1 == size2, and when size1 == 0: anything extends the empty tree."""
    if not 0 <= size1 <= size2:
        raise ValueError(f"need 0 <= size1 <= size2, got {size1}, {size2}")
    path, begin, end, m, whole = [], 0, size2, size1, True
    while m and m != end - begin:  # SUBPROOF(m, D[begin:end], whole), unrolled top-down
        mid = begin + _split(end - begin)
        if m <= mid - begin:
            path.append(decompose(mid, end))
            end = mid
        else:
            path.append(decompose(begin, mid))
            m, begin, whole = m - (mid - begin), mid, False
    if not whole:  # the old tree's root is not a node of the new tree: the verifier needs it
        path.append(decompose(begin, end))
    return path[::-1]


def inclusion_proof(index: int, size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """Reference PATH(index, D[0:size]); needs 0 <= index < size <= len(leaf_hashes)."""
    if not 0 <= index < size <= len(leaf_hashes):
        raise ValueError(f"need 0 <= index < size <= {len(leaf_hashes)}, got {index}, {size}")
    if size == 1:
        return []
    k, d = _split(size), leaf_hashes[:size]
    if index < k:
        return inclusion_proof(index, k, d) + [root_of(d[k:])]
    return inclusion_proof(index - k, size - k, d[k:]) + [root_of(d[:k])]


def consistency_proof(size1: int, size2: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """Reference PROOF(size1, D[0:size2]); needs 0 <= size1 <= size2 <= len(leaf_hashes)."""
    if not 0 <= size1 <= size2 <= len(leaf_hashes):
        raise ValueError(f"need 0 <= size1 <= size2 <= {len(leaf_hashes)}, got {size1}, {size2}")

    def subproof(m: int, d: Sequence[bytes], whole: bool) -> list[bytes]:
        if m == len(d):
            return [] if whole else [root_of(d)]
        k = _split(len(d))
        if m <= k:
            return subproof(m, d[:k], whole) + [root_of(d[k:])]
        return subproof(m - k, d[k:], False) + [root_of(d[:k])]

    return subproof(size1, leaf_hashes[:size2], True) if size1 else []


class ProofError(ValueError):
    """A proof did not verify. On a root mismatch .expected is the root the caller gave and
    .calculated the one the proof yields; otherwise both are None."""

    def __init__(self, message: str, *, expected: bytes | None = None, calculated: bytes | None = None):
        super().__init__(message)
        self.expected, self.calculated = expected, calculated


def _check_hashes(proof: Sequence[bytes], **named: bytes) -> None:
    for name, h in [*named.items(), *((f"proof[{i}]", p) for i, p in enumerate(proof))]:
        if not _is_hash(h):
            raise ProofError(f"{name} is not a {HASH_SIZE}-byte hash")


def _match(calculated: bytes, expected: bytes, what: str) -> None:
    if calculated != expected:
        raise ProofError(
            f"calculated {what} {calculated.hex()} != expected {expected.hex()}",
            expected=expected,
            calculated=calculated,
        )


def _inclusion_len(index: int, size: int) -> int:
    # Below the level where the paths to index and size-1 meet every level has a sibling;
    # above it only the levels where index's ancestor is a right child.
    inner = (index ^ (size - 1)).bit_length()
    return inner + (index >> inner).bit_count()


def _consistency_len(size1: int, size2: int) -> int:
    # The inclusion path of leaf size1-1 above the old tree's lowest peak, plus that peak
    # unless it is the whole old tree (size1 a power of two, whose root the verifier has).
    shift = (size1 & -size1).bit_length() - 1
    return _inclusion_len(size1 - 1, size2) - shift + (size1 != 1 << shift)


def _chain(fn: int, sn: int, seed: bytes, path: Sequence[bytes]) -> tuple[bytes, bytes]:
    """RFC 9162 chaining from node fn towards the root, sn being the last node's index.
    Returns (old, new): new folds all of path; old only the hashes left of the path,
    which rebuilds the tree as it was when fn was its last node."""
    old = new = seed
    for p in path:
        if fn & 1 or fn == sn:
            old, new = node_hash(p, old), node_hash(p, new)
            while fn and not fn & 1:  # RFC bookkeeping: levels where we have no sibling
                fn, sn = fn >> 1, sn >> 1
        else:
            new = node_hash(new, p)
        fn, sn = fn >> 1, sn >> 1
    return old, new


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """RFC 9162 §2.1.3.2: raise ProofError unless `proof` shows `leaf_hash` at `index` in the
    tree of `size` leaves and root `root`; all hashes HASH_SIZE bytes, 0 <= index < size."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    _check_hashes(proof, leaf_hash=leaf_hash, root=root)
    # An exact length check up front subsumes RFC 9162's "sn == 0" checks while chaining.
    if len(proof) != (want := _inclusion_len(index, size)):
        raise ProofError(f"inclusion proof has {len(proof)} hashes, expected {want}")
    _match(_chain(index, size - 1, leaf_hash, proof)[1], root, "root")


def verify_consistency(size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes) -> None:
    """RFC 9162 §2.1.4.2: raise ProofError unless `proof` shows the tree (size2, root2)
    extends (size1, root1); 0 <= size1 <= size2. When size1 is 0 or size2 the proof must be
    empty, and root1 must be EMPTY_ROOT, respectively equal to root2."""
    if not 0 <= size1 <= size2:
        raise ProofError(f"need 0 <= size1 <= size2, got {size1}, {size2}")
    _check_hashes(proof, root1=root1, root2=root2)
    if size1 == 0 or size1 == size2:
        if proof:
            raise ProofError(f"proof for sizes {size1} -> {size2} must be empty, got {len(proof)}")
        if size1 == 0:
            _match(EMPTY_ROOT, root1, "first root")
        if size1 == size2:
            _match(root1, root2, "second root")
        return
    if len(proof) != (want := _consistency_len(size1, size2)):
        raise ProofError(f"consistency proof has {len(proof)} hashes, expected {want}")
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # the old tree is a node of the new one: root1 seeds
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:  # start at the level of the old tree's lowest peak, path[0]
        fn, sn = fn >> 1, sn >> 1
    old, new = _chain(fn, sn, path[0], path[1:])
    _match(old, root1, "first root")
    _match(new, root2, "second root")
