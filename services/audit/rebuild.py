"""The audit service's projections for `python -m kernel.rebuild --service audit`, and that command
under its old name:

    python -m services.audit.rebuild --database-url postgresql://… [--schema audit] [--check]

Every projection (today: `story_links`, the replay index) is rebuilt from the leaves alone, in leaf
order, and compared row for row with the live table; leaves whose bytes no longer match the
ledger's stored hashes are tampering: the rebuild refuses to replace from them and names them
(locate it with `python -m services.audit.verify`). See `kernel.rebuild` for the rest.
"""
from __future__ import annotations

import sys

from kernel import rebuild
from services.audit.app.projections import MIGRATIONS, PROJECTIONS  # noqa: F401 - what kernel.rebuild reads


def projections(env) -> tuple:
    return PROJECTIONS


if __name__ == "__main__":
    sys.exit(rebuild.main(["--service", "audit", *sys.argv[1:]]))
