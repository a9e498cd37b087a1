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

    @property
    def person_id(self) -> str:
        """The acting user's personnel-system person id: `user` is that id (the token's `user`
        claim), the same as `common.v1.PersonRef.person_id` of the persons files are about, so
        recusal (`kernel.domain.recusal`, SL 67) compares it with a file's subjects."""
        return self.user

    @classmethod
    def system(cls, component: str) -> Principal:
        """The principal of a process acting on its own (scheduler, relay, process manager)."""
        return cls(agency="commission", office="system", role="system", user=f"system:{component}")
