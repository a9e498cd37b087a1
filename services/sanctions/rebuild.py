"""The decisions' index (decision_index) and the execution ledger (execution_ledger), from each
decision's stream folded as its commands fold it, under the sanctions rules the service reads
(SANCTIONS_RULES_FILE: the committee's approval names the decision's approvers).

The sanctions service's projections for `python -m kernel.eventstore.rebuild --service sanctions`,
which `python -m services.sanctions.rebuild [--check] …` runs too.
"""

from __future__ import annotations

import sys

from kernel.eventstore import rebuild
from kernel.eventstore.projections import Fold
from kernel.runtime.settings import env_path
from services.sanctions.adapters.mapping import CODEC
from services.sanctions.app import decision_index, execution_ledger
from services.sanctions.app.decision import DecisionAggregate
from services.sanctions.app.sanction_rules import load_sanction_rules

MIGRATIONS = decision_index.MIGRATIONS + execution_ledger.MIGRATIONS


def projections(env) -> tuple:
    rules = load_sanction_rules(env_path(dict(env), "SANCTIONS_RULES_FILE"))  # as SanctionsSettings reads it
    fold = Fold.of(DecisionAggregate, CODEC)
    return decision_index.projections(fold, rules) + execution_ledger.projections(fold)


if __name__ == "__main__":
    sys.exit(rebuild.main(["--service", "sanctions", *sys.argv[1:]]))
