"""Composition root of the clues service: `python -m services.clues.main`."""
from __future__ import annotations

import asyncio
import os
from pathlib import Path

from clues.v1 import service_pb2, service_pb2_grpc
from kernel.consumer import Consumer
from kernel.service import ServiceHost, Wiring, serve
from kernel.settings import ServiceSettings, from_env
from services.clues.adapters import mapping, translators
from services.clues.adapters.grpc_servicer import ClueServicer
from services.clues.adapters.vault import MIGRATIONS as INFORMANTS_MIGRATIONS, InformantVault, load_or_create_key
from services.clues.app import ledger, numbering
from services.clues.app.schemes import load_scheme
from services.clues.app.filings import FilingFollower
from services.clues.app.handlers import ClueHandlers

SERVICE_NAMES = (service_pb2.DESCRIPTOR.services_by_name["ClueService"].full_name,)
MIGRATIONS = (*INFORMANTS_MIGRATIONS, *numbering.MIGRATIONS, *ledger.MIGRATIONS)


async def _on_start(host: ServiceHost) -> None:
    s = host.settings
    key_file = Path(os.environ.get("CLUES_INFORMANT_KEY_FILE", s.data_dir / "keys" / "informant.key"))
    vault = InformantVault(s.schema, load_or_create_key(key_file))
    scheme = load_scheme()
    host.log.info("clues.warning_scheme", scheme=scheme.name, rules=len(scheme.rules))
    handlers = ClueHandlers(host.store, vault, scheme, host.calendar, host.clock.tz, mapping.CODEC)
    consumer = await Consumer(s, host.pool, list(s.consumes), "filings", FilingFollower(handlers, translators.from_cases), status=host.status).start()
    host.extras.update(handlers=handlers, consumer=consumer)


async def _on_stop(host: ServiceHost) -> None:
    await host.extras["consumer"].stop()


def _register(host: ServiceHost, server) -> None:
    service_pb2_grpc.add_ClueServiceServicer_to_server(ClueServicer(host.extras["handlers"], host.clock,
                                                                   host.authenticator.catalogue.offices), server)


def build(settings: ServiceSettings) -> ServiceHost:
    return ServiceHost(settings, Wiring(register=_register, service_names=SERVICE_NAMES, on_start=_on_start,
                                        on_stop=_on_stop, migrations=MIGRATIONS))


if __name__ == "__main__":
    asyncio.run(serve(build(from_env("clues"))))
