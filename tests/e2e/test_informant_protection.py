"""Informant identity never leaves the clues service (举报人保护): a canary planted as an informant's
name, contact and details is found nowhere after a whole lifecycle — not on any topic (raw or
decoded), not in any log line, not in the audit store, not in plain text in the clues store —
while the complaints office can read it, and each read is itself on the record."""

import logging
import time
import uuid

import grpc
import pytest
import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from google.protobuf import descriptor_pool, message_factory, text_format

from cases.v1 import events_pb2 as cases_pb2
from clues.v1 import events_pb2 as ev_pb2, service_pb2 as pb
from common.v1 import identity_pb2
from kernel.domain.principal import Principal
from kernel.eventstore import envelope as env_mod
from services.audit.main import build as build_audit
from services.clues.main import build as build_clues
from tests.e2e.platforms import FAST_JOIN, start_together
from tests.e2e.test_clue_lifecycle import HEAD, Client, audit_history, publish_from_cases, to_report, wait_state
from tests.factories import call_metadata, service_settings

CANARY = f"CANARY-{uuid.uuid4().hex}"
COMPLAINTS = Principal("commission", "complaints", "complaints_officer", "u-complaints")


@pytest.fixture(scope="module")
async def platform(database_url, bootstrap, tmp_path_factory):
    prefix, data = f"ip{uuid.uuid4().hex[:8]}", tmp_path_factory.mktemp("informant")
    clues, audit = await start_together(
        [
            build(service_settings(name, database_url, bootstrap, prefix, data, **FAST_JOIN)).start()
            for name, build in (("clues", build_clues), ("audit", build_audit))
        ]
    )
    yield clues, audit, prefix
    await clues.stop()
    await audit.stop()


class Everything(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(f"{record.getMessage()} {record.args!r} {record.__dict__!r}")


async def test_the_informant_canary_is_found_nowhere(platform):
    clues, audit, prefix = platform
    stdlib = Everything()
    logging.getLogger().addHandler(stdlib)
    previous_level = logging.getLogger().level
    logging.getLogger().setLevel(logging.DEBUG)
    try:
        with structlog.testing.capture_logs() as structured:
            clue_id = await run_lifecycle_with_canary(clues, audit)
    finally:
        logging.getLogger().removeHandler(stdlib)
        logging.getLogger().setLevel(previous_level)
    assert structured and stdlib.lines, "no log was captured: the scan would prove nothing"
    assert any(clue_id in repr(entry) for entry in structured), "the capture missed the clue's own log lines"
    assert not [e for e in structured if CANARY in repr(e)], "canary in a structured log line"
    assert not [line for line in stdlib.lines if CANARY in line], "canary in a library log line"

    records = await read_every_topic(clues.settings.kafka_bootstrap, prefix)
    assert any(clue_id.encode() in raw for raw in records), "the clue's events are not on the topics read"
    for raw in records:
        assert CANARY.encode() not in raw
        assert CANARY not in decoded_text(raw)

    async with audit.pool.acquire() as conn:
        for table in await conn.fetch("SELECT table_name FROM information_schema.tables WHERE table_schema = 'audit'"):
            dump = await conn.fetch(f'SELECT t::text AS row FROM audit."{table["table_name"]}" t')
            assert not [r for r in dump if CANARY in r["row"] or CANARY.encode().hex() in r["row"]], table
    async with clues.pool.acquire() as conn:
        for table in await conn.fetch("SELECT table_name FROM information_schema.tables WHERE table_schema = 'clues'"):
            dump = await conn.fetch(f'SELECT t::text AS row FROM clues."{table["table_name"]}" t')
            assert not [r for r in dump if CANARY in r["row"] or CANARY.encode().hex() in r["row"]], table


async def run_lifecycle_with_canary(clues, audit) -> str:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{clues.port}") as ch:
        client = Client(clues, ch)
        reg = await client(  # received by the complaints office, whose officer may read the informant
            "RegisterClue",
            COMPLAINTS,
            source=ev_pb2.CLUE_SOURCE_PETITION,
            summary="kickbacks on road works",
            subjects=[identity_pb2.PersonRef(person_id="P-90", name="Zheng Shi")],
            informant=pb.Informant(name=CANARY, contact=f"tel {CANARY}", details=f"neighbour {CANARY}"),
        )
        err = await client.refused("GetInformant", clue_id=reg.clue_id, purpose="curious")  # case manager: no
        assert err.code() == grpc.StatusCode.PERMISSION_DENIED
        got = await client.stub.GetInformant(
            pb.GetInformantRequest(clue_id=reg.clue_id, purpose="verify the account"),
            metadata=call_metadata(clues.settings, COMPLAINTS),
        )
        assert got.informant.name == CANARY
        cid = await to_report(client, registered=reg)
        await client("ApproveReport", HEAD, clue_id=cid)
        case_id = f"case-{uuid.uuid4()}"
        await publish_from_cases(clues, cases_pb2.CaseFiled(case_id=case_id, clue_id=cid), case_id)
        await wait_state(client, cid, "CASE_FILED")
    history = await audit_history(audit, cid, expect=13)
    reads = [e for e in history.events if e.envelope.event_type == "clues.v1.InformantIdentityRead"]
    assert [(r.envelope.principal.user, r.envelope.principal.office) for r in reads] == [("u-complaints", "complaints")]
    return cid


async def read_every_topic(bootstrap: str, prefix: str, quiet: float = 2.0, timeout: float = 30.0) -> list[bytes]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        names = [t for t in await consumer.topics() if t.startswith(f"{prefix}.")]
        parts = [TopicPartition(t, p) for t in names for p in (consumer.partitions_for_topic(t) or ())]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        values, last_new, deadline = [], time.monotonic(), time.monotonic() + timeout
        while time.monotonic() - last_new < quiet and time.monotonic() < deadline:
            for msgs in (await consumer.getmany(timeout_ms=200)).values():
                for m in msgs:
                    values.append(
                        (m.key or b"") + b"|" + (m.value or b"") + b"|" + b"".join(k.encode() + v for k, v in m.headers)
                    )
                    last_new = time.monotonic()
        return values
    finally:
        await consumer.stop()


def decoded_text(raw: bytes) -> str:
    """The record as a reader would decode it: envelope and payload in text form, if it parses."""
    try:
        env = env_mod.parse(raw.split(b"|")[1])
    except Exception:  # noqa: BLE001 - markers and control records are not envelopes
        return raw.decode(errors="replace")
    text = text_format.MessageToString(env)
    try:
        cls = message_factory.GetMessageClass(descriptor_pool.Default().FindMessageTypeByName(env.payload.TypeName()))
        msg = cls()
        env.payload.Unpack(msg)
        text += text_format.MessageToString(msg, as_utf8=True)
    except KeyError:
        pass
    return text
