"""The platform file (deploy/config/platform.toml): the services, their default ports, who
produces and who consumes whom, and the commission the deployment serves (its level, whether it is
a resident group). The kernel names no service; it reads them here."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from kernel.runtime.config import read_toml

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "deploy" / "config" / "platform.toml"


class PlatformError(ValueError):
    """The platform file is wrong; the message names the file and key."""


@dataclass(frozen=True)
class ServiceEntry:
    name: str
    module: str
    port: int
    produces: bool
    consumes: tuple[str, ...]


# A commission's level (domain.md §1): approvals depend on it (§3).
COMMISSION_LEVELS = ("COUNTY", "CITY", "PROVINCIAL", "NATIONAL")


@dataclass(frozen=True)
class CommissionEntry:
    """[commission]: the level of the commission this deployment serves (for a resident group, of
    the commission that dispatched it) and whether it is a resident group (派驻纪检监察组)."""

    level: str
    resident_group: bool = False


@dataclass(frozen=True)
class Platform:
    services: tuple[ServiceEntry, ...]
    commission: CommissionEntry | None = None  # absent: services that need it refuse to start

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.services)

    @property
    def producers(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.services if s.produces)

    def service(self, name: str) -> ServiceEntry:
        for s in self.services:
            if s.name == name:
                return s
        raise PlatformError(f"no service {name!r} in the platform file (services: {', '.join(self.names)})")


def platform_file(env: dict | None = None) -> Path:
    return Path((env if env is not None else os.environ).get("PLATFORM_FILE") or DEFAULT_FILE)


@lru_cache(maxsize=8)
def load_platform(path: Path = DEFAULT_FILE) -> Platform:
    data = read_toml(path, PlatformError)
    if data.get("schema_version") != 1:
        raise PlatformError(f"{path}: schema_version must be 1")
    table = data.get("services")
    if not isinstance(table, dict) or not table:
        raise PlatformError(f"{path}: [services.<name>] tables are required")
    services = tuple(_entry(path, name, raw) for name, raw in table.items())
    names = {s.name for s in services}
    for s in services:
        for other in s.consumes:
            if other not in names or not next(x for x in services if x.name == other).produces:
                raise PlatformError(f"{path}: services.{s.name}.consumes names {other!r}, not a producing service")
    return Platform(services, _commission(path, data.get("commission")))


def _commission(path: Path, raw) -> CommissionEntry | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise PlatformError(f"{path}: commission must be a table")
    unknown = sorted(set(raw) - {"level", "resident_group"})
    if unknown:
        raise PlatformError(f"{path}: commission.{unknown[0]}: unknown key (level, resident_group)")
    level, resident = raw.get("level"), raw.get("resident_group", False)
    if level not in COMMISSION_LEVELS:
        raise PlatformError(f"{path}: commission.level: one of {', '.join(COMMISSION_LEVELS)}, not {level!r}")
    if not isinstance(resident, bool):
        raise PlatformError(f"{path}: commission.resident_group: true or false")
    return CommissionEntry(level, resident)


def _entry(path: Path, name: str, raw) -> ServiceEntry:
    key = f"{path}: services.{name}"
    if not isinstance(raw, dict):
        raise PlatformError(f"{key} must be a table")
    module, port = raw.get("module"), raw.get("port")
    produces, consumes = raw.get("produces", False), raw.get("consumes", [])
    if not isinstance(module, str) or not module:
        raise PlatformError(f"{key}.module: the service's composition root module is required")
    if not isinstance(port, int) or not 0 < port < 65536:
        raise PlatformError(f"{key}.port: a port number is required")
    if not isinstance(produces, bool):
        raise PlatformError(f"{key}.produces: true or false")
    if not isinstance(consumes, list) or not all(isinstance(c, str) for c in consumes):
        raise PlatformError(f"{key}.consumes: a list of service names")
    return ServiceEntry(name, module, port, produces, tuple(consumes))
