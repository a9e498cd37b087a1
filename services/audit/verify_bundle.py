"""Offline verification of an audit history bundle: no database, no network, only the bundle, the
ledger's public key (the verifier key string from GetLedgerPublicKey, or a file holding it) and/or
the witness policy you pinned (C2SP tlog-policy: its `log` lines give the ledger's key, its
`witness`, `group` and `quorum` lines the cosignatures the checkpoint must carry).

    python -m services.audit.verify_bundle case-….json --key 'jjjc.local/audit-ledger+1a2b3c4d+AX…'
    python -m services.audit.verify_bundle case-….json --policy witnesses.policy [--origin jjjc.local/audit-ledger]
    python -m services.audit.verify_bundle case-….json --policy witnesses.policy --extract proofs/

Checks the checkpoint's signature (with --policy: by the policy's log for the checkpoint's origin,
and its witnesses' cosignatures against the quorum), then that every event's exact bytes are a leaf
of the signed tree (RFC 6962 inclusion proof) and that its C2SP tlog-proof says the same (same
index, same hashes, the same checkpoint verbatim), that every event belongs to the subjects the
bundle lists, and lists the events: stream, version, type, who, when. Reads bundles of format
jjjc-audit-bundle/v1 (one stream) and v2 (a stream or a whole story). --extract DIR writes, once
everything verified, `<leaf>.envelope` (the event's exact bytes) and `<leaf>.tlog-proof` per event,
for any tlog-proof verifier. Exit status 0 when everything verifies, 1 when anything does not (the
line says what), 2 on usage (no --key nor --policy, an unreadable file, a malformed policy).
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from pathlib import Path

from kernel.eventstore.envelope import parse, principal_of
from services.audit.domain.checkpoint import NoteError, NoteVerifier, open_checkpoint
from services.audit.domain.merkle import ProofError, leaf_hash, verify_inclusion
from services.audit.domain.policy import Policy, PolicyError, open_witnessed, parse_policy
from services.audit.domain.story import READ, STORY_KINDS
from services.audit.domain.tlog_proof import EXTENSION, ProofFormatError, format_proof, parse_proof

V1, V2 = "jjjc-audit-bundle/v1", "jjjc-audit-bundle/v2"
FORMATS = (V1, V2)


class BundleError(ValueError):
    """The bundle does not verify; the message says which part."""


def _checkpoint(note: bytes, verifier_key: str | None, origin: str | None, policy: Policy | None):
    """The checkpoint, the line saying how it verified, and the cosigners the policy counted."""
    if verifier_key is None and policy is None:
        raise BundleError("checkpoint: give the ledger's key or a witness policy to verify it against")
    try:
        checkpoint = open_checkpoint(note, NoteVerifier(verifier_key), origin) if verifier_key else None
        cosigned: dict[str, int] = {}
        if policy is not None:
            checkpoint, cosigned = open_witnessed(note, policy, origin or (checkpoint and checkpoint.origin))
    except (ValueError, TypeError, AttributeError) as e:
        raise BundleError(f"checkpoint: {e}") from None
    how = "signature OK"
    if policy is not None:
        names = ", ".join(sorted(cosigned)) or "none"
        how += f"; cosigned by {names}: witness policy (quorum {policy.quorum}) met"
    return checkpoint, how


def _belongs(env, subject: str, story: set[str] | None) -> bool:
    """A single stream's bundle holds its own events only; a story's, events on one of its subjects'
    streams or linking one of them (not by a read), as `domain.story` joins them."""
    if story is None:
        return env.stream_id == subject
    if env.stream_id in story:
        return True
    return any(k.kind in STORY_KINDS and k.id in story and k.relation != READ for k in env.links)


def _joined(subjects: list[dict], envs: list) -> None:
    """Every subject of a story but the first is joined to the one it was found from by an event of
    the bundle on one of their own streams linking the other (`domain.story`: only such events join
    stories); BundleError naming the subject otherwise."""
    for k, s in enumerate(subjects[1:], 1):
        ids = {s.get("id"), s.get("linked_from")}
        if not any(
            env.stream_id in ids and any(x.id in ids - {env.stream_id} and x.relation != READ for x in env.links)
            for env in envs
        ):
            raise BundleError(f"subjects[{k}]: no event of the bundle joins {s.get('id')} to {s.get('linked_from')}")


def check_bundle(
    data: bytes, verifier_key: str | None = None, origin: str | None = None, policy: Policy | None = None
) -> tuple[list[str], list[tuple[int, bytes, str]]]:
    """The verified lines and, per event, (leaf index, envelope bytes, tlog-proof text); BundleError
    at the first thing that does not verify."""
    try:
        bundle = json.loads(data)
        if not isinstance(bundle, dict) or bundle.get("format") not in FORMATS:
            raise BundleError(f"not a {V1} or {V2} bundle")
        note = bundle["checkpoint"].encode()
        subject = bundle["subject"]
        whole = bundle["format"] == V2 and bundle.get("whole_story") is True
        subjects = [s["id"] for s in bundle["subjects"]] if bundle["format"] == V2 else [subject]
        events = bundle["events"]
        if not isinstance(events, list) or not isinstance(subject, str):
            raise TypeError("events must be a list and subject a string")
    except BundleError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise BundleError(f"not a readable bundle: {e!r}") from None
    checkpoint, how = _checkpoint(note, verifier_key, origin, policy)
    if subject not in subjects:
        raise BundleError(f"subjects: do not list the bundle's subject {subject}")
    lines = [f"checkpoint {checkpoint.origin}: {checkpoint.size} leaves, root {checkpoint.root.hex()} — {how}"]
    found, seen = [], set()
    for k, event in enumerate(events):
        try:
            leaf = event["leaf_index"]
            if type(leaf) is not int:
                raise ValueError(f"leaf_index {leaf!r} is not an integer")
            if leaf in seen:
                raise ValueError(f"leaf {leaf} is in the bundle twice")
            seen.add(leaf)
            raw = base64.b64decode(event["envelope"], validate=True)
            proof = [base64.b64decode(h, validate=True) for h in event["proof"]]
            verify_inclusion(leaf_hash(raw), leaf, checkpoint.size, proof, checkpoint.root)
            if bundle["format"] == V2:
                tlog = parse_proof(event["tlog_proof"])
                if (tlog.index, list(tlog.hashes), tlog.note) != (leaf, proof, note):
                    raise ValueError("its tlog_proof differs from its leaf index, proof or the bundle's checkpoint")
                text = event["tlog_proof"]
            else:
                text = format_proof(leaf, proof, note)
            env = parse(raw)
        except (ProofError, NoteError, ProofFormatError, ValueError, KeyError, TypeError) as e:
            raise BundleError(f"events[{k}]: {e}") from None
        if not _belongs(env, subject, set(subjects) if whole else None):
            what = f"the story of {subject}" if whole else subject
            raise BundleError(f"events[{k}]: belongs to {env.stream_id}, not to {what}")
        found.append((leaf, raw, text))
        lines.append(
            f"leaf {leaf:>8}  {env.stream_id} v{env.version}  "
            f"{env.event_type.split('.')[-1]:<28} {principal_of(env).user:<20} "
            f"{env.occurred_at.ToDatetime().isoformat()}Z  OK"
        )
    if whole:
        _joined(bundle["subjects"], [parse(raw) for _, raw, _ in found])
    against = "witnessed" if policy is not None else "signed"
    what = f"the whole story of {subject} ({len(subjects)} subjects)" if whole else subject
    return lines + [f"{len(found)} events of {what} verified against the {against} checkpoint"], found


def verify_bundle(
    data: bytes, verifier_key: str | None = None, origin: str | None = None, policy: Policy | None = None
) -> list[str]:
    """One line per verified event; BundleError at the first thing that does not verify."""
    return check_bundle(data, verifier_key, origin, policy)[0]


def extract(found: list[tuple[int, bytes, str]], into: Path) -> int:
    """Write `<leaf>.envelope` and `<leaf>.tlog-proof` per verified event into `into`; how many."""
    into.mkdir(parents=True, exist_ok=True)
    for leaf, raw, text in found:
        (into / f"{leaf}.envelope").write_bytes(raw)
        (into / f"{leaf}{EXTENSION}").write_text(text, encoding="utf-8")
    return len(found)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m services.audit.verify_bundle",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    p.add_argument("bundle", type=Path, help="the bundle file (ExportHistoryBundle)")
    p.add_argument("--key", help="the ledger's verifier key string, or a file that holds it")
    p.add_argument("--policy", type=Path, help="a witness policy file (C2SP tlog-policy) the checkpoint must meet")
    p.add_argument("--origin", help="require this origin line")
    p.add_argument("--extract", type=Path, metavar="DIR", help="write each event's .envelope and .tlog-proof here")
    args = p.parse_args(argv)
    if not args.key and not args.policy:
        p.error("give --key (the ledger's verifier key), --policy (a witness policy), or both")
    key = None
    if args.key:
        key = Path(args.key).read_text().strip() if Path(args.key).is_file() else args.key
    try:
        policy = parse_policy(args.policy.read_bytes()) if args.policy else None
    except OSError as e:
        print(f"cannot read the policy: {e}", file=sys.stderr)
        return 2
    except PolicyError as e:
        print(f"the policy {args.policy} is malformed: {e}", file=sys.stderr)
        return 2
    try:
        lines, found = check_bundle(args.bundle.read_bytes(), key, args.origin, policy)
    except BundleError as e:
        print(f"FAILED: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"cannot read the bundle: {e}", file=sys.stderr)
        return 2
    if args.extract:
        try:
            lines.append(f"{extract(found, args.extract)} envelopes and tlog-proofs written to {args.extract}")
        except OSError as e:
            print(f"cannot write to {args.extract}: {e}", file=sys.stderr)
            return 2
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
