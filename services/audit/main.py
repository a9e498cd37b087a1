"""Composition root of the audit service: `python -m services.audit.main`.

What it runs, beside the kernel's shell (pool, migrations, store, durable timers, gRPC server with
ControlService, and the relay of its own topic `audit.events.v1`, where the reads it serves are
recorded, issue 17): the ledger's recorder consuming every producer's topic, its own included, into
the verifiable log and its projections, the checkpoint signer, proofs and replay, the AuditService
servicer. Its own settings: `AuditSettings`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from audit.v1 import service_pb2, service_pb2_grpc
from kernel.edge.tokens import load_or_create_private_key
from kernel.messaging.consumer import Consumer
from kernel.runtime.service import ServiceHost, Wiring, serve
from kernel.runtime.settings import ServiceSettings, env_path, env_text, extend, from_env
from services.audit.adapters.grpc_servicer import AuditServicer
from services.audit.app.checkpoints import MIGRATIONS as CHECKPOINTS_MIGRATIONS, Checkpointer
from services.audit.app.proofs import Proofs
from services.audit.app.recorder import MIGRATIONS as RECORDER_MIGRATIONS, Recorder
from services.audit.app.replay import Replay
from services.audit.domain.checkpoint import NoteSigner

SERVICE_NAMES = (service_pb2.DESCRIPTOR.services_by_name["AuditService"].full_name,)
DEFAULT_ORIGIN = "jjjc.local/audit-ledger"
KEY_FILE = Path("keys") / "ledger-signing.key"  # under the data folder, unless AUDIT_LEDGER_KEY_FILE
MIGRATIONS = (*RECORDER_MIGRATIONS, *CHECKPOINTS_MIGRATIONS)


@dataclass(frozen=True)
class AuditSettings(ServiceSettings):
    """The kernel's settings and the audit service's own."""

    # The checkpoints' origin line and key name (AUDIT_LEDGER_ORIGIN).
    ledger_origin: str = DEFAULT_ORIGIN
    # The Ed25519 key signing checkpoints (AUDIT_LEDGER_KEY_FILE); None: DATA_DIR/keys/ledger-signing.key,
    # generated on first run.
    ledger_key_file: Path | None = None
    # How often a checkpoint is signed when the ledger grew (AUDIT_CHECKPOINT_SECONDS).
    checkpoint_seconds: float = 10.0

    @classmethod
    def from_env(cls, env: dict | None = None) -> AuditSettings:
        return extend(
            cls,
            from_env("audit", env),
            ledger_origin=env_text(env, "AUDIT_LEDGER_ORIGIN", default=DEFAULT_ORIGIN),
            ledger_key_file=env_path(env, "AUDIT_LEDGER_KEY_FILE"),
            checkpoint_seconds=float(env_text(env, "AUDIT_CHECKPOINT_SECONDS", default="10")),
        )

    @property
    def ledger_key(self) -> Path:
        return self.ledger_key_file or self.data_dir / KEY_FILE


@dataclass
class Audit:
    """What the audit service runs beside the shell."""

    recorder: Recorder
    ledger: Consumer
    checkpoints: Checkpointer
    signing: asyncio.Task
    proofs: Proofs
    replay: Replay


async def build_parts(host: ServiceHost[Audit]) -> Audit:
    s: AuditSettings = host.settings
    recorder = Recorder(host.store)
    await recorder.migrate()  # the host applied the migrations: this backfills and catches up projections
    signer = NoteSigner(s.ledger_origin, load_or_create_private_key(s.ledger_key))
    checkpoints = Checkpointer(host.pool, s.schema, signer, s.ledger_origin)
    checkpoints.completeness = recorder.completeness
    signing = asyncio.create_task(checkpoints.run(s.checkpoint_seconds), name="audit-checkpoints")
    ledger = await Consumer(s, host.pool, list(s.consumes), "ledger", recorder, status=host.status).start()
    host.status.register(recorder.completeness.status)
    host.log.info(
        "audit.ledger",
        origin=checkpoints.origin,
        verifier_key=checkpoints.signer.verifier_key,
        checkpoint_seconds=s.checkpoint_seconds,
    )
    return Audit(
        recorder, ledger, checkpoints, signing, Proofs(host.pool, s.schema, checkpoints), Replay(host.pool, s.schema)
    )


def register(host: ServiceHost[Audit], parts: Audit, server) -> None:
    servicer = AuditServicer(
        parts.recorder,
        parts.checkpoints,
        parts.proofs,
        parts.replay,
        host.authenticator.catalogue.organisation,
        host.store,
        host.clock,
    )
    service_pb2_grpc.add_AuditServiceServicer_to_server(servicer, server)


async def stop(parts: Audit) -> None:
    parts.signing.cancel()
    await asyncio.gather(parts.signing, return_exceptions=True)
    await parts.ledger.stop()


def build(settings: ServiceSettings) -> ServiceHost[Audit]:
    """The service on `settings` (plain kernel settings get the audit service's defaults)."""
    own = settings if isinstance(settings, AuditSettings) else extend(AuditSettings, settings)
    return ServiceHost(own, Wiring(SERVICE_NAMES, build_parts, register, stop, produces=True, migrations=MIGRATIONS))


if __name__ == "__main__":
    asyncio.run(serve(build(AuditSettings.from_env())))
