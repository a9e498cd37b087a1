"""The clue ledger (ledger), every office that held each clue (holders), the supervision notices
(notices) and what each clue waits for (awaiting: under the catalogue, the warning scheme
CLUE_WARNINGS_FILE / CLUE_WARNING_SCHEME and the HOLIDAY_CALENDAR_FILE and TIME_ZONE the service runs with), from each clue's stream folded as its commands fold it.
The tour rounds' problem ledger (tour_problems, issue 27), from each round's stream.

The clues service's projections for `python -m kernel.eventstore.rebuild --service clues`, which
`python -m services.clues.rebuild [--check] …` runs too.
"""

from __future__ import annotations

import sys
from zoneinfo import ZoneInfo

from kernel.domain.calendar import load_calendar
from kernel.edge import catalogue
from kernel.eventstore import rebuild
from kernel.eventstore.projections import Fold
from services.clues.adapters.mapping import CODEC
from services.clues.adapters.tour_mapping import CODEC as TOUR_CODEC
from services.clues.app import ledger, tours
from services.clues.app.clue import Access, ClueAggregate
from services.clues.app.schemes import load_scheme
from services.clues.domain.awaiting import awaiting

MIGRATIONS = ledger.MIGRATIONS + tours.MIGRATIONS


def projections(env) -> tuple:
    """`env` names the catalogue (CATALOGUE_FILE) the ledger's holdings follow, as the service's."""
    access = Access.of(catalogue.load(env.get("CATALOGUE_FILE") or None))
    scheme = load_scheme(env.get("CLUE_WARNINGS_FILE") or None, env.get("CLUE_WARNING_SCHEME") or None)
    calendar = load_calendar(env.get("HOLIDAY_CALENDAR_FILE") or None)
    tz = ZoneInfo(env.get("TIME_ZONE") or "Asia/Shanghai")  # days count in the service's zone
    return ledger.projections(
        Fold.of(ClueAggregate, CODEC),
        access.holding,
        lambda timed: awaiting([(e, at.astimezone(tz), v) for e, at, v in timed], access.roles, scheme, calendar),
    ) + tours.projections(Fold.of(tours.TourAggregate, TOUR_CODEC), access.organisation)  # issue 27


if __name__ == "__main__":
    sys.exit(rebuild.main(["--service", "clues", *sys.argv[1:]]))
