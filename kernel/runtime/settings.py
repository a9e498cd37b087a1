"""Settings from the environment. Nothing here connects to anything.

Embedded defaults: with no DATABASE_URL and no KAFKA_BOOTSTRAP_SERVERS the runner starts the
embedded PostgreSQL and broker and fills these in for the services it launches.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, fields
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TypeVar

from kernel.edge.contract import Limits
from kernel.runtime.platform import DEFAULT_FILE as DEFAULT_PLATFORM_FILE, load_platform, platform_file

_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
KAFKA_HEADROOM_BYTES = 65_536


def topic_name(service: str, prefix: str = "") -> str:
    """The event topic a producing service owns: `<prefix><service>.events.v1`."""
    return f"{prefix}{service}.events.v1"


def republish_topic(prefix: str = "") -> str:
    """Control topic where consumers ask a relay to republish a stream range."""
    return f"{prefix}relay.republish.v1"


@dataclass(frozen=True)
class ServiceSettings:
    service: str
    database_url: str
    kafka_bootstrap: str
    grpc_host: str = "127.0.0.1"
    grpc_port: int = 0
    topic_prefix: str = ""
    topic_partitions: int = 6
    replication_factor: int = 1
    consumer_group: str = ""
    data_dir: Path = Path(".data")
    time_zone: str = "Asia/Shanghai"
    # The pipeline's waits (issue 30; chosen with `make bench-e2e`, README "Benchmarks"): a command's
    # event reaches a consumer after at most one relay poll (an idle relay sleeps this long between
    # reads of its store), half a consumer fetch wait on the embedded broker, and one batching window
    # (kernel.messaging.consumer.BATCH_WITHIN_SECONDS). Each halving costs polls at rest.
    relay_poll_seconds: float = 0.025
    marker_check_seconds: float = 2.0
    # Identity: public keys that verify tokens (rotation: several); none = the platform key in
    # the data folder, generated on first run (the embedded default).
    token_public_keys: tuple[Path, ...] = ()
    token_key_file: Path | None = None
    catalogue_file: Path | None = None
    holiday_calendar_file: Path | None = None
    # TLS for the gRPC listener (PEM files); plaintext only on loopback unless allowed.
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    tls_client_ca_file: Path | None = None
    allow_plaintext: bool = False
    # Test deployments only: lets ControlService.SetClock move this service's clock.
    test_mode: bool = False
    timer_poll_seconds: float = 0.5
    # PostgreSQL schema of the service's tables; default the service's name. Several platforms
    # may share one database under different schemas.
    database_schema: str = ""
    # Largest envelope an append may store, in bytes (MAX_EVENT_BYTES). Every Kafka limit on the
    # path (relay max_request_size, topic max.message.bytes, consumer fetch sizes) is
    # `kafka_message_bytes`, above it, so no stored event can be refused downstream.
    max_event_bytes: int = 262_144
    # The relay's producer max_request_size (RELAY_MAX_REQUEST_BYTES); None = kafka_message_bytes.
    # Lower only to match a broker that cannot take more: events over it leave the relay stuck.
    relay_max_request_bytes: int | None = None
    # How often consumers commit acknowledged offsets (CONSUMER_COMMIT_SECONDS). Correctness never
    # depends on it (offsets cover only stored records); longer means more redelivery after a crash.
    consumer_commit_seconds: float = 2.8
    # How long a consumer's fetch may wait at the broker when it has no records
    # (<SERVICE>_CONSUMER_FETCH_WAIT_SECONDS or CONSUMER_FETCH_WAIT_SECONDS; kernel.messaging.fetch_wait).
    # The embedded broker answers only when it runs out: a record waits up to half of it. Each
    # empty fetch costs the broker and the consumer CPU (about +0.2 CPU-s/s at rest for the
    # platform's seven consumers at 0.05 against Faust's 1.5); Kafka answers as records arrive, so
    # on a cluster raise it (0.5) and lose nothing.
    consumer_fetch_wait_seconds: float = 0.05
    # How often a relay says what it has published (RELAY_WATERMARK_SECONDS, kernel.messaging.watermark):
    # the longest a loss stays unnoticed by the ledger while the producer is busy.
    relay_watermark_seconds: float = 5.0
    # The windows and sizes request fields are checked against (REQUEST_*, kernel.edge.contract).
    request_limits: Limits = Limits()
    # The largest request body the gRPC server reads (REQUEST_MAX_BYTES); larger ones are refused
    # RESOURCE_EXHAUSTED unread.
    request_max_bytes: int = 8 << 20
    # The platform file (PLATFORM_FILE): the topics this service follows come from it.
    platform_file: Path = DEFAULT_PLATFORM_FILE
    # Consumers (CONSUMER_*): a failing record's attempts before it is kept aside and the longest
    # pause between them; the broker session and poll limits; how often held gaps are asked again.
    consumer_attempts: int = 5
    consumer_max_backoff_seconds: float = 5.0
    consumer_session_seconds: float = 6.0
    consumer_max_poll_seconds: float = 300.0
    held_sweep_seconds: float = 5.0
    # Prometheus text format on http://<grpc_host>:<metrics_port>/metrics (kernel.runtime.metrics):
    # <SERVICE>_METRICS_PORT, default the gRPC port + 1000; 0 there disables it.
    # Here None is "no endpoint" (what tests built by hand get) and 0 "any free port".
    metrics_port: int | None = None

    def __post_init__(self):
        if not _SCHEMA.match(self.schema):
            raise ValueError(f"{self.service}: database schema {self.schema!r} must match {_SCHEMA.pattern}")

    @property
    def kafka_message_bytes(self) -> int:
        """What every Kafka limit on the path allows: the largest envelope plus room for its key
        (a stream id of at most 200 characters), its headers and the record batch's framing."""
        return self.max_event_bytes + KAFKA_HEADROOM_BYTES

    @property
    def signing_key_file(self) -> Path:
        return self.token_key_file or self.data_dir / "keys" / "token-signing.key"

    @property
    def schema(self) -> str:
        return self.database_schema or self.service

    @property
    def topic(self) -> str:
        return topic_name(self.service, self.topic_prefix)

    @property
    def consumes(self) -> tuple[str, ...]:
        """The producers whose topics this service follows (the platform file's `consumes`)."""
        return load_platform(self.platform_file).service(self.service).consumes

    def topic_of(self, service: str) -> str:
        return topic_name(service, self.topic_prefix)


S = TypeVar("S", bound=ServiceSettings)


def extend(cls: type[S], base: ServiceSettings, **own) -> S:
    """`base` as a service's own settings class (a subclass adding the service's fields)."""
    return cls(**{f.name: getattr(base, f.name) for f in fields(ServiceSettings)}, **own)


def env_path(env: dict | None, *names: str) -> Path | None:
    """The first of `names` set in `env` (default: the process environment), as a path."""
    return _path(dict(os.environ if env is None else env), *names)


def env_text(env: dict | None, *names: str, default: str = "") -> str:
    return _env(dict(os.environ if env is None else env), *names, default=default)


def _env(env: dict, *names: str, default: str = "") -> str:
    for name in names:
        if env.get(name):
            return env[name]
    return default


def from_env(service: str, env: dict | None = None) -> ServiceSettings:
    """Settings of one service. Per-service variables (CLUES_DATABASE_URL) win over shared ones."""
    env = dict(os.environ if env is None else env)
    up = service.upper()
    database_url = _env(env, f"{up}_DATABASE_URL", "DATABASE_URL")
    kafka = _env(env, "KAFKA_BOOTSTRAP_SERVERS")
    if not database_url or not kafka:
        raise SystemExit(
            f"{service}: set DATABASE_URL and KAFKA_BOOTSTRAP_SERVERS "
            "(or start through `make run`, which provides embedded ones)"
        )
    prefix = _env(env, "TOPIC_PREFIX")
    return ServiceSettings(
        service=service,
        database_url=database_url,
        kafka_bootstrap=kafka,
        grpc_host=_env(env, f"{up}_GRPC_HOST", "GRPC_HOST", default="127.0.0.1"),
        grpc_port=int(
            _env(env, f"{up}_GRPC_PORT", default=str(load_platform(platform_file(env)).service(service).port))
        ),
        platform_file=platform_file(env),
        topic_prefix=prefix,
        topic_partitions=int(_env(env, "TOPIC_PARTITIONS", default="6")),
        replication_factor=int(_env(env, "TOPIC_REPLICATION_FACTOR", default="1")),
        consumer_group=_env(env, f"{up}_CONSUMER_GROUP", default=f"{prefix}{service}"),
        data_dir=Path(_env(env, "DATA_DIR", default=".data")).resolve(),
        time_zone=_env(env, "TIME_ZONE", default="Asia/Shanghai"),
        marker_check_seconds=float(_env(env, "RELAY_MARKER_CHECK_SECONDS", default="2.0")),
        token_public_keys=tuple(Path(p.strip()) for p in _env(env, "TOKEN_PUBLIC_KEY_FILES").split(",") if p.strip()),
        token_key_file=_path(env, "TOKEN_SIGNING_KEY_FILE"),
        catalogue_file=_path(env, "CATALOGUE_FILE"),
        holiday_calendar_file=_path(env, "HOLIDAY_CALENDAR_FILE"),
        tls_cert_file=_path(env, f"{up}_TLS_CERT_FILE", "TLS_CERT_FILE"),
        tls_key_file=_path(env, f"{up}_TLS_KEY_FILE", "TLS_KEY_FILE"),
        tls_client_ca_file=_path(env, "TLS_CLIENT_CA_FILE"),
        allow_plaintext=_env(env, "GRPC_ALLOW_PLAINTEXT") in ("1", "true", "yes"),
        test_mode=_env(env, "PLATFORM_TEST_MODE") in ("1", "true", "yes"),
        timer_poll_seconds=float(_env(env, "TIMER_POLL_SECONDS", default="0.5")),
        database_schema=_env(env, f"{up}_DATABASE_SCHEMA"),
        max_event_bytes=_bytes(env, "MAX_EVENT_BYTES", 262_144),
        relay_max_request_bytes=_bytes(env, "RELAY_MAX_REQUEST_BYTES", None),
        consumer_commit_seconds=float(_env(env, "CONSUMER_COMMIT_SECONDS", default="2.8")),
        consumer_fetch_wait_seconds=float(
            _env(env, f"{up}_CONSUMER_FETCH_WAIT_SECONDS", "CONSUMER_FETCH_WAIT_SECONDS", default="0.05")
        ),
        relay_watermark_seconds=float(_env(env, "RELAY_WATERMARK_SECONDS", default="5.0")),
        consumer_attempts=_whole(env, "CONSUMER_ATTEMPTS", 5),
        consumer_max_backoff_seconds=float(_env(env, "CONSUMER_MAX_BACKOFF_SECONDS", default="5.0")),
        consumer_session_seconds=float(_env(env, "CONSUMER_SESSION_SECONDS", default="6.0")),
        consumer_max_poll_seconds=float(_env(env, "CONSUMER_MAX_POLL_SECONDS", default="300.0")),
        held_sweep_seconds=float(_env(env, "HELD_SWEEP_SECONDS", default="5.0")),
        request_limits=request_limits(env),
        request_max_bytes=_bytes(env, "REQUEST_MAX_BYTES", 8 << 20),
        metrics_port=metrics_port(env, service),
    )


def metrics_port(env: dict, service: str) -> int | None:
    """<SERVICE>_METRICS_PORT (one per service: they share a host); default the service's gRPC port + 1000 (none when
    the gRPC port is picked at random); 0 disables the endpoint (None)."""
    up = service.upper()
    grpc_port = int(_env(env, f"{up}_GRPC_PORT", default=str(load_platform(platform_file(env)).service(service).port)))
    default = grpc_port + 1000 if 0 < grpc_port <= 64535 else 0
    raw = _env(env, f"{up}_METRICS_PORT", default=str(default))
    if not raw.isdigit() or int(raw) > 65535:
        raise SystemExit(f"{up}_METRICS_PORT={raw!r}: expected a port number (0 disables the metrics endpoint)")
    return int(raw) or None


def request_limits(env: dict) -> Limits:
    """The contract's configurable limits; a malformed value stops the service naming it."""
    try:
        earliest = datetime.fromisoformat(_env(env, "REQUEST_EARLIEST_DATE", default="2000-01-01"))
        return Limits(
            earliest=earliest if earliest.tzinfo else earliest.replace(tzinfo=timezone.utc),
            clock_skew=timedelta(seconds=_whole(env, "REQUEST_CLOCK_SKEW_SECONDS", 300)),
            horizon=timedelta(days=_whole(env, "REQUEST_HORIZON_DAYS", 3660)),
            max_span=timedelta(days=_whole(env, "REQUEST_MAX_SPAN_DAYS", 3660)),
            max_page=_whole(env, "REQUEST_MAX_PAGE", 1000, most=1000),
        )
    except ValueError as e:
        raise SystemExit(f"REQUEST_EARLIEST_DATE: expected a date such as 2000-01-01 ({e})") from e


def _whole(env: dict, name: str, default: int, most: int | None = None) -> int:
    raw = _env(env, name, default=str(default))
    if not raw.isdigit() or (most is not None and not 1 <= int(raw) <= most):
        raise SystemExit(f"{name}={raw!r}: expected a whole number" + (f" from 1 to {most}" if most else ""))
    return int(raw)


def _bytes(env: dict, name: str, default: int | None) -> int | None:
    raw = _env(env, name)
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1024:
        raise SystemExit(f"{name}={raw!r}: expected a whole number of bytes, at least 1024")
    return int(raw)


def _path(env: dict, *names: str) -> Path | None:
    value = _env(env, *names)
    return Path(value).resolve() if value else None
