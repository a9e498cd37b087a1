"""Composition root of the sanctions service (处分决定执行): `python -m services.sanctions.main`.

A shell for now: the kernel's pool, migrations, store, timers, relay to `sanctions.events.v1` and
gRPC server with ControlService; its decisions and execution ledger come with the next issues.
"""

from __future__ import annotations

import asyncio

from kernel.runtime.service import ServiceHost, Wiring, serve
from kernel.runtime.settings import ServiceSettings, from_env


def build(settings: ServiceSettings) -> ServiceHost[None]:
    return ServiceHost(settings, Wiring(service_names=()))


if __name__ == "__main__":
    asyncio.run(serve(build(from_env("sanctions"))))
