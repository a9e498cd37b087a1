"""How long the broker may hold a consumer's fetch while it has nothing to return (aiokafka's
`fetch_max_wait_ms`), which Faust fixes at 1500 ms.

Kafka answers a waiting fetch as soon as a record arrives, so there the wait costs no latency.
The embedded broker (tansu) answers only when the wait runs out: a record waited up to half of it
(measured: 1500 ms -> p50 423, max 753 ms; 50 ms -> p50 ~14, max ~25 ms) before a consumer saw
it, which is why audit's ledger trailed each command by about 0.5 s (issue 30, bench/e2e.py).
A shorter wait costs empty fetches at rest (broker and consumer CPU); the setting
CONSUMER_FETCH_WAIT_SECONDS (kernel.runtime.settings) says how much of that buys how much latency.
"""

from __future__ import annotations

import faust
from faust.transport.drivers import aiokafka as driver


class _Thread(driver.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport):
        consumer = super()._create_worker_consumer(transport)
        # AIOKafkaConsumer.start() hands this to its Fetcher; aiokafka has no public setter after
        # construction and Faust builds the consumer itself (tests/integration/test_fetch_wait.py
        # checks that the fetcher gets it).
        consumer._fetch_max_wait_ms = self.app.fetch_wait_ms
        return consumer


class _Consumer(driver.Consumer):
    def _new_consumer_thread(self) -> _Thread:
        return _Thread(self, loop=self.loop, beacon=self.beacon)


class _Transport(driver.Transport):
    Consumer = _Consumer


class App(faust.App):
    """A `faust.App` whose consumer's fetches wait at most `fetch_wait_seconds` at the broker
    (always the aiokafka driver: the platform's broker URLs are kafka://)."""

    def __init__(self, *args, fetch_wait_seconds: float, **kwargs):
        super().__init__(*args, **kwargs)
        self.fetch_wait_ms = max(1, round(fetch_wait_seconds * 1000))

    def _new_transport(self) -> _Transport:
        return _Transport(self.conf.broker_consumer, self)
