"""The operator's pins for the replay page (issue 29): the ledger's verifier key and the witness
policy the browser checks every proof against. They are served apart from any proof
(`GET /config.json`), so a proof never brings the key it is checked with; the user may replace them.

`AUDIT_PAGE_PINS_FILE` (TOML, see deploy/config/page_pins.example.toml):

    ledger_vkey = "jjjc.local/audit-ledger+1a2b3c4d+AeR..."   # C2SP note verifier key
    witness_policy_file = "witnesses.policy"                 # C2SP tlog-policy; relative to this file
    origin = "jjjc.local/audit-ledger"                       # optional: default the key's name

Without the file: this deployment's own ledger key and its configured witness policy.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

KEYS = {"ledger_vkey", "witness_policy_file", "origin"}


@dataclass(frozen=True)
class Pins:
    origin: str
    ledger_vkey: str
    witness_policy: str

    def as_json(self) -> dict:
        return {
            "origin": self.origin,
            "ledger_vkey": self.ledger_vkey,
            "witness_policy": self.witness_policy,
            "source": "operator",
        }


def load_pins(path: Path | None, origin: str, vkey: str, policy_text: str) -> Pins:
    """The pins of `path`, else the deployment's own (`origin`, `vkey`, `policy_text`). A bad file
    stops the service at start, naming the file and the key."""
    if path is None:
        return Pins(origin, vkey, policy_text)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise SystemExit(f"AUDIT_PAGE_PINS_FILE {path}: cannot read it: {e}") from e
    unknown = set(data) - KEYS
    if unknown:
        raise SystemExit(f"AUDIT_PAGE_PINS_FILE {path}: unknown key(s) {sorted(unknown)}; known: {sorted(KEYS)}")
    key = data.get("ledger_vkey", vkey)
    if not isinstance(key, str) or key.count("+") != 2:
        raise SystemExit(f"AUDIT_PAGE_PINS_FILE {path}: ledger_vkey must be a note verifier key name+hash+base64")
    text = policy_text
    if "witness_policy_file" in data:
        policy = path.parent / str(data["witness_policy_file"])
        try:
            text = policy.read_text(encoding="utf-8")
        except OSError as e:
            raise SystemExit(f"AUDIT_PAGE_PINS_FILE {path}: witness_policy_file {policy}: {e}") from e
    return Pins(str(data.get("origin") or key.split("+", 1)[0]), key, text)
