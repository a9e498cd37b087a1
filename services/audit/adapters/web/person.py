"""A person's stories for the replay page (issue 29): every clue, case or decision story the
person's dossier facts name (`app.dossiers`, as the caller may know them), each exported like
`ExportHistoryBundle(whole_story)`, all proven in checkpoints of ONE tree size so the page checks
every step against one signed note.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from kernel.domain.errors import Unavailable
from services.audit.app.bundles import Bundle
from services.audit.domain.dossier import Item
from services.audit.domain.story import subject_kind

MAX_STORIES = 20  # the most recent ones: a page, not an export
ATTEMPTS = 4  # exports again when the ledger grew between two of them


def subjects_of(items: list[Item]) -> list[str]:
    """The story subjects among the items' files (measures and others belong to a case's story),
    most recently updated first, at most MAX_STORIES."""
    latest: dict[str, float] = {}
    for item in items:
        if subject_kind(item.ref):
            at = item.updated_at.timestamp() if item.updated_at else 0.0
            latest[item.ref] = max(at, latest.get(item.ref, 0.0))
    return sorted(latest, key=lambda ref: (-latest[ref], ref))[:MAX_STORIES]


async def stories(subjects: list[str], export: Callable[[str], Awaitable[Bundle]]) -> list[Bundle]:
    """The bundles of `subjects` (a subject already told by an earlier story is not told twice), in
    one tree size: each export signs the tree as it stands, so those proven in an older checkpoint
    are exported again; UNAVAILABLE when the ledger keeps growing faster."""
    told: dict[str, Bundle] = {}
    covered: set[str] = set()
    for subject in subjects:
        if subject not in covered:
            told[subject] = await export(subject)
            covered |= {s.id for s in told[subject].subjects}
    for _ in range(ATTEMPTS):
        size = max((b.tree_size for b in told.values()), default=0)
        stale = [s for s, b in told.items() if b.tree_size != size]
        if not stale:
            return list(told.values())
        for subject in stale:
            told[subject] = await export(subject)
    raise Unavailable("the ledger grew while the person's stories were proven; ask again")
