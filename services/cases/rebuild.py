"""Each office's measure ledger (measure_ledger), from each measure's stream and timer stream
folded as its commands fold them, under the measure rules the service reads
(CASES_MEASURE_RULES_FILE).

The cases service's projections for `python -m kernel.eventstore.rebuild --service cases`, which
`python -m services.cases.rebuild [--check] …` runs too.
"""

from __future__ import annotations

import sys

from kernel.eventstore import rebuild
from kernel.eventstore.projections import Fold
from kernel.runtime.settings import env_path
from services.cases.adapters.mapping import CODEC
from services.cases.app import measure_ledger
from services.cases.app.measure import MeasureAggregate
from services.cases.app.measure_rules import load_measure_rules

MIGRATIONS = measure_ledger.MIGRATIONS


def projections(env) -> tuple:
    rules = load_measure_rules(env_path(dict(env), "CASES_MEASURE_RULES_FILE"))  # as CasesSettings reads it
    return measure_ledger.projections(Fold.of(MeasureAggregate, CODEC), rules)


if __name__ == "__main__":
    sys.exit(rebuild.main(["--service", "cases", *sys.argv[1:]]))
