"""RFC 6962 Merkle tree: published vectors, exhaustive small trees, tampering, properties.

Known answers are the Certificate Transparency test leaves and the roots, node hashes and
proofs published with them (transparency-dev/merkle testonly/constants.go and
proof/verify_test.go, from Google's certificate-transparency merkle_tree_test).
"""

from __future__ import annotations

import random
from functools import cache

import pytest
from hypothesis import given, settings, strategies as st

from services.audit.domain.merkle import (
    EMPTY_ROOT,
    CompactRange,
    Node,
    ProofError,
    consistency_proof,
    consistency_proof_nodes,
    decompose,
    inclusion_proof,
    inclusion_proof_nodes,
    leaf_hash,
    node_hash,
    range_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)

# --- published Certificate Transparency vectors ------------------------------------------

CT_LEAVES = [
    bytes.fromhex(x)
    for x in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f")
]
CT_HASHES = [leaf_hash(x) for x in CT_LEAVES]
CT_ROOTS = [
    bytes.fromhex(x)
    for x in (  # indexed by tree size
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]
CT_NODES = [
    [bytes.fromhex(x) for x in level]
    for level in (  # [level][index], 8-leaf tree
        (
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
            "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
        ),
        (
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        ),
        (
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ),
        ("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",),
    )
]
H = {  # the proof hashes of the published proofs, by a short name
    "96a2": CT_NODES[0][1],
    "5f08": CT_NODES[1][1],
    "6b47": CT_NODES[2][1],
    "bc1a": CT_NODES[0][4],
    "ca85": CT_NODES[1][3],
    "d37e": CT_NODES[2][0],
    "fac5": CT_NODES[1][0],
    "6e34": CT_NODES[0][0],
    "0ebc": CT_NODES[1][2],
    "b086": CT_NODES[0][6],
}
CT_INCLUSION = [  # (0-based index, size, proof); the source numbers leaves from 1
    (0, 1, []),
    (0, 8, ["96a2", "5f08", "6b47"]),
    (5, 8, ["bc1a", "ca85", "d37e"]),
    (2, 3, ["fac5"]),
    (1, 5, ["6e34", "5f08", "bc1a"]),
]
CT_CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a2", "5f08", "6b47"]),
    (6, 8, ["0ebc", "ca85", "d37e"]),
    (2, 5, ["5f08", "bc1a"]),
    (6, 7, ["0ebc", "b086", "d37e"]),
]


def test_hash_functions_are_domain_separated_sha256():
    assert EMPTY_ROOT.hex() == CT_ROOTS[0].hex()
    assert leaf_hash(b"") == CT_ROOTS[1]  # the 1-leaf tree's root is its leaf hash
    assert node_hash(CT_HASHES[0], CT_HASHES[1]) == CT_ROOTS[2]


@pytest.mark.parametrize("size", range(9))
def test_known_roots(size):
    assert root_of(CT_HASHES[:size]) == CT_ROOTS[size]
    one_shot, _ = CompactRange().append(CT_HASHES[:size])
    assert one_shot.root() == CT_ROOTS[size]
    stepwise = CompactRange()
    for h in CT_HASHES[:size]:
        stepwise, _ = stepwise.append([h])
    assert stepwise == one_shot


def test_known_node_hashes_and_peaks():
    rng, stored = CompactRange(), {}
    for size, h in enumerate(CT_HASHES, 1):
        rng, completed = rng.append([h])
        stored.update(completed)
        # The peaks are the nodes of decompose(0, size), largest first (CompactTrees vectors).
        assert rng.peaks == tuple(CT_NODES[n.level][n.index] for n in decompose(0, size))
    assert stored == {Node(level, i): h for level, row in enumerate(CT_NODES) for i, h in enumerate(row)}


@pytest.mark.parametrize("index, size, names", CT_INCLUSION)
def test_known_inclusion_proofs(index, size, names):
    proof = [H[n] for n in names]
    assert inclusion_proof(index, size, CT_HASHES) == proof
    assert assemble(ct_store(), inclusion_proof_nodes(index, size)) == proof
    verify_inclusion(CT_HASHES[index], index, size, proof, CT_ROOTS[size])
    assert_inclusion_tampering_fails(CT_HASHES[index], index, size, proof, CT_ROOTS[size])


@pytest.mark.parametrize("size1, size2, names", CT_CONSISTENCY)
def test_known_consistency_proofs(size1, size2, names):
    proof = [H[n] for n in names]
    assert consistency_proof(size1, size2, CT_HASHES) == proof
    assert assemble(ct_store(), consistency_proof_nodes(size1, size2)) == proof
    verify_consistency(size1, size2, proof, CT_ROOTS[size1], CT_ROOTS[size2])
    assert_consistency_tampering_fails(size1, size2, proof, CT_ROOTS[size1], CT_ROOTS[size2])


# --- helpers ------------------------------------------------------------------------------

N = 300
LEAVES = [leaf_hash(random.Random(k).randbytes(k % 40)) for k in range(N)]
ROOTS = [root_of(LEAVES[:n]) for n in range(N + 1)]


def split(n):
    return 1 << ((n - 1).bit_length() - 1)


def build(hashes, seed):
    """Append `hashes` in random chunks; returns the range and all completed nodes, asserting
    that no node is ever returned twice."""
    rnd, rng, stored, at = random.Random(seed), CompactRange(), {}, 0
    while at < len(hashes):
        step = rnd.choice([1, 1, 2, 3, 5, 8, 13, 64])
        rng, completed = rng.append(hashes[at : at + step])
        at = min(len(hashes), at + step)
        for node, h in completed:
            assert node not in stored, f"{node} returned twice"
            stored[node] = h
    return rng, stored


@cache
def store():
    return build(LEAVES, seed=1)[1]


@cache
def ct_store():
    return build(CT_HASHES, seed=1)[1]


def assemble(stored, elements):
    return [range_hash([stored[n] for n in element]) for element in elements]


def perfect_nodes(hashes):
    """Every perfect subtree hash, level by level, computed independently of CompactRange."""
    out, level, row = {}, 0, list(hashes)
    while row:
        out.update({Node(level, i): h for i, h in enumerate(row)})
        row = [node_hash(row[i], row[i + 1]) for i in range(0, len(row) - 1, 2)]
        level += 1
    return out


def incl_shape(index, size):
    """Side of each proof hash (bottom-up) per the RFC 6962 PATH recursion. Verification
    hashes exactly this shape, so a proof can only verify under sizes with the same shape."""
    sides = []
    while size > 1:
        k = split(size)
        sides.append("R" if index < k else "L")
        index, size = (index, k) if index < k else (index - k, size - k)
    return sides[::-1]


def cons_shape(size1, size2):
    """Like incl_shape, per the RFC 6962 SUBPROOF recursion; `whole` says the old root is
    a node of the new tree (and so not sent)."""
    sides, whole = [], True
    while size1 != size2:
        k = split(size2)
        if size1 <= k:
            sides.append("R")
            size2 = k
        else:
            sides.append("L")
            size1, size2, whole = size1 - k, size2 - k, False
    return whole, sides[::-1]


def flip(h, bit):
    return h[: bit // 8] + bytes([h[bit // 8] ^ (1 << bit % 8)]) + h[bit // 8 + 1 :]


def fails(verify, *args):
    try:
        verify(*args)
    except ProofError:
        return True
    return False


def assert_inclusion_tampering_fails(leaf, index, size, proof, root, every_bit=True):
    bits = range(256) if every_bit else random.Random(index * 1000 + size).sample(range(256), 4)
    for i in range(len(proof)):
        for b in bits:
            bad = proof[:i] + [flip(proof[i], b)] + proof[i + 1 :]
            assert fails(verify_inclusion, leaf, index, size, bad, root), (i, b)
    for b in bits:
        assert fails(verify_inclusion, leaf, index, size, proof, flip(root, b))
        assert fails(verify_inclusion, flip(leaf, b), index, size, proof, root)
    for other in [-1, size, size + 1, *range(size)]:
        if other != index:
            assert fails(verify_inclusion, leaf, other, size, proof, root), other
    for other in {0, size - 1, size + 1, size * 2, size // 2, index, index + 1, *range(size - 3, size + 4)}:
        if other != size:
            same = other > index and incl_shape(index, other) == incl_shape(index, size)
            assert fails(verify_inclusion, leaf, index, other, proof, root) != same, other
    z = bytes(32)
    for bad in [
        proof[:-1],
        proof + [z],
        proof + [root],
        [z] + proof,
        [root] + proof,
        proof + proof[-1:],
        proof[:1] + proof,
        [],
        [z],
    ]:
        if bad != proof:
            assert fails(verify_inclusion, leaf, index, size, bad, root)
    for i in range(len(proof)):
        for short in [proof[i][:31], proof[i] + b"\0"]:
            assert fails(verify_inclusion, leaf, index, size, proof[:i] + [short] + proof[i + 1 :], root)
    for bad_hash in [b"", leaf[:31], leaf + b"\0"]:
        assert fails(verify_inclusion, bad_hash, index, size, proof, root)
        assert fails(verify_inclusion, leaf, index, size, proof, bad_hash)


def assert_consistency_tampering_fails(size1, size2, proof, root1, root2, every_bit=True):
    if size1 == size2:  # nothing to tamper with but the roots and the emptiness
        assert fails(verify_consistency, size1, size2, [root1], root1, root2)
        assert fails(verify_consistency, size1, size2, [], root1, flip(root2, 0))
        return
    bits = range(256) if every_bit else random.Random(size1 * 1000 + size2).sample(range(256), 4)
    for i in range(len(proof)):
        for b in bits:
            bad = proof[:i] + [flip(proof[i], b)] + proof[i + 1 :]
            assert fails(verify_consistency, size1, size2, bad, root1, root2), (i, b)
    for b in bits:
        assert fails(verify_consistency, size1, size2, proof, flip(root1, b), root2)
        assert fails(verify_consistency, size1, size2, proof, root1, flip(root2, b))
    assert fails(verify_consistency, size1, size2, proof, root2, root1)
    assert fails(verify_consistency, size2, size1, proof, root1, root2)
    assert fails(verify_consistency, 0, size2, proof, root1, root2)
    for s1, s2 in {(size1 + d1, size2 + d2) for d1 in range(-2, 3) for d2 in range(-2, 3)} | {
        (size1 ^ 2, size2),
        (size1, size2 * 2),
        (size1, size2 // 2),
        (size1 * 2, size2 * 2),
    }:
        if (s1, s2) != (size1, size2):
            same = 0 < s1 < s2 and cons_shape(s1, s2) == cons_shape(size1, size2)
            assert fails(verify_consistency, s1, s2, proof, root1, root2) != same, (s1, s2)
    z = bytes(32)
    for bad in [
        proof[:-1],
        proof + [z],
        proof + [root1],
        proof + [root2],
        [z] + proof,
        [root1] + proof,
        [root2] + proof,
        proof[:1] + proof,
        [],
        proof[1:],
    ]:
        assert fails(verify_consistency, size1, size2, bad, root1, root2)
    for i in range(len(proof)):
        for short in [proof[i][:31], proof[i] + b"\0"]:
            assert fails(verify_consistency, size1, size2, proof[:i] + [short] + proof[i + 1 :], root1, root2)
    for bad_hash in [b"", root1[:31], root1 + b"\0"]:
        assert fails(verify_consistency, size1, size2, proof, bad_hash, root2)
        assert fails(verify_consistency, size1, size2, proof, root1, bad_hash)


# --- compact ranges and node addressing, exhaustively -------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_compact_range_every_size_by_random_chunks(seed):
    all_nodes = perfect_nodes(LEAVES)
    for size in range(N + 1):
        rng, stored = build(LEAVES[:size], seed=seed * 1000 + size)
        assert rng.size == size and rng.root() == ROOTS[size]
        # Every perfect node of this tree, exactly once (build asserts no repeats), right hash.
        assert stored == {n: h for n, h in all_nodes.items() if (n.index + 1) << n.level <= size}
        assert rng.peaks == tuple(stored[n] for n in decompose(0, size))
        # Resuming from a range rebuilt out of stored nodes carries on identically.
        resumed = CompactRange(size, tuple(stored[n] for n in decompose(0, size)))
        assert resumed.append(LEAVES[size : size + 3])[0].root() == ROOTS[min(N, size + 3)]


def test_compact_range_rejects_bad_state_and_leaves():
    h = LEAVES[0]
    for size, peaks in [(-1, ()), (0, (h,)), (1, ()), (3, (h,)), (2, (h[:31],))]:
        with pytest.raises(ValueError):
            CompactRange(size, peaks)
    for bad in [b"", h[:31], h + b"\0", "x" * 32]:
        with pytest.raises(ValueError):
            CompactRange().append([h, bad])
    assert CompactRange().root() == EMPTY_ROOT and CompactRange().append([]) == (CompactRange(), [])


def test_decompose_covers_ranges_with_aligned_perfect_nodes():
    for begin in range(70):
        for end in range(begin, 70):
            nodes, at = decompose(begin, end), begin
            for n in nodes:  # contiguous, left to right, each node aligned to its own size
                assert n.index << n.level == at
                at += 1 << n.level
            assert at == end
            width = 1 << max(0, (end - begin - 1).bit_length())
            if begin % width == 0:  # a subtree range: binary decomposition, range_hash == MTH
                assert [n.level for n in nodes] == [b for b in range(10, -1, -1) if (end - begin) >> b & 1]
                assert range_hash([store()[n] for n in nodes]) == root_of(LEAVES[begin:end])
    for begin, end in [(-1, 2), (3, 2)]:
        with pytest.raises(ValueError):
            decompose(begin, end)
    assert range_hash([]) == EMPTY_ROOT


def check_inclusion(index, size):
    elements = inclusion_proof_nodes(index, size)
    assert all((n.index + 1) << n.level <= size for el in elements for n in el)  # served at `size`
    proof = assemble(store(), elements)
    assert proof == inclusion_proof(index, size, LEAVES)
    verify_inclusion(LEAVES[index], index, size, proof, ROOTS[size])


def check_consistency(size1, size2):
    elements = consistency_proof_nodes(size1, size2)
    assert all((n.index + 1) << n.level <= size2 for el in elements for n in el)
    proof = assemble(store(), elements)
    assert proof == consistency_proof(size1, size2, LEAVES)
    verify_consistency(size1, size2, proof, ROOTS[size1], ROOTS[size2])


def test_inclusion_proofs_from_stored_nodes_every_pair_to_100_and_sampled_to_300():
    for size in range(1, 101):
        for index in range(size):
            check_inclusion(index, size)
    rnd = random.Random(5)
    for _ in range(500):
        size = rnd.randint(1, N)
        check_inclusion(rnd.randrange(size), size)


def test_consistency_proofs_from_stored_nodes_every_pair_to_100_and_sampled_to_300():
    for size2 in range(1, 101):
        for size1 in range(1, size2 + 1):
            check_consistency(size1, size2)
    rnd = random.Random(6)
    for _ in range(500):
        size2 = rnd.randint(1, N)
        check_consistency(rnd.randint(1, size2), size2)
    assert consistency_proof_nodes(0, 5) == [] and consistency_proof(0, 5, LEAVES) == []
    verify_consistency(0, 5, [], EMPTY_ROOT, ROOTS[5])


def test_proof_node_preconditions():
    for index, size in [(0, 0), (3, 3), (-1, 4)]:
        with pytest.raises(ValueError):
            inclusion_proof_nodes(index, size)
    for size1, size2 in [(3, 2), (-1, 2)]:
        with pytest.raises(ValueError):
            consistency_proof_nodes(size1, size2)


# --- malformed proofs -----------------------------------------------------------------------


def test_tampered_inclusion_proofs_fail():
    for size in range(1, 17):  # every bit of every hash
        for index in range(size):
            proof = inclusion_proof(index, size, LEAVES)
            assert_inclusion_tampering_fails(LEAVES[index], index, size, proof, ROOTS[size])
    for size in range(17, 70, 5):  # larger trees: sampled bits
        for index in range(0, size, 3):
            proof = inclusion_proof(index, size, LEAVES)
            assert_inclusion_tampering_fails(LEAVES[index], index, size, proof, ROOTS[size], every_bit=False)


def test_tampered_consistency_proofs_fail():
    for size2 in range(1, 17):
        for size1 in range(1, size2 + 1):
            proof = consistency_proof(size1, size2, LEAVES)
            assert_consistency_tampering_fails(size1, size2, proof, ROOTS[size1], ROOTS[size2])
    for size2 in range(17, 70, 5):
        for size1 in range(1, size2, 3):
            proof = consistency_proof(size1, size2, LEAVES)
            assert_consistency_tampering_fails(size1, size2, proof, ROOTS[size1], ROOTS[size2], every_bit=False)


def test_degenerate_inclusion_and_consistency_cases():
    h = LEAVES[0]
    verify_inclusion(h, 0, 1, [], h)  # a 1-leaf tree's root is the leaf hash
    for index, size in [(0, 0), (1, 0), (1, 1), (2, 1), (-1, 1)]:
        with pytest.raises(ProofError, match="outside"):
            verify_inclusion(h, index, size, [], h)
    verify_consistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT)
    verify_consistency(3, 3, [], ROOTS[3], ROOTS[3])
    bad = [
        (0, 0, [], EMPTY_ROOT, ROOTS[1]),  # equal sizes, different roots
        (0, 3, [], ROOTS[1], ROOTS[3]),  # size 0 has only one possible root
        (0, 3, [ROOTS[3]], EMPTY_ROOT, ROOTS[3]),  # size 0 with a non-empty proof
        (3, 3, [ROOTS[3]], ROOTS[3], ROOTS[3]),  # equal sizes with a non-empty proof
        (1, 2, [], ROOTS[1], ROOTS[2]),  # empty proof where one is needed
        (2, 1, [], ROOTS[2], ROOTS[1]),  # size1 > size2
        (-1, 2, [], ROOTS[1], ROOTS[2]),
    ]
    for args in bad:
        with pytest.raises(ProofError):
            verify_consistency(*args)


def test_proof_error_carries_roots_and_says_what_is_wrong():
    proof = inclusion_proof(3, 7, LEAVES)
    with pytest.raises(ProofError, match="root") as e:
        verify_inclusion(LEAVES[3], 3, 7, proof, ROOTS[6])
    assert e.value.expected == ROOTS[6] and e.value.calculated == ROOTS[7]
    with pytest.raises(ProofError, match="has 2 hashes, expected 3") as e:
        verify_inclusion(LEAVES[3], 3, 7, proof[:2], ROOTS[7])
    assert e.value.expected is None and e.value.calculated is None
    with pytest.raises(ProofError, match=r"proof\[1\] is not a 32-byte hash"):
        verify_inclusion(LEAVES[3], 3, 7, [proof[0], proof[1][:5], proof[2]], ROOTS[7])
    proof = consistency_proof(3, 7, LEAVES)
    with pytest.raises(ProofError, match="second root") as e:
        verify_consistency(3, 7, proof, ROOTS[3], ROOTS[6])
    assert e.value.expected == ROOTS[6] and e.value.calculated == ROOTS[7]
    with pytest.raises(ProofError, match="first root") as e:
        verify_consistency(3, 7, proof, ROOTS[2], ROOTS[7])
    assert e.value.expected == ROOTS[2] and e.value.calculated == ROOTS[3]


# --- properties -----------------------------------------------------------------------------

leaves_st = st.lists(st.binary(max_size=24), min_size=1, max_size=80, unique=True)  # equal leaves make
# some mutations legitimately verify (leaf 0 and leaf 1 of [x, x] share one proof)
INCLUSION_MUTATIONS = ["proof bit", "root bit", "leaf bit", "index", "size", "drop", "append", "prepend", "short hash"]
CONSISTENCY_MUTATIONS = [
    "proof bit",
    "root1 bit",
    "root2 bit",
    "swap roots",
    "sizes",
    "drop",
    "append",
    "prepend",
    "short hash",
]


@settings(max_examples=150, deadline=None)
@given(leaves=leaves_st, data=st.data())
def test_property_inclusion(leaves, data):
    hashes = [leaf_hash(x) for x in leaves]
    size = data.draw(st.integers(1, len(hashes)), "size")
    index = data.draw(st.integers(0, size - 1), "index")
    _, stored = build(hashes, seed=data.draw(st.integers(0, 99), "chunking"))
    proof = assemble(stored, inclusion_proof_nodes(index, size))
    root, leaf = root_of(hashes[:size]), hashes[index]
    assert proof == inclusion_proof(index, size, hashes)
    verify_inclusion(leaf, index, size, proof, root)

    kind = data.draw(st.sampled_from(INCLUSION_MUTATIONS if proof else INCLUSION_MUTATIONS[1:5]), "mutation")
    pick = data.draw(st.integers(0, 10**6), "pick")
    i, bit = pick % max(1, len(proof)), pick % 256
    args = [leaf, index, size, list(proof), root]
    if kind == "proof bit":
        args[3][i] = flip(proof[i], bit)
    elif kind == "root bit":
        args[4] = flip(root, bit)
    elif kind == "leaf bit":
        args[0] = flip(leaf, bit)
    elif kind == "index":
        args[1] = (index + 2 + pick % (size + 1)) % (size + 2) - 1  # any other in [-1, size]
    elif kind == "size":
        others = [
            s
            for s in range(1, 2 * size + 3)
            if s != size and not (s > index and incl_shape(index, s) == incl_shape(index, size))
        ]
        args[2] = others[pick % len(others)]
    elif kind == "drop":
        del args[3][i]
    elif kind in ("append", "prepend"):
        extra = [root, leaf, bytes(32), *proof][pick % (3 + len(proof))]
        args[3] = args[3] + [extra] if kind == "append" else [extra] + args[3]
    else:
        args[3][i] = proof[i][: bit % 32]
    with pytest.raises(ProofError):
        verify_inclusion(*args)


@settings(max_examples=150, deadline=None)
@given(leaves=leaves_st.filter(lambda x: len(x) > 1), data=st.data())
def test_property_consistency(leaves, data):
    hashes = [leaf_hash(x) for x in leaves]
    size2 = data.draw(st.integers(2, len(hashes)), "size2")
    size1 = data.draw(st.integers(1, size2 - 1), "size1")
    _, stored = build(hashes, seed=data.draw(st.integers(0, 99), "chunking"))
    proof = assemble(stored, consistency_proof_nodes(size1, size2))
    root1, root2 = root_of(hashes[:size1]), root_of(hashes[:size2])
    assert proof == consistency_proof(size1, size2, hashes)
    verify_consistency(size1, size2, proof, root1, root2)

    kind = data.draw(st.sampled_from(CONSISTENCY_MUTATIONS), "mutation")
    pick = data.draw(st.integers(0, 10**6), "pick")
    i, bit = pick % len(proof), pick % 256
    args = [size1, size2, list(proof), root1, root2]
    if kind == "proof bit":
        args[2][i] = flip(proof[i], bit)
    elif kind == "root1 bit":
        args[3] = flip(root1, bit)
    elif kind == "root2 bit":
        args[4] = flip(root2, bit)
    elif kind == "swap roots":
        args[3], args[4] = root2, root1
    elif kind == "sizes":
        others = [
            (a, b)
            for b in range(0, 2 * size2 + 2)
            for a in range(0, b + 2)
            if (a, b) != (size1, size2) and not (0 < a < b and cons_shape(a, b) == cons_shape(size1, size2))
        ]
        args[0], args[1] = others[pick % len(others)]
    elif kind == "drop":
        del args[2][i]
    elif kind in ("append", "prepend"):
        extra = [root1, root2, bytes(32), *proof][pick % (3 + len(proof))]
        args[2] = args[2] + [extra] if kind == "append" else [extra] + args[2]
    else:
        args[2][i] = proof[i][: bit % 32]
    with pytest.raises(ProofError):
        verify_consistency(*args)
