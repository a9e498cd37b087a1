"""The platforms the end-to-end stories run on: the shipped COUNTY commission's services started
against the real PostgreSQL and Kafka of the test session, each in a schema of its own under one
topic prefix (the ledger lists every item of its schema), in the order given.

`platform_fixture` makes the pytest fixture a story module names `platform`; `start_platform` starts
one where a test needs more than one (the partner client's second platform)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from kernel.runtime.settings import extend
from services.audit.main import AuditSettings, build as build_audit
from services.cases.main import build as build_cases
from services.clues.main import build as build_clues
from services.sanctions.main import build as build_sanctions
from tests.factories import service_settings

BUILDS = {"clues": build_clues, "cases": build_cases, "sanctions": build_sanctions, "audit": build_audit}
ALL = ("clues", "cases", "sanctions", "audit")
CLOCKED = {"test_mode": True, "timer_poll_seconds": 0.2}  # clock settable (the test moves it), timers polled often
# Test-side only: the embedded broker holds a JoinGroup for half the session timeout before it
# answers, so the production default (6 s) costs each consumer 3 s at every start; 3 s still
# allows two missed heartbeats (one a second) before a member is dropped.
FAST_JOIN = {"consumer_session_seconds": 3.0}


async def start_service(
    name: str,
    database_url: str,
    bootstrap: str,
    prefix: str,
    data,
    *,
    clocked: bool = False,
    checkpoint_seconds: float | None = None,
):
    """The service `name` started in the schema `name`_`prefix` under the topic prefix `prefix`, its
    clock settable if `clocked`; audit signing checkpoints every `checkpoint_seconds` when given."""
    settings = e2e_settings(name, database_url, bootstrap, prefix, data, **(CLOCKED if clocked else {}))
    if name == "audit" and checkpoint_seconds is not None:
        settings = extend(AuditSettings, settings, checkpoint_seconds=checkpoint_seconds)
    return await BUILDS[name](settings).start()


def e2e_settings(name: str, database_url: str, bootstrap: str, prefix: str, data, **kw):
    """`tests.factories.service_settings` in the schema `name`_`prefix`, consumers joining fast."""
    kw = {"database_schema": f"{name}_{prefix}", **FAST_JOIN, **kw}
    return service_settings(name, database_url, bootstrap, prefix, data, **kw)


async def start_platform(
    database_url: str,
    bootstrap: str,
    data,
    letters: str,
    services: tuple[str, ...] = ALL,
    *,
    clocked: str | None = "sanctions",
    checkpoint_seconds: float | None = None,
) -> list:
    """`services` started together (as `make run` starts its processes) under the topic prefix
    `letters` + 8 hex digits, the one named `clocked` with its clock settable; audit signing
    checkpoints every `checkpoint_seconds` when given. The hosts, in the order of `services`; each
    host's settings carry the topic prefix. If one fails to start, those started are stopped."""
    prefix = f"{letters}{uuid.uuid4().hex[:8]}"
    return await start_together(
        [
            start_service(
                name,
                database_url,
                bootstrap,
                prefix,
                data,
                clocked=name == clocked,
                checkpoint_seconds=checkpoint_seconds,
            )
            for name in services
        ]
    )


async def start_together(starts) -> list:
    """The hosts of the coroutines `starts`, run at once (each start mostly waits on the broker's
    group join); if any fails, the others' hosts are stopped and the first error raised."""
    results = await asyncio.gather(*starts, return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    if failed:
        await stop_platform([r for r in results if not isinstance(r, BaseException)])
        raise failed[0]
    return results


async def stop_platform(hosts: list) -> None:
    for host in hosts:
        await host.stop()


def platform_fixture(letters: str, services: tuple[str, ...] = ALL, *, scope: str = "module", **kw):
    """A pytest fixture yielding the hosts of `start_platform(..., letters, services, **kw)`, its
    data folder a temporary one named after `letters`, stopped after the `scope`."""

    @pytest.fixture(scope=scope)
    async def platform(database_url, bootstrap, tmp_path_factory):
        hosts = await start_platform(database_url, bootstrap, tmp_path_factory.mktemp(letters), letters, services, **kw)
        yield hosts
        await stop_platform(hosts)

    return platform
