"""The catalogue of agencies, offices and roles, and which role may perform or approve what.

Loaded from a TOML file (schema in `deploy/config/catalogue.toml`, the shipped default; set
CATALOGUE_FILE for your own). Pure lookups after loading; no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from kernel.domain.errors import Forbidden, Unauthenticated, Validation
from kernel.domain.principal import Principal
from kernel.runtime.config import read_toml

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "deploy" / "config" / "catalogue.toml"
ANY_ROLE = "*"
Act = Literal["perform", "approve"]


class CatalogueError(ValueError):
    """The catalogue file is wrong; the message names the file and the key."""


@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    name_zh: str


@dataclass(frozen=True)
class Office:
    code: str
    agency: str
    name: str
    name_zh: str
    roles: frozenset[str]


@dataclass(frozen=True)
class Role:
    code: str
    name: str
    name_zh: str
    system: bool = False


@dataclass(frozen=True)
class Operation:
    name: str
    description: str
    perform: frozenset[str]
    approve: frozenset[str]


@dataclass(frozen=True)
class Catalogue:
    agencies: dict[str, Agency]
    offices: dict[str, Office]
    roles: dict[str, Role]
    operations: dict[str, Operation]

    def check_principal(self, p: Principal) -> Principal:
        """A principal names a catalogued agency, an office of it and a role that office holds."""
        if p.agency not in self.agencies:
            raise Unauthenticated(f"unknown agency {p.agency!r}")
        office = self.offices.get(p.office)
        if office is None or office.agency != p.agency:
            raise Unauthenticated(f"unknown office {p.office!r} in agency {p.agency!r}")
        role = self.roles.get(p.role)
        if role is None or p.role not in office.roles:
            raise Unauthenticated(f"unknown role {p.role!r} for office {p.office!r}")
        if role.system != p.user.startswith("system:"):
            raise Unauthenticated("only the system role acts as a `system:<component>` user")
        return p

    def operation(self, name: str) -> Operation:
        try:
            return self.operations[name]
        except KeyError:
            raise LookupError(f"operation {name!r} is not in the catalogue") from None

    def may(self, p: Principal, operation: str, act: Act = "perform") -> bool:
        roles = getattr(self.operation(operation), act)
        return p.role in roles or (ANY_ROLE in roles and p.role in self.roles)

    def authorize(self, p: Principal, operation: str, act: Act = "perform") -> None:
        """Raise Forbidden (PERMISSION_DENIED) unless the principal's role may `act` on `operation`."""
        if not self.may(p, operation, act):
            raise Forbidden(f"role {p.role!r} may not {act} {operation}")


def office_code(offices: Mapping[str, object], value: str, field: str, optional: bool = False) -> str:
    """`value` stripped, if it names a catalogued office (or is empty and `optional`); else
    Validation naming `field`."""
    code = value.strip()
    if optional and not code:
        return code
    if code not in offices:
        raise Validation(field, f"unknown office {code!r}: not in the catalogue" if code else "must not be empty")
    return code


def load(path: Path | str | None = None) -> Catalogue:
    path = Path(path or DEFAULT_FILE)  # settings name another (CATALOGUE_FILE)
    return parse(read_toml(path, CatalogueError), str(path))


def parse(data: dict, source: str = "catalogue") -> Catalogue:
    def fail(key: str, problem: str):
        raise CatalogueError(f"{source}: {key}: {problem}")

    if data.get("schema_version") != 1:
        fail("schema_version", "must be 1")
    agencies = {
        c: Agency(c, _text(v, f"agencies.{c}.name", fail), v.get("name_zh", ""))
        for c, v in _table(data, "agencies", fail).items()
    }
    roles = {
        c: Role(c, _text(v, f"roles.{c}.name", fail), v.get("name_zh", ""), bool(v.get("system", False)))
        for c, v in _table(data, "roles", fail).items()
    }
    offices = {}
    for c, v in _table(data, "offices", fail).items():
        if v.get("agency") not in agencies:
            fail(f"offices.{c}.agency", f"unknown agency {v.get('agency')!r}")
        offices[c] = Office(
            c,
            v["agency"],
            _text(v, f"offices.{c}.name", fail),
            v.get("name_zh", ""),
            _roles(v.get("roles"), f"offices.{c}.roles", roles, fail, allow_any=False),
        )
    operations = {
        n: Operation(
            n,
            v.get("description", ""),
            _roles(v.get("perform"), f"operations.{n}.perform", roles, fail),
            _roles(v.get("approve", []), f"operations.{n}.approve", roles, fail, allow_empty=True),
        )
        for n, v in _table(data, "operations", fail).items()
    }
    return Catalogue(agencies, offices, roles, operations)


def _table(data: dict, key: str, fail) -> dict:
    table = data.get(key)
    if not isinstance(table, dict) or not table:
        fail(key, "missing or empty table")
    for code, value in table.items():
        if not isinstance(value, dict):
            fail(f"{key}.{code}", "must be a table")
    return table


def _text(v: dict, key: str, fail) -> str:
    if not isinstance(v.get(key.rsplit(".", 1)[1]), str):
        fail(key, "must be a string")
    return v[key.rsplit(".", 1)[1]]


def _roles(value, key: str, roles: dict, fail, *, allow_any=True, allow_empty=False) -> frozenset[str]:
    if not isinstance(value, list) or (not value and not allow_empty):
        fail(key, "must be a non-empty list of role codes")
    for r in value:
        if r not in roles and not (allow_any and r == ANY_ROLE):
            fail(key, f"unknown role {r!r}")
    return frozenset(value)
