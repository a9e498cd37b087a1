"""The clue ledger (ledger), every office that held each clue (holders) and the supervision notices
(notices), from each clue's stream folded as its commands fold it.

The clues service's projections for `python -m kernel.eventstore.rebuild --service clues`, which
`python -m services.clues.rebuild [--check] …` runs too.
"""

from __future__ import annotations

import sys

from kernel.edge import catalogue
from kernel.eventstore import rebuild
from kernel.eventstore.projections import Fold
from services.clues.adapters.mapping import CODEC
from services.clues.app import ledger
from services.clues.app.clue import Access, ClueAggregate

MIGRATIONS = ledger.MIGRATIONS


def projections(env) -> tuple:
    """`env` names the catalogue (CATALOGUE_FILE) the ledger's holdings follow, as the service's."""
    access = Access.of(catalogue.load(env.get("CATALOGUE_FILE") or None))
    return ledger.projections(Fold.of(ClueAggregate, CODEC), access.holding)


if __name__ == "__main__":
    sys.exit(rebuild.main(["--service", "clues", *sys.argv[1:]]))
