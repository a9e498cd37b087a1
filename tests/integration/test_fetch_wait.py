"""The consumers' fetch wait (kernel.messaging.fetch_wait) reaches aiokafka's fetcher: Faust's own
1500 ms is what made the ledger trail each command by half a second on the embedded broker."""

import uuid

import faust
import pytest

from kernel.messaging import fetch_wait
from kernel.runtime.settings import from_env


def app_of(cls, bootstrap, tmp_path, **kw):
    return cls(
        f"fetch-wait-{uuid.uuid4().hex[:8]}",
        broker=f"kafka://{bootstrap}",
        web_enabled=False,
        autodiscover=False,
        datadir=str(tmp_path),
        **kw,
    )


async def fetch_wait_of(app) -> int:
    """The wait the consumer Faust builds asks the broker for, once started."""
    consumer = app.consumer._thread._create_consumer(app.loop)
    await consumer.start()
    try:
        return consumer._fetcher._fetch_max_wait_ms
    finally:
        await consumer.stop()


@pytest.mark.parametrize("seconds,expected", [(0.05, 50), (0.2, 200), (0.0001, 1)])
async def test_the_fetcher_waits_as_set(bootstrap, tmp_path, seconds, expected):
    assert await fetch_wait_of(app_of(fetch_wait.App, bootstrap, tmp_path, fetch_wait_seconds=seconds)) == expected


async def test_without_it_faust_waits_1500_ms(bootstrap, tmp_path):
    assert await fetch_wait_of(app_of(faust.App, bootstrap, tmp_path)) == 1500  # the control: what it replaces


@pytest.mark.parametrize(
    "env,expected",
    [
        ({}, 0.05),  # the default chosen for the embedded broker (issue 30)
        ({"CONSUMER_FETCH_WAIT_SECONDS": "0.5"}, 0.5),
        ({"CONSUMER_FETCH_WAIT_SECONDS": "0.5", "AUDIT_CONSUMER_FETCH_WAIT_SECONDS": "0.1"}, 0.1),
        ({"CASES_CONSUMER_FETCH_WAIT_SECONDS": "0.1"}, 0.05),  # another service's
    ],
)
def test_the_wait_is_set_per_platform_or_per_service(env, expected):
    base = {"DATABASE_URL": "postgresql://x/y", "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9"}
    assert from_env("audit", {**base, **env}).consumer_fetch_wait_seconds == expected
