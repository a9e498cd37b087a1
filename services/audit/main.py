"""Composition root of the audit service: `python -m services.audit.main`.

What it runs, beside the kernel's shell (pool, migrations, store, durable timers, gRPC server with
ControlService, and the relay of its own topic `audit.events.v1`, where the reads it serves are
recorded, issue 17): the ledger's recorder consuming every producer's topic, its own included, into
the verifiable log and its projections, the checkpoint signer, proofs and replay, the AuditService
servicer; the partner feeds (issue 23), served by PartnerFeedService and published by
`app.feed_publisher` to the topics `partner.<agency>.v1`; the IntegrityService (issue 26): person
dossiers and the integrity-opinion requests, its own aggregate on streams `integrity-<uuid>`
(`app.integrity`, rules in `deploy/config/integrity.toml`); the replay page (issue 29), an HTTP
server on the same event loop (`adapters.web`, AUDIT_PAGE_PORT). Its own settings: `AuditSettings`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from audit.v1 import (
    feeds_pb2,
    feeds_pb2_grpc,
    integrity_pb2,
    integrity_pb2_grpc,
    service_pb2,
    service_pb2_grpc,
    statistics_pb2,
    statistics_pb2_grpc,
)
from kernel.edge.tokens import load_or_create_private_key
from kernel.messaging.consumer import Consumer
from kernel.runtime.service import ServiceHost, Wiring, serve
from kernel.runtime.settings import ServiceSettings, env_path, env_text, extend, from_env
from services.audit.adapters.feed_servicer import PartnerFeedServicer
from services.audit.adapters.grpc_servicer import AuditServicer
from services.audit.adapters.integrity_mapping import CODEC as INTEGRITY_CODEC
from services.audit.adapters.integrity_servicer import IntegrityServicer
from services.audit.adapters.statistics_servicer import StatisticsServicer
from services.audit.adapters.web.api import PageDeps
from services.audit.adapters.web.awaiting_json import parse_targets
from services.audit.adapters.web.pins import load_pins
from services.audit.adapters.web.server import PageServer, tls_context
from services.audit.app import feeds
from services.audit.app.checkpoints import MIGRATIONS as CHECKPOINTS_MIGRATIONS, Checkpointer
from services.audit.app.dossiers import Dossiers
from services.audit.app.feed_config import load_feed_config
from services.audit.app.feed_publisher import MIGRATIONS as PUBLISHER_MIGRATIONS, FeedPublisher
from services.audit.app.integrity import MIGRATIONS as INTEGRITY_MIGRATIONS, Integrity
from services.audit.app.integrity_config import load_integrity_rules
from services.audit.app.proofs import Proofs
from services.audit.app.recorder import MIGRATIONS as RECORDER_MIGRATIONS, Recorder
from services.audit.app.replay import Replay
from services.audit.app.statistics import Statistics
from services.audit.app.statistics_config import load_statistics_rules
from services.audit.app.witnessing import MIGRATIONS as WITNESSING_MIGRATIONS, Witnessing, load_policy
from services.audit.domain.checkpoint import NoteSigner

SERVICE_NAMES = (
    service_pb2.DESCRIPTOR.services_by_name["AuditService"].full_name,
    feeds_pb2.DESCRIPTOR.services_by_name["PartnerFeedService"].full_name,
    integrity_pb2.DESCRIPTOR.services_by_name["IntegrityService"].full_name,  # issue 26
    statistics_pb2.DESCRIPTOR.services_by_name["StatisticsService"].full_name,  # issue 27
)
DEFAULT_ORIGIN = "jjjc.local/audit-ledger"
KEY_FILE = Path("keys") / "ledger-signing.key"  # under the data folder, unless AUDIT_LEDGER_KEY_FILE
FEED_KEY_DIR = Path("keys")  # feed-<agency>.key under the data folder, unless AUDIT_FEED_KEY_DIR
MIGRATIONS = (
    *RECORDER_MIGRATIONS,
    *CHECKPOINTS_MIGRATIONS,
    *PUBLISHER_MIGRATIONS,
    *WITNESSING_MIGRATIONS,
    *INTEGRITY_MIGRATIONS,
)


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
    # The folder of the partner feeds' Ed25519 keys, feed-<agency>.key (AUDIT_FEED_KEY_DIR); None:
    # DATA_DIR/keys, each generated on first run (issue 23).
    feed_key_dir: Path | None = None
    # The partner feeds' configuration (PARTNER_FEEDS_FILE); None: deploy/config/partner_feeds.toml.
    partner_feeds_file: Path | None = None
    # The witnesses asked to cosign each checkpoint and their quorum, a C2SP tlog-policy file
    # (AUDIT_WITNESS_POLICY_FILE); None: deploy/config/witnesses.policy (no witness) (issue 25).
    witness_policy_file: Path | None = None
    # How long one add-checkpoint request to a witness may take (AUDIT_WITNESS_TIMEOUT_SECONDS).
    witness_timeout_seconds: float = 5.0
    # The integrity-opinion workflow's local practice (INTEGRITY_FILE); None:
    # deploy/config/integrity.toml (issue 26).
    integrity_file: Path | None = None
    # The statistics' local practice: who may ask for any office, the four forms (STATISTICS_FILE);
    # None: deploy/config/statistics.toml (issue 27).
    statistics_file: Path | None = None
    # The replay page (issue 29) on http://<grpc_host>:<page_port>/ (AUDIT_PAGE_PORT, default the gRPC
    # port + 2000; 0 there disables it). Here None: no page; 0: any free port (tests read `Audit.page.port`).
    page_port: int | None = 0
    # The pins the page checks proofs with (AUDIT_PAGE_PINS_FILE, TOML; see
    # deploy/config/page_pins.example.toml); None: this deployment's own ledger key and witness policy.
    page_pins_file: Path | None = None
    # Where the page asks the services for a caller's awaiting-me queue (AUDIT_PAGE_AWAITING_TARGETS,
    # "clues=host:port,cases=host:port"); empty: the platform file's services at GRPC_HOST.
    page_awaiting_targets: str = ""

    @classmethod
    def from_env(cls, env: dict | None = None) -> AuditSettings:
        return extend(
            cls,
            from_env("audit", env),
            ledger_origin=env_text(env, "AUDIT_LEDGER_ORIGIN", default=DEFAULT_ORIGIN),
            ledger_key_file=env_path(env, "AUDIT_LEDGER_KEY_FILE"),
            checkpoint_seconds=float(env_text(env, "AUDIT_CHECKPOINT_SECONDS", default="10")),
            feed_key_dir=env_path(env, "AUDIT_FEED_KEY_DIR"),
            partner_feeds_file=env_path(env, "PARTNER_FEEDS_FILE"),
            witness_policy_file=env_path(env, "AUDIT_WITNESS_POLICY_FILE"),
            witness_timeout_seconds=float(env_text(env, "AUDIT_WITNESS_TIMEOUT_SECONDS", default="5")),
            integrity_file=env_path(env, "INTEGRITY_FILE"),
            statistics_file=env_path(env, "STATISTICS_FILE"),
            page_port=page_port(env),
            page_pins_file=env_path(env, "AUDIT_PAGE_PINS_FILE"),
            page_awaiting_targets=env_text(env, "AUDIT_PAGE_AWAITING_TARGETS"),
        )

    @property
    def ledger_key(self) -> Path:
        return self.ledger_key_file or self.data_dir / KEY_FILE

    @property
    def feed_keys(self) -> Path:
        return self.feed_key_dir or self.data_dir / FEED_KEY_DIR


def page_port(env: dict | None) -> int | None:
    """AUDIT_PAGE_PORT; default audit's gRPC port + 2000 (none when that port is picked at random);
    0 disables the page (None)."""
    grpc_port = from_env("audit", env).grpc_port
    default = grpc_port + 2000 if 0 < grpc_port <= 63535 else 0
    raw = env_text(env, "AUDIT_PAGE_PORT", default=str(default))
    if not raw.isdigit() or int(raw) > 65535:
        raise SystemExit(f"AUDIT_PAGE_PORT={raw!r}: expected a port number (0 disables the replay page)")
    return int(raw) or None


@dataclass
class Audit:
    """What the audit service runs beside the shell."""

    recorder: Recorder
    ledger: Consumer
    checkpoints: Checkpointer
    signing: asyncio.Task
    proofs: Proofs
    replay: Replay
    feeds: feeds.Feeds  # the partner feeds (issue 23)
    feed_signing: asyncio.Task
    publisher: FeedPublisher | None = None  # the feeds to Kafka topics partner.<agency>.v1 (issue 23)
    witnessing: Witnessing | None = None  # the checkpoints' witnesses (issue 25)
    witnessing_task: asyncio.Task | None = None
    integrity: Integrity | None = None  # integrity-opinion requests (issue 26)
    statistics: Statistics | None = None  # statistics from events (issue 27)
    page: PageServer | None = None  # the replay page (issue 29)


async def build_parts(host: ServiceHost[Audit]) -> Audit:
    s: AuditSettings = host.settings
    # the partner feeds' configuration, checked against the catalogue and the contracts before
    # anything is indexed with it (issue 23)
    feeds.configure(load_feed_config(s.partner_feeds_file, host.authenticator.catalogue.agencies))
    catalogue = host.authenticator.catalogue
    # the integrity-opinion workflow (issue 26): a bad integrity.toml stops the service here, naming the key
    integrity_rules = load_integrity_rules(s.integrity_file, catalogue.offices, catalogue.agencies)
    # statistics (issue 27): a bad statistics.toml stops the service here, naming the key
    statistics_rules = load_statistics_rules(s.statistics_file, catalogue.roles)
    recorder = Recorder(host.store)
    await recorder.migrate()  # the host applied the migrations: this backfills and catches up projections
    signer = NoteSigner(s.ledger_origin, load_or_create_private_key(s.ledger_key))
    checkpoints = Checkpointer(host.pool, s.schema, signer, s.ledger_origin)
    checkpoints.completeness = recorder.completeness
    signing = asyncio.create_task(checkpoints.run(s.checkpoint_seconds), name="audit-checkpoints")
    # the witnesses (issue 25): a bad policy file stops the service here, naming the file and line
    witnessing = Witnessing(
        host.pool, s.schema, load_policy(s.witness_policy_file), checkpoints, s.witness_timeout_seconds
    )
    witnessing_task = asyncio.create_task(witnessing.run(s.checkpoint_seconds), name="audit-witnessing")
    if witnessing.policy.witnesses:  # a status component only when there are witnesses to show
        host.status.register(witnessing.status)
    feed_signers = feeds.load_signers(s.feed_keys, s.ledger_origin, feeds.config().agencies)
    feed_checkpoints = feeds.FeedCheckpointer(host.pool, s.schema, feed_signers)
    feed_signing = asyncio.create_task(feed_checkpoints.run(s.checkpoint_seconds), name="audit-feed-checkpoints")
    ledger = await Consumer(s, host.pool, list(s.consumes), "ledger", recorder, status=host.status).start()
    host.status.register(recorder.completeness.status)
    host.log.info(
        "audit.ledger",
        origin=checkpoints.origin,
        verifier_key=checkpoints.signer.verifier_key,
        checkpoint_seconds=s.checkpoint_seconds,
        witnesses=[w.name for w in witnessing.policy.witnesses],
        witness_quorum=witnessing.policy.quorum,
    )
    host.log.info(
        "audit.feeds", keys={a: signer.verifier_key for a, signer in feed_signers.items()}, key_dir=str(s.feed_keys)
    )
    publisher = FeedPublisher.for_service(s, host.pool, feeds.config().agencies)
    await publisher.migrate()
    publisher.register(host.status)
    dossiers = Dossiers(host.pool, s.schema, host.clock.tz)  # the service's day says what runs
    page = await start_page(host, checkpoints, witnessing, dossiers)
    return Audit(
        recorder,
        ledger,
        checkpoints,
        signing,
        Proofs(host.pool, s.schema, checkpoints),
        Replay(host.pool, s.schema),
        feeds.Feeds(host.pool, s.schema, feed_checkpoints, checkpoints),
        feed_signing,
        publisher.start(),
        witnessing,
        witnessing_task,
        integrity=Integrity(
            host.store,
            dossiers,
            integrity_rules,
            host.clock,
            INTEGRITY_CODEC,
            catalogue.organisation,
            frozenset(catalogue.offices),
        ),
        statistics=Statistics(host.pool, s.schema, statistics_rules, catalogue.organisation, host.clock.tz),
        page=page,
    )


async def start_page(host: ServiceHost[Audit], checkpoints: Checkpointer, witnessing: Witnessing, dossiers):
    """The replay page (issue 29) on its port, or None when disabled or the port is taken (the
    service serves without it: the page is no reason to stop the ledger)."""
    s: AuditSettings = host.settings
    if s.page_port is None:
        return None
    policy = witnessing.policy
    policy_text = policy.text.encode("utf-8", "surrogateescape").decode("utf-8", "replace") if policy.witnesses else ""
    deps = PageDeps(
        host.authenticator,
        host.store,
        host.clock,
        checkpoints,
        dossiers,
        load_pins(s.page_pins_file, checkpoints.origin, checkpoints.signer.verifier_key, policy_text),
        witness=witnessing.witness,  # as ExportHistoryBundle: cosigned when witnesses are configured
        awaiting_targets=parse_targets(s.page_awaiting_targets),
    )
    page = PageServer(deps, s.grpc_host, s.page_port, tls_context(s.tls_cert_file, s.tls_key_file))
    try:
        await page.start()
    except OSError as e:
        host.log.error(
            "audit.page_unavailable",
            port=s.page_port,
            error=str(e),
            remedy="set AUDIT_PAGE_PORT to a free port (0 disables the replay page)",
        )
        return None
    host.log.info("audit.page", url=page.url, pins=str(s.page_pins_file or "this deployment's own"))
    return page


def register(host: ServiceHost[Audit], parts: Audit, server) -> None:
    servicer = AuditServicer(
        parts.recorder,
        parts.checkpoints,
        parts.proofs,
        parts.replay,
        host.authenticator.catalogue.organisation,
        host.store,
        host.clock,
        witnessing=parts.witnessing,
    )
    service_pb2_grpc.add_AuditServiceServicer_to_server(servicer, server)
    feeds_pb2_grpc.add_PartnerFeedServiceServicer_to_server(
        PartnerFeedServicer(parts.feeds, parts.checkpoints, host.clock), server
    )
    if parts.integrity is not None:  # issue 26: dossiers and integrity-opinion requests
        integrity_pb2_grpc.add_IntegrityServiceServicer_to_server(
            IntegrityServicer(
                parts.integrity,
                parts.integrity.dossiers,
                host.authenticator.catalogue.organisation,
                host.store,
                host.clock,
            ),
            server,
        )
    if parts.statistics is not None:  # issue 27: statistics from events
        statistics_pb2_grpc.add_StatisticsServiceServicer_to_server(
            StatisticsServicer(parts.statistics, host.store, host.clock), server
        )


async def stop(parts: Audit) -> None:
    parts.signing.cancel()
    parts.feed_signing.cancel()
    if parts.witnessing_task is not None:
        parts.witnessing_task.cancel()
    tasks = [t for t in (parts.signing, parts.feed_signing, parts.witnessing_task) if t is not None]
    await asyncio.gather(*tasks, return_exceptions=True)
    if parts.witnessing is not None:
        await parts.witnessing.close()
    if parts.page is not None:
        await parts.page.stop()
    await parts.ledger.stop()
    if parts.publisher is not None:
        await parts.publisher.close()


def build(settings: ServiceSettings) -> ServiceHost[Audit]:
    """The service on `settings` (plain kernel settings get the audit service's defaults)."""
    own = settings if isinstance(settings, AuditSettings) else extend(AuditSettings, settings)
    return ServiceHost(own, Wiring(SERVICE_NAMES, build_parts, register, stop, produces=True, migrations=MIGRATIONS))


if __name__ == "__main__":
    asyncio.run(serve(build(AuditSettings.from_env())))
