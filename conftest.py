"""Session fixtures: one embedded PostgreSQL and one embedded broker per test session.

Tests isolate themselves with unique schemas, topic prefixes and consumer groups. Set
DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS to run the same tests against real servers.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest

from kernel.domain.clock import FixedClock
from kernel.eventstore.store import EventStore, create_pool
from kernel.runtime.embedded import EmbeddedBroker, EmbeddedPostgres

ROOT = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items):
    for item in items:
        for tier in ("unit", "integration", "e2e"):
            if f"/{tier}/" in str(item.fspath) or f"/tests/{tier}" in str(item.fspath):
                item.add_marker(getattr(pytest.mark, tier))


@pytest.fixture(scope="session")
def database_url():
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
        return
    pg = EmbeddedPostgres(ROOT / ".data" / f"test-pg-{os.getpid()}").start()
    try:
        yield pg.url
    finally:
        pg.stop()
        shutil.rmtree(pg.data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def broker():
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield None
        return
    b = EmbeddedBroker().start()
    try:
        yield b
    finally:
        b.stop()


@pytest.fixture(scope="session")
def bootstrap(broker):
    return os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or broker.bootstrap


@pytest.fixture
def unique():
    return uuid.uuid4().hex[:10]


@pytest.fixture
async def pool(database_url):
    p = await create_pool(database_url, min_size=1, max_size=40)
    yield p
    await p.close()


@pytest.fixture
async def store(pool, unique):
    """An event store in a schema of its own, on a fixed clock."""
    s = EventStore(pool, f"t_{unique}", FixedClock())
    await s.migrate()
    return s
