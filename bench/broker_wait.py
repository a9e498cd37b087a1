"""How long a record waits in the embedded broker before a consumer sees it, by the consumer's
fetch wait (aiokafka's `fetch_max_wait_ms`): the measurement behind CONSUMER_FETCH_WAIT_SECONDS
(kernel.messaging.fetch_wait, issue 30).

One producer sends a record every `--gap` seconds (its send time inside), one consumer reads them
with each fetch wait in turn; p50/p90/max of send -> seen, in ms.

  .venv/bin/python -m bench.broker_wait [--waits 1500,500,100,50,20] [--records 40]
"""

from __future__ import annotations

import argparse
import asyncio
import time

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.common import say
from bench.e2e import percentile
from kernel.messaging import topics
from kernel.runtime.embedded import EmbeddedBroker


async def seen_after(bootstrap: str, topic: str, wait_ms: int, records: int, gap: float) -> list[float]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=2)
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, fetch_max_wait_ms=wait_ms, group_id=None)
    await producer.start()
    await consumer.start()
    lags: list[float] = []

    async def read() -> None:
        while len(lags) < records:
            for batch in (await consumer.getmany(timeout_ms=2000)).values():
                now = time.perf_counter()
                lags.extend(now - float(r.value) for r in batch)

    try:
        await asyncio.sleep(1.0)  # the consumer has its partitions
        reading = asyncio.create_task(read())
        for _ in range(records):
            await producer.send_and_wait(topic, str(time.perf_counter()).encode(), key=b"k")
            await asyncio.sleep(gap)
        await asyncio.wait_for(reading, 60)
    finally:
        await producer.stop()
        await consumer.stop()
    return lags


async def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--waits", default="1500,500,100,50,20", help="fetch waits in ms")
    p.add_argument("--records", type=int, default=40)
    p.add_argument("--gap", type=float, default=0.05, help="seconds between records")
    args = p.parse_args(argv)
    broker = EmbeddedBroker().start()
    try:
        for wait in (int(w) for w in args.waits.split(",")):
            topic = f"broker-wait-{wait}"
            await asyncio.to_thread(topics.ensure_topic, broker.bootstrap, topics.TopicSpec(topic, 6, 1))
            lags = await seen_after(broker.bootstrap, topic, wait, args.records, args.gap)
            ms = [1000 * x for x in lags]
            say(
                f"fetch wait {wait} ms: p50 {percentile(ms, 0.5):.1f}, p90 {percentile(ms, 0.9):.1f}, max {max(ms):.1f} ms"
            )
    finally:
        broker.stop()


if __name__ == "__main__":
    asyncio.run(main())
