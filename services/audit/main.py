"""Composition root of the audit service: `python -m services.audit.main`.

Ledger configuration (environment): AUDIT_LEDGER_ORIGIN (the checkpoints' origin line and key
name; default `jjjc.local/audit-ledger`), AUDIT_LEDGER_KEY_FILE (Ed25519 PEM; default
`DATA_DIR/keys/ledger-signing.key`, generated on first run), AUDIT_CHECKPOINT_SECONDS (default 10).
"""
from __future__ import annotations

import asyncio
import os
from pathlib import Path

from audit.v1 import service_pb2, service_pb2_grpc
from kernel.consumer import Consumer
from kernel.service import ServiceHost, Wiring, serve
from kernel.settings import ServiceSettings, from_env
from kernel.tokens import load_or_create_private_key
from services.audit.adapters.grpc_servicer import AuditServicer
from services.audit.app.checkpoints import MIGRATIONS as CHECKPOINTS_MIGRATIONS, Checkpointer
from services.audit.app.proofs import Proofs
from services.audit.app.recorder import MIGRATIONS as RECORDER_MIGRATIONS, Recorder
from services.audit.app.replay import Replay
from services.audit.domain.checkpoint import NoteSigner

SERVICE_NAMES = (service_pb2.DESCRIPTOR.services_by_name["AuditService"].full_name,)
DEFAULT_ORIGIN = "jjjc.local/audit-ledger"
KEY_FILE = Path("keys") / "ledger-signing.key"     # under the data folder, unless AUDIT_LEDGER_KEY_FILE
MIGRATIONS = (*RECORDER_MIGRATIONS, *CHECKPOINTS_MIGRATIONS)


def _setting(s: ServiceSettings, name: str, default: str) -> str:
    return str(s.extra.get(name.lower()) or os.environ.get(name) or default)


def checkpointer_for(host: ServiceHost) -> Checkpointer:
    s = host.settings
    origin = _setting(s, "AUDIT_LEDGER_ORIGIN", DEFAULT_ORIGIN)
    key_file = Path(_setting(s, "AUDIT_LEDGER_KEY_FILE", str(s.data_dir / KEY_FILE)))
    return Checkpointer(host.pool, s.schema, NoteSigner(origin, load_or_create_private_key(key_file)), origin)


async def _on_start(host: ServiceHost) -> None:
    recorder = Recorder(host.store)
    await recorder.migrate()      # the host applied the migrations: this backfills and catches up projections
    checkpoints = checkpointer_for(host)
    checkpoints.completeness = recorder.completeness
    interval = float(_setting(host.settings, "AUDIT_CHECKPOINT_SECONDS", "10"))
    signing = asyncio.create_task(checkpoints.run(interval), name="audit-checkpoints")
    consumer = await Consumer(host.settings, host.pool, list(host.settings.consumes), "ledger", recorder,
                              status=host.status).start()
    host.status.register(recorder.completeness.status)
    host.extras.update(recorder=recorder, consumer=consumer, checkpoints=checkpoints, signing=signing,
                       proofs=Proofs(host.pool, host.settings.schema, checkpoints),
                       replay=Replay(host.pool, host.settings.schema))
    host.log.info("audit.ledger", origin=checkpoints.origin, verifier_key=checkpoints.signer.verifier_key,
                  checkpoint_seconds=interval)


async def _on_stop(host: ServiceHost) -> None:
    host.extras["signing"].cancel()
    await asyncio.gather(host.extras["signing"], return_exceptions=True)
    await host.extras["consumer"].stop()


def _register(host: ServiceHost, server) -> None:
    x = host.extras
    service_pb2_grpc.add_AuditServiceServicer_to_server(AuditServicer(x["recorder"], x["checkpoints"], x["proofs"],
                                                                      x["replay"]), server)


def build(settings: ServiceSettings) -> ServiceHost:
    return ServiceHost(settings, Wiring(register=_register, service_names=SERVICE_NAMES, produces=False,
                                        on_start=_on_start, on_stop=_on_stop, migrations=MIGRATIONS))


if __name__ == "__main__":
    asyncio.run(serve(build(from_env("audit"))))
