"""The replay page's verification (services/audit/adapters/web/static/verify.js, protobuf.js) run
in headless Chromium against vectors made by the Python reference: envelopes sealed by the kernel,
a Merkle tree and proofs by services/audit/domain/merkle.py, checkpoints signed and cosigned by
checkpoint.py / cosignature.py, a tlog-policy (issue 29 point 2, "verified in the browser")."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from clues.v1 import events_pb2
from kernel.domain.principal import Principal
from kernel.eventstore.envelope import Link, NewEvent, build, parse, seal
from services.audit.domain.checkpoint import Checkpoint, NoteSigner
from services.audit.domain.cosignature import Cosigner
from services.audit.domain.merkle import inclusion_proof, leaf_hash, root_of
from tests.browser import browser, static_site

pytestmark = pytest.mark.unit
STATIC = Path(__file__).parents[2] / "services/audit/adapters/web/static"
ORIGIN = "jjjc.test/audit-ledger"
T0 = datetime(2026, 11, 3, 9, 30, 15, 123456, tzinfo=timezone.utc)
WHO = Principal("commission", "case_management", "case_manager", "u-张三")
STORY_LEAVES = (0, 3, 6, 10)  # in a tree of 11 leaves: left and right edges, an odd size


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def envelope(k: int) -> bytes:
    event = NewEvent(
        str(uuid.uuid4()),
        events_pb2.ClueRegistered(clue_id="clue-1", summary=f"线索 {k}"),
        T0 + timedelta(hours=k),
        WHO,
        "corr",
        links=(Link("person", "P-17", "subject"),),
    )
    return seal(build(event, "clue-1", k + 1, T0 + timedelta(hours=k, seconds=1)))


def flipped(line: str) -> str:
    """A signature line "— <name> <base64>" with one bit of its signature flipped."""
    head, data = line.rstrip("\n").rsplit(" ", 1)
    raw = bytearray(base64.b64decode(data))
    raw[-1] ^= 1
    return f"{head} {b64(bytes(raw))}\n"


def make_story(size: int = 11):
    """A story JSON as /api/story answers it, its leaves in a tree of `size`, and the note signer."""
    leaves = [envelope(k) if k in STORY_LEAVES else uuid.uuid4().bytes for k in range(size)]
    hashes = [leaf_hash(x) for x in leaves]
    signer = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    body = Checkpoint(ORIGIN, size, root_of(hashes)).body()
    steps, events = [], []
    for n, leaf in enumerate(STORY_LEAVES):
        raw = leaves[leaf]
        env = parse(raw)
        steps.append(
            {
                "position": n,
                "leaf_index": leaf,
                "event_id": env.event_id,
                "event_type": env.event_type,
                "stream_id": env.stream_id,
                "version": env.version,
                "principal": {"user": WHO.user, "agency": WHO.agency, "office": WHO.office, "role": WHO.role},
                "occurred_at": (T0 + timedelta(hours=leaf)).isoformat(),
            }
        )
        proof = inclusion_proof(leaf, size, hashes)
        events.append(
            {
                "event_id": env.event_id,
                "leaf_index": leaf,
                "envelope_b64": b64(raw),
                "hashes_b64": [b64(h) for h in proof],
            }
        )
    story = {
        "subjects": [{"id": "clue-1", "kind": "clue", "linked_from": "", "relation": ""}],
        "steps": steps,
        "proof": {"checkpoint": signer.sign(body).decode(), "tree_size": size, "events": events},
    }
    return story, signer, body


@pytest.fixture(scope="module")
def page(browser, static_site, tmp_path_factory):
    """The page's folder served at /static/ as the audit service serves it (no API behind it here)."""
    site = tmp_path_factory.mktemp("site")
    (site / "static").symlink_to(STATIC)
    browser.open(static_site(site) + "static/index.html")
    return browser


def verify(page, story, pins):
    return page.run(
        "const v = await import('/static/verify.js'); return await v.verifyStory(arguments[0], arguments[1]);",
        story,
        pins,
    )


def oks(result) -> list[bool]:
    return [s["ok"] for s in result["steps"]]


def test_a_story_signed_by_the_pinned_key_verifies_every_step(page):
    story, signer, _ = make_story()
    result = verify(page, story, {"ledger_vkey": signer.verifier_key, "origin": ORIGIN})
    assert result["checkpoint"]["ok"], result
    assert oks(result) == [True] * len(STORY_LEAVES)


def test_another_key_under_the_same_name_verifies_nothing(page):
    story, _, _ = make_story()
    other = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    result = verify(page, story, {"ledger_vkey": other.verifier_key})
    assert oks(result) == [False] * len(STORY_LEAVES)
    assert "no signature by the pinned key" in result["steps"][0]["reason"]


def test_a_forged_signature_and_another_origin_are_refused(page):
    story, signer, _ = make_story()
    story["proof"]["checkpoint"] = flipped(story["proof"]["checkpoint"])
    assert "does not verify" in verify(page, story, {"ledger_vkey": signer.verifier_key})["steps"][0]["reason"]
    story, signer, _ = make_story()
    result = verify(page, story, {"ledger_vkey": signer.verifier_key, "origin": "elsewhere/log"})
    assert "is not the pinned elsewhere/log" in result["checkpoint"]["reason"]


@pytest.mark.parametrize("tamper", ["hash", "envelope", "who", "when", "version"])
def test_a_tampered_step_alone_is_not_verified(page, tamper):
    story, signer, _ = make_story()
    event, step = story["proof"]["events"][1], story["steps"][1]
    if tamper == "hash":
        event["hashes_b64"][0] = b64(bytes(32))
    elif tamper == "envelope":
        raw = bytearray(base64.b64decode(event["envelope_b64"]))
        raw[-1] ^= 1
        event["envelope_b64"] = b64(bytes(raw))
    elif tamper == "who":
        step["principal"]["user"] = "u-someone-else"
    elif tamper == "when":
        step["occurred_at"] = (T0 + timedelta(hours=3, microseconds=1)).isoformat()
    else:
        step["version"] += 1
    result = verify(page, story, {"ledger_vkey": signer.verifier_key})
    assert oks(result) == [True, False, True, True], result["steps"][1]


def test_a_genuine_event_of_another_story_is_not_verified_as_a_step_of_this_one(page):
    story, signer, _ = make_story()
    pins = {"ledger_vkey": signer.verifier_key}
    story["subjects"] = [{"id": "case-2", "kind": "case", "linked_from": "", "relation": ""}]
    result = verify(page, story, pins)
    assert oks(result) == [False] * 4 and "links none of the story's subjects" in result["steps"][0]["reason"]
    story["subjects"].append({"id": "clue-1", "kind": "clue", "linked_from": "case-2", "relation": "origin"})
    assert oks(verify(page, story, pins)) == [True] * 4


def test_the_witness_policy_quorum_is_enforced(page):
    story, signer, body = make_story()
    court, proc = (Cosigner(f"witness.test/{n}", Ed25519PrivateKey.generate()) for n in ("court", "proc"))
    policy = (
        f"log {signer.verifier_key}\nwitness court {court.verifier_key}\nwitness proc {proc.verifier_key}\n"
        "group partners 2 court proc\nquorum partners\n"
    )
    note = signer.sign(body).decode()
    pins = {"ledger_vkey": signer.verifier_key, "witness_policy": policy}
    story["proof"]["checkpoint"] = note + court.cosign(body, 1_790_000_000)
    result = verify(page, story, pins)
    assert oks(result) == [False] * 4 and "witness policy not met" in result["checkpoint"]["reason"]
    story["proof"]["checkpoint"] = note + court.cosign(body, 1_790_000_000) + proc.cosign(body, 1_790_000_001)
    result = verify(page, story, pins)
    assert oks(result) == [True] * 4 and sorted(result["checkpoint"]["cosigners"]) == ["court", "proc"]
    forged = flipped(proc.cosign(body, 1_790_000_001))
    story["proof"]["checkpoint"] = note + court.cosign(body, 1_790_000_000) + forged
    assert oks(verify(page, story, pins)) == [False] * 4


def test_inclusion_agrees_with_the_python_reference_for_every_index_and_size(page):
    hashes = [leaf_hash(bytes([k])) for k in range(17)]
    cases = []
    for size in range(1, 18):
        root = root_of(hashes[:size])
        for index in range(size):
            proof = [b64(h) for h in inclusion_proof(index, size, hashes)]
            cases.append([b64(hashes[index]), index, size, proof, b64(root)])
    script = """
      const v = await import('/static/verify.js');
      const d = (s) => v.b64(s, 'x');
      const out = [];
      for (const [leaf, index, size, proof, root] of arguments[0]) {
        const run = (l, i) => v.verifyInclusion(d(l), i, size, proof.map(d), d(root)).then(() => true, () => false);
        out.push([await run(leaf, index), await run(arguments[1], index), size > 1 && await run(leaf, (index + 1) % size)]);
      }
      return out;"""
    results = page.run(script, cases, b64(bytes(32)))
    assert len(results) == 17 * 18 // 2
    assert all(r == [True, False, False] for r in results)  # right leaf only; a wrong leaf or index fails


def test_base64_must_be_canonical_and_may_be_large(page):
    script = """
      const v = await import('/static/verify.js');
      const ok = (s) => { try { return v.b64(s, 'x').length; } catch (e) { return e.message; } };
      return [ok(arguments[0]), ok('AAE'), ok('AAF='), ok('AA E='), ok('A*E=')];"""
    big = b64(bytes(range(256)) * 1024)  # 256 KiB: more than one call's arguments
    # atob forgives missing padding, spaces and non-zero pad bits: the re-encoding refuses them
    refused = ["x is not canonical base64"] * 3 + ["x is not valid base64"]
    assert page.run(script, big) == [256 * 1024, *refused]


def test_the_wire_decoder_reads_the_envelope_the_kernel_sealed(page):
    raw = envelope(4)
    script = """
      const p = await import('/static/protobuf.js');
      const e = p.decodeEnvelope(Uint8Array.from(atob(arguments[0]), c => c.charCodeAt(0)));
      return JSON.stringify(e, (k, v) => typeof v === 'bigint' ? String(v) : v instanceof Uint8Array ? v.length : v);"""
    env = json.loads(page.run(script, b64(raw)))
    assert (env["stream_id"], env["version"], env["principal"]["user"]) == ("clue-1", "5", "u-张三")
    assert env["event_type"] == "clues.v1.ClueRegistered"
    assert env["occurred_at"] == {"seconds": str(int((T0 + timedelta(hours=4)).timestamp())), "nanos": "123456000"}
    assert env["links"] == [{"kind": "person", "id": "P-17", "relation": "subject"}]
    assert env["payload"]["type_url"] == "type.googleapis.com/clues.v1.ClueRegistered"
