"""Each office's measure ledger (measure_ledger), the cases' index and what cases and measures
await (case_index, issue 20), from each measure's stream and timer stream
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
from services.cases.app import case_index, measure_ledger
from services.cases.app.case import CaseAggregate
from services.cases.app.measure import MeasureAggregate
from services.cases.app.measure_rules import load_measure_rules

MIGRATIONS = measure_ledger.MIGRATIONS + case_index.MIGRATIONS


def projections(env) -> tuple:
    rules = load_measure_rules(env_path(dict(env), "CASES_MEASURE_RULES_FILE"))  # as CasesSettings reads it
    measures = Fold.of(MeasureAggregate, CODEC)
    # the cases' index and what cases and measures await (issue 20)
    return measure_ledger.projections(measures, rules) + case_index.projections(
        Fold.of(CaseAggregate, CODEC), measures, rules
    )


if __name__ == "__main__":
    sys.exit(rebuild.main(["--service", "cases", *sys.argv[1:]]))
