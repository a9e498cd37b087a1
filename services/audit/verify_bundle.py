"""Offline verification of an audit history bundle: no database, no network, only the bundle and
the ledger's public key (the verifier key string from GetLedgerPublicKey, or a file holding it).

    python -m services.audit.verify_bundle clue-….json --key 'jjjc.local/audit-ledger+1a2b3c4d+AX…'
                                           [--origin jjjc.local/audit-ledger]

Checks the checkpoint's signature, then that every event's exact bytes are a leaf of the signed
tree (RFC 6962 inclusion proof), and lists the events: stream, version, type, who, when. Exit
status 0 when everything verifies, 1 when anything does not (the line says what), 2 on usage.
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

FORMAT = "jjjc-audit-bundle/v1"


class BundleError(ValueError):
    """The bundle does not verify; the message says which part."""


def verify_bundle(data: bytes, verifier_key: str, origin: str | None = None) -> list[str]:
    """One line per verified event; BundleError at the first thing that does not verify."""
    try:
        bundle = json.loads(data)
        if bundle.get("format") != FORMAT:
            raise BundleError(f"not a {FORMAT} bundle")
        checkpoint = open_checkpoint(bundle["checkpoint"].encode(), NoteVerifier(verifier_key), origin)
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise BundleError(f"checkpoint: {e}") from None
    lines = [f"checkpoint {checkpoint.origin}: {checkpoint.size} leaves, root {checkpoint.root.hex()} — signature OK"]
    for k, event in enumerate(bundle.get("events", [])):
        try:
            raw = base64.b64decode(event["envelope"], validate=True)
            proof = [base64.b64decode(h, validate=True) for h in event["proof"]]
            verify_inclusion(leaf_hash(raw), int(event["leaf_index"]), checkpoint.size, proof, checkpoint.root)
            env = parse(raw)
        except (ProofError, NoteError, ValueError, KeyError, TypeError) as e:
            raise BundleError(f"events[{k}]: {e}") from None
        if env.stream_id != bundle.get("subject"):
            raise BundleError(f"events[{k}]: belongs to {env.stream_id}, not {bundle.get('subject')}")
        lines.append(
            f"leaf {event['leaf_index']:>8}  {env.stream_id} v{env.version}  "
            f"{env.event_type.split('.')[-1]:<28} {principal_of(env).user:<20} "
            f"{env.occurred_at.ToDatetime().isoformat()}Z  OK"
        )
    return lines + [f"{len(lines) - 1} events of {bundle.get('subject')} verified against the signed checkpoint"]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m services.audit.verify_bundle",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    p.add_argument("bundle", type=Path, help="the bundle file (ExportHistoryBundle)")
    p.add_argument("--key", required=True, help="the verifier key string, or a file that holds it")
    p.add_argument("--origin", help="require this origin line")
    args = p.parse_args(argv)
    key = Path(args.key).read_text().strip() if Path(args.key).is_file() else args.key
    try:
        print("\n".join(verify_bundle(args.bundle.read_bytes(), key, args.origin)))
    except BundleError as e:
        print(f"FAILED: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"cannot read the bundle: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
