"""The replay index (story), from the ledger's leaves in leaf order, each checked against its
stored hash: leaves that fail are tampering, never rebuilt from (locate it with
python -m services.audit.verify).

The audit service's projections for `python -m kernel.eventstore.rebuild --service audit`, which the older
name runs too:

    python -m services.audit.rebuild --database-url postgresql://… [--schema audit] [--check]
"""

from __future__ import annotations

import sys

from kernel.eventstore import rebuild
from services.audit.app.projections import MIGRATIONS, PROJECTIONS  # noqa: F401 - what kernel.eventstore.rebuild reads


def projections(env) -> tuple:
    return PROJECTIONS


if __name__ == "__main__":
    sys.exit(rebuild.main(["--service", "audit", *sys.argv[1:]]))
