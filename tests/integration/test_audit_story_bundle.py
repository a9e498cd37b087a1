"""Whole-story bundles on a real PostgreSQL (issue 25 points 3 and 4): everything GetHistory tells of a
clue → case → measure → decision story, each event with its inclusion proof and its C2SP tlog-proof in
one checkpoint cosigned by witnesses; verified offline by a verifier written here from the specs alone
(signed-note, tlog-checkpoint, tlog-cosignature, tlog-policy, tlog-proof, RFC 9162 §2.1.3.2), sharing
no production code, and by `python -m services.audit.verify_bundle`; both accept the good bundle and
refuse a tampered event, a missing cosignature (the policy unmet) and a wrong policy. A stranger's
bundle leaves out what they may not know (domain.md §1, issue 17)."""

import base64
import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

# ---------------------------------------------------------------------------------------------------
# The offline verifier, from the specs only: hashlib, base64, json and cryptography; no project code.
# ---------------------------------------------------------------------------------------------------


class Refused(Exception):
    """The offline verifier does not accept the bundle."""


def _vkey(vkey: str, type_byte: int) -> tuple[str, bytes, Ed25519PublicKey]:
    """signed-note "Verifier keys": <name>+<hex8 key id>+<base64(type || public key)>; the key id is
    SHA-256(name || "\\n" || type || key)[:4] (0x01 log Ed25519, 0x04 Ed25519 cosignature/v1)."""
    name, key_id, data = vkey.split("+", 2)
    raw = base64.b64decode(data, validate=True)
    if raw[0] != type_byte or len(raw) != 33:
        raise Refused(f"vkey {name} is not of type {type_byte:#04x}")
    if hashlib.sha256(name.encode() + b"\n" + raw[:33]).digest()[:4].hex() != key_id:
        raise Refused(f"vkey {name}: key id does not match")
    return name, bytes.fromhex(key_id), Ed25519PublicKey.from_public_bytes(raw[1:])


def spec_policy(text: str) -> dict:
    """tlog-policy: log, witness, group (all | any | k) and quorum lines; # comments; blanks."""
    logs, witnesses, groups, quorum = [], {}, {}, None
    for line in text.split("\n"):
        words = line.replace("\t", " ").split()
        if not words or words[0].startswith("#"):
            continue
        if words[0] == "log":
            logs.append(_vkey(words[1], 0x01))
        elif words[0] == "witness":
            witnesses[words[1]] = _vkey(words[2], 0x04)
        elif words[0] == "group":
            members = words[3:]
            k = {"all": len(members), "any": 1}.get(words[2]) or int(words[2])
            assert all(m in witnesses or m in groups for m in members) and 1 <= k <= len(members)
            groups[words[1]] = (k, members)
        elif words[0] == "quorum":
            quorum = words[1]
    return {"logs": logs, "witnesses": witnesses, "groups": groups, "quorum": quorum}


def _met(policy: dict, name: str, cosigned: set[str]) -> bool:
    if name == "none":
        return True
    if name in policy["witnesses"]:
        return name in cosigned
    k, members = policy["groups"][name]
    return sum(_met(policy, m, cosigned) for m in members) >= k


def spec_checkpoint(note: str, policy: dict) -> tuple[str, int, bytes, set[str]]:
    """signed-note + tlog-checkpoint + tlog-cosignature: the origin, size and root of a note signed
    by the policy's log for its origin and cosigned to its quorum; and who cosigned."""
    body, _, signatures = note.rpartition("\n\n")
    body += "\n"
    origin, size, root = body.split("\n")[:3]
    sigs = []
    for line in signatures.rstrip("\n").split("\n"):
        assert line.startswith("\u2014 ")
        name, b64 = line[2:].split(" ")
        raw = base64.b64decode(b64, validate=True)
        sigs.append((name, raw[:4], raw[4:]))
    signed = False
    for name, key_id, key in policy["logs"]:
        for n, k, sig in sigs:
            if (n, k) == (name, key_id) and name == origin:
                try:
                    key.verify(sig, body.encode())
                    signed = True
                except InvalidSignature:
                    raise Refused("the log's signature does not verify") from None
    if not signed:
        raise Refused(f"no signature by a policy log for origin {origin}")
    cosigned = set()
    for wname, (name, key_id, key) in policy["witnesses"].items():
        for n, k, sig in sigs:
            if (n, k) == (name, key_id):
                timestamp = int.from_bytes(sig[:8], "big")
                message = b"cosignature/v1\n" + f"time {timestamp}\n".encode() + body.encode()
                try:
                    key.verify(sig[8:], message)
                except InvalidSignature:
                    raise Refused(f"the cosignature of {wname} does not verify") from None
                cosigned.add(wname)
    if not _met(policy, policy["quorum"], cosigned):
        raise Refused(f"quorum {policy['quorum']} not met by {sorted(cosigned)}")
    return origin, int(size), base64.b64decode(root), cosigned


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def spec_inclusion(leaf: bytes, index: int, size: int, path: list[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2, step by step."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = _node(p, r)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = _node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def spec_tlog_proof(text: str, data: bytes, policy: dict) -> set[str]:
    """tlog-proof: verify one proof that `data` is logged; who cosigned its checkpoint."""
    head, _, note = text.partition("\n\n")
    lines = head.split("\n")
    assert lines.pop(0) == "c2sp.org/tlog-proof@v1"
    if lines[0].startswith("extra "):
        lines.pop(0)
    index = int(lines.pop(0).removeprefix("index "))
    path = [base64.b64decode(h, validate=True) for h in lines]
    _, size, root, cosigned = spec_checkpoint(note, policy)
    if not spec_inclusion(hashlib.sha256(b"\x00" + data).digest(), index, size, path, root):
        raise Refused(f"the inclusion proof of leaf {index} does not verify")
    return cosigned


def spec_verify(bundle_bytes: bytes, policy_text: str) -> int:
    """The bundle's checkpoint against the policy, then every event's tlog-proof with its envelope as
    the logged data, in that same checkpoint. How many events verified."""
    bundle, policy = json.loads(bundle_bytes), spec_policy(policy_text)
    spec_checkpoint(bundle["checkpoint"], policy)
    for event in bundle["events"]:
        if bundle["checkpoint"] not in event["tlog_proof"]:
            raise Refused(f"leaf {event['leaf_index']} is proven in another checkpoint")
        spec_tlog_proof(event["tlog_proof"], base64.b64decode(event["envelope"]), policy)
    return len(bundle["events"])


# ---------------------------------------------------------------------------------------------------
# The story, the export and the verdicts (project code from here on).
# ---------------------------------------------------------------------------------------------------

from cases.v1 import events_pb2 as cases  # noqa: E402
from clues.v1 import events_pb2 as clues  # noqa: E402
from kernel.domain.access import holding_links  # noqa: E402
from kernel.domain.errors import IllegalState, NotFound, Validation  # noqa: E402
from kernel.domain.principal import Principal  # noqa: E402
from kernel.edge import catalogue  # noqa: E402
from kernel.eventstore import envelope as env_mod  # noqa: E402
from kernel.eventstore.envelope import Link, NewEvent  # noqa: E402
from kernel.messaging.inbox import Source  # noqa: E402
from sanctions.v1 import events_pb2 as sanctions  # noqa: E402
from services.audit.app import bundles  # noqa: E402
from services.audit.app.checkpoints import Checkpointer  # noqa: E402
from services.audit.app.holdings import Reader  # noqa: E402
from services.audit.app.recorder import Recorder  # noqa: E402
from services.audit.app.replay import Replay  # noqa: E402
from services.audit.domain.checkpoint import NoteSigner  # noqa: E402
from services.audit.domain.cosignature import Cosigner  # noqa: E402
from services.audit.verify_bundle import BundleError, main, verify_bundle  # noqa: E402

ORIGIN = "test.jjjc/audit-ledger"
ORG = catalogue.load().organisation
T0 = datetime(2026, 12, 1, 9, tzinfo=timezone.utc)
U = uuid.UUID(int=0x25)
CLUE, CASE, MEASURE, DECISION = (f"{k}-{U}" for k in ("clue", "case", "measure", "decision"))
OTHER_CLUE = f"clue-{uuid.UUID(int=0x26)}"
HELD = ORG.holding("resident_group_1")
INVESTIGATED = ORG.holding("investigation_2")
PERSON = Link("person", "P-77", "subject")
INTAKE = Principal("commission", "complaints", "complaints_officer", "u-intake")
INVESTIGATOR = Principal("commission", "investigation_2", "investigator", "u-inv")


def held(h) -> list[Link]:
    return [Link(*link) for link in holding_links(h)]


def ev(stream, version, payload, day, links=(), by=INTAKE) -> bytes:
    event = NewEvent(
        str(uuid.uuid5(U, f"{stream}/{version}")), payload, T0 + timedelta(days=day), by, "c", links=tuple(links)
    )
    return env_mod.seal(env_mod.build(event, stream, version, T0 + timedelta(days=day)))


ON_CASE = [Link("case", CASE, "case"), Link("clue", CLUE, "origin"), PERSON]  # a decision's links
STORY = {  # label -> envelope bytes; the clue → case → measure → decision (SL 36-52; G2) story
    "registered": ev(CLUE, 1, clues.ClueRegistered(clue_id=CLUE, summary="bribes"), 0, [PERSON, *held(HELD)]),
    "approved": ev(CLUE, 2, clues.RegistrationApproved(clue_id=CLUE, approved_by="u-head"), 1, [*held(HELD)]),
    "filed": ev(
        CASE, 1, cases.CaseFiled(case_id=CASE, clue_id=CLUE), 5, [Link("clue", CLUE, "origin"), *held(INVESTIGATED)]
    ),
    "clue-filed": ev(
        CLUE, 3, clues.ClueCaseFiled(clue_id=CLUE, case_id=CASE), 5, [Link("case", CASE, "filed-as"), *held(HELD)]
    ),
    "measure": ev(
        MEASURE,
        1,
        cases.MeasureRequested(measure_id=MEASURE, case_id=CASE, person_id="P-77"),
        8,
        [Link("case", CASE, "measure-of"), PERSON, *held(INVESTIGATED)],
        by=INVESTIGATOR,
    ),
    "decided": ev(
        DECISION,
        1,
        sanctions.DecisionOpened(decision_id=DECISION, case_id=CASE, clue_id=CLUE, person_id="P-77"),
        20,
        [Link("decision", DECISION, "decision"), *ON_CASE, *held(INVESTIGATED)],
    ),
    "item": ev(
        DECISION,
        2,
        sanctions.ExecutionItemReported(decision_id=DECISION, item_id="i-1", kind="demotion"),
        30,
        [Link("decision", DECISION, "decision"), *ON_CASE, *held(INVESTIGATED)],
    ),
}
UNRELATED = [ev(OTHER_CLUE, 1, clues.ClueRegistered(clue_id=OTHER_CLUE), 3, [PERSON, *held(HELD)])]  # same person
STRANGER = Principal("commission", "investigation_2", "investigator", "u-stranger")  # knows the case, not the clue


@dataclass(frozen=True)
class Witnessed:  # what app.witnessing.Witnessing.witness gives: the note with the cosignatures gathered
    tree_size: int
    root: bytes
    note: bytes
    cosigners: tuple[str, ...]
    met: bool


WITNESSES = {
    name: Cosigner(f"{name}.example/witness", Ed25519PrivateKey.generate()) for name in ("court", "proc", "fin")
}


def policy_text(log_key: str, witnesses=WITNESSES) -> str:
    lines = ["# the partners' witnesses (tlog-policy)", f"log {log_key}"]
    lines += [f"witness {name} {c.verifier_key} http://{name}.example" for name, c in witnesses.items()]
    return "\n".join([*lines, "group partners 2 court proc fin", "quorum partners", ""])


def two_of_three(names=("court", "proc")):
    """Witnessing by two of the three witnesses (the third down), with helper A's Cosigner directly."""

    async def witness(signed):
        body = signed.note[: signed.note.index(b"\n\n") + 1]
        lines = "".join(WITNESSES[n].cosign(body, 1_796_000_000 + k) for k, n in enumerate(names))
        cosigners = tuple(WITNESSES[n].name for n in names)
        return Witnessed(signed.tree_size, signed.root, signed.note + lines.encode(), cosigners, len(names) >= 2)

    return witness


@pytest.fixture
async def audit(store):
    recorder = Recorder(store, consumer="bundle-test")
    await recorder.migrate()
    raws = [*STORY.values(), *UNRELATED]
    for k in range(0, len(raws), 3):
        await recorder.record_batch([(r, Source("t", 0, k + i)) for i, r in enumerate(raws[k : k + 3])])
    checkpoints = Checkpointer(store.pool, store.schema, NoteSigner(ORIGIN, Ed25519PrivateKey.generate()), ORIGIN)
    await checkpoints.migrate()
    return checkpoints


async def export(store, checkpoints, subject=CASE, reader=None, witness=None, **kw):
    return await bundles.export(
        store.pool,
        store.schema,
        checkpoints,
        subject,
        reader,
        whole_story=True,
        witness=witness or two_of_three(),
        **kw,
    )


def labels(data: bytes) -> list[str]:
    by_bytes = {base64.b64encode(raw).decode(): label for label, raw in STORY.items()}
    return [by_bytes.get(e["envelope"], "?") for e in json.loads(data)["events"]]


@pytest.mark.parametrize("subject", [CLUE, CASE, DECISION])
async def test_the_whole_story_is_every_step_gethistory_tells_in_its_order(store, audit, subject):
    b = await export(store, audit, subject)
    bundle = json.loads(b.data)
    told = await Replay(store.pool, store.schema).page(subject, None, 0, "")
    assert [e["leaf_index"] for e in bundle["events"]] == [r["leaf_index"] for r in told.rows]
    assert labels(b.data) == list(STORY)  # the clue, the case, its measure, the decision and its item
    assert (bundle["format"], bundle["subject"], bundle["whole_story"]) == ("jjjc-audit-bundle/v2", subject, True)
    assert {s["id"] for s in bundle["subjects"]} == {CLUE, CASE, DECISION}  # not the other clue of P-77
    assert bundle["as_of"] == (T0 + timedelta(days=30)).isoformat()
    assert (b.events, b.tree_size, b.witnessed) == (len(STORY), len(STORY) + len(UNRELATED), True)
    assert b.cosigners == ("court.example/witness", "proc.example/witness") and set(b.persons) == {"P-77"}
    assert all(e["tlog_proof"].endswith(bundle["checkpoint"]) for e in bundle["events"])


async def test_the_offline_verifier_from_the_specs_and_verify_bundle_accept_the_witnessed_story(
    store, audit, tmp_path, capsys
):
    data = (await export(store, audit)).data
    policy = policy_text(audit.signer.verifier_key)
    assert spec_verify(data, policy) == len(STORY)
    (tmp_path / "story.json").write_bytes(data)
    (tmp_path / "witnesses.policy").write_text(policy)
    args = [str(tmp_path / "story.json"), "--policy", str(tmp_path / "witnesses.policy")]
    assert main([*args, "--origin", ORIGIN, "--extract", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "cosigned by court, proc: witness policy (quorum partners) met" in out
    assert f"{len(STORY)} events of the whole story of {CASE} (3 subjects) verified against the witnessed" in out
    # each extracted tlog-proof verifies on its own with the envelope beside it, by the specs' verifier
    for e in json.loads(data)["events"]:
        proof = (tmp_path / "out" / f"{e['leaf_index']}.tlog-proof").read_text()
        envelope = (tmp_path / "out" / f"{e['leaf_index']}.envelope").read_bytes()
        assert spec_tlog_proof(proof, envelope, spec_policy(policy)) == {"court", "proc"}
    assert main([*args, "--key", audit.signer.verifier_key]) == 0  # the key and the policy together
    assert main([str(tmp_path / "story.json"), "--key", audit.signer.verifier_key]) == 0  # the key alone


def _edit(data: bytes, change) -> bytes:
    bundle = json.loads(data)
    change(bundle)
    return json.dumps(bundle).encode()


def _drop_cosignature(bundle: dict, name="proc.example/witness") -> None:
    """Remove one witness's line from the checkpoint, everywhere it is quoted (a consistent forgery)."""
    line = next(x for x in bundle["checkpoint"].split("\n") if x.startswith(f"\u2014 {name} "))
    bundle["checkpoint"] = bundle["checkpoint"].replace(line + "\n", "")
    for e in bundle["events"]:
        e["tlog_proof"] = e["tlog_proof"].replace(line + "\n", "")


def _tamper_event(bundle: dict) -> None:
    """Another event's bytes in place of the measure's (its proofs kept)."""
    raw = base64.b64decode(bundle["events"][4]["envelope"])
    bundle["events"][4]["envelope"] = base64.b64encode(raw.replace(b"P-77", b"P-78")).decode()


OTHER_WITNESS = {**WITNESSES, "court": Cosigner("court.example/witness", Ed25519PrivateKey.generate())}


@pytest.mark.parametrize(
    "case, change, policy_of, spec_says, cli_says",
    [
        ("tampered event", _tamper_event, policy_text, "inclusion proof of leaf", "events[4]"),
        ("missing cosignature", _drop_cosignature, policy_text, "quorum partners not met", "witness policy not met"),
        (
            "wrong policy",  # the court's key is not the one that cosigned
            None,
            lambda key: policy_text(key, OTHER_WITNESS),
            "quorum partners not met",
            "witness policy not met",
        ),
        (
            "another log",
            None,
            lambda key: policy_text(NoteSigner(ORIGIN, Ed25519PrivateKey.generate()).verifier_key),
            "no signature by a policy log",
            "checkpoint",
        ),
    ],
)
async def test_both_verifiers_refuse_a_tampered_event_a_missing_cosignature_and_a_wrong_policy(
    store, audit, tmp_path, capsys, case, change, policy_of, spec_says, cli_says
):
    good = (await export(store, audit)).data
    data = _edit(good, change) if change else good
    policy = policy_of(audit.signer.verifier_key)
    with pytest.raises(Refused, match=spec_says):
        spec_verify(data, policy)
    (tmp_path / "b.json").write_bytes(data)
    (tmp_path / "p.policy").write_text(policy)
    assert main([str(tmp_path / "b.json"), "--policy", str(tmp_path / "p.policy"), "--extract", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert err.startswith("FAILED") and cli_says in err, err
    assert not (tmp_path / "x").exists()  # nothing extracted from a bundle that does not verify


async def test_verify_bundle_refuses_what_the_spec_verifier_does_not_look_at(store, audit):
    """Beyond the specs: the events belong to the story's subjects, joined by its events, and each
    tlog_proof says what the event's proof says (issue 25 point 3)."""
    data, key = (await export(store, audit)).data, audit.signer.verifier_key
    assert verify_bundle(data, key)[-1].startswith(f"{len(STORY)} events of the whole story of {CASE}")
    # the other clue of the same person, proven in the same (deterministically cosigned) checkpoint
    unrelated = json.loads((await export(store, audit, OTHER_CLUE)).data)["events"][0]
    for change, says in (
        (lambda b: b["subjects"].pop(0), "subjects: do not list"),  # the case itself left out
        (lambda b: b.update(subjects=[s for s in b["subjects"] if s["id"] != CLUE]), f"belongs to {CLUE}"),
        (lambda b: b["subjects"].append({"id": OTHER_CLUE, "linked_from": CASE}), "joins"),
        (lambda b: b["events"][1].update(tlog_proof=b["events"][0]["tlog_proof"]), "tlog_proof differs"),
        (lambda b: b["events"][1].update(tlog_proof=b["events"][1]["tlog_proof"].replace("index", "Index")), "line"),
        (lambda b: b["events"].append(b["events"][0]), "twice"),
        (lambda b: b["events"].append(unrelated), f"belongs to {OTHER_CLUE}, not to the story of {CASE}"),
    ):
        with pytest.raises(BundleError, match=re.escape(says)):
            verify_bundle(_edit(data, change), key)


async def test_a_strangers_bundle_leaves_out_what_they_may_not_know_and_still_verifies(store, audit):
    b = await export(store, audit, CASE, Reader(STRANGER, ORG))
    bundle = json.loads(b.data)
    assert labels(b.data) == ["filed", "measure", "decided", "item"]  # the clue's own steps left out
    assert [s["id"] for s in bundle["subjects"]] == [CASE, DECISION]
    assert spec_verify(b.data, policy_text(audit.signer.verifier_key)) == 4
    assert verify_bundle(b.data, audit.signer.verifier_key)[-1].startswith("4 events of the whole story")
    with pytest.raises(NotFound) as hidden:  # the clue's story, to them, is an unknown subject's
        await export(store, audit, CLUE, Reader(STRANGER, ORG))
    assert str(hidden.value) == f"story {CLUE!r} not found"


async def test_as_of_exports_the_story_as_it_stood_then(store, audit):
    b = await export(store, audit, CLUE, as_of=T0 + timedelta(days=10))
    assert labels(b.data) == ["registered", "approved", "filed", "clue-filed", "measure"]
    assert json.loads(b.data)["as_of"] == (T0 + timedelta(days=10)).isoformat()
    with pytest.raises(NotFound):
        await export(store, audit, CLUE, as_of=T0 - timedelta(days=1))


async def test_bad_requests_are_refused_by_field_and_a_story_too_big_for_one_bundle_by_state(store, audit, monkeypatch):
    with pytest.raises(Validation, match="stream_id"):
        await export(store, audit, f"clue-timers-{U}")
    with pytest.raises(Validation, match="as_of"):
        await bundles.export(store.pool, store.schema, audit, CASE, as_of=T0)
    monkeypatch.setattr(bundles, "MAX_EVENTS", len(STORY) - 1)
    with pytest.raises(IllegalState, match="as_of"):
        await export(store, audit, CASE)
    assert (await export(store, audit, CASE, as_of=T0 + timedelta(days=20))).events == len(STORY) - 1


async def test_without_witnesses_or_when_they_fail_the_bundle_is_the_signed_checkpoints(store, audit):
    async def down(signed):
        raise ConnectionError("no witness answers")

    for witness in (None, down):
        b = await bundles.export(store.pool, store.schema, audit, CASE, whole_story=True, witness=witness)
        assert (b.witnessed, b.cosigners) == (False, ())
        assert verify_bundle(b.data, audit.signer.verifier_key)[-1].startswith(f"{len(STORY)} events")
        with pytest.raises(BundleError, match="witness policy not met"):
            verify_bundle(b.data, policy=_policy(audit))
    one = await export(store, audit, witness=two_of_three(("fin",)))  # one of three answered in time
    assert (one.witnessed, one.cosigners) == (False, ("fin.example/witness",))
    with pytest.raises(Refused, match="not met"):
        spec_verify(one.data, policy_text(audit.signer.verifier_key))


def _policy(audit):
    from services.audit.domain.policy import parse_policy

    return parse_policy(policy_text(audit.signer.verifier_key))


async def test_a_single_streams_bundle_is_v2_and_a_v1_bundle_still_verifies(store, audit):
    b = await bundles.export(store.pool, store.schema, audit, CLUE)
    bundle = json.loads(b.data)
    assert (bundle["whole_story"], bundle["as_of"], bundle["subjects"]) == (
        False,
        None,
        [{"id": CLUE, "kind": "clue", "linked_from": "", "relation": ""}],
    )
    assert labels(b.data) == ["registered", "approved", "clue-filed"]
    v1 = {"format": "jjjc-audit-bundle/v1", "subject": CLUE, "checkpoint": bundle["checkpoint"]}
    v1["events"] = [{k: e[k] for k in ("leaf_index", "envelope", "proof")} for e in bundle["events"]]
    lines = verify_bundle(json.dumps(v1).encode(), audit.signer.verifier_key, ORIGIN)
    assert lines[-1] == f"3 events of {CLUE} verified against the signed checkpoint"
    v1["events"][0]["proof"].pop()
    with pytest.raises(BundleError, match=r"events\[0\]"):
        verify_bundle(json.dumps(v1).encode(), audit.signer.verifier_key, ORIGIN)


def test_verify_bundle_needs_a_key_or_a_policy_and_a_readable_policy(tmp_path, capsys):
    (tmp_path / "b.json").write_text("{}")
    with pytest.raises(SystemExit) as usage:
        main([str(tmp_path / "b.json")])
    assert usage.value.code == 2 and "--key" in capsys.readouterr().err
    (tmp_path / "bad.policy").write_text("quorum nobody\n")
    assert main([str(tmp_path / "b.json"), "--policy", str(tmp_path / "bad.policy")]) == 2
    assert "malformed" in capsys.readouterr().err
    assert main([str(tmp_path / "b.json"), "--policy", str(tmp_path / "none.policy")]) == 2


async def test_a_story_witnessed_by_real_witnesses_two_of_three_verifies_offline(store, audit, tmp_path):
    """The export asks the policy's witnesses (tools.witness over HTTP, tlog-witness) through
    app.witnessing, one of them down: cosigned 2 of 3, the specs' verifier accepts it."""
    from services.audit.app.witnessing import Witnessing
    from services.audit.domain.policy import parse_policy
    from tests.integration.test_audit_witnessing import NAMES, Witnesses

    witnesses = Witnesses(tmp_path, audit.signer.verifier_key)
    for name in NAMES:
        await witnesses.start(name)
    text = witnesses.policy()
    await witnesses.stop("finance")  # down
    witnessing = Witnessing(store.pool, store.schema, parse_policy(text), audit, timeout=2.0)
    await witnessing.migrate()
    try:
        b = await export(store, audit, DECISION, witness=witnessing.witness)
    finally:
        await witnessing.close()
        for name in list(witnesses.running):
            await witnesses.stop(name)
    assert (b.witnessed, b.cosigners) == (True, ("court.example/witness", "procuratorate.example/witness"))
    assert labels(b.data) == list(STORY) and spec_verify(b.data, text) == len(STORY)
    assert verify_bundle(b.data, policy=parse_policy(text))[-1].endswith("verified against the witnessed checkpoint")
    with pytest.raises(Refused, match="not met"):
        spec_verify(_edit(b.data, lambda x: _drop_cosignature(x, "court.example/witness")), text)
