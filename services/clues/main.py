"""Composition root of the clues service (问题线索): `python -m services.clues.main`.

What it runs, beside the kernel's shell (pool, migrations, store, durable timers, relay to
`clues.events.v1`, gRPC server with ControlService): the clue handlers on the one command path,
with the sealed-informant vault, the warning scheme and who may know a clue (the catalogue's
organisation and approvers; ledger rows from before holdings were kept get theirs at start); the
follower of the cases service's answers to filing proposals; the follower of audit's requests to
fast-track a candidate's open clue for an integrity-opinion reply (domain.md §5); the ClueService
servicer; the tour rounds (issue 27: `app.tours`, streams `tour-<uuid>`) and their TourService servicer.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from clues.v1 import service_pb2, service_pb2_grpc, tours_pb2, tours_pb2_grpc
from kernel.messaging.consumer import Consumer
from kernel.runtime.service import ServiceHost, Wiring, serve
from kernel.runtime.settings import ServiceSettings, env_path, env_text, extend, from_env
from services.clues.adapters import mapping, translators
from services.clues.adapters.grpc_servicer import ClueServicer
from services.clues.adapters.tour_mapping import CODEC as TOUR_CODEC
from services.clues.adapters.tour_servicer import TourServicer
from services.clues.adapters.vault import MIGRATIONS as INFORMANTS_MIGRATIONS, InformantVault, load_or_create_key
from services.clues.app import ledger, numbering, tours as tour_rounds
from services.clues.app.clue import Access
from services.clues.app.fast_track import FastTrackFollower
from services.clues.app.filings import FilingFollower
from services.clues.app.handlers import ClueHandlers
from services.clues.app.schemes import load_scheme

SERVICE_NAMES = (
    service_pb2.DESCRIPTOR.services_by_name["ClueService"].full_name,
    tours_pb2.DESCRIPTOR.services_by_name["TourService"].full_name,  # tour rounds, issue 27
)
MIGRATIONS = (*INFORMANTS_MIGRATIONS, *numbering.MIGRATIONS, *ledger.MIGRATIONS, *tour_rounds.MIGRATIONS)


@dataclass(frozen=True)
class CluesSettings(ServiceSettings):
    """The kernel's settings and the clues service's own."""

    # The key sealing informant identities (CLUES_INFORMANT_KEY_FILE); None: DATA_DIR/keys/informant.key.
    informant_key_file: Path | None = None
    # The warning schemes (CLUE_WARNINGS_FILE) and the one in force (CLUE_WARNING_SCHEME); None:
    # deploy/config/clue_warnings.toml and the scheme it names.
    warnings_file: Path | None = None
    warning_scheme: str | None = None

    @classmethod
    def from_env(cls, env: dict | None = None) -> CluesSettings:
        return extend(
            cls,
            from_env("clues", env),
            informant_key_file=env_path(env, "CLUES_INFORMANT_KEY_FILE"),
            warnings_file=env_path(env, "CLUE_WARNINGS_FILE"),
            warning_scheme=env_text(env, "CLUE_WARNING_SCHEME") or None,
        )

    @property
    def informant_key(self) -> Path:
        return self.informant_key_file or self.data_dir / "keys" / "informant.key"


@dataclass
class Clues:
    """What the clues service runs beside the shell."""

    handlers: ClueHandlers
    filings: Consumer | None  # when the platform file has clues consume cases
    fast_track: Consumer | None = None  # when the platform file has clues consume audit
    tours: tour_rounds.Tours | None = None  # tour rounds (issue 27)


async def build_parts(host: ServiceHost[Clues]) -> Clues:
    s: CluesSettings = host.settings
    vault = InformantVault(s.schema, load_or_create_key(s.informant_key))
    scheme = load_scheme(s.warnings_file, s.warning_scheme)
    host.log.info("clues.warning_scheme", scheme=scheme.name, rules=len(scheme.rules))
    access = Access.of(host.authenticator.catalogue)
    handlers = ClueHandlers(host.store, vault, scheme, host.calendar, host.clock.tz, mapping.CODEC, access)
    if filled := await handlers.backfill_holdings():  # rows from before holdings were kept
        host.log.info("clues.holdings_backfilled", clues=filled)
    if filled := await handlers.refresh_awaiting():  # older clues; all open ones on a changed basis
        host.log.info("clues.awaiting_refreshed", clues=filled)
    host.timers.route("clue", handlers.clues.fire)
    follower = FilingFollower(handlers, translators.from_cases)
    others = [p for p in s.consumes if p != "audit"]
    filings = None
    if others:
        filings = await Consumer(s, host.pool, others, "filings", follower, status=host.status).start()
    fast_track = None
    if "audit" in s.consumes:  # integrity-opinion requests' fast tracks (domain.md §5)
        tracker = FastTrackFollower(handlers, translators.from_audit, translators.follows_audit_stream)
        fast_track = await Consumer(s, host.pool, ["audit"], "fast-track", tracker, status=host.status).start()
    tours = tour_rounds.Tours(host.store, handlers, TOUR_CODEC, access.organisation)
    return Clues(handlers, filings, fast_track, tours)


def register(host: ServiceHost[Clues], parts: Clues, server) -> None:
    servicer = ClueServicer(parts.handlers, host.clock, host.authenticator.catalogue)
    service_pb2_grpc.add_ClueServiceServicer_to_server(servicer, server)
    tours_pb2_grpc.add_TourServiceServicer_to_server(TourServicer(parts.tours, host.clock), server)


async def stop(parts: Clues) -> None:
    for consumer in (parts.filings, parts.fast_track):
        if consumer:
            await consumer.stop()


def build(settings: ServiceSettings) -> ServiceHost[Clues]:
    """The service on `settings` (plain kernel settings get the clues service's defaults)."""
    own = settings if isinstance(settings, CluesSettings) else extend(CluesSettings, settings)
    return ServiceHost(own, Wiring(SERVICE_NAMES, build_parts, register, stop, migrations=MIGRATIONS))


if __name__ == "__main__":
    asyncio.run(serve(build(CluesSettings.from_env())))
