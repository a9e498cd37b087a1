"""Pooled connections are reset without a query (kernel.eventstore.store.create_pool), which is safe only
while no code leaves session state behind. This test keeps it so."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SESSION_STATE = [
    (re.compile(r"pg_advisory_lock\(|pg_try_advisory_lock\("), "session advisory lock: use pg_advisory_xact_lock"),
    (re.compile(r"\bLISTEN\s+\"?\w+\"?\s*[;\"']|add_listener\("), "LISTEN outlives the transaction"),
    (
        re.compile(r"^(?!.*UPDATE).*\bSET\s+(SESSION\s+)?[a-z_.]+\s*(=|TO\b)"),
        "session SET: use SET LOCAL in a transaction",
    ),
    (re.compile(r"WITH HOLD"), "a held cursor outlives the transaction"),
]


def test_no_code_keeps_session_state_on_pooled_connections():
    found = []
    for folder in ("kernel", "services"):
        for path in (ROOT / folder).rglob("*.py"):
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                for pattern, why in SESSION_STATE:
                    if pattern.search(line):
                        found.append(f"{path.relative_to(ROOT)}:{n}: {why}")
    assert not found, "\n".join(found)
