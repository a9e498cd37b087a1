"""The catalogue of agencies, offices and roles, and which role may perform or approve what.

Loaded from a TOML file (schema in `deploy/config/catalogue.toml`, the shipped default; set
CATALOGUE_FILE for your own). Pure lookups after loading; no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from kernel.domain.access import Organisation
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
    liaison: str = ""  # the office supervising this one's files as liaison (联系)
    sees_all: bool = False  # case management: sees every file
    oversees: frozenset[str] = frozenset()  # offices its leader roles oversee (分管)


@dataclass(frozen=True)
class Role:
    code: str
    name: str
    name_zh: str
    system: bool = False
    leader: bool = False  # oversees what its office `oversees`


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

    @property
    def organisation(self) -> Organisation:
        """Who sees what (`kernel.domain.access`), as this catalogue says."""
        return Organisation(
            liaison={c: o.liaison for c, o in self.offices.items() if o.liaison},
            sees_all=frozenset(c for c, o in self.offices.items() if o.sees_all),
            oversees={c: o.oversees for c, o in self.offices.items() if o.oversees},
            leaders=frozenset(c for c, r in self.roles.items() if r.leader),
            system=frozenset(c for c, r in self.roles.items() if r.system),
        )

    def approvers(self, operation: str) -> frozenset[str]:
        """The roles that approve `operation` (none when it has no approval step)."""
        return self.operation(operation).approve

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
        c: Role(
            c,
            _text(v, f"roles.{c}.name", fail),
            v.get("name_zh", ""),
            _flag(v, "system", f"roles.{c}", fail),
            _flag(v, "leader", f"roles.{c}", fail),
        )
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
            v.get("liaison", ""),
            _flag(v, "sees_all", f"offices.{c}", fail),
            frozenset(v.get("oversees", [])),
        )
    _check_structure(offices, fail)
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


def _flag(v: dict, key: str, where: str, fail) -> bool:
    if not isinstance(v.get(key, False), bool):
        fail(f"{where}.{key}", "must be true or false")
    return v.get(key, False)


def _check_structure(offices: dict[str, Office], fail) -> None:
    """Liaison and oversight name offices of the catalogue (checked at start, naming the key)."""
    for c, o in offices.items():
        if o.liaison and o.liaison not in offices:
            fail(f"offices.{c}.liaison", f"unknown office {o.liaison!r}")
        for x in sorted(o.oversees):
            if x not in offices:
                fail(f"offices.{c}.oversees", f"unknown office {x!r}")
