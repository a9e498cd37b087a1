"""Faust agents of the audit service: consume every producer topic into the recorder."""
from __future__ import annotations

import faust

from kernel import log as klog
from kernel.errors import Validation
from kernel.inbox import Source
from kernel.relay import MARKER_KEY
from kernel.settings import PRODUCERS, ServiceSettings
from services.audit.app.recorder import Recorder


log = klog.get("audit.agent")


def build_app(settings: ServiceSettings, recorder: Recorder) -> faust.App:
    """A new App per start (a stopped App cannot restart); group = settings.consumer_group."""
    datadir = settings.data_dir / "faust" / settings.consumer_group
    datadir.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        settings.consumer_group, broker=f"kafka://{settings.kafka_bootstrap}", web_enabled=False,
        autodiscover=False, datadir=str(datadir),
        broker_session_timeout=6.0, broker_heartbeat_interval=1.0, consumer_auto_offset_reset="earliest",
        topic_allow_declare=False, topic_disable_leader=True)
    topic = app.topic(*[settings.topic_of(p) for p in PRODUCERS], key_type=bytes, value_type=bytes,
                      key_serializer="raw", value_serializer="raw")

    @app.agent(topic, name=f"{settings.consumer_group}-ingest")
    async def ingest(stream):
        async for event in stream.events():
            message = event.message
            if message.key == MARKER_KEY:
                continue
            source = Source(message.topic, message.partition, message.offset)
            try:
                await recorder.record(message.value, source)
            except Validation as e:  # a malformed record must not stop the partition
                log.error("audit.malformed_record", topic=source.topic, partition=source.partition,
                          offset=source.offset, problem=str(e))
    return app
