"""Monthly reconciliation (每月对账): an office's own ledger against case management's.

Each handling office lists the clues it held in the month and the status it believes each is in.
Case management's view is the central ledger folded as of the month's end. Every difference is
named with its reason; the rules are here, pure (the app folds the streams and calls `reconcile`).

What an office must list: every clue it held at the month's end that was still open then, or that
was concluded (closed, forwarded, filed as a case) within the month. A clue concluded earlier may
be listed too; its status is still compared.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.clues.domain.state import TERMINAL, UNDISPOSED

MISSING_FROM_OFFICE = "MISSING_FROM_OFFICE"
UNKNOWN_TO_CENTRAL = "UNKNOWN_TO_CENTRAL"
HELD_BY_ANOTHER_OFFICE = "HELD_BY_ANOTHER_OFFICE"
STATUS_DIFFERS = "STATUS_DIFFERS"
ASSIGNED_NOT_DISPOSED = "ASSIGNED_NOT_DISPOSED"
KINDS = (MISSING_FROM_OFFICE, UNKNOWN_TO_CENTRAL, HELD_BY_ANOTHER_OFFICE, STATUS_DIFFERS, ASSIGNED_NOT_DISPOSED)


@dataclass(frozen=True)
class Listed:
    """One line of the office's ledger: the clue as the office named it, resolved to an id by the
    app ("" when the central ledger knows no such clue), and the status the office believes."""

    reference: str
    clue_id: str
    status: str


@dataclass(frozen=True)
class Holding:
    """One clue in the central ledger as of the month's end."""

    clue_id: str
    clue_number: str
    status: str
    holder: str  # the handling office, or the receiving office before registration
    source: str
    colour: str  # three-colour warning at the month's end
    concluded_in_month: bool  # reached a terminal status within the month


@dataclass(frozen=True)
class Difference:
    """A named disagreement (or a finding) about one clue."""

    clue_id: str
    clue_number: str
    kind: str
    office_status: str
    central_status: str
    explanation: str


@dataclass(frozen=True)
class OfficeLedgerReconciled:
    """Result of one submission of an office's ledger for a month; on the stream
    `reconciliation-<uuid5(office/month)>`, one event per submission (a corrected ledger is
    submitted again)."""

    reconciliation_id: str
    office: str
    month: str  # YYYY-MM
    as_of: datetime  # the central ledger's instant compared against
    submitted_by: str
    listed: int  # lines in the office's ledger
    held: int  # clues case management expects the office to list
    differences: tuple[Difference, ...]


def expected(office: str, h: Holding) -> bool:
    """Whether `office` must list the clue (see the module docstring)."""
    return h.holder == office and (h.status not in TERMINAL or h.concluded_in_month)


def reconcile(office: str, listed: list[Listed], central: dict[str, Holding]) -> tuple[Difference, ...]:
    """Every difference between the office's lines and the central holdings, in a stable order."""
    out, seen = [], set()
    for line in listed:
        h = central.get(line.clue_id) if line.clue_id else None
        if h is None:
            out.append(
                Difference(
                    line.clue_id,
                    "" if line.clue_id else line.reference,
                    UNKNOWN_TO_CENTRAL,
                    line.status,
                    "",
                    "the central ledger holds no such clue at the month's end",
                )
            )
            continue
        seen.add(h.clue_id)
        if h.holder != office:
            out.append(_diff(h, HELD_BY_ANOTHER_OFFICE, line.status, f"held by {h.holder} at the month's end"))
        elif line.status != h.status:
            out.append(
                _diff(
                    h,
                    STATUS_DIFFERS,
                    line.status,
                    f"the office believes {line.status}, the central ledger has {h.status}",
                )
            )
    for h in central.values():
        if expected(office, h) and h.clue_id not in seen:
            out.append(_diff(h, MISSING_FROM_OFFICE, "", "held by the office but not in its ledger"))
        if h.holder == office and assigned_not_disposed(h):
            out.append(
                _diff(
                    h,
                    ASSIGNED_NOT_DISPOSED,
                    "",
                    f"assigned by a superior, still {h.status} and past its disposal deadline",
                )
            )
    return tuple(sorted(out, key=lambda d: (KINDS.index(d.kind), d.clue_number, d.clue_id)))


def assigned_not_disposed(h: Holding) -> bool:
    """Seed 004: a superior's assignment (上级交办) left undisposed past its deadline (red)."""
    return h.source == "SUPERIOR_ASSIGNMENT" and h.status in UNDISPOSED and h.colour == "RED"


def _diff(h: Holding, kind: str, office_status: str, explanation: str) -> Difference:
    return Difference(h.clue_id, h.clue_number, kind, office_status, h.status, explanation)
