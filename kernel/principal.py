"""Who is acting. Read from call metadata by one interceptor; written into every event."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from kernel.errors import Unauthenticated

METADATA_KEYS = ("x-agency", "x-office", "x-role", "x-user")


@dataclass(frozen=True)
class Principal:
    agency: str
    office: str
    role: str
    user: str

    @classmethod
    def system(cls, component: str) -> "Principal":
        """The principal of a process acting on its own (scheduler, relay, process manager)."""
        return cls(agency="commission", office="system", role="system", user=f"system:{component}")

    @classmethod
    def from_metadata(cls, metadata: Iterable[tuple[str, str | bytes]] | None) -> "Principal":
        """Seam for the signed-token issue: today the four fields travel as plain metadata."""
        found = {k: v for k, v in (metadata or ()) if k in METADATA_KEYS and isinstance(v, str)}
        missing = [k for k in METADATA_KEYS if not found.get(k, "").strip()]
        if missing:
            raise Unauthenticated(f"missing principal metadata: {', '.join(missing)}")
        return cls(*(found[k].strip() for k in METADATA_KEYS))

    def to_metadata(self) -> list[tuple[str, str]]:
        return list(zip(METADATA_KEYS, (self.agency, self.office, self.role, self.user)))
