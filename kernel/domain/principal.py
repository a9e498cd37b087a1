"""Who is acting: taken from a verified token (kernel.edge.auth), written into every event it causes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    """Agency, office and role are catalogue codes; user is the personnel-system id."""

    agency: str
    office: str
    role: str
    user: str

    @classmethod
    def system(cls, component: str) -> Principal:
        """The principal of a process acting on its own (scheduler, relay, process manager)."""
        return cls(agency="commission", office="system", role="system", user=f"system:{component}")
