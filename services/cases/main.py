"""Composition root of the cases service (a shell for now: store, relay, health): `python -m services.cases.main`."""
from __future__ import annotations

import asyncio

from kernel.service import ServiceHost, Wiring, serve
from kernel.settings import ServiceSettings, from_env


def build(settings: ServiceSettings) -> ServiceHost:
    return ServiceHost(settings, Wiring(register=lambda host, server: None, service_names=()))


if __name__ == "__main__":
    asyncio.run(serve(build(from_env("cases"))))
